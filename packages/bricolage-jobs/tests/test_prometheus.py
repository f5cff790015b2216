"""Prometheus metrics scraped from a real registry, and once over HTTP on loopback."""

from __future__ import annotations

import logging
import subprocess
import sys
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from bricolage.jobs import Backend, PermanentError, Queue, RetryPolicy, Worker
from bricolage.jobs.prometheus import JobsCollector
from bricolage.jobs.testing import RedisServer, free_port


@pytest.fixture
def queue(backend: Backend) -> Queue:
    made = Queue(backend)

    @made.job()
    def ok(n: int) -> int:
        return n

    @made.job(retry=RetryPolicy(max_attempts=2, initial=0.0, jitter=0.0))
    def flaky() -> None:
        raise ValueError("always")

    @made.job()
    def hopeless() -> None:
        raise PermanentError("no point retrying")

    return made


def _run(queue: Queue) -> Worker:
    for n in range(3):
        queue.enqueue(queue.registry.get("ok"), n)
    queue.enqueue(queue.registry.get("flaky"))
    queue.enqueue(queue.registry.get("hopeless"))
    worker = Worker(queue, burst=True, poll_interval=0.05)
    worker.run()
    return worker


def test_scrape_reads_the_queue_and_the_worker(queue: Queue) -> None:
    registry = CollectorRegistry()
    collector = JobsCollector(queue)
    registry.register(collector)
    assert registry.get_sample_value("bricolage_jobs_backend_up") == 1.0
    assert registry.get_sample_value("bricolage_jobs_processed_total", {"outcome": "x"}) is None
    worker = _run(queue)
    # Read at scrape time: the same registered collector now sees the finished jobs.
    state = {"queue": "default"}
    assert registry.get_sample_value("bricolage_jobs_jobs", {**state, "state": "succeeded"}) == 3
    assert registry.get_sample_value("bricolage_jobs_jobs", {**state, "state": "dead"}) == 1
    assert registry.get_sample_value("bricolage_jobs_jobs", {**state, "state": "failed"}) == 1
    assert registry.get_sample_value("bricolage_jobs_jobs", {**state, "state": "queued"}) == 0
    assert registry.get_sample_value("bricolage_jobs_succeeded_last_minute") == 3
    wait = registry.get_sample_value("bricolage_jobs_wait_p50_seconds")
    assert wait is not None
    assert 0 <= wait < 60
    assert registry.get_sample_value("bricolage_jobs_run_p50_seconds") is not None

    with_worker = CollectorRegistry()
    with_worker.register(JobsCollector(queue, worker))
    outcomes = {
        outcome: with_worker.get_sample_value(
            "bricolage_jobs_processed_total", {"outcome": outcome}
        )
        for outcome in ("succeeded", "retried", "failed", "buried", "cancelled", "released")
    }
    assert outcomes == {
        "succeeded": 3.0,
        "retried": 1.0,
        "failed": 1.0,
        "buried": 1.0,
        "cancelled": 0.0,
        "released": 0.0,
    }
    assert with_worker.get_sample_value("bricolage_jobs_claimed_total") == 6.0
    assert with_worker.get_sample_value("bricolage_jobs_fenced_total") == 0.0
    assert with_worker.get_sample_value("bricolage_jobs_leases_lost_total") == 0.0
    assert "JobsCollector(Queue(" in repr(collector)


def test_the_exposition_follows_prometheus_naming(queue: Queue) -> None:
    worker = _run(queue)
    registry = CollectorRegistry()
    registry.register(JobsCollector(queue, worker))
    text = generate_latest(registry).decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["bricolage_jobs_processed"].type == "counter"
    assert families["bricolage_jobs_jobs"].type == "gauge"
    assert "# TYPE bricolage_jobs_processed_total counter" in text
    assert "# HELP bricolage_jobs_wait_p99_seconds" in text
    for name in families:
        assert name.startswith("bricolage_jobs_")
        assert name == name.lower()
    # describe() lists the same families, without touching the backend
    described = {m.name for m in JobsCollector(queue, worker).describe()}
    assert described >= set(families)
    # Two collectors of the same names cannot be registered in one registry.
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        registry.register(JobsCollector(queue))


def test_http_exposition_on_loopback(queue: Queue) -> None:
    worker = _run(queue)
    registry = CollectorRegistry()
    registry.register(JobsCollector(queue, worker))
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
            assert reply.status == 200
            body = reply.read().decode()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    assert samples[("bricolage_jobs_processed_total", (("outcome", "succeeded"),))] == 3.0
    key = ("bricolage_jobs_jobs", (("queue", "default"), ("state", "succeeded")))
    assert samples[key] == 3.0
    assert samples[("bricolage_jobs_backend_up", ())] == 1.0


def test_a_backend_that_is_away_does_not_fail_the_scrape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = RedisServer()
    queue = Queue(server.url)
    registry = CollectorRegistry()
    registry.register(JobsCollector(queue))
    assert registry.get_sample_value("bricolage_jobs_backend_up") == 1.0
    server.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="bricolage.jobs.prometheus"):
            assert registry.get_sample_value("bricolage_jobs_backend_up") == 0.0
        assert registry.get_sample_value("bricolage_jobs_jobs", {"queue": "default"}) is None
        assert "could not read the job statistics" in caplog.text
    finally:
        queue.close()


def test_without_prometheus_client_the_extra_is_named() -> None:
    code = (
        "import sys; sys.modules['prometheus_client'] = None\nimport bricolage.jobs.prometheus\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert 'pip install "bricolage-jobs[prometheus]"' in done.stderr
    # the library itself imports without it
    code = "import sys; sys.modules['prometheus_client'] = None\nimport bricolage.jobs\n"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
