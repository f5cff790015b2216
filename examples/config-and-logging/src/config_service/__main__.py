"""``config-service``: ``run`` serves; ``demo`` gives a guided tour, then serves.

Log lines go to standard output; the tour's narration and the URL to standard error.
Exit codes: 0 ok, 2 invalid settings or usage, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bricolage.logging import configure
from bricolage.settings import SettingsError
from config_service.service import CONFIG_DIR, Service, ServiceSettings

INTERRUPTED = 130
USAGE = 2

narration = Console(stderr=True, highlight=False, soft_wrap=True)


def _say(text: str) -> None:
    narration.print(f"\n[bold]==[/] {escape(text)}")


def _call(base: str, path: str, *, method: str = "GET", request_id: str | None = None) -> object:
    request = urllib.request.Request(base + path, method=method)  # noqa: S310 - our server
    request.add_header("Accept", "application/json")
    if request_id:
        request.add_header("X-Request-ID", request_id)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        body = json.loads(response.read())
        echoed = response.headers.get("X-Request-ID")
    narration.print(
        f"   {method} {path} -> {json.dumps(body)[:200]} (X-Request-ID: {echoed})", markup=False
    )
    return body


def _wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _configure_logging(settings: ServiceSettings, renderer: str) -> None:
    configure(
        service=settings.name,
        level=settings.log_level,
        renderer="json" if renderer == "json" else settings.log_format,
        levels={"asyncio": "WARNING"},  # the worker's event loop chats at DEBUG
    )


def _explanation_table(service: Service) -> Table:
    explanation = service.live.current.explain()
    table = Table(
        title=f"{explanation.settings_name}, profile {explanation.profile!r}", title_justify="left"
    )
    for column in ("setting", "value", "from"):
        table.add_column(column, overflow="fold")
    for row in explanation:
        table.add_row(row.field, row.value, row.source)
    return table


def tour(service: Service, config_dir: Path) -> None:
    """Exercise the running service: requests, background work, reloads good and bad."""
    profile_file = config_dir / f"settings.{service.live.current.explain().profile}.toml"

    _say("A request with an X-Request-ID: every line it logs carries that id")
    _call(service.url, "/", request_id="demo-request-1")

    _say("A request that starts a background job: the worker logs it under the same id")
    _call(service.url, "/jobs", method="POST", request_id="demo-request-2")
    service.jobs.wait()

    _say(f"Editing {profile_file.name}: the greeting changes without a restart")
    original = profile_file.read_text(encoding="utf-8")
    profile_file.write_text(
        original.replace('greeting = "hello from dev"', 'greeting = "hello, reloaded"')
        if 'greeting = "hello from dev"' in original
        else original + '\ngreeting = "hello, reloaded"\n',
        encoding="utf-8",
    )
    _wait_for(lambda: service.live.current.greeting == "hello, reloaded")
    _call(service.url, "/", request_id="demo-request-3")

    _say("A bad edit (heartbeat_seconds = 'often') is refused; the old settings stay")
    text = profile_file.read_text(encoding="utf-8")
    bad = 'heartbeat_seconds = "often"'
    text, found = re.subn(r"(?m)^heartbeat_seconds\s*=.*$", bad, text)
    profile_file.write_text(text if found else f"{text}\n{bad}\n", encoding="utf-8")
    _wait_for(lambda: service.live.last_error is not None)
    _call(service.url, "/", request_id="demo-request-4")

    _say("Where every setting came from (the API token is masked)")
    narration.print(_explanation_table(service))


def _serve(
    command: str,
    config_dir: Path | None,
    profile: str | None,
    port: int | None,
    as_json: bool,
    duration: float | None,
    data_dir: Path | None,
) -> None:
    scratch: Path | None = None
    if command == "demo":
        # The tour edits settings files: it works on a copy, never on the originals.
        scratch = Path(tempfile.mkdtemp(prefix="config-service-demo-"))
        config_dir = Path(shutil.copytree(config_dir or CONFIG_DIR, scratch / "config"))
        data_dir = data_dir or scratch / "data"
        port = 0 if port is None else port
    try:
        try:
            service = Service(
                config_dir=config_dir or CONFIG_DIR, profile=profile, port=port, data_dir=data_dir
            )
        except SettingsError as error:
            narration.print(f"config-service: invalid settings\n{error}", markup=False)
            raise SystemExit(USAGE) from None
        _configure_logging(service.live.current, "json" if as_json else "auto")
        with service:
            if command == "demo":
                tour(service, config_dir or CONFIG_DIR)
            narration.print()
            narration.print(service.url + "/", markup=False)
            narration.print("Ctrl-C stops")
            deadline = None if duration is None else time.monotonic() + duration
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
    except KeyboardInterrupt:
        raise SystemExit(INTERRUPTED) from None
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _options(function: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(
        [
            click.option(
                "--config-dir",
                type=click.Path(file_okay=False, path_type=Path),
                default=None,
                help="Folder of settings files [default: the example's config/].",
            ),
            click.option("--profile", default=None, help="Profile [default: SERVICE_PROFILE]."),
            click.option(
                "--port", type=click.IntRange(0, 65535), default=None, help="0: a free port."
            ),
            click.option("--json", "as_json", is_flag=True, help="JSON lines even on a terminal."),
            click.option("--duration", type=float, default=None, help="Stop after N seconds."),
            click.option(
                "--data-dir",
                type=click.Path(file_okay=False, path_type=Path),
                default=None,
                help="Where the job queue's SQLite file lives.",
            ),
        ]
    ):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """A small service with layered, live-reloaded settings and correlated JSON logs."""


@cli.command()
@_options
def run(**options: object) -> None:
    """Serve until Ctrl-C (the port comes from the settings unless --port is given)."""
    _serve("run", **options)  # type: ignore[arg-type]


@cli.command()
@_options
def demo(**options: object) -> None:
    """A guided tour on a scratch copy of the settings, then serve on a free port."""
    _serve("demo", **options)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    """The console script."""
    cli.main(args=argv, prog_name="config-service")


if __name__ == "__main__":
    main()
