"""Command line: ``config-service run`` serves; ``config-service demo`` shows a guided tour."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bricolage.logging import configure
from bricolage.settings import SettingsError
from config_service.service import CONFIG_DIR, Service, ServiceSettings


def _say(text: str) -> None:
    """Narration goes to stderr, so stdout carries only log lines."""
    print(f"\n== {text}", file=sys.stderr, flush=True)


def _call(url: str, *, method: str = "GET", request_id: str | None = None) -> object:
    request = urllib.request.Request(url, method=method)  # noqa: S310 - our own server
    if request_id:
        request.add_header("X-Request-ID", request_id)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        body = json.loads(response.read())
        echoed = response.headers.get("X-Request-ID")
    print(
        f"   {method} {url} -> {json.dumps(body)[:200]} (X-Request-ID: {echoed})", file=sys.stderr
    )
    return body


def _wait_for(predicate: object, timeout: float = 5.0) -> bool:
    assert callable(predicate)
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
        levels={"config_service.access": "INFO"},
    )


def tour(service: Service, config_dir: Path) -> None:
    """Exercise the running service: requests, background work, reloads good and bad."""
    profile_file = config_dir / f"settings.{service.live.current.explain().profile}.toml"

    _say("A request with an X-Request-ID: every line it logs carries that id")
    _call(f"{service.url}/", request_id="demo-request-1")

    _say("A request that starts background work: the job's thread logs under the same id")
    _call(f"{service.url}/jobs", method="POST", request_id="demo-request-2")
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
    _call(f"{service.url}/", request_id="demo-request-3")

    _say("A bad edit (heartbeat_seconds = 'often') is refused; the old settings stay")
    text = profile_file.read_text(encoding="utf-8")
    bad = 'heartbeat_seconds = "often"'
    text, found = re.subn(r"(?m)^heartbeat_seconds\s*=.*$", bad, text)
    profile_file.write_text(text if found else f"{text}\n{bad}\n", encoding="utf-8")
    _wait_for(lambda: service.live.last_error is not None)
    _call(f"{service.url}/", request_id="demo-request-4")

    _say("Where every setting came from (the API token is masked)")
    explanation = service.live.current.explain()
    print(str(explanation), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="config-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("run", "serve until Ctrl-C"), ("demo", "a guided tour, then serve")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--config-dir", type=Path, default=None)
        command.add_argument("--profile", default=None)
        command.add_argument("--port", type=int, default=None)
        command.add_argument("--json", action="store_true", help="JSON lines even on a terminal")
        command.add_argument(
            "--duration", type=float, default=None, help="stop after this many seconds"
        )
    args = parser.parse_args(argv)

    scratch: Path | None = None
    config_dir = args.config_dir
    port = args.port
    if args.command == "demo":
        # The tour edits settings files: it works on a copy, never on the originals.
        scratch = Path(tempfile.mkdtemp(prefix="config-service-demo-"))
        config_dir = Path(shutil.copytree(config_dir or CONFIG_DIR, scratch / "config"))
        port = 0 if port is None else port
    try:
        service = Service(config_dir=config_dir or CONFIG_DIR, profile=args.profile, port=port)
    except SettingsError as error:
        print(f"config-service: invalid settings\n{error}", file=sys.stderr)
        return 2
    _configure_logging(service.live.current, "json" if args.json else "auto")
    try:
        with service:
            if args.command == "demo":
                tour(service, config_dir)
            _say(f"Serving on {service.url} (Ctrl-C to stop)")
            deadline = None if args.duration is None else time.monotonic() + args.duration
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
