"""Typed, layered settings on pydantic-settings: profiles, secrets, provenance, reload.

>>> from bricolage.settings import Settings, SettingsConfigDict
>>> class AppSettings(Settings):
...     model_config = SettingsConfigDict(env_prefix="DOCTEST_")
...     debug: bool = False
>>> AppSettings.load(config_dir="/nonexistent").debug
False
"""

from __future__ import annotations

from importlib.metadata import version as _version

from bricolage.settings._base import PathLike, Settings, SettingsConfigDict, SettingsT  # noqa: F401
from bricolage.settings._explain import Explanation, FieldExplanation
from bricolage.settings._live import LiveSettings, ReloadResult
from bricolage.settings.errors import (
    ConfigFileError,
    Problem,
    ProfileError,
    SettingsError,
    SettingsValidationError,
)

__version__ = _version("bricolage-settings")

__all__ = [
    "ConfigFileError",
    "Explanation",
    "FieldExplanation",
    "LiveSettings",
    "PathLike",
    "Problem",
    "ProfileError",
    "ReloadResult",
    "Settings",
    "SettingsConfigDict",
    "SettingsError",
    "SettingsValidationError",
    "__version__",
]
