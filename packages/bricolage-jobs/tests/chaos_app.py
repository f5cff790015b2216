"""The jobs the chaos tests run in real worker processes.

Run as ``python chaos_app.py CONCURRENCY LEASE`` it serves them as one worker process,
until SIGTERM (or until it is killed).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

from bricolage.jobs import JobRegistry, LeasePolicy, Queue, RetryPolicy, Worker

registry = JobRegistry()
_LOG = os.environ.get("BRICOLAGE_CHAOS_LOG", "")


def _log(line: str) -> None:
    fd = os.open(
        os.path.join(_LOG, f"{os.getpid()}.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
    )
    try:
        os.write(fd, f"{line} {os.getpid()} {time.time():.6f}\n".encode())
    finally:
        os.close(fd)


@registry.job()  # the default max_deliveries: healthy jobs get no special allowance
def work(n: int, ms: int) -> int:
    _log(f"start {n}")
    time.sleep(ms / 1000)
    _log(f"end {n}")
    return n


@registry.job(max_deliveries=3)
def poison_kill(n: int) -> None:
    """Kills its worker every time it runs."""
    _log(f"poison {n}")
    os.kill(os.getpid(), signal.SIGKILL)


@registry.job(max_deliveries=3)
def poison_exit(n: int) -> None:
    """Ends its worker process every time it runs, as ``os._exit(1)`` does."""
    _log(f"poison {n}")
    os._exit(1)


@registry.job(retry=RetryPolicy(max_attempts=3, initial=0.05, multiplier=1.0, jitter=0.0))
def poison_raise(n: int) -> None:
    raise RuntimeError(f"poison {n}")


queue = Queue(os.environ.get("BRICOLAGE_CHAOS_URL", "sqlite://:memory:"), registry)


if __name__ == "__main__":  # pragma: no cover - runs in the worker processes
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    concurrency, lease = int(sys.argv[1]), float(sys.argv[2])
    Worker(
        queue,
        concurrency=concurrency,
        lease=LeasePolicy(duration=lease),
        poll_interval=0.1,
        grace=5.0,
    ).run()
