"""Reading every layer and merging them, remembering which layer set which key.

Precedence, highest first: explicit arguments > environment variables > ``.env`` > the
secrets directory > ``settings.<profile>.toml`` > ``settings.toml`` > defaults.
"""

from __future__ import annotations

import io
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dotenv.parser import parse_stream
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import DotEnvSettingsSource, EnvSettingsSource, NoDecode
from pydantic_settings import SettingsError as _PydanticSettingsError

from bricolage.settings._fields import (
    FieldPath,
    is_sequence_annotation,
    leaves,
    lookup_field,
    model_class,
    resolve,
)
from bricolage.settings.errors import ConfigFileError, ProfileError, SettingsError

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

OriginKind = Literal["argument", "environment", "dotenv", "secret", "file", "default"]

_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_DOTENV_KEY = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one value came from."""

    kind: OriginKind
    name: str = ""
    file: str = ""

    def __str__(self) -> str:
        if self.kind == "argument":
            return f"argument {self.name}"
        if self.kind == "environment":
            return f"environment variable {self.name}"
        if self.kind == "dotenv":
            return f"env file {self.file}, variable {self.name}"
        if self.kind == "secret":
            return f"secret file {self.file}"
        if self.kind == "file":
            return f"file {self.file}, key {self.name}"
        return "default"


DEFAULT = Origin("default")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the layers of one settings class live, for one load."""

    profile: str
    profile_source: str
    prefix: str
    delimiter: str
    case_sensitive: bool
    profile_env: str
    base_file: Path
    profile_file: Path
    env_files: tuple[Path, ...]
    secrets_dir: Path | None

    def watched(self) -> tuple[Path, ...]:
        """Every path whose change may change the settings."""
        paths = [self.base_file, self.profile_file, *self.env_files]
        if self.secrets_dir is not None:
            paths.append(self.secrets_dir)
        return tuple(paths)


@dataclass(slots=True)
class Loaded:
    """The merged input of one load and the origin of every key in it."""

    layout: Layout
    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[FieldPath, Origin] = field(default_factory=dict)

    def origins_for(self, path: FieldPath) -> list[Origin]:
        """The origins of a field: its own, those of the keys below it, or an ancestor's."""
        exact = self.origins.get(path)
        if exact is not None:
            return [exact]
        width = len(path)
        below: list[Origin] = []
        for key, origin in self.origins.items():
            if key[:width] == path and origin not in below:
                below.append(origin)
        if below:
            return below
        for size in range(width - 1, 0, -1):
            ancestor = self.origins.get(path[:size])
            if ancestor is not None:
                return [ancestor]
        return []


def _config(cls: type[BaseSettings], key: str, default: Any = None) -> Any:
    value = cls.model_config.get(key, default)
    return default if value is None else value


def _as_paths(value: object) -> tuple[Path, ...]:
    if value is None:
        return ()
    if isinstance(value, str | os.PathLike):
        return (Path(value),)
    if isinstance(value, Iterable):
        return tuple(Path(item) for item in value)
    raise TypeError(f"expected a path or a list of paths, got {value!r}")


def profile_env_name(cls: type[BaseSettings]) -> str:
    """The environment variable that picks the profile."""
    explicit = _config(cls, "profile_env")
    if explicit:
        return str(explicit)
    prefix = str(_config(cls, "env_prefix", ""))
    return f"{prefix.upper()}PROFILE" if prefix else "SETTINGS_PROFILE"


def layout(
    cls: type[BaseSettings],
    *,
    profile: str | None,
    config_dir: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
) -> Layout:
    """Decide, before reading anything, which files and names this load uses."""
    directory = Path(config_dir if config_dir is not None else _config(cls, "config_dir", "."))
    env_name = profile_env_name(cls)
    if profile is not None:
        chosen, source = profile, "argument"
    elif environ.get(env_name):
        chosen, source = environ[env_name], f"environment variable {env_name}"
    else:
        chosen, source = str(_config(cls, "default_profile", "dev")), "default"
    if _PROFILE_NAME.fullmatch(chosen) is None or ".." in chosen:
        raise ProfileError(
            f"profile {chosen!r} (from {source}) is not a safe file name: use letters, digits,"
            " '_', '-' and '.', starting with a letter or digit"
        )
    profile_file = directory / f"settings.{chosen}.toml"
    if source != "default" and not profile_file.is_file():
        available = sorted(
            p.name[len("settings.") : -len(".toml")]
            for p in directory.glob("settings.*.toml")
            if p.is_file()
        )
        if available:
            raise ProfileError(
                f"unknown profile {chosen!r} (from {source}): {profile_file} does not exist;"
                f" available profiles: {', '.join(available)}"
            )
    env_files = tuple(
        p if p.is_absolute() else directory / p for p in _as_paths(_config(cls, "env_file"))
    )
    secrets = _as_paths(_config(cls, "secrets_dir"))
    secrets_dir = None
    if secrets:
        secrets_dir = secrets[-1] if secrets[-1].is_absolute() else directory / secrets[-1]
    return Layout(
        profile=chosen,
        profile_source=source,
        prefix=str(_config(cls, "env_prefix", "")),
        delimiter=str(_config(cls, "env_nested_delimiter", "")),
        case_sensitive=bool(_config(cls, "case_sensitive", False)),
        profile_env=env_name,
        base_file=directory / "settings.toml",
        profile_file=profile_file,
        env_files=env_files,
        secrets_dir=secrets_dir,
    )


# ----------------------------------------------------------------------------- decoding


def split_list(value: str) -> list[str]:
    """Split a comma-separated list, trimming spaces; an empty text is an empty list."""
    if not value.strip():
        return []
    return [item.strip() for item in value.split(",")]


def decode_text(info: FieldInfo | None, value: str, *, json_decode: Callable[[], Any]) -> Any:
    """Decode the text given for a complex field: JSON, or a comma-separated list.

    A list-like field takes JSON when the text starts with ``[`` and a comma-separated list
    otherwise. Text that does not decode is passed on as it is, so validation reports it
    with the other problems instead of stopping at the first.
    """
    if info is not None and NoDecode in info.metadata:
        return value
    is_list = info is not None and is_sequence_annotation(info.annotation)
    if is_list and not value.lstrip().startswith("["):
        return split_list(value)
    try:
        return json_decode()
    except ValueError:
        return value


class _LenientDecoding(EnvSettingsSource):
    """pydantic-settings' environment reading, with lists and undecodable text handled."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        if not isinstance(value, str):
            return value

        def json_decode() -> Any:
            return EnvSettingsSource.decode_complex_value(self, field_name, field, value)

        return decode_text(field, value, json_decode=json_decode)


class _Environment(_LenientDecoding):
    def _load_env_vars(self) -> Mapping[str, str | None]:
        self.original_names = {
            (name if self.case_sensitive else name.lower()): name for name in os.environ
        }
        return super()._load_env_vars()


_DOTENV_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?([^=]*?)\s*=\s*(.?)")
_DOTENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def _dotenv_problem(statement: str) -> str:
    """Why python-dotenv could not parse ``statement`` (the text from the bad line on)."""
    first = statement.splitlines()[0] if statement.strip() else statement
    match = _DOTENV_ASSIGNMENT.match(first)
    if match is None:
        return f"expected NAME=value, found {first.strip()!r} (no '=')"
    name, opening = match.group(1), match.group(2)
    if not _DOTENV_NAME.fullmatch(name.strip("'\"")):
        return f"{name!r} is not a variable name (letters, digits, '_', '.', '-')"
    if opening in ("'", '"'):
        return (
            f"the value of {name} opens a {opening} quote that is never closed, or is "
            "followed by more text after it is closed"
        )
    return f"cannot read {first.strip()!r} as NAME=value"


def check_dotenv(path: Path, text: str) -> None:
    """Refuse a ``.env`` file with a line python-dotenv would skip or misread.

    python-dotenv drops such a line with a warning that names no file, and the setting then
    silently falls back to its default; here the load stops with the file, the line and
    the reason.
    """
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            raise ConfigFileError(
                f"{path}, line {line}: {_dotenv_problem(binding.original.string)}"
            )
        if binding.key is not None and binding.value is None:
            raise ConfigFileError(
                f"{path}, line {line}: {binding.key!r} has no '=' and so no value "
                f"(write {binding.key}= for an empty one)"
            )


class _DotEnv(_LenientDecoding, DotEnvSettingsSource):
    original_names: dict[str, str]

    def __init__(self, settings_cls: type[BaseSettings], env_file: Path, profile_env: str):
        self._profile_env = profile_env
        try:
            text = env_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigFileError(f"{env_file}: cannot be read: {exc}") from None
        check_dotenv(env_file, text)
        self._text = text
        super().__init__(settings_cls, env_file=env_file)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        self.original_names = {
            (name if self.case_sensitive else name.lower()): name
            for name in _DOTENV_KEY.findall(self._text)
        }
        return super()._load_env_vars()

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        fold = (lambda s: s) if self.case_sensitive else str.casefold
        prefix = fold(self.env_prefix)
        known = {
            fold(key)
            for name, info in self.settings_cls.model_fields.items()
            for key in (name, info.alias, info.validation_alias)
            if isinstance(key, str)
        }
        profile_env = fold(self._profile_env)
        kept: dict[str, Any] = {}
        for key, value in data.items():
            folded = fold(key)
            if folded == profile_env:
                continue
            if folded in known or not prefix or folded.startswith(prefix):
                kept[key] = value
        return kept


def _variable_table(
    names: Iterable[str], original: Mapping[str, str], prefix: str, delimiter: str, fold: bool
) -> dict[FieldPath, str]:
    """Map the key path a variable sets (prefix removed, split on the delimiter) to its name."""
    norm: Callable[[str], str] = str.casefold if fold else (lambda s: s)
    table: dict[FieldPath, str] = {}
    plain: dict[FieldPath, str] = {}
    wanted = norm(prefix)
    for name in names:
        shown = original.get(name, name)
        folded = norm(name)
        plain.setdefault((folded,), shown)
        if folded.startswith(wanted):
            rest = folded[len(wanted) :]
            parts = rest.split(norm(delimiter)) if delimiter else [rest]
            table[tuple(parts)] = shown
    for key, shown in plain.items():
        table.setdefault(key, shown)
    return table


def _variable_origin(
    table: Mapping[FieldPath, str], path: FieldPath, fold: bool, make: Callable[[str], Origin]
) -> Origin | None:
    norm: Callable[[str], str] = str.casefold if fold else (lambda s: s)
    for size in range(len(path), 0, -1):
        name = table.get(tuple(norm(p) for p in path[:size]))
        if name is not None:
            return make(name)
    return None


# ----------------------------------------------------------------------------- layers


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file; a missing file is empty, a broken one a :class:`ConfigFileError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise ConfigFileError(f"{path}: is a directory, expected a TOML file") from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read: {exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigFileError(
            f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: invalid TOML: {exc}") from None


def read_secrets(
    cls: type[BaseModel], lay: Layout
) -> tuple[dict[str, Any], dict[FieldPath, Origin]]:
    """Read a secrets directory: one file per setting, named after it (nested with the delimiter).

    Files whose name matches no setting are ignored (a mounted directory often holds more
    secrets than one program needs); so are hidden entries such as Kubernetes' ``..data``.
    """
    data: dict[str, Any] = {}
    origins: dict[FieldPath, Origin] = {}
    directory = lay.secrets_dir
    if directory is None or not directory.is_dir():
        return data, origins
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(".") or not entry.is_file():
            continue
        name = entry.name
        folded_prefix = lay.prefix if lay.case_sensitive else lay.prefix.casefold()
        compare = name if lay.case_sensitive else name.casefold()
        if lay.prefix and compare.startswith(folded_prefix):
            name = name[len(lay.prefix) :]
        parts = name.split(lay.delimiter) if lay.delimiter else [name]
        path, info = _secret_path(cls, parts, lay.case_sensitive)
        if path is None:
            continue
        try:
            text = entry.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigFileError(f"{entry}: secret file cannot be read: {exc}") from None
        value: Any = text
        if info is not None and (
            is_sequence_annotation(info.annotation) or model_class(info.annotation) is not None
        ):
            value = decode_text(info, text, json_decode=partial(json.loads, text))
        target = data
        for part in path[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):  # pragma: no cover - a file and a folder of one name
                break
            target = nested
        target[path[-1]] = value
        origins[path] = Origin("secret", name=".".join(path), file=str(entry))
    return data, origins


def _secret_path(
    cls: type[BaseModel], parts: list[str], case_sensitive: bool
) -> tuple[FieldPath | None, FieldInfo | None]:
    model: type[BaseModel] | None = cls
    path: list[str] = []
    info: FieldInfo | None = None
    for index, part in enumerate(parts):
        if model is None:
            if index == 0:  # pragma: no cover - the root is always a model
                return None, None
            path.append(part)
            info = None
            continue
        found = lookup_field(model, part, case_sensitive)
        if found is None:
            return None, None
        name, info = found
        path.append(name)
        model = model_class(info.annotation)
    return tuple(path), info


@dataclass(slots=True)
class _Merger:
    """Deep-merge layers from lowest to highest precedence, keeping each key's origin."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[FieldPath, Origin] = field(default_factory=dict)

    def add(self, layer: Mapping[str, Any], origin: Callable[[FieldPath], Origin]) -> None:
        for key, item in layer.items():
            for path, value in leaves(item, (str(key),)):
                self._set(path, value, origin(path))

    def _set(self, path: FieldPath, value: Any, origin: Origin) -> None:
        target = self.data
        for size, part in enumerate(path[:-1], start=1):
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = {}
                target[part] = nested
            self.origins.pop(path[:size], None)  # a key with keys below is no leaf
            target = nested
        if value == {} and isinstance(target.get(path[-1]), dict):
            return  # merging an empty table changes nothing
        target[path[-1]] = value
        width = len(path)
        for key in [k for k in self.origins if len(k) > width and k[:width] == path]:
            del self.origins[key]
        self.origins[path] = origin


def _file_origin(file: str, path: FieldPath) -> Origin:
    return Origin("file", name=".".join(path), file=file)


def _variable_origins(
    table: Mapping[FieldPath, str], fold: bool, make: Callable[[str], Origin], lay: Layout
) -> Callable[[FieldPath], Origin]:
    def origin(path: FieldPath) -> Origin:
        found = _variable_origin(table, path, fold, make)
        if found is not None:
            return found
        # Not traceable to one variable (a value pydantic-settings built itself): the name
        # the field's variable would have.
        return make((lay.prefix + (lay.delimiter or "__").join(path)).upper())

    return origin


def load(
    cls: type[BaseSettings],
    values: Mapping[str, Any],
    *,
    profile: str | None,
    config_dir: str | os.PathLike[str] | None,
    isolated: bool = False,
) -> Loaded:
    """Read every layer of ``cls`` and merge them: the input of one validation."""
    environ: Mapping[str, str] = {} if isolated else os.environ
    lay = layout(cls, profile=profile, config_dir=config_dir, environ=environ)
    merger = _Merger()
    fold = not lay.case_sensitive
    if not isolated:
        for toml_path in (lay.base_file, lay.profile_file):
            merger.add(read_toml(toml_path), partial(_file_origin, str(toml_path)))
        secret_data, secret_origins = read_secrets(cls, lay)
        merger.add(secret_data, secret_origins.__getitem__)
        try:
            for env_file in lay.env_files:
                if not env_file.is_file():
                    continue
                dotenv = _DotEnv(cls, env_file, lay.profile_env)
                table = _variable_table(
                    dotenv.env_vars, dotenv.original_names, lay.prefix, lay.delimiter, fold
                )
                shown = str(env_file)
                merger.add(
                    dotenv(),
                    _variable_origins(table, fold, partial(_dotenv_origin, shown), lay),
                )
            environment = _Environment(cls)
            table = _variable_table(
                environment.env_vars, environment.original_names, lay.prefix, lay.delimiter, fold
            )
            merger.add(
                environment(),
                _variable_origins(table, fold, _environment_origin, lay),
            )
        except _PydanticSettingsError as exc:  # pragma: no cover - decoding never raises here
            raise SettingsError(f"{cls.__name__}: {exc}") from None
    merger.add(values, _argument_origin)
    origins: dict[FieldPath, Origin] = {}
    for key_path, origin in merger.origins.items():
        canonical, _, _, _ = resolve(cls, key_path, lay.case_sensitive)
        origins[canonical] = origin
    return Loaded(layout=lay, data=merger.data, origins=origins)


def _dotenv_origin(file: str, name: str) -> Origin:
    return Origin("dotenv", name=name, file=file)


def _environment_origin(name: str) -> Origin:
    return Origin("environment", name=name)


def _argument_origin(path: FieldPath) -> Origin:
    return Origin("argument", name=".".join(path))
