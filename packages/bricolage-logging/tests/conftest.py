"""Shared fixtures: a sink that validates every line against the shipped schema."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest
import structlog

from bricolage.logging import LoggingConfig, MemorySink, schema

_VALIDATORS = {
    "native": jsonschema.Draft202012Validator(
        schema("native"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ),
    "ecs": jsonschema.Draft202012Validator(
        schema("ecs"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ),
}


def validate_line(line: str, field_names: str = "native") -> dict[str, Any]:
    """Parse one line and validate it against the schema; return the record."""
    assert "\n" not in line, f"a line must not contain a line break: {line!r}"
    record = json.loads(line)
    assert isinstance(record, dict)
    _VALIDATORS[field_names].validate(record)
    return record


class SchemaSink(MemorySink):
    """A MemorySink that validates each line as it is written."""

    def __init__(self, field_names: str = "native") -> None:
        super().__init__()
        self.field_names = field_names
        self.validated = 0

    def write(self, line: str) -> None:
        validate_line(line, self.field_names)
        self.validated += 1
        super().write(line)


Validate = Callable[..., dict[str, Any]]


@pytest.fixture
def sink() -> SchemaSink:
    """A sink validating each line against the native schema."""
    return SchemaSink()


@pytest.fixture
def make_sink() -> Callable[[str], MemorySink]:
    """Make a validating sink for ``"native"`` or ``"ecs"`` field names."""
    return SchemaSink


@pytest.fixture
def validate() -> Validate:
    """Parse and validate one line: ``validate(line, field_names="native")``."""
    return validate_line


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    """Leave structlog and the root logger as they were, whatever the test did."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    from bricolage.logging import _configure

    current = _configure._CURRENT
    if isinstance(current, LoggingConfig):
        current.close()
    structlog.reset_defaults()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
