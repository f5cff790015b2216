"""Reloading: on demand, on file change, atomically, safely from threads and tasks."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from pathlib import Path

import anyio
import pytest
from settings_support import AppSettings, write

from bricolage.settings import LiveSettings, ReloadResult, SettingsError, SettingsValidationError


def _edit(path: Path, text: str) -> None:
    """Replace a file the way editors and deploy tools do: write aside, then rename."""
    aside = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    aside.write_text(text, encoding="utf-8")
    aside.replace(path)


def test_reload_on_demand_swaps_and_tells_subscribers(config: Path) -> None:
    write(config / "settings.toml", 'name = "one"\n')
    live = LiveSettings(AppSettings)
    seen: list[tuple[str, str]] = []
    live.subscribe(lambda old, new: seen.append((old.name, new.name)))
    first = live.current
    _edit(config / "settings.toml", 'name = "two"\n')
    result = live.reload()
    assert isinstance(result, ReloadResult)
    assert (result.ok, result.changed) == (True, True)
    assert result.old is first
    assert result.new is live.current
    assert live.current.name == "two"
    assert seen == [("one", "two")]
    assert live.current.explain()["name"].source == "file settings.toml, key name"


def test_an_unchanged_reload_keeps_the_same_object_and_notifies_nobody(config: Path) -> None:
    live = LiveSettings(AppSettings)
    calls: list[object] = []
    live.subscribe(lambda old, new: calls.append(new))
    before = live.current
    result = live.reload()
    assert result.changed is False
    assert live.current is before
    assert calls == []


def test_an_invalid_edit_keeps_the_old_settings_and_reports_why(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(config / "settings.toml", "[database]\nport = 1\n")
    errors: list[SettingsError] = []
    live = LiveSettings(AppSettings, on_error=errors.append)
    notified: list[object] = []
    live.subscribe(lambda old, new: notified.append(new))
    before = live.current
    _edit(config / "settings.toml", '[database]\nport = "not-a-port"\npassword = 5\n')
    with caplog.at_level(logging.WARNING, logger="bricolage.settings"):
        result = live.reload()
    assert result.ok is False
    assert result.new is before
    assert live.current is before
    assert isinstance(result.error, SettingsValidationError)
    assert live.last_error is result.error
    assert errors == [result.error]
    assert notified == []
    assert "database.port" in caplog.text
    assert "keeping the previous settings" in caplog.text
    # Fixing the file brings the reload back.
    _edit(config / "settings.toml", "[database]\nport = 2\n")
    assert live.reload().changed
    cleared: object = live.last_error  # (mypy still holds the error narrowed above)
    assert cleared is None
    assert live.current.database.port == 2


def test_a_broken_toml_file_is_refused_too(config: Path) -> None:
    live = LiveSettings(AppSettings)
    _edit(config / "settings.toml", "name = \n")
    result = live.reload()
    assert result.ok is False
    assert "invalid TOML" in str(result.error)


def test_poll_reloads_only_after_a_watched_file_changes(config: Path) -> None:
    live = LiveSettings(AppSettings)
    assert live.poll() is None
    assert config / "settings.toml" in [config / p for p in live.watched_paths]
    write(config / "settings.dev.toml", 'name = "profile"\n')  # a file that did not exist
    result = live.poll()
    assert result is not None
    assert result.changed
    assert live.current.name == "profile"
    assert live.poll() is None
    write(config / "secrets" / "api_token", "t0ken")  # the secrets directory is watched
    result = live.poll()
    assert result is not None
    assert result.changed
    assert live.current.api_token.get_secret_value() == "t0ken"
    write(config / ".env", "BRT_DEBUG=1\n")
    result = live.poll()
    assert result is not None
    assert live.current.debug is True


def test_poll_reports_a_broken_edit_once(config: Path) -> None:
    live = LiveSettings(AppSettings)
    write(config / "settings.toml", "debug = 'maybe'\n")
    first = live.poll()
    assert first is not None
    assert not first.ok
    assert live.poll() is None  # the same broken content is not reported again


def test_a_failing_subscriber_does_not_stop_the_others(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveSettings(AppSettings)
    seen: list[str] = []

    def broken(old: AppSettings, new: AppSettings) -> None:
        raise RuntimeError("subscriber bug")

    live.subscribe(broken)
    live.subscribe(lambda old, new: seen.append(new.name))
    write(config / "settings.toml", 'name = "next"\n')
    with caplog.at_level(logging.ERROR, logger="bricolage.settings"):
        assert live.reload().changed
    assert seen == ["next"]
    assert "subscriber bug" in caplog.text


def test_a_failing_error_callback_is_logged(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(error: SettingsError) -> None:
        raise RuntimeError("callback bug")

    live = LiveSettings(AppSettings, on_error=broken)
    write(config / "settings.toml", "debug = 'maybe'\n")
    with caplog.at_level(logging.ERROR, logger="bricolage.settings"):
        assert not live.reload().ok
    assert "on_error callback failed" in caplog.text


def test_unsubscribe_stops_notifications(config: Path) -> None:
    live = LiveSettings(AppSettings)
    seen: list[str] = []
    unsubscribe = live.subscribe(lambda old, new: seen.append(new.name))
    unsubscribe()
    unsubscribe()  # twice is harmless
    write(config / "settings.toml", 'name = "next"\n')
    live.reload()
    assert seen == []


def test_the_first_load_raises(config: Path) -> None:
    write(config / "settings.toml", "debug = 'maybe'\n")
    with pytest.raises(SettingsValidationError):
        LiveSettings(AppSettings)


def test_explicit_values_profile_and_config_dir_apply_to_every_load(
    tmp_path: Path,
) -> None:
    write(tmp_path / "settings.stage.toml", 'name = "stage"\nhosts = ["a"]\n')
    live = LiveSettings(AppSettings, profile="stage", config_dir=tmp_path, debug=True)
    assert (live.current.name, live.current.debug) == ("stage", True)
    write(tmp_path / "settings.stage.toml", 'name = "stage2"\n')
    live.reload()
    assert (live.current.name, live.current.debug) == ("stage2", True)


def test_the_watcher_thread_picks_up_an_edit(config: Path) -> None:
    changed = threading.Event()
    live = LiveSettings(AppSettings)
    live.subscribe(lambda old, new: changed.set())
    with live:
        with pytest.raises(RuntimeError, match="already running"):
            live.start()
        _edit(config / "settings.toml", 'name = "watched"\n')
        assert changed.wait(timeout=10)
    assert live.current.name == "watched"
    live.stop()  # stopping twice is harmless


def test_the_interval_must_be_positive(config: Path) -> None:
    with pytest.raises(ValueError, match="interval must be positive"):
        LiveSettings(AppSettings).start(interval=0)


def test_reads_from_threads_see_whole_objects_during_reloads(config: Path) -> None:
    """Readers never see a half-applied reload: name and port always change together."""
    write(config / "settings.toml", 'name = "v0"\n[database]\nport = 0\n')
    live = LiveSettings(AppSettings)
    stop = threading.Event()
    mismatches: list[tuple[str, int]] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            current = live.current
            if current.name != f"v{current.database.port}":
                mismatches.append((current.name, current.database.port))
            reads[0] += 1

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for version in range(1, 30):
            _edit(config / "settings.toml", f'name = "v{version}"\n[database]\nport = {version}\n')
            assert live.reload().changed
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert mismatches == []
    assert reads[0] > 0
    assert live.current.name == "v29"


def test_concurrent_reloads_notify_in_swap_order(config: Path) -> None:
    live = LiveSettings(AppSettings)
    chain: list[tuple[str, str]] = []
    live.subscribe(lambda old, new: chain.append((old.name, new.name)))
    barrier = threading.Barrier(4)

    def reload_many(worker: int) -> None:
        barrier.wait()
        for step in range(10):
            _edit(config / "settings.toml", f'name = "w{worker}s{step}"\n')
            live.reload()

    threads = [threading.Thread(target=reload_many, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every notification starts where the previous one ended: no lost or reordered swap.
    for (_, previous_new), (next_old, _) in itertools.pairwise(chain):
        assert previous_new == next_old
    assert chain[-1][1] == live.current.name


@pytest.mark.anyio
async def test_reads_from_tasks_during_reloads(config: Path) -> None:
    write(config / "settings.toml", 'name = "v0"\n[database]\nport = 0\n')
    live = LiveSettings(AppSettings)
    seen: set[str] = set()

    async def reader() -> None:
        for _ in range(200):
            current = live.current
            assert current.name == f"v{current.database.port}"
            seen.add(current.name)
            await anyio.sleep(0)

    def edit_and_reload() -> None:
        for version in range(1, 20):
            _edit(config / "settings.toml", f'name = "v{version}"\n[database]\nport = {version}\n')
            live.reload()
            time.sleep(0.001)

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(reader)
        await anyio.to_thread.run_sync(edit_and_reload)
    assert live.current.name == "v19"
    assert "v0" in seen


def test_a_watched_path_that_cannot_be_read_counts_as_a_change(config: Path) -> None:
    live = LiveSettings(AppSettings)
    loop = config / "settings.dev.toml"
    loop.symlink_to(loop)
    result = live.poll()
    assert result is not None
    assert not result.ok
    assert "cannot be read" in str(result.error)


def test_a_half_written_file_is_refused_then_the_complete_one_is_taken(config: Path) -> None:
    write(config / "settings.toml", 'name = "before"\n[database]\nport = 1\n')
    live = LiveSettings(AppSettings)
    full = 'name = "after"\n[database]\nport = 2\n'
    (config / "settings.toml").write_text(full[:17], encoding="utf-8")  # cut mid-table
    result = live.poll()
    assert result is not None
    assert not result.ok
    assert live.current.name == "before"
    (config / "settings.toml").write_text(full, encoding="utf-8")
    result = live.poll()
    assert result is not None
    assert result.changed
    assert (live.current.name, live.current.database.port) == ("after", 2)


def test_a_value_that_moves_between_sources_is_no_change(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRT_NAME", "same")
    live = LiveSettings(AppSettings)
    calls: list[object] = []
    live.subscribe(lambda old, new: calls.append(new))
    monkeypatch.delenv("BRT_NAME")
    write(config / "settings.toml", 'name = "same"\n')
    result = live.reload()
    assert result.changed is False
    assert calls == []


def test_settle_waits_until_the_files_stop_changing(config: Path) -> None:
    now = [100.0]
    live = LiveSettings(AppSettings, settle=2.0, clock=lambda: now[0])
    write(config / "settings.toml", 'name = "step1"\n')
    assert live.poll() is None  # a change is seen: the clock starts
    now[0] += 1.0
    write(config / "settings.toml", 'name = "step2"\n')
    assert live.poll() is None  # changed again: the clock starts over
    now[0] += 1.5
    assert live.poll() is None  # stable for 1.5 s only
    now[0] += 0.5
    result = live.poll()
    assert result is not None
    assert result.changed
    assert live.current.name == "step2"
    assert live.poll() is None


def test_settle_forgets_a_change_that_was_undone(config: Path) -> None:
    now = [0.0]
    write(config / "settings.toml", 'name = "kept"\n')
    live = LiveSettings(AppSettings, settle=1.0, clock=lambda: now[0])
    write(config / "settings.toml", 'name = "brief"\n')
    assert live.poll() is None
    write(config / "settings.toml", 'name = "kept"\n')
    assert live.poll() is None  # back to what was loaded: nothing pending
    now[0] += 5
    assert live.poll() is None


def test_settle_must_not_be_negative(config: Path) -> None:
    with pytest.raises(ValueError, match="settle must be zero or positive"):
        LiveSettings(AppSettings, settle=-1)
