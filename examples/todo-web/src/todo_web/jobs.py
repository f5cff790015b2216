"""Background work: reminder e-mails for to-dos coming due, through bricolage-jobs.

A worker (``todo-web worker``) runs ``scan_reminders`` every minute; it enqueues one
``send_reminder`` per to-do due within the reminder window (idempotent by key, so two
scans never remind twice), which writes the e-mail to the outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
from collections.abc import Callable, MutableMapping
from contextlib import AbstractContextManager

import anyio
import attrs
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bricolage.jobs import JobContext, JobRegistry, Queue, Schedule, Scheduler, Worker
from bricolage.logging import correlation_from, inject_correlation_id
from todo_web.models import Membership, Todo, User
from todo_web.permissions import Action, allowed
from todo_web.services import send_mail
from todo_web.settings import AppSettings

__all__ = [
    "REMINDER_SCHEDULE",
    "CorrelationMiddleware",
    "JobRuntime",
    "bind",
    "make_queue",
    "make_worker",
    "registry",
    "run_worker",
    "scan_reminders",
    "send_reminder",
]

log = logging.getLogger(__name__)
registry = JobRegistry()


@attrs.define
class JobRuntime:
    """What jobs need from the application: sessions, the queue, settings and a clock."""

    sessions: sessionmaker[Session]
    queue: Queue
    settings: AppSettings
    clock: Callable[[], float]


_runtime: JobRuntime | None = None


def bind(runtime: JobRuntime) -> None:
    """Give the jobs of this process their database, queue and settings."""
    global _runtime
    _runtime = runtime


def _current() -> JobRuntime:
    if _runtime is None:
        raise RuntimeError("todo_web.jobs.bind() was not called in this process")
    return _runtime


def _now(runtime: JobRuntime) -> dt.datetime:
    return dt.datetime.fromtimestamp(runtime.clock(), dt.UTC).replace(tzinfo=None)


@registry.job(queue="mail", max_attempts=5)
def send_reminder(todo_id: int) -> int:
    """E-mail the list's editors about one to-do coming due; return how many were sent."""
    runtime = _current()
    with runtime.sessions() as db:
        todo = db.get(Todo, todo_id)
        if todo is None or todo.done or todo.reminded_at is not None:
            return 0
        rows = db.execute(
            select(User.email, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.list_id == todo.list_id)
            .order_by(User.email)
        )
        sent = 0
        due = todo.due.isoformat() if todo.due else "soon"
        for email, role in rows:
            if allowed(role, Action.EDIT_TODOS):
                send_mail(
                    db,
                    email,
                    f"Reminder: {todo.title} is due {due}",
                    f"The to-do {todo.title!r} in the list {todo.todo_list.name!r} is due {due}.",
                )
                sent += 1
        todo.reminded_at = _now(runtime)
        db.commit()
    log.info("reminder sent", extra={"todo_id": todo_id, "recipients": sent})
    return sent


@registry.job(queue="default")
def scan_reminders() -> int:
    """Enqueue a reminder for every open to-do due within the window; return how many."""
    runtime = _current()
    horizon = (_now(runtime) + dt.timedelta(hours=runtime.settings.reminder_window_hours)).date()
    with runtime.sessions() as db:
        ids = list(
            db.scalars(
                select(Todo.id).where(
                    Todo.done.is_(False),
                    Todo.reminded_at.is_(None),
                    Todo.due.is_not(None),
                    Todo.due <= horizon,
                )
            )
        )
    for todo_id in ids:
        runtime.queue.enqueue(send_reminder.options(key=f"reminder:{todo_id}"), todo_id)
    return len(ids)


REMINDER_SCHEDULE = Schedule("reminders", "* * * * *", scan_reminders)


class CorrelationMiddleware:
    """Carries the request's correlation id into the jobs it enqueues (bricolage-logging)."""

    def on_enqueue(self, meta: MutableMapping[str, str]) -> None:
        """Store the current correlation id in the job's metadata."""
        inject_correlation_id(meta)

    def around_job(self, context: JobContext) -> AbstractContextManager[object]:
        """Run the job under the id its metadata carries."""
        return correlation_from(context.meta)


def make_queue(settings: AppSettings) -> Queue:
    """The job queue of ``settings.jobs_backend()``, carrying correlation ids into jobs."""
    return Queue(settings.jobs_backend(), registry, middleware=[CorrelationMiddleware()])


def make_worker(queue: Queue, *, burst: bool = False) -> Worker:
    """A worker for both queues (the reminder schedule runs beside it, see run_worker)."""
    return Worker(queue, ["default", "mail"], concurrency=4, burst=burst, poll_interval=0.5)


def run_worker(queue: Queue, *, burst: bool = False) -> None:
    """Work until SIGTERM or SIGINT, firing the reminder scan every minute.

    With ``burst``, run what is queued and stop, without the schedule. The scheduler
    runs as a task of its own beside the worker, in one event loop.
    """
    worker = make_worker(queue, burst=burst)
    if burst:
        worker.run()
        return
    scheduler = Scheduler(queue, [REMINDER_SCHEDULE])

    async def serve() -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:

            async def stop_on_signal() -> None:
                async for _ in signals:
                    worker.stop()
                    return

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(stop_on_signal)
                tasks.start_soon(scheduler.serve)
                log.info("worker ready", extra={"worker": worker.name})
                await worker.serve()
                tasks.cancel_scope.cancel()

    anyio.run(serve)
