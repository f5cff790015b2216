"""The demo client against the local weather API on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from http_cache_demo import WeatherClient, make_storage, serve
from http_cache_demo.__main__ import main


def test_fresh_answers_come_from_the_cache() -> None:
    with serve(latency=0.05) as api, WeatherClient(api.url, make_storage("memory")) as client:
        first = client.temperature("oslo")
        second = client.temperature("oslo")
        assert (first.action, second.action) == ("miss", "hit")
        assert second.temperature == first.temperature
        assert api.calls["oslo"] == 1
        assert client.metrics.snapshot().hits == 1


def test_stale_while_revalidate_then_new_data() -> None:
    with serve(latency=0.05) as api, WeatherClient(api.url, make_storage("memory")) as client:
        client.temperature("rome")
        api.bump()
        time.sleep(2.2)
        stale = client.temperature("rome")
        assert stale.action == "stale-while-revalidate"
        assert stale.temperature == 13  # the old value, served at once
        client.wait_for_refreshes()
        fresh = client.temperature("rome")
        assert (fresh.action, fresh.temperature) == ("hit", 14)
        assert api.calls["rome"] == 2


def test_sqlite_cache_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    with serve(latency=0.05) as api:
        for expected in ("miss", "hit"):
            storage = make_storage("sqlite", path=path)
            with WeatherClient(api.url, storage) as client:
                assert client.temperature("lima").action == expected
            storage.close()
        assert api.calls["lima"] == 1


def test_unknown_storage_is_refused() -> None:
    with pytest.raises(ValueError, match="'disk'"):
        make_storage("disk")


def test_the_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--latency", "0.05"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out  # no colour codes when stdout is not a terminal
    assert err == ""
    assert "stale-while-revalidate" in out
    assert "revalidated" in out or "hit" in out
    assert "hit ratio" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--storage", "disk"]) == 2
    assert "'disk'" in capsys.readouterr().err
    assert main(["--latency", "-1"]) == 2
