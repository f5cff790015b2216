"""The page served for real on 127.0.0.1, with a real worker, on SQLite and on Redis."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from anyio.from_thread import start_blocking_portal
from background_jobs import create_app
from background_jobs.__main__ import _Quiet

from bricolage.jobs import Worker
from bricolage.jobs.testing import RedisServer


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with RedisServer() as server:
        yield server.url


@pytest.fixture(params=["sqlite", "redis"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        base = request.getfixturevalue("redis_url")
        url = f"{base}?namespace=example{time.monotonic_ns()}"
    app = create_app(url)
    worker = Worker(app.queue, ["default", "reports"], concurrency=4, poll_interval=0.05)
    handler: type[WSGIRequestHandler] = _Quiet
    with make_server("127.0.0.1", 0, app, handler_class=handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        with start_blocking_portal() as portal:
            done = portal.start_task_soon(worker.serve)
            yield f"http://127.0.0.1:{server.server_port}"
            portal.call(worker.stop)
            done.result(timeout=30)
        server.shutdown()
    app.queue.close()


def _post(base: str, path: str, **form: str) -> tuple[int, Any]:
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(
        base + path, data=data, headers={"Accept": "application/json"}, method="POST"
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _get(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=10) as response:
        body = response.read().decode()
        return json.loads(body) if path != "/" else body


def _wait(base: str, job_id: str, state: str, seconds: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        job: dict[str, Any] = _get(base, f"/api/jobs/{job_id}")
        if job["state"] == state:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_a_job_runs_and_its_result_shows(site: str) -> None:
    status, body = _post(site, "/enqueue", kind="count_words", text="a b a")
    assert status == 201
    job = _wait(site, body["id"], "succeeded")
    assert json.loads(job["result"]) == {"a": 2, "b": 1}
    page = _get(site, "/")
    assert "Background jobs" in page
    assert body["id"][:8] in page


def test_a_broken_job_lands_in_the_dlq_and_the_button_requeues_it(site: str) -> None:
    _, body = _post(site, "/enqueue", kind="always_fails")
    job = _wait(site, body["id"], "dead")
    assert "upstream service is down" in job["error"]
    fragments = _get(site, "/fragments")
    assert f"/requeue/{body['id']}" in fragments["dead"]
    status, _ = _post(site, f"/requeue/{body['id']}")
    assert status == 303
    job = _wait(site, body["id"], "dead")  # it fails again, and is dead again
    assert job["attempts"] == 2
    assert _post(site, "/dlq/purge")[0] == 303
    assert _post(site, "/dlq/requeue")[0] == 303
    assert _get(site, "/fragments")["dead"] == "<p>None.</p>"


def test_scheduled_jobs_are_listed_and_can_be_cancelled(site: str) -> None:
    _, body = _post(site, "/enqueue", kind="count_words", text="later", delay="300")
    _wait(site, body["id"], "scheduled")
    assert body["id"][:8] in _get(site, "/fragments")["jobs"]
    assert _post(site, f"/cancel/{body['id']}")[0] == 303
    _wait(site, body["id"], "cancelled")


def test_progress_of_a_slow_report(site: str) -> None:
    _, body = _post(site, "/enqueue", kind="slow_report")
    job = _wait(site, body["id"], "succeeded", seconds=30)
    assert job["result"] == '"report ready after 5 steps"'
    assert json.loads(job["progress"]) == {"done": 5, "total": 5}


def test_bad_input_is_refused_with_a_clear_message(site: str) -> None:
    assert _post(site, "/enqueue", kind="nope") == (400, "unknown job kind 'nope'")
    status, text = _post(site, "/enqueue", kind="count_words", delay="soon")
    assert status == 400
    assert "'soon'" in text
    status, text = _post(site, "/requeue/unknown-id")
    assert status == 404
    assert "unknown-id" in text
    assert _post(site, "/nowhere")[0] == 404


def test_the_worker_module_reads_its_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setenv("BACKGROUND_JOBS_URL", f"sqlite:///{tmp_path / 'w.db'}")
    module = importlib.import_module("background_jobs.queue")
    module = importlib.reload(module)
    assert "w.db" in repr(module.queue.backend)
    assert "count_words" in module.queue.registry
    module.queue.close()
