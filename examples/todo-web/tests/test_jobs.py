"""Reminder e-mails through bricolage-jobs: on the SQLite queue, and on a real Redis."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from helpers import NOW, TODAY, Browser, Factory, make_settings
from sqlalchemy import select
from todo_web.jobs import JobRuntime, bind, make_queue, make_worker, scan_reminders, send_reminder
from todo_web.models import OutboxMessage, Todo
from todo_web.permissions import Role
from todo_web.settings import AppSettings
from todo_web.web import Runtime

from bricolage.logging import bind_correlation_id, unbind_correlation_id


def _outbox(rt: Runtime) -> list[OutboxMessage]:
    with rt.sessions() as db:
        return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _run(rt: Runtime, settings: AppSettings) -> None:
    queue = make_queue(settings)
    try:
        bind(JobRuntime(rt.sessions, queue, settings, rt.clock))
        scan = queue.enqueue(scan_reminders)
        make_worker(queue, burst=True).run(handle_signals=False)
        assert scan.status().state.value == "succeeded"
    finally:
        queue.close()


def _team(make: Factory) -> tuple[object, ...]:
    ada, grace, linus = (make.user(f"{n}@example.com") for n in ("ada", "grace", "linus"))
    team = make.todo_list(ada, "Team", {grace: Role.MEMBER, linus: Role.VIEWER})
    day = dt.timedelta(days=1)
    due_soon = make.todo(team, ada, title="Renew passport", due=TODAY + day)
    overdue = make.todo(team, ada, title="Pay rent", due=TODAY - day)
    later = make.todo(team, ada, title="Plan holidays", due=TODAY + 10 * day)
    undated = make.todo(team, ada, title="Someday")
    return team, due_soon, overdue, later, undated


def test_reminders_go_to_the_editors_once(make: Factory, rt: Runtime) -> None:
    _, due_soon, overdue, _, _ = _team(make)
    _run(rt, rt.settings)
    messages = _outbox(rt)
    subjects = sorted({m.subject for m in messages})
    assert subjects == [
        f"Reminder: Pay rent is due {TODAY - dt.timedelta(days=1)}",
        f"Reminder: Renew passport is due {TODAY + dt.timedelta(days=1)}",
    ]
    assert sorted({m.recipient for m in messages}) == ["ada@example.com", "grace@example.com"]
    assert len(messages) == 4
    _run(rt, rt.settings)  # a second scan reminds nobody again
    assert len(_outbox(rt)) == 4
    with rt.sessions() as db:
        assert db.get(Todo, due_soon.id).reminded_at is not None  # type: ignore[attr-defined,union-attr]
        assert db.get(Todo, overdue.id).reminded_at is not None  # type: ignore[attr-defined,union-attr]


def test_moving_the_due_date_reminds_again(app: Flask, make: Factory, rt: Runtime) -> None:
    _, due_soon, *_ = _team(make)
    _run(rt, rt.settings)
    assert len(_outbox(rt)) == 4
    browser = Browser(app.test_client())
    browser.login("ada@example.com")
    browser.post(
        f"/todos/{due_soon.id}/edit",  # type: ignore[attr-defined]
        {"title": "Renew passport", "due": TODAY.isoformat(), "priority": "2"},
    )
    _run(rt, rt.settings)
    assert len(_outbox(rt)) == 6


def test_a_done_or_deleted_todo_is_not_reminded(make: Factory, rt: Runtime) -> None:
    _, due_soon, overdue, *_ = _team(make)
    queue = make_queue(rt.settings)
    try:
        bind(JobRuntime(rt.sessions, queue, rt.settings, rt.clock))
        with rt.sessions() as db:
            db.get(Todo, due_soon.id).done = True  # type: ignore[attr-defined,union-attr]
            db.delete(db.get(Todo, overdue.id))  # type: ignore[attr-defined]
            db.commit()
        assert send_reminder(due_soon.id) == 0  # type: ignore[attr-defined]
        assert send_reminder(overdue.id) == 0  # type: ignore[attr-defined]
    finally:
        queue.close()
    assert _outbox(rt) == []


def test_jobs_refuse_to_run_unbound() -> None:
    import todo_web.jobs as jobs

    saved = jobs._runtime
    jobs._runtime = None
    try:
        with pytest.raises(RuntimeError, match="bind"):
            scan_reminders()
    finally:
        jobs._runtime = saved


def test_the_correlation_id_travels_into_the_job(make: Factory, rt: Runtime) -> None:
    _team(make)
    queue = make_queue(rt.settings)
    try:
        bind(JobRuntime(rt.sessions, queue, rt.settings, rt.clock))
        bind_correlation_id("req-reminders-1")
        try:
            handle = queue.enqueue(scan_reminders)
        finally:
            unbind_correlation_id()
        assert handle.status().meta["correlation_id"] == "req-reminders-1"
        make_worker(queue, burst=True).run(handle_signals=False)
    finally:
        queue.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:  # pragma: no cover - listed in system-packages.txt
        pytest.fail("redis-server is not installed (see system-packages.txt)")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:  # pragma: no cover
                process.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.redis
def test_reminders_on_a_real_redis_queue(
    make: Factory, rt: Runtime, redis_url: str, tmp_path: Path
) -> None:
    _team(make)
    settings = make_settings(rt.settings.data_dir, jobs_url=redis_url)
    assert settings.jobs_backend() == redis_url
    _run(rt, settings)
    assert len(_outbox(rt)) == 4
    _run(rt, settings)
    assert len(_outbox(rt)) == 4


def test_now_is_the_frozen_clock(rt: Runtime) -> None:
    assert rt.clock() == NOW


def test_the_reminder_schedule_fires_the_scan_every_minute(rt: Runtime) -> None:
    from todo_web.jobs import REMINDER_SCHEDULE

    from bricolage.jobs import Scheduler

    queue = make_queue(rt.settings)
    try:
        scheduler = Scheduler(queue, [REMINDER_SCHEDULE], clock=lambda: 0.0)
        fired = scheduler.tick(now=61.0)
        assert [handle.status().name for handle in fired] == ["scan_reminders"]
        assert scheduler.tick(now=62.0) == []
    finally:
        queue.close()
