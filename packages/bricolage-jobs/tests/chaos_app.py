"""The jobs the chaos test runs in real worker processes (imported as chaos_app:queue)."""

from __future__ import annotations

import os
import signal
import time

from bricolage.jobs import JobRegistry, Queue, RetryPolicy

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


@registry.job(max_deliveries=50)
def work(n: int, ms: int) -> int:
    _log(f"start {n}")
    time.sleep(ms / 1000)
    _log(f"end {n}")
    return n


@registry.job(max_deliveries=3)
def poison_kill(n: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@registry.job(retry=RetryPolicy(max_attempts=3, initial=0.05, multiplier=1.0, jitter=0.0))
def poison_raise(n: int) -> None:
    raise RuntimeError(f"poison {n}")


queue = Queue(os.environ.get("BRICOLAGE_CHAOS_URL", "sqlite://:memory:"), registry)
