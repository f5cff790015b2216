"""The log schema, shipped as JSON Schema files inside the package."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Literal

from bricolage.logging._render import SCHEMA_VERSION, keys_for

__all__ = ["SCHEMA_VERSION", "schema", "schema_text"]

_FILES = {"native": "log-record-1.schema.json", "ecs": "log-record-ecs-1.schema.json"}


def schema_text(field_names: Literal["native", "ecs"] = "native") -> str:
    """The JSON Schema file, as shipped, for ``"native"`` or ``"ecs"`` field names.

    >>> '"x-schema-version": "1.0.0"' in schema_text()
    True
    """
    keys_for(field_names)  # a clear error for an unknown choice
    return (
        resources.files("bricolage.logging")
        .joinpath("schemas", _FILES[field_names])
        .read_text(encoding="utf-8")
    )


def schema(field_names: Literal["native", "ecs"] = "native") -> dict[str, Any]:
    """The JSON Schema every line follows, as a dict (validate lines with it in tests).

    >>> document = schema()
    >>> document["x-schema-version"] == SCHEMA_VERSION
    True
    >>> sorted(document["required"])
    ['level', 'logger', 'message', 'service', 'timestamp']
    >>> schema("ecs")["required"][:2]
    ['@timestamp', 'log.level']
    """
    loaded: dict[str, Any] = json.loads(schema_text(field_names))
    return loaded
