"""``python -m bricolage.settings``: explain where each setting comes from."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from bricolage.settings._base import Settings
from bricolage.settings.errors import SettingsError

USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bricolage.settings",
        description="Load a settings class and show every field, its value (secrets masked)"
        " and the source that set it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser("explain", help="show every field and its source")
    explain.add_argument("target", help="the settings class, as module:Class (or module:a.b)")
    explain.add_argument("--profile", help="load this profile instead of the environment's")
    explain.add_argument("--config-dir", help="read the settings files from this folder")
    explain.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _import(target: str) -> type[Settings]:
    module_name, sep, qualname = target.partition(":")
    if not sep or not module_name or not qualname:
        raise LookupError(f"expected module:Class, got {target!r}")
    if "" not in sys.path:
        sys.path.insert(0, "")  # like `python -m`: modules of the working directory import
    try:
        obj: object = importlib.import_module(module_name)
    except SettingsError:
        raise  # settings loaded at import time: their report is the message
    except Exception as exc:  # noqa: BLE001 - the command shows a message, never a traceback
        raise LookupError(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}"
        ) from None
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise LookupError(f"module {module_name!r} has no attribute {qualname!r}") from None
    if not (isinstance(obj, type) and issubclass(obj, Settings)):
        raise LookupError(f"{target!r} is not a bricolage.settings.Settings subclass")
    return obj


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status (0, or 2 with a report on stderr)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args = _parser().parse_args(argv)
    try:
        cls = _import(args.target)
        settings = cls.load(profile=args.profile, config_dir=args.config_dir)
    except (LookupError, SettingsError) as exc:
        print(f"error: {exc}", file=err)
        return USAGE_ERROR
    explanation = settings.explain()
    if args.json:
        print(json.dumps(explanation.as_dict(), indent=2), file=out)
    else:
        print(explanation, file=out)
    return 0
