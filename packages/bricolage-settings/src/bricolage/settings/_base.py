"""The settings base class."""

from typing import (  # noqa: UP035 - typing's names resolve in the offline docs build
    Any,
    ClassVar,
    Mapping,
    Protocol,
    Self,
    TypeVar,
)

import pydantic_settings
from pydantic import BaseModel, PrivateAttr, ValidationError
from pydantic_settings import BaseSettings

from bricolage.settings import _explain, _layers
from bricolage.settings._explain import Explanation

__all__ = ["PathLike", "Settings", "SettingsConfigDict", "SettingsT"]


class PathLike(Protocol):
    """A path given as an object, such as ``pathlib.Path``: ``__fspath__`` returns ``str``.

    Wherever a folder is expected, a ``str`` or such an object is accepted.

    >>> from pathlib import Path
    >>> isinstance(Path("conf").__fspath__(), str)
    True
    """

    def __fspath__(self) -> str: ...


class SettingsConfigDict(pydantic_settings.SettingsConfigDict, total=False):
    """The configuration of a :class:`Settings` class: pydantic-settings' keys, plus three.

    Keys added by this package:

    ``config_dir``
        The folder holding ``settings.toml``, ``settings.<profile>.toml`` and, when their
        paths are relative, the ``env_file`` and ``secrets_dir``. Default: the current
        working directory at load time.
    ``profile_env``
        The environment variable that picks the profile. Default: ``<env_prefix>PROFILE``
        (``APP_PROFILE`` for the prefix ``APP_``), or ``SETTINGS_PROFILE`` without a prefix.
    ``default_profile``
        The profile used when that variable is not set. Default: ``"dev"``.

    The defaults that differ from pydantic-settings: ``env_nested_delimiter="__"``,
    ``env_file=".env"`` and ``frozen=True`` (a settings object is an immutable value, safe
    to share between threads).

    >>> config = SettingsConfigDict(env_prefix="APP_", config_dir="config")
    >>> config["config_dir"]
    'config'
    """

    config_dir: str | PathLike | None
    profile_env: str | None
    default_profile: str


class Settings(BaseSettings):
    """A typed settings class read from layered sources, with provenance and safe errors.

    Declare fields as on any pydantic model; secrets use ``pydantic.SecretStr``,
    ``pydantic.SecretBytes`` or ``pydantic.Secret``. Each value comes from the
    first of these that has it:

    1. explicit arguments (``AppSettings(debug=True)``);
    2. environment variables: ``env_prefix`` + field name, ``__`` between nested fields
       (``APP_DATABASE__HOST``);
    3. the ``.env`` file (same names);
    4. the secrets directory (``secrets_dir``): one file per setting, named after it
       (``api_token``, ``database__password``);
    5. the profile's file ``settings.<profile>.toml``;
    6. the base file ``settings.toml``;
    7. the field's default.

    Nested models merge key by key across layers. Lists are given as JSON (``["a", "b"]``)
    or comma-separated (``a, b``). Any bad value raises one
    :class:`~bricolage.settings.SettingsValidationError` listing every problem, with the
    exact source of each and secrets masked.

    Build one with :meth:`load` (typed keywords), or by calling the class as with
    pydantic-settings: ``AppSettings(debug=True, _profile="prod", _config_dir="conf")``.

    Args:
        _profile: Load this profile instead of the one the environment picks.
        _config_dir: Read the files from this folder instead of ``config_dir``.
        **values: Explicit values; they win over every other source.

    >>> from pydantic import SecretStr
    >>> class AppSettings(Settings):
    ...     model_config = SettingsConfigDict(env_prefix="DOCTEST_APP_")
    ...     port: int = 8080
    ...     token: SecretStr = SecretStr("")
    >>> settings = AppSettings.load(port=9000, token="hunter2", config_dir="/nonexistent")
    >>> settings
    AppSettings(port=9000, token=SecretStr('**********'))
    >>> settings.explain()["port"].source
    'argument port'
    """

    model_config: ClassVar[SettingsConfigDict] = SettingsConfigDict(
        env_nested_delimiter="__",
        env_file=".env",
        frozen=True,
        config_dir=None,
        profile_env=None,
        default_profile="dev",
    )

    _bricolage_loaded: _layers.Loaded | None = PrivateAttr(default=None)

    def __init__(
        __pydantic_self__,  # a field may be called "self"
        _profile: str | None = None,
        _config_dir: str | PathLike | None = None,
        **values: Any,
    ) -> None:
        loaded = _layers.load(
            type(__pydantic_self__), values, profile=_profile, config_dir=_config_dir
        )
        _validate_into(__pydantic_self__, loaded)

    @classmethod
    def load(
        cls,
        *,
        profile: str | None = None,
        config_dir: str | PathLike | None = None,
        **values: Any,
    ) -> Self:
        """Load the settings from every source: the typed way to build them.

        Same as calling the class, with ``profile`` and ``config_dir`` as plain keywords
        that type checkers know (the class call only knows the fields).

        Args:
            profile: Load this profile instead of the one the environment picks.
            config_dir: Read the files from this folder instead of ``config_dir``.
            **values: Explicit values; they win over every other source.

        Raises:
            SettingsValidationError: One report listing every bad field.
            ConfigFileError: A settings file that cannot be read or parsed.
            ProfileError: An unsafe profile name, or one with no file while others exist.

        >>> class Demo(Settings):
        ...     port: int = 8080
        >>> Demo.load(port="9000", config_dir="/nonexistent").port
        9000
        """
        return build(cls, values, profile=profile, config_dir=config_dir)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, with ``update`` applied; ``explain()`` reports updated fields as arguments.

        As with pydantic, ``update`` is not validated.

        >>> class Demo(Settings):
        ...     port: int = 8080
        >>> copy = Demo.load(config_dir="/nonexistent").model_copy(update={"port": 1})
        >>> copy.explain()["port"].source
        'argument port'
        """
        copy = super().model_copy(update=update, deep=deep)
        loaded = self._bricolage_loaded
        if update and loaded is not None:
            origins = {
                path: origin for path, origin in loaded.origins.items() if path[0] not in update
            }
            for key in update:
                origins[(key,)] = _layers.Origin("argument", key)
            copy._bricolage_loaded = _layers.Loaded(
                layout=loaded.layout, data=loaded.data, origins=origins
            )
        return copy

    def explain(self) -> Explanation:
        """Every field, its value (secrets masked) and the source that set it.

        >>> class Demo(Settings):
        ...     greeting: str = "hello"
        >>> print(Demo.load(greeting="hi", config_dir="/nonexistent").explain()["greeting"].source)
        argument greeting
        """
        loaded = self._bricolage_loaded
        if loaded is None:
            # Built without loading (model_construct, model_copy): all we know is the values.
            lay = _layers.layout(type(self), profile=None, config_dir=None, environ={})
            loaded = _layers.Loaded(layout=lay)
        return _explain.explain(self, loaded)


def _validate_into(instance: Settings, loaded: _layers.Loaded) -> None:
    cls = type(instance)
    unknown = _explain.unknown_nested_keys(cls, loaded)
    try:
        BaseModel.__init__(instance, **loaded.data)
    except ValidationError as exc:
        error = _explain.report(cls, exc, loaded, unknown)
    else:
        if not unknown:
            instance._bricolage_loaded = loaded
            return
        error = _explain.report(cls, None, loaded, unknown)
    # Raised outside the handler: the pydantic error (which may quote a secret) is not
    # kept as the report's context.
    raise error


SettingsT = TypeVar("SettingsT", bound=Settings)
SettingsT.__module__ = "bricolage.settings"  # where the reference documents it


def build(
    cls: type[SettingsT],
    values: Mapping[str, Any],
    *,
    profile: str | None = None,
    config_dir: str | PathLike | None = None,
    isolated: bool = False,
) -> SettingsT:
    """Load and validate ``cls``; ``isolated`` reads no environment and no file."""
    loaded = _layers.load(cls, values, profile=profile, config_dir=config_dir, isolated=isolated)
    instance = cls.__new__(cls)
    _validate_into(instance, loaded)
    return instance
