"""The ``bricolage-jobs`` command: run workers, look at jobs, manage the dead-letter queue.

Built on click (commands, options, shell completion) and rich (tables, progress), the
extra ``bricolage-jobs[cli]``. Exit codes, the same across bricolage's commands:

====  ==============================================================
0     done
1     the work failed (a backend that cannot be reached, a worker that failed)
2     usage error (a bad option, a bad ``--app`` target, no backend named)
3     not found (no job with that id, an id that is not in the dead-letter queue)
4     refused as unsafe (purging every dead job without ``--yes``, re-queueing a live job)
130   interrupted (Ctrl-C)
====  ==============================================================
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from bricolage.jobs._model import JobRecord, QueueStats
from bricolage.jobs._policy import LeasePolicy
from bricolage.jobs._queue import Queue, open_backend
from bricolage.jobs._states import JobState
from bricolage.jobs._worker import Worker
from bricolage.jobs.errors import (
    ConfigurationError,
    IllegalTransitionError,
    JobNotFoundError,
    JobsError,
)

__all__ = ["cli", "load_queue", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNSAFE = 4
EXIT_INTERRUPTED = 130

PROG = "bricolage-jobs"
_BATCH = 500  # jobs re-queued per backend call, so that the progress bar moves
_F = TypeVar("_F", bound=Callable[..., Any])
_verbose = [False]  # set by -v, read when an error is reported


class _Failure(click.ClickException):
    """An expected error: one line on stderr and an exit code from the table, no traceback."""

    exit_code = EXIT_FAILED

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"{PROG}: error: {self.format_message()}", file=file, err=file is None)


class _BadUsage(_Failure):
    exit_code = EXIT_USAGE


class _NotFound(_Failure):
    exit_code = EXIT_NOT_FOUND


class _Unsafe(_Failure):
    exit_code = EXIT_UNSAFE


class _Interrupted(_Failure):
    exit_code = EXIT_INTERRUPTED


class _Commands(click.Group):
    """A group that turns the errors a user can meet into :class:`_Failure`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise _Interrupted("interrupted") from exc
        except _expected_errors() as exc:
            if _verbose[0]:
                logging.getLogger("bricolage.jobs.cli").exception("the command failed")
            raise _failure_for(exc)(str(exc)) from exc


def load_queue(target: str) -> Queue:
    """Import ``module:attribute`` and return the :class:`Queue` it names."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(f"{target!r} must look like 'package.module:queue'")
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {module_name!r} from {target!r}: {exc}") from exc
    value: Any = module
    for part in attribute.split("."):
        value = getattr(value, part, None)
    if not isinstance(value, Queue):
        raise ConfigurationError(
            f"{target!r} is {type(value).__name__}, not a bricolage.jobs.Queue"
        )
    return value


# -- output --------------------------------------------------------------------------------


def _console(*, stderr: bool = False) -> Console:
    """A console on the current stdout or stderr: colour on a terminal without NO_COLOR.

    rich reads ``NO_COLOR`` itself; on a pipe or a file it writes no colour and no cursor
    control, and lines are not wrapped at 80 columns.
    """
    stream = sys.stderr if stderr else sys.stdout
    console = Console(file=stream, highlight=False)
    if not console.is_terminal:
        console = Console(file=stream, highlight=False, width=200, color_system=None)
    return console


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _show(record: JobRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "queue": record.queue,
        "state": record.state.value,
        "attempts": record.attempts,
        "deliveries": record.deliveries,
        "enqueued_at": record.enqueued_at,
        "due_at": record.due_at,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "result": record.result,
        "error": record.error,
        "progress": record.progress,
        "meta": dict(record.meta),
    }


def _first_line(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _stats_json(stats: QueueStats) -> dict[str, Any]:
    return {
        "counts": {q: dict(c) for q, c in stats.counts.items()},
        "finished_last_minute": stats.finished_last_minute,
        "wait_p50_s": stats.wait_p50,
        "wait_p99_s": stats.wait_p99,
        "run_p50_s": stats.run_p50,
    }


# -- shared options ------------------------------------------------------------------------


def _source_options(command: _F) -> _F:
    """``--app`` / ``--url``: where the jobs are (the URL also from BRICOLAGE_JOBS_URL)."""
    command = click.option(
        "--url",
        metavar="URL",
        help="A backend URL: redis://host:port/db or sqlite:///path/to/jobs.db "
        "(default: $BRICOLAGE_JOBS_URL).",
    )(command)
    return click.option(
        "--app", metavar="MODULE:QUEUE", help="The application's Queue, as package.module:attr."
    )(command)


def _json_option(command: _F) -> _F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        command
    )


@contextlib.contextmanager
def _queue_from(app: str | None, url: str | None) -> Iterator[Queue]:
    ctx = click.get_current_context()
    parent = ctx.find_object(dict) or {}
    app = app or parent.get("app")
    url = url or parent.get("url")
    if app:
        yield load_queue(app)  # the application's queue: not ours to close
        return
    url = url or os.environ.get("BRICOLAGE_JOBS_URL")
    if not url:
        raise ConfigurationError(
            "name the jobs: --app module:queue or --url (or BRICOLAGE_JOBS_URL)"
        )
    with Queue(open_backend(url)) as queue:
        yield queue


# -- the commands --------------------------------------------------------------------------


@click.group(
    cls=_Commands,
    name=PROG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level (and show tracebacks).")
@click.version_option(package_name="bricolage-jobs", prog_name=PROG)
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Run workers and look after background jobs.

    \b
    Exit codes: 0 ok, 1 the work failed, 2 usage error, 3 not found,
    4 refused as unsafe, 130 interrupted.
    Shell completion: eval "$(bricolage-jobs completion bash)"  (or zsh, fish).
    """
    ctx.ensure_object(dict)
    _verbose[0] = verbose
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")


@cli.command()
@click.argument("target", metavar="MODULE:QUEUE")
@click.option("--queues", metavar="A,B", help="Comma-separated queues, in priority order.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Jobs run at once by each process.",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes to start.",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Lease length in seconds.",
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds running jobs get to finish on stop.",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Seconds between polls of an idle queue.",
)
@click.option("--burst", is_flag=True, help="Exit when no work is left.")
def worker(
    target: str,
    queues: str | None,
    concurrency: int,
    processes: int,
    lease: float,
    grace: float,
    poll_interval: float,
    burst: bool,
) -> None:
    """Run a worker for the Queue at MODULE:QUEUE until SIGTERM or Ctrl-C."""
    if processes > 1:
        args = ["-v"] if _verbose[0] else []
        args += ["worker", target, "--processes", "1", "--concurrency", str(concurrency)]
        args += ["--lease", str(lease), "--grace", str(grace)]
        args += ["--poll-interval", str(poll_interval)]
        if queues:
            args += ["--queues", queues]
        if burst:
            args.append("--burst")
        load_queue(target)  # a bad target is a usage error here, not in every child
        children = [
            subprocess.Popen([sys.executable, "-m", "bricolage.jobs", *args])  # noqa: S603
            for _ in range(processes)
        ]

        def forward(signum: int, _frame: object) -> None:
            for child in children:
                child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        codes = [child.wait() for child in children]
        failed = [code for code in codes if code != 0]
        if failed:  # a child killed by signal N exits as a shell would report it: 128 + N
            raise click.exceptions.Exit(failed[0] if failed[0] > 0 else 128 - failed[0])
        return
    queue = load_queue(target)
    running = Worker(
        queue,
        queues.split(",") if queues else None,
        concurrency=concurrency,
        lease=LeasePolicy(duration=lease),
        grace=grace,
        poll_interval=poll_interval,
        burst=burst,
    )
    running.run()
    if threading.active_count() > 1:
        # Sync jobs that outlived the grace period were handed back to the queue; their
        # threads cannot be interrupted, so the process leaves without waiting for them.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_OK)


@cli.command()
@click.argument("job_id")
@_source_options
@_json_option
def status(job_id: str, app: str | None, url: str | None, as_json: bool) -> None:
    """Show one job."""
    with _queue_from(app, url) as queue:
        record = queue.get(job_id)
    if as_json:
        click.echo(json.dumps(_show(record), indent=2))
        return
    table = Table(show_header=False, title=f"job {record.id}", title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    style = {"dead": "red", "failed": "red", "succeeded": "green"}.get(record.state.value, "")
    rows: list[tuple[str, str | Text]] = [
        ("name", record.name),
        ("queue", record.queue),
        ("state", Text(record.state.value, style=style)),
        ("attempts", f"{record.attempts} of {record.max_attempts}"),
        ("deliveries", f"{record.deliveries} of {record.max_deliveries}"),
        ("enqueued", _when(record.enqueued_at)),
        ("due", _when(record.due_at)),
        ("started", _when(record.started_at)),
        ("finished", _when(record.finished_at)),
        ("worker", record.worker or "-"),
        ("progress", record.progress or "-"),
        ("result", record.result or "-"),
        ("error", record.error or "-"),
    ]
    rows += [(f"meta.{key}", value) for key, value in sorted(record.meta.items())]
    for field, value in rows:
        table.add_row(field, value if isinstance(value, Text) else Text(value))
    _console().print(table)


@cli.command()
@_source_options
@_json_option
def stats(app: str | None, url: str | None, as_json: bool) -> None:
    """Queue depth by state, throughput and latencies."""
    with _queue_from(app, url) as queue:
        snapshot = queue.stats()
    if as_json:
        click.echo(json.dumps(_stats_json(snapshot), indent=2))
        return
    states = [state.value for state in JobState]
    table = Table(title="jobs by queue and state", title_justify="left")
    table.add_column("queue", style="bold")
    for state in states:
        table.add_column(state, justify="right")
    for name in sorted(snapshot.counts):
        counts = snapshot.counts[name]
        table.add_row(Text(name), *(str(counts.get(state, 0)) for state in states))
    console = _console()
    console.print(table)
    console.print(
        f"finished in the last minute: {snapshot.finished_last_minute}   "
        f"wait p50 {_ms(snapshot.wait_p50)}, p99 {_ms(snapshot.wait_p99)}   "
        f"run p50 {_ms(snapshot.run_p50)}"
    )


@cli.group(cls=_Commands)
@_source_options
@click.pass_context
def dlq(ctx: click.Context, app: str | None, url: str | None) -> None:
    """The dead-letter queue: list, requeue, purge."""
    ctx.ensure_object(dict)
    ctx.obj.update(app=app, url=url)


@dlq.command("list")
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@click.option("--limit", type=click.IntRange(min=0), default=100, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@_source_options
@_json_option
def dlq_list(
    ids: tuple[str, ...],
    limit: int,
    offset: int,
    app: str | None,
    url: str | None,
    as_json: bool,
) -> None:
    """List dead jobs, most recently buried first (IDS: only these)."""
    with _queue_from(app, url) as queue:
        if ids:
            records = [queue.get(job_id) for job_id in ids]
            records = [r for r in records if r.state is JobState.DEAD]
        else:
            records = queue.dead_letters(limit=limit, offset=offset)
    if as_json:
        for record in records:
            click.echo(json.dumps(_show(record)))
        return
    table = Table(title=f"dead-letter queue ({len(records)} shown)", title_justify="left")
    for column in ("id", "name", "queue", "attempts", "deliveries", "buried at", "error"):
        table.add_column(column, no_wrap=column == "id")
    for record in records:
        cells = (
            record.id,
            record.name,
            record.queue,
            str(record.attempts),
            str(record.deliveries),
            _when(record.finished_at),
            _first_line(record.error),
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: no markup from job data
    _console().print(table)


def _interactive() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


def _progress(what: str) -> Progress:
    console = _console(stderr=True)
    return Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=not console.is_terminal,
    )


def _dead_total(queue: Queue) -> int:
    return sum(c.get(JobState.DEAD.value, 0) for c in queue.stats().counts.values())


@dlq.command("requeue")
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@_source_options
def dlq_requeue(ids: tuple[str, ...], app: str | None, url: str | None) -> None:
    """Give dead jobs fresh attempts (default: every dead job), with a progress bar.

    Ids are checked first: an unknown id (exit 3) or a job that is not dead or failed
    (exit 4) re-queues nothing in its batch.
    """
    done = 0
    with _queue_from(app, url) as queue:
        if ids:
            with _progress("re-queueing") as progress:
                bar = progress.add_task("requeue", total=len(ids))
                for start in range(0, len(ids), _BATCH):
                    chunk = ids[start : start + _BATCH]
                    done += queue.requeue(list(chunk))
                    progress.advance(bar, len(chunk))
        else:
            total = _dead_total(queue)
            seen: set[str] = set()
            with _progress("re-queueing") as progress:
                bar = progress.add_task("requeue", total=total)
                while done < total:
                    page = [r.id for r in queue.dead_letters(limit=_BATCH) if r.id not in seen]
                    if not page:
                        break
                    seen.update(page)
                    done += queue.requeue(page)
                    progress.update(bar, completed=done)
    click.echo(f"re-queued {done} job(s)")


@dlq.command("purge")
@click.argument("ids", nargs=-1, metavar="[IDS]...")
@click.option("--yes", "-y", is_flag=True, help="Purge every dead job without asking.")
@_source_options
def dlq_purge(ids: tuple[str, ...], yes: bool, app: str | None, url: str | None) -> None:
    """Delete dead jobs for good (IDS, or every dead job with --yes)."""
    with _queue_from(app, url) as queue:
        total = 0 if ids or yes else _dead_total(queue)
        if total:
            if not _interactive():
                raise _Unsafe(
                    f"purging all {total} dead job(s) cannot be undone; "
                    "pass --yes, or name the job ids"
                )
            if not click.confirm(f"Delete all {total} dead job(s) for good?", default=False):
                raise _Unsafe("nothing purged")
        purged = queue.purge(list(ids) or None)
    click.echo(f"purged {purged} job(s)")
    if ids and purged < len(ids):
        raise _NotFound(f"{len(ids) - purged} of the {len(ids)} ids given were not dead jobs")


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script: eval "$(bricolage-jobs completion bash)"."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None  # the three choices are click's own
    script = completer(cli, {}, PROG, "_BRICOLAGE_JOBS_COMPLETE").source()
    click.echo(script)


# -- the entry point -----------------------------------------------------------------------


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Errors that end a command with a message, not a traceback."""
    errors: list[type[BaseException]] = [JobsError, OSError, sqlite3.Error]
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is installed wherever Redis is used
        pass
    else:
        errors.append(redis.RedisError)
    return tuple(errors)


def _failure_for(exc: BaseException) -> type[_Failure]:
    if isinstance(exc, JobNotFoundError):
        return _NotFound
    if isinstance(exc, ConfigurationError):
        return _BadUsage
    if isinstance(exc, IllegalTransitionError):  # e.g. re-queueing a running job
        return _Unsafe
    return _Failure


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    >>> main(["dlq", "list", "--url", "sqlite://:memory:", "--json"])
    0
    """
    _verbose[0] = False
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        # Without standalone mode click returns the code of a click.exceptions.Exit.
        result = cli.main(args, prog_name=PROG, standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:  # Ctrl-C or end of input at a prompt
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else EXIT_OK
