"""The ``bricolage-jobs`` command: run workers, look at jobs, manage the dead-letter queue."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from bricolage.jobs._model import JobRecord
from bricolage.jobs._policy import LeasePolicy
from bricolage.jobs._queue import Queue, open_backend
from bricolage.jobs._worker import Worker
from bricolage.jobs.errors import ConfigurationError, JobsError

__all__ = ["main"]


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


@contextlib.contextmanager
def _queue_from(args: argparse.Namespace) -> Iterator[Queue]:
    if args.app:
        yield load_queue(args.app)  # the application's queue: not ours to close
        return
    url = args.url or os.environ.get("BRICOLAGE_JOBS_URL")
    if not url:
        raise ConfigurationError(
            "name the jobs: --app module:queue or --url (or BRICOLAGE_JOBS_URL)"
        )
    with Queue(open_backend(url)) as queue:
        yield queue


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


def _worker(args: argparse.Namespace) -> int:
    if args.processes > 1:
        children = [
            subprocess.Popen(  # noqa: S603 - our own command line
                [sys.executable, "-m", "bricolage.jobs", *_child_args(args)]
            )
            for _ in range(args.processes)
        ]

        def forward(signum: int, _frame: object) -> None:
            for child in children:
                child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        return max(child.wait() for child in children)
    queue = load_queue(args.target)
    queues = args.queues.split(",") if args.queues else None
    worker = Worker(
        queue,
        queues,
        concurrency=args.concurrency,
        lease=LeasePolicy(duration=args.lease),
        grace=args.grace,
        poll_interval=args.poll_interval,
        burst=args.burst,
    )
    worker.run()
    if args.exit_hard and threading.active_count() > 1:
        # Sync jobs that outlived the grace period were handed back to the queue; their
        # threads cannot be interrupted, so the process leaves without waiting for them.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


def _child_args(args: argparse.Namespace) -> list[str]:
    out = ["worker", args.target, "--processes", "1", "--concurrency", str(args.concurrency)]
    out += ["--lease", str(args.lease)]
    out += ["--grace", str(args.grace), "--poll-interval", str(args.poll_interval)]
    if args.queues:
        out += ["--queues", args.queues]
    if args.burst:
        out.append("--burst")
    return out


def _status(args: argparse.Namespace) -> int:
    with _queue_from(args) as queue:
        print(json.dumps(_show(queue.get(args.job_id)), indent=2))
    return 0


def _dlq(args: argparse.Namespace) -> int:
    with _queue_from(args) as queue:
        ids = args.ids or None
        if args.action == "list":
            for record in queue.dead_letters(limit=args.limit):
                print(json.dumps(_show(record)))
        elif args.action == "requeue":
            print(f"re-queued {queue.requeue(ids)} job(s)")
        else:
            print(f"purged {queue.purge(ids)} job(s)")
    return 0


def _stats(args: argparse.Namespace) -> int:
    with _queue_from(args) as queue:
        stats = queue.stats()
        print(
            json.dumps(
                {
                    "counts": {q: dict(c) for q, c in stats.counts.items()},
                    "finished_last_minute": stats.finished_last_minute,
                    "wait_p50_s": stats.wait_p50,
                    "wait_p99_s": stats.wait_p99,
                    "run_p50_s": stats.run_p50,
                },
                indent=2,
            )
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bricolage-jobs", description="Run workers and look after background jobs."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    worker = sub.add_parser("worker", help="run a worker for module:queue")
    worker.add_argument("target", help="the Queue to serve, as package.module:attribute")
    worker.add_argument("--queues", help="comma-separated queues, in priority order")
    worker.add_argument("--concurrency", type=int, default=16)
    worker.add_argument("--processes", type=int, default=1, help="worker processes to start")
    worker.add_argument("--lease", type=float, default=30.0, help="lease length in seconds")
    worker.add_argument("--grace", type=float, default=30.0, help="seconds to finish on stop")
    worker.add_argument("--poll-interval", type=float, default=1.0)
    worker.add_argument("--burst", action="store_true", help="exit when no work is left")
    worker.set_defaults(run=_worker, exit_hard=True)

    def source(p: argparse.ArgumentParser) -> None:
        p.add_argument("--app", help="the Queue as package.module:attribute")
        p.add_argument("--url", help="a backend URL (redis://..., sqlite:///...)")

    status = sub.add_parser("status", help="show one job")
    status.add_argument("job_id")
    source(status)
    status.set_defaults(run=_status)

    dlq = sub.add_parser("dlq", help="the dead-letter queue: list, requeue, purge")
    dlq.add_argument("action", choices=["list", "requeue", "purge"])
    dlq.add_argument("ids", nargs="*", help="job ids (default: all dead jobs)")
    dlq.add_argument("--limit", type=int, default=100)
    source(dlq)
    dlq.set_defaults(run=_dlq)

    stats = sub.add_parser("stats", help="queue depth, throughput and latencies")
    source(stats)
    stats.set_defaults(run=_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    >>> main(["dlq", "list", "--url", "sqlite://:memory:"])
    0
    """
    args = _parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        result: int = args.run(args)
    except JobsError as exc:
        print(f"bricolage-jobs: error: {exc}", file=sys.stderr)
        return 2
    return result
