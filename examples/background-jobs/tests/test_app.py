"""The page served for real on 127.0.0.1, with a real worker, on SQLite and on Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from background_jobs import create_app, queue_of
from background_jobs._server import serving, working
from playwright.sync_api import expect, sync_playwright

from bricolage.jobs import Worker
from bricolage.jobs.testing import RedisServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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
    queue = queue_of(app)
    worker = Worker(queue, ["default", "reports"], concurrency=4, poll_interval=0.05)
    with working(worker), serving(app) as base:
        yield base.rstrip("/")
    queue.close()


def _post(base: str, path: str, accept: str = "application/json", **form: str) -> tuple[int, Any]:
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(
        base + path, data=data, headers={"Accept": accept}, method="POST"
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode()
        wants_json = accept == "application/json" and exc.code >= 400
        return exc.code, json.loads(body) if wants_json else body


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
    assert _post(site, "/enqueue", kind="nope") == (
        400,
        {"error": "unknown job kind 'nope'", "field": "kind"},
    )
    status, body = _post(site, "/enqueue", kind="count_words", delay="soon")
    assert status == 400
    assert body["field"] == "delay"
    assert "'soon'" in body["error"]
    status, body = _post(site, "/enqueue", kind="count_words", delay="-5")
    assert (status, body["field"]) == (400, "delay")
    status, body = _post(site, "/requeue/unknown-id")
    assert status == 404
    assert "unknown-id" in body["error"]
    assert _post(site, "/nowhere")[0] == 404
    # A browser's form gets the page back, the field marked and its error beside it.
    status, page = _post(site, "/enqueue", accept="text/html", kind="count_words", delay="soon")
    assert status == 400
    assert 'aria-invalid="true"' in page
    assert "delay must be a number of seconds, got &#39;soon&#39;" in page
    assert "no page at /nowhere" in _post(site, "/nowhere", accept="text/html")[1]


def test_the_worker_module_reads_its_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setenv("BACKGROUND_JOBS_URL", f"sqlite:///{tmp_path / 'w.db'}")
    module = importlib.import_module("background_jobs.queue")
    module = importlib.reload(module)
    assert "w.db" in repr(module.queue.backend)
    assert "count_words" in module.queue.registry
    module.queue.close()


def test_the_page_serves_its_own_css_and_script(site: str) -> None:
    page = _get(site, "/")
    assert "/static/style.css" in page
    assert "/static/refresh.js" in page
    assert "https://" not in page  # nothing from elsewhere
    with urllib.request.urlopen(site + "/static/style.css", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/css")
        assert b"button" in response.read()


def test_the_demo_prints_one_url_serves_seeded_jobs_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "BACKGROUND_JOBS_DATA": str(tmp_path), "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "background_jobs"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/")
        page = _get(url.rstrip("/"), "/")
        assert "count_words" in page
        assert "always_fails" in page  # the seeded jobs
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert out == ""  # the URL was the only line on stdout
    assert "Traceback" not in err
    assert "seeded 5 jobs" in err
    assert (tmp_path / "jobs.db").is_file()


def test_in_a_real_browser(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'jobs.db'}")
    queue = queue_of(app)
    worker = Worker(queue, ["default", "reports"], concurrency=2, poll_interval=0.05)
    with working(worker), serving(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(base)
            # Keyboard only: type a text, press Enter in its field to submit that form.
            field = page.get_by_label("Text to count")
            field.fill("ping pong ping")
            field.press("Enter")
            row = page.locator("#jobs tr.succeeded", has_text="ping")
            expect(row).to_contain_text('"ping":2', timeout=15_000)
            # A bad delay comes back with the field marked and the reason beside it.
            delay = page.get_by_label("Delay in seconds")
            delay.fill("soon")
            delay.press("Enter")
            expect(page.get_by_label("Delay in seconds")).to_have_attribute("aria-invalid", "true")
            expect(page.locator("#delay-error")).to_contain_text("got 'soon'")
            page.screenshot(path=str(tmp_path / "background-jobs.png"), full_page=True)
        finally:
            browser.close()
    queue.close()
    assert (tmp_path / "background-jobs.png").stat().st_size > 1000
