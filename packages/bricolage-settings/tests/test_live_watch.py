"""The watcher thread: watchfiles events first, polling as the fallback."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import watchfiles
from settings_support import AppSettings, write

from bricolage.settings import LiveSettings, SettingsError


def _edit(path: Path, text: str) -> None:
    aside = path.with_name(f".{path.name}.tmp")
    aside.write_text(text, encoding="utf-8")
    aside.replace(path)


def _watch_for_change(live: LiveSettings[AppSettings]) -> threading.Event:
    changed = threading.Event()
    live.subscribe(lambda old, new: changed.set())
    return changed


def test_watchfiles_reports_an_edit_long_before_a_poll_would(config: Path) -> None:
    write(config / "settings.toml", 'name = "before"\n')
    live = LiveSettings(AppSettings)
    changed = _watch_for_change(live)
    live.start(interval=300, watcher="watchfiles")  # a poll would wait five minutes
    try:
        assert live.watcher == "watchfiles"
        time.sleep(0.2)  # let the watcher subscribe
        started = time.monotonic()
        _edit(config / "settings.toml", 'name = "after"\n')
        assert changed.wait(timeout=10)
        assert time.monotonic() - started < 10
        assert live.current.name == "after"
    finally:
        live.stop()
    assert live.watcher is None


def test_watchfiles_sees_a_new_dotenv_and_a_new_secret(config: Path) -> None:
    (config / "secrets").mkdir()
    live = LiveSettings(AppSettings)
    changed = _watch_for_change(live)
    with live:
        assert live.watcher == "watchfiles"
        time.sleep(0.2)
        write(config / ".env", "BRT_DEBUG=1\n")
        assert changed.wait(timeout=10)
        assert live.current.debug is True
        changed.clear()
        write(config / "secrets" / "api_token", "t0ken\n")
        assert changed.wait(timeout=10)
        assert live.current.api_token.get_secret_value() == "t0ken"


def test_unrelated_files_in_the_folder_do_not_reload(config: Path) -> None:
    live = LiveSettings(AppSettings)
    reloads: list[object] = []
    original = live.reload

    def counting() -> Any:
        reloads.append(None)
        return original()

    live.reload = counting  # type: ignore[method-assign]
    with live:
        time.sleep(0.2)
        write(config / "notes.txt", "not a settings file\n")
        time.sleep(0.6)
    assert reloads == []


def test_without_watchfiles_auto_polls(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "watchfiles", None)
    live = LiveSettings(AppSettings)
    changed = _watch_for_change(live)
    live.start(interval=0.05)
    try:
        assert live.watcher == "poll"
        _edit(config / "settings.toml", 'name = "polled"\n')
        assert changed.wait(timeout=10)
    finally:
        live.stop()
    with pytest.raises(SettingsError, match=r'pip install "bricolage-settings\[watch\]"'):
        live.start(watcher="watchfiles")


def test_a_failing_watchfiles_falls_back_to_polling(
    config: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*paths: Any, **options: Any) -> Any:
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchfiles, "watch", broken)
    live = LiveSettings(AppSettings)
    changed = _watch_for_change(live)
    with caplog.at_level(logging.WARNING, logger="bricolage.settings"):
        live.start(interval=0.05)
        try:
            _edit(config / "settings.toml", 'name = "fallback"\n')
            assert changed.wait(timeout=10)
            assert live.watcher == "poll"
        finally:
            live.stop()
    assert "inotify watch limit reached" in caplog.text
    assert "polling" in caplog.text


def test_poll_can_be_chosen_for_network_filesystems(config: Path) -> None:
    live = LiveSettings(AppSettings)
    changed = _watch_for_change(live)
    live.start(interval=0.05, watcher="poll")
    try:
        assert live.watcher == "poll"
        _edit(config / "settings.toml", 'name = "nfs"\n')
        assert changed.wait(timeout=10)
    finally:
        live.stop()


def test_settle_with_watchfiles_reloads_once_the_files_are_quiet(config: Path) -> None:
    live = LiveSettings(AppSettings, settle=0.3)
    changed = _watch_for_change(live)
    live.start(interval=0.1, watcher="watchfiles")
    try:
        time.sleep(0.2)
        _edit(config / "settings.toml", 'name = "settled"\n')
        assert changed.wait(timeout=10)
        assert live.current.name == "settled"
    finally:
        live.stop()


def test_watcher_arguments_are_checked(tmp_path: Path) -> None:
    live = LiveSettings(AppSettings, config_dir=tmp_path / "missing")
    with pytest.raises(ValueError, match="watcher must be"):
        live.start(watcher="inotify")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="needs an existing folder"):
        live.start(watcher="watchfiles")
    live.start(interval=0.05)  # auto: nothing to subscribe to, so it polls
    assert live.watcher == "poll"
    live.stop()
