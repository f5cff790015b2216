"""``bricolage-settings`` / ``python -m bricolage.settings``: explain where settings come from.

The command line is click and rich, the extra ``bricolage-settings[cli]``; this module
only imports them when the command runs, so the library never needs them. Exit codes
follow the table every bricolage command uses: 0 ok, 1 the settings failed to load,
2 usage error, 3 not found (module, class or profile), 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

from bricolage.settings._base import Settings
from bricolage.settings.errors import SettingsError

__all__ = ["main"]

OK = 0
FAILED = 1
USAGE_ERROR = 2
NOT_FOUND = 3
INTERRUPTED = 130


class TargetError(LookupError):
    """A ``module:Class`` argument that names no settings class."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def import_target(target: str) -> type[Settings]:
    """The settings class named by ``module:Class`` (or ``module:a.b``)."""
    module_name, sep, qualname = target.partition(":")
    if not sep or not module_name or not qualname:
        raise TargetError(f"expected module:Class, got {target!r}", USAGE_ERROR)
    if "" not in sys.path:
        sys.path.insert(0, "")  # like `python -m`: modules of the working directory import
    try:
        obj: object = importlib.import_module(module_name)
    except SettingsError:
        raise  # settings loaded at import time: their report is the message
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise TargetError(f"cannot import module {module_name!r}: {exc}", NOT_FOUND) from None
        raise TargetError(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}", FAILED
        ) from None
    except Exception as exc:  # noqa: BLE001 - the command shows a message, never a traceback
        raise TargetError(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}", FAILED
        ) from None
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(
                f"module {module_name!r} has no attribute {qualname!r}", NOT_FOUND
            ) from None
    if not (isinstance(obj, type) and issubclass(obj, Settings)):
        raise TargetError(f"{target!r} is not a bricolage.settings.Settings subclass", USAGE_ERROR)
    return obj


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status.

    >>> from bricolage.settings._cli import main
    >>> main(["--help"]) == 0  # doctest: +ELLIPSIS
    Usage: bricolage-settings ...
    True
    """
    err = stderr if stderr is not None else sys.stderr
    try:
        from bricolage.settings._commands import run
    except ImportError as exc:
        if exc.name not in ("click", "rich") and not str(exc.name).startswith(("click.", "rich.")):
            raise
        print(
            'error: the command line needs click and rich: pip install "bricolage-settings[cli]"',
            file=err,
        )
        return FAILED
    return run(argv, stdout=stdout, stderr=stderr)
