"""The bricolage-http command over a real SQLite cache file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bricolage.http import CachePolicy, CacheTransport, SQLiteStorage
from bricolage.http._cli import cli
from bricolage.http.testing import FrozenClock


@pytest.fixture
def cache_file(tmp_path: Path) -> Path:
    path = tmp_path / "cache.db"
    # Expiry is stamped by the storage's clock: at 0, the entry without a validator (kept
    # 600 s past its freshness) has long expired; the one with an ETag never expires.
    storage = SQLiteStorage(path, clock=lambda: 0.0)

    def origin(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(200, headers={"Cache-Control": "max-age=1"}, text="old")
        return httpx.Response(
            200,
            headers={"Cache-Control": "max-age=600", "Vary": "Accept-Language", "ETag": '"1"'},
            text="hello",
        )

    transport = CacheTransport(
        httpx.MockTransport(origin), storage=storage, policy=CachePolicy(), clock=FrozenClock()
    )
    with httpx.Client(transport=transport) as client:
        client.get("http://api.test/greeting", headers={"Accept-Language": "en"}).read()
        client.get("http://api.test/old").read()
    storage.close()
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_stats_and_list_show_the_entries(cache_file: Path) -> None:
    code, out = run("cache", "stats", str(cache_file))
    assert code == 0
    assert "entries" in out
    assert "schema version" in out
    assert "\x1b[" not in out  # no colour codes when not a terminal
    code, out = run("cache", "list", str(cache_file), "--limit", "1")
    assert code == 0
    assert "GET http://api.test/greeting" in out
    assert "1 more" in out


def test_inspect_shows_variants_and_says_when_nothing_is_stored(cache_file: Path) -> None:
    code, out = run("cache", "inspect", str(cache_file), "http://api.test/greeting")
    assert code == 0
    assert "variant 1/1: 200" in out
    assert "accept-language" in out
    code, out = run("cache", "inspect", str(cache_file), "http://api.test/missing")
    assert code == 3
    assert "nothing stored for 'http://api.test/missing'" in out


def test_purge_removes_expired_and_all_only_with_yes(cache_file: Path) -> None:
    code, out = run("cache", "purge", str(cache_file))
    assert code == 0
    assert "deleted 1 entry" in out
    code, out = run("cache", "purge", str(cache_file), "--all")
    assert code == 4
    assert "without --yes" in out
    assert run("cache", "list", str(cache_file))[1].count("GET http") == 1
    code, out = run("cache", "purge", str(cache_file), "--all", "--yes")
    assert code == 0
    assert "deleted 1 entry" in out


def test_errors_are_messages_with_exit_codes(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    code, out = run("cache", "stats", str(missing))
    assert (code, missing.exists()) == (3, False)
    assert "no cache file" in out
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    code, out = run("cache", "stats", str(garbage))
    assert code == 1
    assert "error:" in out
    assert "Traceback" not in out
    assert run("cache", "purge")[0] == 2


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=99")
    code, out = run("cache", "stats", str(path))
    assert code == 1
    assert "schema version 99" in out
    assert "upgrade bricolage-http" in out
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99


def test_python_dash_m_runs_the_same_command(cache_file: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bricolage.http", "cache", "stats", str(cache_file)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "entries" in done.stdout
    assert "\x1b[" not in done.stdout


def test_without_the_cli_extra_the_command_names_it() -> None:
    code = (
        "import sys; sys.modules['click'] = None\n"
        "from bricolage.http.__main__ import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert 'pip install "bricolage-http[cli]"' in done.stderr
    assert "Traceback" not in done.stderr
