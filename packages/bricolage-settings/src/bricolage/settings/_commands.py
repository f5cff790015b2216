"""The click commands behind ``bricolage-settings`` (needs the extra ``[cli]``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bricolage.settings._cli import (
    FAILED,
    INTERRUPTED,
    NOT_FOUND,
    OK,
    USAGE_ERROR,
    TargetError,
    import_target,
)
from bricolage.settings._explain import Explanation, _shorten
from bricolage.settings.errors import ProfileError, SettingsError


@dataclass(slots=True)
class _Streams:
    out: TextIO
    err: TextIO

    def console(self, *, error: bool = False) -> Console:
        file = self.err if error else self.out
        terminal = file.isatty()
        # In a pipe or a log: no colour, no control characters, no wrapping of rows.
        return Console(
            file=file,
            highlight=False,
            soft_wrap=not terminal,
            width=None if terminal else 4096,
        )

    def fail(self, message: str) -> None:
        self.console(error=True).print(Text(f"error: {message}"), soft_wrap=True)


EXIT_CODES = f"""Exit codes: {OK} ok, {FAILED} the settings failed to load, {USAGE_ERROR} usage
error, {NOT_FOUND} module, class or profile not found, {INTERRUPTED} interrupted."""


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES,
)
def cli() -> None:
    """Typed, layered settings: see which source set each value.

    Shell completion: eval "$(_BRICOLAGE_SETTINGS_COMPLETE=bash_source bricolage-settings)"
    (zsh_source and fish_source for the other shells).
    """


@cli.command(epilog=EXIT_CODES)
@click.argument("target", metavar="MODULE:CLASS")
@click.option("--profile", help="Load this profile instead of the environment's.")
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False),
    help="Read the settings files from this folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def explain(
    streams: _Streams, target: str, profile: str | None, config_dir: str | None, as_json: bool
) -> int:
    """Load a settings class and show every field, its value (secrets masked) and its source."""
    try:
        cls = import_target(target)
        settings = cls.load(profile=profile, config_dir=config_dir)
    except TargetError as exc:
        streams.fail(str(exc))
        return exc.code
    except ProfileError as exc:
        streams.fail(str(exc))
        return NOT_FOUND if "unknown profile" in str(exc) else USAGE_ERROR
    except SettingsError as exc:
        streams.fail(str(exc))
        return FAILED
    explanation = settings.explain()
    if as_json:
        streams.out.write(json.dumps(explanation.as_dict(), indent=2) + "\n")
    else:
        _print_table(streams.console(), explanation)
    return OK


def _print_table(console: Console, explanation: Explanation) -> None:
    found = [path for path, exists in explanation.files if exists]
    console.print(
        Text.assemble(
            (explanation.settings_name, "bold"),
            f", profile {explanation.profile!r} ({explanation.profile_source})",
        )
    )
    console.print(Text("files read: " + (", ".join(found) if found else "none")))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("field", style="cyan", no_wrap=True)
    table.add_column("value", no_wrap=True)
    table.add_column("source", style="dim", no_wrap=True)
    for row in explanation.fields:
        table.add_row(Text(row.field), Text(_shorten(row.value)), Text(row.source))
    console.print(table)


def run(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the click group without letting click exit the process; returns the status."""
    streams = _Streams(
        out=stdout if stdout is not None else sys.stdout,
        err=stderr if stderr is not None else sys.stderr,
    )
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="bricolage-settings",
            standalone_mode=False,
            obj=streams,
        )
    except click.exceptions.Abort:
        streams.fail("interrupted")
        return INTERRUPTED
    except click.ClickException as exc:
        exc.show(file=streams.err)
        return exc.exit_code
    return result if isinstance(result, int) else OK
