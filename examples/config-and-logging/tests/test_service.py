"""The example end to end: a real server on loopback, real files, real log lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from config_service.service import Service
from playwright.sync_api import expect, sync_playwright

from bricolage.logging import MemorySink, schema


def call(
    url: str, *, method: str = "GET", request_id: str | None = None
) -> tuple[int, dict[str, Any], str | None]:
    request = urllib.request.Request(url, method=method)
    if request_id is not None:
        request.add_header("X-Request-ID", request_id)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), response.headers["X-Request-ID"]
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), error.headers["X-Request-ID"]


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def lines_with(sink: MemorySink, correlation_id: str) -> list[dict[str, Any]]:
    return [r for r in sink.records() if r.get("correlation_id") == correlation_id]


def test_request_id_is_echoed_and_carried_by_every_line(
    service: Service, sink: MemorySink
) -> None:
    status, body, echoed = call(f"{service.url}/", request_id="req-abc")
    assert status == 200
    assert echoed == "req-abc"
    assert body == {
        "greeting": "hello from dev",
        "service": "config-service",
        "correlation_id": "req-abc",
    }
    messages = [r["message"] for r in lines_with(sink, "req-abc")]
    assert "request" in messages


def test_a_request_without_an_id_gets_a_fresh_one(service: Service) -> None:
    _, first, first_header = call(f"{service.url}/")
    _, _, second_header = call(f"{service.url}/")
    assert first_header
    assert second_header
    assert first_header != second_header
    assert first["correlation_id"] == first_header


def test_background_job_logs_under_the_requests_id(service: Service, sink: MemorySink) -> None:
    status, body, _ = call(f"{service.url}/jobs", method="POST", request_id="req-job")
    assert status == 202
    service.jobs.wait()
    job_lines = [r for r in lines_with(sink, "req-job") if r.get("job_id") == body["job_id"]]
    assert [r["message"] for r in job_lines] == ["job started", "job finished"]
    assert job_lines[-1]["result"] == sum(i * i for i in range(10_000))


def test_unknown_route_is_a_404_and_a_warning(service: Service, sink: MemorySink) -> None:
    status, body, _ = call(f"{service.url}/nowhere", request_id="req-404")
    assert status == 404
    assert "nowhere" in body["error"]
    assert any(r["level"] == "warning" for r in lines_with(sink, "req-404"))


def test_every_line_follows_the_published_schema(service: Service, sink: MemorySink) -> None:
    call(f"{service.url}/", request_id="req-schema")
    call(f"{service.url}/jobs", method="POST", request_id="req-schema-2")
    service.jobs.wait()
    records = sink.records()
    assert len(records) >= 4
    validator = jsonschema.Draft202012Validator(schema())
    for record in records:
        validator.validate(record)


def test_editing_a_file_reloads_without_a_restart(
    service: Service, sink: MemorySink, config_dir: Path
) -> None:
    profile_file = config_dir / "settings.dev.toml"
    profile_file.write_text(
        profile_file.read_text().replace('"hello from dev"', '"hi again"'), encoding="utf-8"
    )
    wait_for(lambda: service.live.current.greeting == "hi again")
    _, body, _ = call(f"{service.url}/")
    assert body["greeting"] == "hi again"
    reloaded = [r for r in sink.records() if r["message"] == "settings reloaded"]
    assert reloaded[-1]["changed"] == ["greeting"]


def test_an_invalid_edit_is_refused_and_the_old_settings_stay(
    service: Service, sink: MemorySink, config_dir: Path
) -> None:
    profile_file = config_dir / "settings.dev.toml"
    text = profile_file.read_text().replace("heartbeat_seconds = 5.0", 'heartbeat_seconds = "x"')
    profile_file.write_text(text, encoding="utf-8")
    wait_for(lambda: service.live.last_error is not None)
    assert service.live.current.heartbeat_seconds == 5.0
    _, body, _ = call(f"{service.url}/")
    assert body["greeting"] == "hello from dev"
    refused = [r for r in sink.records() if r["level"] == "error"]
    assert "heartbeat_seconds" in refused[-1]["reason"]
    assert "settings.dev.toml" in refused[-1]["reason"]


def test_settings_page_shows_provenance_and_masks_the_token(
    config_dir: Path, sink: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_API_TOKEN", "very-secret-token")
    monkeypatch.setenv("SERVICE_DATABASE__POOL_SIZE", "9")
    with Service(config_dir=config_dir, port=0, data_dir=config_dir.parent / "data") as running:
        status, body, _ = call(f"{running.url}/settings")
    assert status == 200
    rows = {row["field"]: row for row in body["fields"]}
    assert rows["api_token"]["value"] == "**********"
    assert rows["api_token"]["source"] == "environment variable SERVICE_API_TOKEN"
    assert rows["database.pool_size"]["value"] == 9
    assert "very-secret-token" not in json.dumps(body)
    assert all("very-secret-token" not in json.dumps(r) for r in sink.records())


def test_the_prod_profile_layers_over_the_base_file(config_dir: Path) -> None:
    with Service(
        config_dir=config_dir, profile="prod", port=0, data_dir=config_dir.parent / "data"
    ) as running:
        settings = running.live.current
    assert settings.database.pool_size == 20
    assert settings.allowed_origins == ["https://example.org"]
    assert settings.name == "config-service"  # from the base file


def _cli(
    *args: str, data: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "config_service", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CONFIG_SERVICE_DATA": str(data), **(env or {})},
        check=False,
    )


def test_the_demo_tour_prints_json_lines_one_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "config_service", "demo", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CONFIG_SERVICE_DATA": str(tmp_path), "NO_COLOR": "1"},
    )
    narration = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            narration.append(line)
            if line.startswith("http://"):
                break
        status, body, _ = call(narration[-1].strip() + "health")
        assert (status, body) == (200, {"status": "ok"})
    finally:
        process.send_signal(signal.SIGINT)
        out, rest = process.communicate(timeout=30)
    err = "".join(narration) + rest
    assert process.returncode == 130, err
    assert "Traceback" not in err
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    validator = jsonschema.Draft202012Validator(schema())
    for record in records:
        validator.validate(record)
    job_lines = [r for r in records if r.get("correlation_id") == "demo-request-2"]
    assert {r["message"] for r in job_lines} >= {"request", "job started", "job finished"}
    assert any(r["message"] == "settings reloaded" for r in records)
    assert any(r["level"] == "error" and "heartbeat_seconds" in r["reason"] for r in records)
    assert records[-1]["message"] == "service stopped"
    assert "hello, reloaded" in err
    assert "**********" in err
    # One URL, on standard error: standard output holds log lines only.
    assert err.count("http://") == 1
    assert "http://" not in out


def test_bad_settings_exit_with_status_2_and_a_report(tmp_path: Path) -> None:
    result = _cli("run", "--duration", "0", data=tmp_path, env={"SERVICE_PORT": "not-a-port"})
    assert result.returncode == 2
    assert "SERVICE_PORT" in result.stderr
    assert "not-a-port" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_page_in_a_real_browser(service: Service, sink: MemorySink, tmp_path: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page()
            response = page.goto(service.url + "/")
            assert response is not None
            shown = page.locator("#correlation-id")
            expect(shown).to_have_text(response.headers["x-request-id"])
            expect(page.get_by_role("heading", level=1)).to_have_text("hello from dev")
            expect(page.locator("#settings")).to_contain_text("settings.dev.toml")
            expect(page.locator("#settings")).to_contain_text("**********")
            page.get_by_role("button", name="Start a background job").focus()
            with page.expect_navigation():
                page.keyboard.press("Enter")
            service.jobs.wait()
            page.goto(service.url + "/")
            expect(page.locator("#jobs")).to_contain_text("succeeded")
            expect(page.locator("#jobs")).to_contain_text(str(sum(i * i for i in range(10_000))))
            page.screenshot(path=str(tmp_path / "config-and-logging.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "config-and-logging.png").stat().st_size > 1000
    started = [r for r in sink.records() if r["message"] == "job started"]
    posts = [r for r in sink.records() if r["message"] == "request" and r.get("method") == "POST"]
    assert started[-1]["correlation_id"] == posts[-1]["correlation_id"]
