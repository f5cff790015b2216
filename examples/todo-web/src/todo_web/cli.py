"""The command line: ``todo-web demo | serve | worker | migrate | reindex``."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click
from werkzeug.serving import make_server

from bricolage.logging import FileSink, configure
from bricolage.settings import SettingsError
from todo_web.settings import AppSettings, load_settings

__all__ = ["main"]


def _settings(**values: Any) -> AppSettings:
    try:
        return load_settings(**values)
    except SettingsError as exc:
        click.echo(f"todo-web: invalid settings:\n{exc}", err=True)
        raise SystemExit(2) from None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop_on_sigterm() -> None:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@click.group()
def main() -> None:
    """A multi-user to-do web application."""


@main.command()
@click.option("--port", type=int, default=None, help="Port to serve on (default: a free one).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo's data here (default: a fresh temporary folder).",
)
@click.option("--no-worker", is_flag=True, help="Do not start the reminder worker.")
def demo(port: int | None, data_dir: Path | None, no_worker: bool) -> None:
    """Start the application with demo data on 127.0.0.1; Ctrl-C stops it."""
    from todo_web.app import create_app
    from todo_web.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo
    from todo_web.web import runtime, today

    port = port or _free_port()
    temporary = None
    if data_dir is None:
        temporary = tempfile.TemporaryDirectory(prefix="todo-web-demo-")
        data_dir = Path(temporary.name)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://localhost:{port}/"
    origins = [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
    settings = _settings(profile="dev", data_dir=data_dir.resolve(), origins=origins)
    logs = configure(
        service="todo-web",
        level=settings.log_level,
        stream=None,
        sinks=[FileSink(data_dir / "app.log")],
    )
    app = create_app(settings)
    with app.app_context():
        rt = runtime()
        with rt.sessions() as db:
            seed_demo(db, rt.index, rt.hasher, today())
    worker = None
    if not no_worker:
        env = {
            **os.environ,
            "TODO_WEB_PROFILE": "dev",
            "TODO_WEB_DATA_DIR": str(data_dir.resolve()),
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "todo_web", "worker"], env=env, stdout=subprocess.DEVNULL
        )
    server = make_server("127.0.0.1", port, app, threaded=True)
    _stop_on_sigterm()
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C (or SIGTERM) at any point
            click.echo(f"Todo is running at {url}")
            click.echo(
                f"Log in as {DEMO_USERS[0][0]} with the password {DEMO_PASSWORD} (Ctrl-C stops)"
            )
            server.serve_forever()
    finally:
        server.server_close()
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        logs.close()
        if temporary is not None:
            temporary.cleanup()
    click.echo("Stopped.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the application with the settings of the environment (threaded server)."""
    from todo_web.app import create_app

    settings = _settings()
    logs = configure(service="todo-web", level=settings.log_level, renderer=settings.log_format)
    server = make_server(host, port, create_app(settings), threaded=True)
    _stop_on_sigterm()
    try:
        with contextlib.suppress(KeyboardInterrupt):
            click.echo(f"Serving on http://{host}:{port}/", err=True)
            server.serve_forever()
    finally:
        server.server_close()
        logs.close()


@main.command()
@click.option("--burst", is_flag=True, help="Stop when no work is left.")
def worker(burst: bool) -> None:
    """Run the background worker: reminder scans and e-mails."""
    from todo_web.db import make_engine, make_sessionmaker, migrate
    from todo_web.jobs import JobRuntime, bind, make_queue, run_worker

    settings = _settings()
    logs = configure(service="todo-web-worker", level=settings.log_level, renderer="json")
    engine = make_engine(settings.sqlalchemy_url())
    migrate(engine)
    queue = make_queue(settings)
    bind(JobRuntime(make_sessionmaker(engine), queue, settings, time.time))
    try:
        run_worker(queue, burst=burst)
    finally:
        queue.close()
        logs.close()


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from todo_web import db

    db.migrate(db.make_engine(_settings().sqlalchemy_url()))
    click.echo("Database is up to date.")


@main.command()
def reindex() -> None:
    """Rebuild the search index from the database."""
    from sqlalchemy import select

    from todo_web import db
    from todo_web.models import Todo
    from todo_web.search_index import TodoIndex

    settings = _settings()
    engine = db.make_engine(settings.sqlalchemy_url())
    db.migrate(engine)
    index = TodoIndex(settings.data_dir.resolve() / "search")
    with db.make_sessionmaker(engine)() as session:
        count = index.rebuild(session.scalars(select(Todo)))
    click.echo(f"Indexed {count} to-dos.")
