"""The public surface: what __all__ promises, documented with examples, nothing private."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import jsonschema
import pytest

import bricolage.logging as public
from bricolage.logging import SCHEMA_VERSION, schema, schema_text


def test_all_names_exist_and_are_sorted_groups() -> None:
    assert len(set(public.__all__)) == len(public.__all__)
    for name in public.__all__:
        assert hasattr(public, name), name


@pytest.mark.parametrize(
    "name", [n for n in public.__all__ if n not in {"__version__", "SCHEMA_VERSION"}]
)
def test_every_public_name_has_a_docstring_with_an_example(name: str) -> None:
    obj = getattr(public, name)
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert ">>>" in doc, f"{name}'s docstring has no example"


def test_public_objects_come_from_private_modules_or_errors() -> None:
    for name in public.__all__:
        obj = getattr(public, name)
        module = getattr(obj, "__module__", None)
        if module is not None and not isinstance(obj, str):
            assert module.startswith("bricolage.logging"), (name, module)


def test_modules_are_private_except_errors() -> None:
    names = {info.name for info in pkgutil.iter_modules(public.__path__)}
    assert {n for n in names if not n.startswith("_")} == {"errors", "prometheus"}
    for name in names:
        importlib.import_module(f"bricolage.logging.{name}")


def test_version_comes_from_the_metadata() -> None:
    assert public.__version__ == "0.2.0"


@pytest.mark.parametrize("field_names", ["native", "ecs"])
def test_the_shipped_schemas_are_valid_json_schema(field_names: str) -> None:
    document = schema(field_names)  # type: ignore[arg-type]
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["x-schema-version"] == SCHEMA_VERSION
    assert json.loads(schema_text(field_names)) == document  # type: ignore[arg-type]


def test_an_unknown_schema_choice_is_refused() -> None:
    with pytest.raises(public.ConfigurationError, match="unknown field_names 'otel'"):
        schema("otel")  # type: ignore[arg-type]


def test_the_schema_rejects_what_it_should() -> None:
    validator = jsonschema.Draft202012Validator(schema())
    good = {
        "timestamp": "2026-11-21T21:00:00.000000Z",
        "level": "info",
        "logger": "a",
        "message": "m",
        "service": "s",
    }
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "timestamp": "2026-11-21 21:00:00"})
    assert not validator.is_valid({**good, "timestamp": "2026-11-21T21:00:00.000000+01:00"})
    assert not validator.is_valid({**good, "level": "verbose"})
    assert not validator.is_valid({**good, "correlation_id": "has space"})
    assert not validator.is_valid({**good, "exception": {"type": "E"}})
    del good["service"]
    assert not validator.is_valid(good)
