"""The command line, run as a user runs it: the demo, the server, the worker and the tools."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from todo_web.cli import main


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_WEB_")}
    env.update({"TODO_WEB_DATA_DIR": str(tmp_path / "data"), "NO_COLOR": "1"}, **extra)
    return env


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        if time.monotonic() > deadline or process.poll() is not None:
            raise AssertionError(f"no {marker!r} in the output so far: {seen!r}")
        seen += process.stdout.readline()
    return seen


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


@pytest.fixture
def stop() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:  # pragma: no cover - only when a test failed midway
            process.kill()
            process.wait()


def test_demo_prints_one_url_and_a_login_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, stop: list[subprocess.Popen[str]]
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "todo_web", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path, TMPDIR=str(tmp_path)),
    )
    stop.append(process)
    banner = _read_until(process, "Ctrl-C")
    urls = re.findall(r"https?://\S+", banner)
    assert len(urls) == 1, banner
    port = int(urls[0].rstrip("/").rsplit(":", 1)[1])
    assert urls == [f"http://localhost:{port}/"]
    assert "Log in as ada@example.com with the password demo-password" in banner
    status, body = _get(f"http://127.0.0.1:{port}/healthz")
    assert status == 200
    assert '"status":"ok"' in body.replace(" ", "")
    status, body = _get(f"http://127.0.0.1:{port}/login")
    assert "Log in" in body
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Stopped." in out
    assert "Traceback" not in err
    assert not list(tmp_path.glob("todo-web-demo-*"))


def test_demo_keeps_its_data_when_asked_and_seeds_once(
    tmp_path: Path, stop: list[subprocess.Popen[str]]
) -> None:
    data = tmp_path / "kept"
    for _ in range(2):
        port = _free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "todo_web",
                "demo",
                "--port",
                str(port),
                "--data-dir",
                str(data),
                "--no-worker",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
        )
        stop.append(process)
        _read_until(process, "Ctrl-C")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    assert (data / "todo.sqlite3").is_file()
    assert (data / "app.log").read_text().count('"message":"request"') == 0


def test_serve_answers_and_stops_on_sigterm(
    tmp_path: Path, stop: list[subprocess.Popen[str]]
) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "todo_web", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path, TODO_WEB_PROFILE="test"),
    )
    stop.append(process)
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while "Serving on" not in process.stderr.readline():
        assert time.monotonic() < deadline
        assert process.poll() is None
    status, _ = _get(f"http://127.0.0.1:{port}/healthz")
    assert status == 200
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert any('"message":"request"' in line and '"correlation_id"' in line for line in lines)


def test_the_worker_runs_until_sigterm(tmp_path: Path, stop: list[subprocess.Popen[str]]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "todo_web", "worker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path, TODO_WEB_PROFILE="test"),
    )
    stop.append(process)
    ready = _read_until(process, '"message":"worker ready"')
    assert '"service":"todo-web-worker"' in ready
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_migrate_reindex_and_a_burst_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _env(tmp_path, TODO_WEB_PROFILE="test").items():
        if key.startswith("TODO_WEB_"):
            monkeypatch.setenv(key, value)
    runner = CliRunner()
    result = runner.invoke(main, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "Database is up to date." in result.output
    result = runner.invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 0 to-dos." in result.output
    result = runner.invoke(main, ["worker", "--burst"])
    assert result.exit_code == 0, result.output


def test_bad_settings_exit_2_with_the_reason(tmp_path: Path) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "todo_web", "migrate"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, TODO_WEB_PAGE_SIZE="zero"),
        check=False,
    )
    assert bad.returncode == 2
    assert "invalid settings" in bad.stderr
    assert "page_size" in bad.stderr
    assert "Traceback" not in bad.stderr
    prod = subprocess.run(
        [sys.executable, "-m", "todo_web", "migrate"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, TODO_WEB_PROFILE="prod"),
        check=False,
    )
    assert prod.returncode == 2
    assert "secret_key must be set in production" in prod.stderr


def test_the_wsgi_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_WEB_PROFILE", "test")
    monkeypatch.setenv("TODO_WEB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TODO_WEB_LOG_FORMAT", "json")
    sys.modules.pop("todo_web.wsgi", None)
    import todo_web.wsgi as wsgi

    try:
        response = wsgi.app.test_client().get("/healthz")
        assert response.status_code == 200
        assert response.headers["X-Request-ID"]
    finally:
        wsgi.logging_config.close()
        sys.modules.pop("todo_web.wsgi", None)
