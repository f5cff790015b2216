"""Provenance (which layer set each field) and the error report, both secret-safe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import (  # noqa: UP035 - typing's names resolve in the offline docs build
    TYPE_CHECKING,
    Any,
    Iterator,
)

from pydantic import BaseModel, ValidationError

from bricolage.settings._fields import (
    MASK,
    display,
    is_secret_field,
    is_secret_value,
    is_union,
    jsonable,
    lookup_field,
    model_class,
    resolve,
    type_name,
)
from bricolage.settings._layers import DEFAULT, Loaded, Origin
from bricolage.settings.errors import Problem, SettingsValidationError

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

_TEXT_WIDTH = 48


@dataclass(frozen=True, slots=True)
class FieldExplanation:
    """One row of :meth:`Settings.explain`: a field, its value and the source that set it.

    Attributes:
        field: The dotted path of the field (``database.host``); nested models are
            flattened, other values (lists, dicts) are one row.
        value: The ``repr`` of the value, or ``'**********'`` for a secret.
        source: The source that set it: ``environment variable APP_DATABASE__HOST``,
            ``env file .env, variable APP_DEBUG``, ``secret file /run/secrets/api_token``,
            ``file settings.prod.toml, key database.host``, ``argument debug`` or
            ``default``. A dict field filled by several sources lists them, separated by
            semicolons.
        kind: The kind of that source: ``"argument"``, ``"environment"``, ``"dotenv"``,
            ``"secret"``, ``"file"``, ``"default"``, or ``"mixed"`` for several.
        secret: Whether the field is secret (its value is masked).

    >>> row = FieldExplanation("port", "8080", "default", "default", False)
    >>> row.kind
    'default'
    """

    field: str
    value: str
    source: str
    kind: str
    secret: bool
    _json_value: object = None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form; the value is the JSON value, masked when secret.

        >>> FieldExplanation("port", "8080", "default", "default", False, 8080).as_dict()
        {'field': 'port', 'value': 8080, 'source': 'default', 'kind': 'default', 'secret': False}
        """
        return {
            "field": self.field,
            "value": self._json_value,
            "source": self.source,
            "kind": self.kind,
            "secret": self.secret,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """Where every field of a settings object came from. ``str()`` gives a table.

    Attributes:
        settings_name: The settings class name.
        profile: The profile that was loaded.
        profile_source: What chose it: ``argument``, ``environment variable APP_PROFILE``
            or ``default``.
        files: The files (and secrets directory) that were looked for, lowest precedence
            first, each with whether it existed. A missing file is not an error; the
            table's second line lists the ones that were read.
        fields: One :class:`FieldExplanation` per field, in declaration order.

    >>> from bricolage.settings import Settings
    >>> class Demo(Settings):
    ...     port: int = 8080
    >>> report = Demo.load(config_dir="/nonexistent").explain()
    >>> report["port"].source
    'default'
    >>> print(report)  # doctest: +NORMALIZE_WHITESPACE
    Demo, profile 'dev' (default)
    files read: none
    field  value  source
    -----  -----  -------
    port   8080   default
    """

    settings_name: str
    profile: str
    profile_source: str
    files: tuple[tuple[str, bool], ...]
    fields: tuple[FieldExplanation, ...]

    def __getitem__(self, field: str) -> FieldExplanation:
        for row in self.fields:
            if row.field == field:
                return row
        raise KeyError(field)

    def __iter__(self) -> Iterator[FieldExplanation]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form of the whole explanation (secrets masked).

        >>> from bricolage.settings import Settings
        >>> class Demo(Settings):
        ...     port: int = 8080
        >>> Demo.load(config_dir="/nonexistent").explain().as_dict()["fields"]
        [{'field': 'port', 'value': 8080, 'source': 'default', 'kind': 'default', 'secret': False}]
        """
        return {
            "settings": self.settings_name,
            "profile": self.profile,
            "profile_source": self.profile_source,
            "files": [{"path": path, "exists": exists} for path, exists in self.files],
            "fields": [row.as_dict() for row in self.fields],
        }

    def __str__(self) -> str:
        header = f"{self.settings_name}, profile {self.profile!r} ({self.profile_source})"
        rows = [("field", "value", "source")]
        rows += [(r.field, _shorten(r.value), r.source) for r in self.fields]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        rule = tuple("-" * max(len(row[i]) for row in rows) for i in range(3))
        found = [path for path, exists in self.files if exists]
        lines = [header, "files read: " + (", ".join(found) if found else "none")]
        for row in [rows[0], rule, *rows[1:]]:
            lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())
        return "\n".join(lines)


def _shorten(text: str) -> str:
    return text if len(text) <= _TEXT_WIDTH else text[: _TEXT_WIDTH - 3] + "..."


def _source_text(origins: list[Origin]) -> tuple[str, str]:
    if not origins:
        return str(DEFAULT), DEFAULT.kind
    if len(origins) == 1:
        return str(origins[0]), origins[0].kind
    kinds = {o.kind for o in origins}
    return "; ".join(str(o) for o in origins), (kinds.pop() if len(kinds) == 1 else "mixed")


def _rows(
    model: BaseModel, loaded: Loaded, prefix: tuple[str, ...], secret_above: bool
) -> Iterator[FieldExplanation]:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        path = (*prefix, name)
        secret = secret_above or is_secret_field(info) or is_secret_value(value)
        if isinstance(value, BaseModel) and not secret:
            yield from _rows(value, loaded, path, secret)
            continue
        origins = loaded.origins_for(path)
        secret = secret or any(o.kind == "secret" for o in origins)
        source, kind = _source_text(origins)
        yield FieldExplanation(
            field=".".join(path),
            value=display(value, secret),
            source=source,
            kind=kind,
            secret=secret,
            _json_value=jsonable(value, secret),
        )


def explain(settings: BaseModel, loaded: Loaded) -> Explanation:
    """Build the explanation of a validated settings object from the load that made it."""
    lay = loaded.layout
    candidates = [lay.base_file, lay.profile_file, *lay.env_files]
    files = [(str(p), p.is_file()) for p in candidates]
    if lay.secrets_dir is not None:
        files.append((str(lay.secrets_dir), lay.secrets_dir.is_dir()))
    return Explanation(
        settings_name=type(settings).__name__,
        profile=lay.profile,
        profile_source=lay.profile_source,
        files=tuple(files),
        fields=tuple(_rows(settings, loaded, (), False)),
    )


def _where_to_set(cls: type[BaseSettings], path: tuple[str, ...], loaded: Loaded) -> str:
    lay = loaded.layout
    delimiter = lay.delimiter or "__"
    variable = (lay.prefix + delimiter.join(path)).upper()
    places = [f"environment variable {variable}", f"key {'.'.join(path)} in {lay.base_file}"]
    if lay.secrets_dir is not None:
        places.append(f"file {delimiter.join(path)} in {lay.secrets_dir}")
    return "not set; set " + ", or ".join(places)


_UNKNOWN_EXPECTED = "no such setting; check the spelling (unknown keys are refused)"


def unknown_nested_keys(cls: type[BaseSettings], loaded: Loaded) -> list[Problem]:
    """Keys below a nested model that name none of its fields.

    pydantic ignores them when the nested model's ``extra`` is ``"ignore"`` (its default);
    in settings, an unknown key is nearly always a typo, so it is reported.
    """
    problems: list[Problem] = []
    for path, origin in loaded.origins.items():
        if len(path) < 2:
            continue  # the settings class itself forbids extra keys: pydantic reports them
        model: type[BaseModel] | None = cls
        for depth, part in enumerate(path):
            if model is None:
                break
            found = lookup_field(model, part, loaded.layout.case_sensitive)
            if found is None:
                if depth and model.model_config.get("extra") in (None, "ignore"):
                    shown = ".".join(path[: depth + 1])
                    problem = Problem(
                        shown, "(hidden: unknown key)", str(origin), _UNKNOWN_EXPECTED
                    )
                    if problem not in problems:
                        problems.append(problem)
                break
            model = model_class(found[1].annotation)
    return problems


def report(
    cls: type[BaseSettings],
    error: ValidationError | None,
    loaded: Loaded,
    extra: list[Problem],
) -> SettingsValidationError:
    """Turn a pydantic validation error into one secret-safe report with a source per problem."""
    problems: list[Problem] = []
    items = (
        error.errors(include_url=False, include_context=False, include_input=True)
        if error is not None
        else []
    )
    for item in items:
        loc = tuple(item["loc"])
        path, info, secret, end = resolve(cls, loc, loaded.layout.case_sensitive)
        if info is not None and is_union(info.annotation):
            path = path[:end]  # one problem per field, not one per member of its union
        origins = loaded.origins_for(path)
        secret = secret or any(o.kind == "secret" for o in origins)
        kind = item["type"]
        value: Any = item.get("input")
        if kind == "missing":
            shown, source = "(missing)", _where_to_set(cls, path, loaded)
        else:
            source = _source_text(origins)[0]
            if info is None:
                # An unknown key: its value may be a misnamed secret, so it is never shown.
                shown = "(hidden: unknown key)"
            else:
                shown = MASK if secret else display(value, False)
        if kind == "extra_forbidden":
            expected = _UNKNOWN_EXPECTED
        elif info is not None:
            expected = f"{type_name(info.annotation)}: {item['msg']}"
        else:
            expected = str(item["msg"])
        problem = Problem(".".join(path), shown, source, expected)
        same = next((p for p in problems if (p.field, p.source) == (problem.field, source)), None)
        if same is None:
            problems.append(problem)
        elif item["msg"] not in same.expected:
            merged = Problem(
                same.field, same.value, same.source, f"{same.expected}; {item['msg']}"
            )
            problems[problems.index(same)] = merged
    problems.extend(extra)
    return SettingsValidationError(cls.__name__, loaded.layout.profile, problems)
