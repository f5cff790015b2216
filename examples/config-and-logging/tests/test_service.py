"""The example end to end: a real server on loopback, real files, real log lines."""

from __future__ import annotations

import json
import os
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
    with Service(config_dir=config_dir, port=0) as running:
        status, body, _ = call(f"{running.url}/settings")
    assert status == 200
    rows = {row["field"]: row for row in body["fields"]}
    assert rows["api_token"]["value"] == "**********"
    assert rows["api_token"]["source"] == "environment variable SERVICE_API_TOKEN"
    assert rows["database.pool_size"]["value"] == 9
    assert "very-secret-token" not in json.dumps(body)
    assert all("very-secret-token" not in json.dumps(r) for r in sink.records())


def test_the_prod_profile_layers_over_the_base_file(config_dir: Path) -> None:
    with Service(config_dir=config_dir, profile="prod", port=0) as running:
        settings = running.live.current
    assert settings.database.pool_size == 20
    assert settings.allowed_origins == ["https://example.org"]
    assert settings.name == "config-service"  # from the base file


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "config_service", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_the_demo_tour_runs_and_prints_valid_json_lines() -> None:
    result = _cli("demo", "--json", "--duration", "0")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    validator = jsonschema.Draft202012Validator(schema())
    for record in records:
        validator.validate(record)
    job_lines = [r for r in records if r.get("correlation_id") == "demo-request-2"]
    assert {r["message"] for r in job_lines} >= {"request", "job started", "job finished"}
    assert any(r["message"] == "settings reloaded" for r in records)
    assert any(r["level"] == "error" and "heartbeat_seconds" in r["reason"] for r in records)
    assert "hello, reloaded" in result.stderr
    assert "**********" in result.stderr


def test_bad_settings_exit_with_status_2_and_a_report() -> None:
    result = _cli("run", "--duration", "0", env={"SERVICE_PORT": "not-a-port"})
    assert result.returncode == 2
    assert "SERVICE_PORT" in result.stderr
    assert "not-a-port" in result.stderr
    assert "Traceback" not in result.stderr
