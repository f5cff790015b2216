"""The command line, in process and as real worker processes stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bricolage.jobs import JobRegistry, JobState, Queue, open_backend
from bricolage.jobs._cli import load_queue, main

APP = textwrap.dedent(
    """
    import os, time
    from bricolage.jobs import JobRegistry, Queue

    registry = JobRegistry()

    @registry.job()
    def nap(seconds: float) -> str:
        time.sleep(seconds)
        return "rested"

    @registry.job(max_attempts=1)
    def broken() -> None:
        raise ValueError("broken on purpose")

    queue = Queue(os.environ["JOBS_URL"], registry)
    not_a_queue = 42
    """
)


@pytest.fixture
def app(tmp_path: Path, backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Queue:
    name = f"cli_app_{os.urandom(3).hex()}"
    (tmp_path / f"{name}.py").write_text(APP)
    monkeypatch.setenv("JOBS_URL", backend_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    queue = load_queue(f"{name}:queue")
    queue.app_name = name  # type: ignore[attr-defined]
    return queue


def _worker(app: Queue, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bricolage.jobs",
            "worker",
            f"{app.app_name}:queue",  # type: ignore[attr-defined]
            "--poll-interval",
            "0.05",
            *extra,
        ],
        cwd=os.getcwd(),
        env=dict(os.environ),
    )


def _wait_for(app: Queue, job_id: str, state: JobState, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while app.get(job_id).state is not state:
        assert time.monotonic() < deadline, app.get(job_id)
        time.sleep(0.05)


def test_sigterm_lets_a_short_job_finish(app: Queue) -> None:
    handle = app.enqueue(app.registry.get("nap"), 0.5)
    proc = _worker(app, "--grace", "10")
    _wait_for(app, handle.id, JobState.RUNNING)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert handle.result(timeout=1) == "rested"


def test_sigterm_requeues_a_job_that_outlives_the_grace(app: Queue) -> None:
    handle = app.enqueue(app.registry.get("nap"), 30.0)
    proc = _worker(app, "--grace", "0.2")
    _wait_for(app, handle.id, JobState.RUNNING)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    record = handle.status()
    assert record.state is JobState.QUEUED
    assert record.deliveries == 0


def test_several_processes_in_burst_mode(app: Queue) -> None:
    nap = app.registry.get("nap")
    handles = [app.enqueue(nap, 0.01) for _ in range(20)]
    proc = _worker(app, "--processes", "2", "--burst", "--concurrency", "2", "--queues", "default")
    assert proc.wait(60) == 0
    assert {h.result(timeout=1) for h in handles} == {"rested"}
    workers = {h.status().worker for h in handles}
    assert len(workers) >= 1


def test_status_stats_and_dlq(
    app: Queue, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = os.environ["JOBS_URL"]
    broken = app.enqueue(app.registry.get("broken"))
    proc = _worker(app, "--burst")
    assert proc.wait(60) == 0
    assert main(["status", broken.id, "--url", url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "dead"
    assert "broken on purpose" in shown["error"]
    assert main(["stats", "--app", f"{app.app_name}:queue"]) == 0  # type: ignore[attr-defined]
    stats = json.loads(capsys.readouterr().out)
    assert stats["counts"]["default"]["dead"] == 1
    assert main(["dlq", "list", "--url", url]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["id"] == broken.id
    assert main(["dlq", "requeue", broken.id, "--url", url]) == 0
    assert "re-queued 1 job(s)" in capsys.readouterr().out
    assert app.get(broken.id).state is JobState.QUEUED
    args = ["-v", "worker", f"{app.app_name}:queue", "--burst"]  # type: ignore[attr-defined]
    monkeypatch.setattr("bricolage.jobs._cli.threading.active_count", lambda: 1)
    assert main(args) == 0
    assert main(["dlq", "purge", "--url", url]) == 0
    assert "purged 1 job(s)" in capsys.readouterr().out


def test_errors_are_reported_with_exit_status_2(
    app: Queue, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRICOLAGE_JOBS_URL", raising=False)
    assert main(["status", "nope", "--url", os.environ["JOBS_URL"]]) == 2
    assert "no job with id 'nope'" in capsys.readouterr().err
    assert main(["stats"]) == 2
    assert "--app module:queue or --url" in capsys.readouterr().err
    assert main(["worker", "no_such_module_here:queue"]) == 2
    assert "cannot import" in capsys.readouterr().err
    assert main(["worker", "nocolon"]) == 2
    assert main(["worker", f"{app.app_name}:not_a_queue"]) == 2  # type: ignore[attr-defined]
    assert "int, not a bricolage.jobs.Queue" in capsys.readouterr().err


def test_open_backend_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    backend = open_backend(str(tmp_path / "plain.db"))
    assert "plain.db" in repr(backend)
    backend.close()
    backend = open_backend(f"sqlite:///{tmp_path / 'x.db'}")
    assert str(tmp_path / "x.db") in repr(backend)
    backend.close()
    relative = open_backend("sqlite:///relative.db")
    assert repr(relative) == "SQLiteBackend('relative.db')"
    relative.close()
    queue = Queue("redis://127.0.0.1:1/0?namespace=elsewhere", JobRegistry())
    assert "{elsewhere}" in repr(queue.backend)
    queue.close()
