"""Errors raised by :mod:`bricolage.settings`.

Every error derives from :class:`SettingsError`; each specific error also inherits the
built-in exception it refines, so a generic ``except ValueError`` still catches it::

    Exception
    └── SettingsError
        ├── SettingsValidationError (ValueError)   one report: every bad field at once
        ├── ConfigFileError (ValueError)           a settings file that cannot be read or parsed
        └── ProfileError (ValueError)              a profile name that is unsafe or unknown

No message, ``repr`` or attribute of these errors ever holds the value of a secret field:
values are masked before the error is built.

>>> issubclass(SettingsValidationError, ValueError)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigFileError",
    "Problem",
    "ProfileError",
    "SettingsError",
    "SettingsValidationError",
]


class SettingsError(Exception):
    """The base of every error this package raises.

    >>> try:
    ...     raise ProfileError("unsafe profile name '../x'")
    ... except SettingsError as exc:
    ...     print(type(exc).__name__)
    ProfileError
    """


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad setting: where it is, what it held, where that came from, what was expected.

    Attributes:
        field: The dotted path of the setting (``database.port``), list indices included
            (``hosts.2``).
        value: A display of the offending value, already masked (``'**********'``) when the
            setting is secret, or ``'(missing)'`` / ``'(hidden)'``.
        source: Where the value came from (``environment variable APP_PORT``,
            ``file settings.prod.toml, key database.port``, ...), or, for a missing setting,
            where it could be set.
        expected: What the setting accepts and why the value was refused.

    >>> p = Problem("port", "'eighty'", "environment variable APP_PORT", "int: not an integer")
    >>> print(p)
    port
      value:    'eighty'
      source:   environment variable APP_PORT
      expected: int: not an integer
    """

    field: str
    value: str
    source: str
    expected: str

    def __str__(self) -> str:
        return (
            f"{self.field}\n"
            f"  value:    {self.value}\n"
            f"  source:   {self.source}\n"
            f"  expected: {self.expected}"
        )


class SettingsValidationError(SettingsError, ValueError):
    """Some settings are invalid: the message lists every one of them at once.

    Attributes:
        settings_name: The name of the settings class.
        profile: The profile that was loaded.
        problems: One :class:`Problem` per bad setting, in a stable order.

    >>> err = SettingsValidationError(
    ...     "AppSettings", "dev", [Problem("port", "'x'", "argument port", "int")]
    ... )
    >>> print(err)
    AppSettings (profile 'dev'): 1 invalid setting
    port
      value:    'x'
      source:   argument port
      expected: int
    >>> err.problems[0].field
    'port'
    """

    def __init__(self, settings_name: str, profile: str, problems: Sequence[Problem]) -> None:
        self.settings_name = settings_name
        self.profile = profile
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        noun = "setting" if count == 1 else "settings"
        header = f"{settings_name} (profile {profile!r}): {count} invalid {noun}"
        super().__init__("\n".join([header, *(str(p) for p in self.problems)]))


class ConfigFileError(SettingsError, ValueError):
    """A settings file exists but cannot be read or parsed (a TOML syntax error, bad UTF-8).

    The message names the file and, for a syntax error, the line and column.

    >>> print(ConfigFileError("settings.toml: Expected '=' (at line 3, column 5)"))
    settings.toml: Expected '=' (at line 3, column 5)
    """


class ProfileError(SettingsError, ValueError):
    """The profile name is unsafe as a file name, or no file exists for it.

    >>> str(ProfileError("unknown profile 'prdo'; available: dev, prod"))
    "unknown profile 'prdo'; available: dev, prod"
    """
