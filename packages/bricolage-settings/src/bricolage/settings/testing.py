"""Helpers for testing code that uses settings.

* :func:`from_values` builds settings from explicit values and defaults only: no
  environment variable, ``.env``, secrets or settings file of the machine running the tests
  can change the result.
* :func:`override` swaps changed settings into a :class:`~bricolage.settings.LiveSettings`
  for the duration of a ``with`` block (subscribers see both swaps), then restores them.

>>> from bricolage.settings import Settings
>>> class AppSettings(Settings):
...     debug: bool = False
>>> from_values(AppSettings, debug=True).debug
True
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator  # noqa: UP035 - typing's names resolve in the offline docs build

from bricolage.settings import _base
from bricolage.settings._base import SettingsT
from bricolage.settings._live import LiveSettings

__all__ = ["from_values", "override"]


def from_values(
    settings_cls: type[SettingsT], /, *, profile: str | None = None, **values: Any
) -> SettingsT:
    """Build ``settings_cls`` from ``values`` and the defaults, reading nothing else.

    Validation and errors are the same as for a real load (secrets masked, every problem
    reported at once); ``explain()`` shows ``argument`` or ``default`` for every field.

    >>> from bricolage.settings import Settings
    >>> class AppSettings(Settings):
    ...     port: int = 8080
    >>> from_values(AppSettings, port="9000").port
    9000
    >>> from_values(AppSettings).explain()["port"].source
    'default'
    """
    return _base.build(settings_cls, values, profile=profile, isolated=True)


@contextmanager
def override(live: LiveSettings[SettingsT], /, **changes: Any) -> Iterator[SettingsT]:
    """Put settings with ``changes`` applied in force on ``live`` inside a ``with`` block.

    The changed settings are validated like any load; subscribers are told of the change
    on entry and of the restore on exit. Nested fields are changed with a dict, which is
    merged into the current value (``database={"port": 5433}``).

    >>> from bricolage.settings import LiveSettings, Settings
    >>> class AppSettings(Settings):
    ...     port: int = 8080
    >>> live = LiveSettings(AppSettings, config_dir="/nonexistent")
    >>> with override(live, port=9000) as changed:
    ...     live.current.port, changed.port
    (9000, 9000)
    >>> live.current.port
    8080
    """
    original = live.current
    values = _merge(original.model_dump(), changes)
    changed = _base.build(type(original), values, isolated=True)
    live._swap(changed)
    try:
        yield changed
    finally:
        live._swap(original)


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = _merge(current, value)
        else:
            merged[key] = value
    return merged
