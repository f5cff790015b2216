"""The same application on a real PostgreSQL that the test starts privately.

Debian's ``initdb`` makes a cluster in a temporary folder; ``postgres`` serves it on a free
port of 127.0.0.1. Both refuse to run as root, so as root they run as ``nobody``.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helpers import PASSWORD, TODAY, Browser, Factory, make_settings
from hypothesis import given, settings
from sqlalchemy import select
from test_properties import _store, todo_filters, todo_rows
from todo_web import filters
from todo_web.app import create_app
from todo_web.db import make_engine, make_sessionmaker, migrate
from todo_web.models import Todo


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:  # pragma: no cover - listed in system-packages.txt
        pytest.fail(f"{name} is not installed (Debian package postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    run_as: dict[str, Any] = {}
    folder = Path(tempfile.mkdtemp(prefix="todo-web-pg-"))
    if os.geteuid() == 0:  # initdb and postgres refuse root: use an unprivileged user
        nobody = pwd.getpwnam("nobody")
        run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid}
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    data = folder / "data"
    subprocess.run(
        [
            _binary("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
        **run_as,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            _binary("postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(folder),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **run_as,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 60
    while True:
        try:
            psycopg.connect(url, connect_timeout=1).close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline or server.poll() is not None:  # pragma: no cover
                server.kill()
                raise
            time.sleep(0.1)
    yield url
    server.send_signal(signal.SIGINT)  # fast shutdown: disconnects the clients still open
    server.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


def test_the_application_runs_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    settings_ = make_settings(tmp_path / "data", database_url=postgres_url)
    assert settings_.sqlalchemy_url() == postgres_url
    app = create_app(settings_)
    again = create_app(settings_)  # migrations run again on start: a no-op
    again.extensions["todo_web"].sessions.kw["bind"].dispose()
    try:
        _exercise(app)
    finally:
        app.extensions["todo_web"].sessions.kw["bind"].dispose()


def _exercise(app: Any) -> None:
    browser = Browser(app.test_client())
    assert browser.get("/healthz").json == {"status": "ok", "database": "ok"}
    browser.post(
        "/signup",
        {"email": "pg@example.com", "name": "Pg", "password": PASSWORD, "confirm": PASSWORD},
    )
    rt = app.extensions["todo_web"]
    make = Factory(rt)
    with rt.sessions() as db:
        from todo_web.models import User

        user = db.scalar(select(User).where(User.email == "pg@example.com"))
    assert user is not None
    todo_list = make.personal_list(user)
    url = f"/lists/{todo_list.id}"
    for title, tags in (("Vacuum the tables", "db ops"), ("Analyze the plans", "db")):
        response = browser.post(f"{url}/todos", {"title": title, "tags": tags, "priority": "2"})
        assert response.status_code == 302
    page = browser.get(url + "?tag=ops").text
    assert '<p class="todo-title">Vacuum the tables</p>' in page
    assert '<p class="todo-title">Analyze the plans</p>' not in page
    assert "Analyze the plans" in browser.get("/search?q=plans").text
    assert browser.get(url + "?sort=title").text.index("Analyze") < browser.get(
        url + "?sort=title"
    ).text.index("Vacuum")


@settings(max_examples=25)
@given(rows=todo_rows, flt=todo_filters)
def test_sql_filters_agree_with_the_pure_definition_on_postgresql(
    postgres_url: str, rows: list[dict[str, object]], flt: filters.TodoFilter
) -> None:
    engine = make_engine(postgres_url)
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as db:
            list_id = _store(db, rows)
            query = filters.apply(select(Todo).where(Todo.list_id == list_id), flt, TODAY)
            got = [t.id for t in db.scalars(query)]
            everything = list(db.scalars(select(Todo).where(Todo.list_id == list_id)))
            expected = sorted(
                (t for t in everything if filters.matches(t, flt, TODAY)),
                key=lambda t: filters.sort_key(t, flt),
                reverse=flt.descending,
            )
            assert got == [t.id for t in expected]
    finally:
        engine.dispose()


def test_postgres_dates_round_trip(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as db:
            _store(
                db,
                [
                    {
                        "title": "x",
                        "done": False,
                        "due": 3,
                        "priority": 1,
                        "tags": ["home"],
                        "created": 0,
                    }
                ],
            )
            todo = db.scalars(select(Todo)).one()
            assert todo.due == TODAY + dt.timedelta(days=3)
            assert todo.tag_names == ["home"]
    finally:
        engine.dispose()
