"""The jobs the page can start: quick, slow with progress, flaky, and broken."""

from __future__ import annotations

import random
import time

from bricolage.jobs import JobRegistry, RetryPolicy, current_job

registry = JobRegistry()


@registry.job(queue="default")
def count_words(text: str) -> dict[str, int]:
    """Count the words of a text."""
    counts: dict[str, int] = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts


@registry.job(queue="reports", timeout=120.0)
def slow_report(steps: int = 5, seconds: float = 0.5) -> str:
    """A report that takes a while and says how far it got."""
    ctx = current_job()
    for step in range(steps):
        if ctx.cancelled:
            return f"stopped after {step} of {steps} steps"
        time.sleep(seconds)
        ctx.report_progress({"done": step + 1, "total": steps})
    return f"report ready after {steps} steps"


@registry.job(retry=RetryPolicy(max_attempts=3, initial=0.5, jitter=0.5))
def flaky(failure_rate: float = 0.5) -> str:
    """Fails at random; retried with backoff, dead after three failures."""
    if random.random() < failure_rate:
        raise RuntimeError(f"unlucky (failure rate {failure_rate})")
    return "lucky"


@registry.job(retry=RetryPolicy(max_attempts=2, initial=0.2, jitter=0.0))
def always_fails(reason: str = "the upstream service is down") -> None:
    """Always fails: lands in the dead-letter queue, ready to be re-queued."""
    raise ConnectionError(reason)
