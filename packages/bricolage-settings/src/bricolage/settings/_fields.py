"""Pure helpers over settings classes: secret detection, path resolution, value display."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Secret, SecretBytes, SecretStr
from pydantic.fields import FieldInfo

MASK = "'**********'"

FieldPath = tuple[str, ...]

_SEQUENCE_ORIGINS: tuple[type, ...] = (list, set, frozenset, tuple, Sequence, AbstractSet)


def is_secret_annotation(annotation: Any) -> bool:
    """Whether a type holds a pydantic secret anywhere (``SecretStr``, ``Secret[int] | None``).

    >>> is_secret_annotation(SecretStr | None), is_secret_annotation(list[int])
    (True, False)
    """
    origin = get_origin(annotation)
    if origin is Annotated:
        return is_secret_annotation(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, SecretStr | SecretBytes | Secret):
        return True
    if origin is None:
        return False
    if isinstance(origin, type) and issubclass(origin, Secret):
        return True
    return any(is_secret_annotation(arg) for arg in get_args(annotation))


def is_secret_field(info: FieldInfo) -> bool:
    """Whether a field's value must be masked: a secret type, or a field with ``repr=False``.

    >>> from pydantic import Field
    >>> is_secret_field(Field(repr=False)), is_secret_field(Field())
    (True, False)
    """
    return info.repr is False or is_secret_annotation(info.annotation)


def is_secret_value(value: object) -> bool:
    """Whether a value is a pydantic secret.

    >>> is_secret_value(SecretStr("x")), is_secret_value("x")
    (True, False)
    """
    return isinstance(value, SecretStr | SecretBytes | Secret)


def _strip_optional(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _strip_optional(get_args(annotation)[0])
    args = get_args(annotation)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _strip_optional(rest[0])
    return annotation


def is_sequence_annotation(annotation: Any) -> bool:
    """Whether a field takes a list-like value (``list[str]``, ``set[int] | None``).

    >>> is_sequence_annotation(list[str] | None), is_sequence_annotation(dict[str, int])
    (True, False)
    """
    bare = _strip_optional(annotation)
    target = get_origin(bare) or bare
    return isinstance(target, type) and issubclass(target, _SEQUENCE_ORIGINS) and target is not str


def model_class(annotation: Any) -> type[BaseModel] | None:
    """The model class a field holds, looking through ``Optional``, ``Annotated``, containers.

    >>> class Db(BaseModel):
    ...     host: str = "h"
    >>> model_class(Db | None) is Db, model_class(int)
    (True, None)
    """
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = model_class(arg)
        if found is not None:
            return found
    return None


def field_keys(name: str, info: FieldInfo) -> Iterator[str]:
    """The keys a source may use for a field: its name and its plain string aliases."""
    yield name
    for alias in (info.alias, info.validation_alias):
        if isinstance(alias, str):
            yield alias


def lookup_field(
    model: type[BaseModel], key: str, case_sensitive: bool
) -> tuple[str, FieldInfo] | None:
    """Find the field of ``model`` that a source key names, by field name or alias."""
    wanted = key if case_sensitive else key.casefold()
    for name, info in model.model_fields.items():
        for candidate in field_keys(name, info):
            if (candidate if case_sensitive else candidate.casefold()) == wanted:
                return name, info
    return None


def resolve(
    model: type[BaseModel], loc: Sequence[str | int], case_sensitive: bool = False
) -> tuple[FieldPath, FieldInfo | None, bool, int]:
    """Map a location (source keys, list indices) to field names, the field, and secrecy.

    Returns the canonical path (field names where known, other keys as they are), the
    :class:`~pydantic.fields.FieldInfo` of the deepest known field (``None`` for an unknown
    key), whether any field along the way is secret, and the length of the path up to that
    field.
    """
    path: list[str] = []
    current: type[BaseModel] | None = model
    info: FieldInfo | None = None
    secret = False
    known = True
    end = 0
    for part in loc:
        text = str(part)
        if current is None or isinstance(part, int):
            path.append(text)
            continue
        found = lookup_field(current, text, case_sensitive)
        if found is None:
            path.append(text)
            current = None
            if known:
                known = False
                info = None
            continue
        name, info = found
        path.append(name)
        end = len(path)
        secret = secret or is_secret_field(info)
        current = model_class(info.annotation)
    return tuple(path), (info if known else None), secret, end


def is_union(annotation: Any) -> bool:
    """Whether a type is a union of more than one type besides ``None``.

    >>> is_union(int | str), is_union(int | None)
    (True, False)
    """
    bare = _strip_optional(annotation)
    return get_origin(bare) in (Union, UnionType)


def type_name(annotation: Any) -> str:
    """A short, readable name for a type: ``int``, ``list[str]``, ``Database | None``.

    >>> type_name(list[str] | None), type_name(int)
    ('list[str] | None', 'int')
    """
    if isinstance(annotation, type) and get_origin(annotation) is None:
        return annotation.__name__
    return repr(annotation).replace("typing.", "").replace("NoneType", "None")


def display(value: object, secret: bool) -> str:
    """The text shown for a value: masked when secret, else its ``repr``.

    >>> display("db", False), display("hunter2", True)
    ("'db'", "'**********'")
    """
    if secret or is_secret_value(value):
        return MASK
    return repr(value)


def jsonable(value: object, secret: bool) -> object:
    """A JSON-friendly form of a value for machine-readable output, masked when secret."""
    if secret or is_secret_value(value):
        return "**********"
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def leaves(value: object, path: FieldPath = ()) -> Iterator[tuple[FieldPath, object]]:
    """Flatten nested mappings into ``(path, value)`` pairs; other values are leaves.

    >>> list(leaves({"a": {"b": 1, "c": []}, "d": {}}))
    [(('a', 'b'), 1), (('a', 'c'), []), (('d',), {})]
    """
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, str(key)))
    else:
        yield path, value
