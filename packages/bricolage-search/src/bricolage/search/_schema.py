"""The schema: which fields a document has and how each is indexed."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bricolage.search.errors import SchemaError
from bricolage.text import Analyzer, standard_analyzer
from bricolage.text import TextError as _TextError

__all__ = ["FieldValue", "KeywordField", "Schema", "StoredField", "TextField"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = {"id"}

#: What a document may hold in a field: text, keywords, or JSON-compatible data.
FieldValue = str | int | float | bool | None | Sequence[object] | Mapping[str, object]


def _check_name(name: str) -> None:
    value: object = name  # callers without type checking may pass anything
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise SchemaError(
            f"field name {name!r} is invalid; use letters, digits and '_' "
            "(not starting with a digit) so that queries can say name:word"
        )
    if name in _RESERVED:
        raise SchemaError(f"field name {name!r} is reserved for the document id")


@dataclass(frozen=True, slots=True)
class TextField:
    """Analysed full text: searchable by words and phrases, scored by BM25(F).

    Args:
        name: the field name (letters, digits, ``_``).
        analyzer: how the text becomes terms (default: English
            :func:`~bricolage.text.standard_analyzer`).
        weight: the field's BM25F weight for queries that do not name a field.
        stored: keep the original text (needed for snippets and to return it in hits).

    >>> TextField("title", weight=2.0).weight
    2.0
    """

    name: str
    analyzer: Analyzer = field(default_factory=standard_analyzer)
    weight: float = 1.0
    stored: bool = True

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.analyzer, Analyzer):
            raise SchemaError(
                f"field {self.name!r}: analyzer must be a bricolage.text.Analyzer, "
                f"got {self.analyzer!r}"
            )
        weight: object = self.weight
        if not isinstance(weight, int | float) or not math.isfinite(weight) or weight <= 0:
            raise SchemaError(f"field {self.name!r}: weight must be > 0, got {self.weight!r}")


@dataclass(frozen=True, slots=True)
class KeywordField:
    """Exact values (tags, paths, categories): matched whole, never scored.

    A document may give one string or a list of strings. ``kind:report`` matches
    documents whose ``kind`` is exactly ``report`` (after lower-casing if
    ``lowercase=True``).

    >>> KeywordField("tags", lowercase=True).lowercase
    True
    """

    name: str
    stored: bool = True
    lowercase: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)


@dataclass(frozen=True, slots=True)
class StoredField:
    """Data kept with the document and returned in hits, never searched.

    Values must be JSON-compatible (strings, numbers, booleans, lists, dicts, ``None``).

    >>> StoredField("page").name
    'page'
    """

    name: str

    def __post_init__(self) -> None:
        _check_name(self.name)


Field = TextField | KeywordField | StoredField


class Schema:
    """The fields of an index's documents.

    >>> schema = Schema(TextField("title", weight=2.0), TextField("body"), KeywordField("tag"))
    >>> schema.names
    ('title', 'body', 'tag')
    >>> [f.name for f in schema.text_fields]
    ['title', 'body']
    """

    __slots__ = ("_fields",)

    def __init__(self, *fields: TextField | KeywordField | StoredField) -> None:
        if not fields:
            raise SchemaError("a schema needs at least one field")
        by_name: dict[str, Field] = {}
        for item in fields:
            if not isinstance(item, TextField | KeywordField | StoredField):
                raise SchemaError(
                    f"{item!r} is not a field; use TextField, KeywordField or StoredField"
                )
            if item.name in by_name:
                raise SchemaError(
                    f"field {item.name!r} is declared twice; each field needs a distinct name"
                )
            by_name[item.name] = item
        if not any(isinstance(f, TextField | KeywordField) for f in fields):
            raise SchemaError("a schema needs at least one TextField or KeywordField to search")
        self._fields = by_name

    @property
    def names(self) -> tuple[str, ...]:
        """The field names, in declaration order.

        >>> Schema(TextField("body")).names
        ('body',)
        """
        return tuple(self._fields)

    @property
    def fields(self) -> tuple[TextField | KeywordField | StoredField, ...]:
        """The fields, in declaration order.

        >>> Schema(TextField("body")).fields[0].name
        'body'
        """
        return tuple(self._fields.values())

    @property
    def text_fields(self) -> tuple[TextField, ...]:
        """The text fields, searched by queries that name no field.

        >>> Schema(TextField("a"), KeywordField("b")).text_fields[0].name
        'a'
        """
        return tuple(f for f in self._fields.values() if isinstance(f, TextField))

    @property
    def indexed_names(self) -> tuple[str, ...]:
        """Names of the fields a query may name (text and keyword fields).

        >>> Schema(TextField("a"), KeywordField("b"), StoredField("c")).indexed_names
        ('a', 'b')
        """
        return tuple(
            name for name, f in self._fields.items() if isinstance(f, TextField | KeywordField)
        )

    def __getitem__(self, name: str) -> TextField | KeywordField | StoredField:
        """The field called ``name``.

        >>> Schema(TextField("body"))["body"].name
        'body'
        """
        try:
            return self._fields[name]
        except KeyError:
            raise SchemaError(
                f"unknown field {name!r}; the schema has: {', '.join(self._fields)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schema):
            return NotImplemented
        return self._fields == other._fields

    def __hash__(self) -> int:
        return hash(tuple(self._fields.values()))

    def __repr__(self) -> str:
        return f"Schema({', '.join(repr(f) for f in self._fields.values())})"

    def validate(self, doc_id: object, values: Mapping[str, object]) -> dict[str, object]:
        """Check a document against the schema; return its values, normalised.

        Raises :class:`~bricolage.search.SchemaError` naming the document and field.

        >>> Schema(TextField("body"), KeywordField("tag")).validate("d1", {"tag": "x"})
        {'tag': ['x']}
        """
        if not isinstance(doc_id, str) or not doc_id:
            raise SchemaError(f"a document id must be a non-empty string, got {doc_id!r}")
        out: dict[str, object] = {}
        for name, value in values.items():
            spec = self._fields.get(name)
            if spec is None:
                raise SchemaError(
                    f"document {doc_id!r} has field {name!r}, which the schema does not "
                    f"declare; declared: {', '.join(self._fields)}"
                )
            if value is None:
                continue
            if isinstance(spec, TextField):
                if not isinstance(value, str):
                    raise SchemaError(
                        f"document {doc_id!r}: text field {name!r} needs a string, "
                        f"got {type(value).__name__} {value!r:.60}"
                    )
                out[name] = value
            elif isinstance(spec, KeywordField):
                items = [value] if isinstance(value, str) else value
                if not isinstance(items, list | tuple) or not all(
                    isinstance(v, str) for v in items
                ):
                    raise SchemaError(
                        f"document {doc_id!r}: keyword field {name!r} needs a string or a "
                        f"list of strings, got {value!r:.60}"
                    )
                out[name] = [v.lower() for v in items] if spec.lowercase else list(items)
            else:
                try:
                    json.dumps(value, allow_nan=False)
                except (TypeError, ValueError) as error:
                    raise SchemaError(
                        f"document {doc_id!r}: stored field {name!r} must be JSON-compatible: "
                        f"{error}"
                    ) from error
                out[name] = value
        return out

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description, read back by :meth:`from_dict`.

        >>> Schema(StoredField("url"), KeywordField("tag")).to_dict()["fields"][0]
        {'type': 'stored', 'name': 'url'}
        """
        described: list[dict[str, object]] = []
        for f in self._fields.values():
            if isinstance(f, TextField):
                try:
                    analyzer = f.analyzer.to_dict()
                except _TextError as error:
                    raise SchemaError(
                        f"field {f.name!r}: its analyzer cannot be saved ({error}); an index "
                        "on disk needs analyzers built from bricolage.text's parts "
                        "(Index.in_memory() accepts any)"
                    ) from error
                described.append(
                    {
                        "type": "text",
                        "name": f.name,
                        "analyzer": analyzer,
                        "weight": f.weight,
                        "stored": f.stored,
                    }
                )
            elif isinstance(f, KeywordField):
                described.append(
                    {
                        "type": "keyword",
                        "name": f.name,
                        "stored": f.stored,
                        "lowercase": f.lowercase,
                    }
                )
            else:
                described.append({"type": "stored", "name": f.name})
        return {"fields": described}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Schema:
        """Rebuild a schema from :meth:`to_dict`'s output.

        >>> schema = Schema(TextField("body", weight=1.5), KeywordField("tag"))
        >>> Schema.from_dict(schema.to_dict()) == schema
        True
        """
        items = data.get("fields")
        if not isinstance(items, list):
            raise SchemaError(f"not a schema description: {data!r:.200}")
        fields: list[Field] = []
        for item in items:
            if not isinstance(item, dict):
                raise SchemaError(f"not a field description: {item!r:.200}")
            kind, name = item.get("type"), str(item.get("name"))
            if kind == "text":
                analyzer = item.get("analyzer", {})
                try:
                    built = Analyzer.from_dict(analyzer if isinstance(analyzer, dict) else {})
                except _TextError as error:
                    raise SchemaError(
                        f"field {name!r}: bad analyzer description: {error}"
                    ) from error
                fields.append(
                    TextField(
                        name, built, float(item.get("weight", 1.0)), bool(item.get("stored", True))
                    )
                )
            elif kind == "keyword":
                fields.append(
                    KeywordField(name, bool(item.get("stored", True)), bool(item.get("lowercase")))
                )
            elif kind == "stored":
                fields.append(StoredField(name))
            else:
                raise SchemaError(f"unknown field type {kind!r} in {item!r:.200}")
        return cls(*fields)
