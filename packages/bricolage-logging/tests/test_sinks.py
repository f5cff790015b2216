"""Sinks: streams, files, and rotation shared by several real processes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.logging import (
    ConfigurationError,
    FileSink,
    LineSink,
    RotatingFileSink,
    RotationPolicy,
    StreamSink,
    rotation_due,
)

WRITER = r"""
import os, sys
from bricolage.logging import RotatingFileSink, RotationPolicy, FileSink, configure, get_logger
path, writer, count, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if mode == "rotate":
    sink = RotatingFileSink(path, RotationPolicy(max_bytes=20_000, backup_count=10_000))
else:
    sink = FileSink(path)
config = configure(service="writer", stream=None, sinks=[sink])
log = get_logger("writer")
pad = "x" * (100 + 97 * writer) if mode == "rotate" else "y" * 9000
for seq in range(count):
    log.info("line", writer=writer, seq=seq, pad=pad)
config.close()
"""


def rotated_files(path: Path) -> list[Path]:
    """Oldest first: app.log.N ... app.log.1, app.log."""
    backups = sorted(
        (p for p in path.parent.glob(path.name + ".*") if p.suffix[1:].isdigit()),
        key=lambda p: int(p.suffix[1:]),
        reverse=True,
    )
    return [*backups, path]


def run_writers(path: Path, writers: int, count: int, mode: str) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(n), str(count), mode],
        )
        for n in range(writers)
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0


def test_several_processes_rotate_one_file_without_losing_a_line(
    tmp_path: Path, validate: Callable[..., dict[str, Any]]
) -> None:
    path = tmp_path / "app.log"
    writers, count = 4, 600
    run_writers(path, writers, count, "rotate")
    files = rotated_files(path)
    assert len(files) > 20, "the test must rotate many times"
    last_seq = dict.fromkeys(range(writers), -1)
    total = 0
    for file in files:
        data = file.read_bytes()
        assert data.endswith(b"\n")
        assert file.stat().st_size <= 20_000
        for raw in data.split(b"\n")[:-1]:
            record = validate(raw.decode())  # a torn or interleaved line fails here
            assert record["pad"] == "x" * (100 + 97 * record["writer"])
            # each writer's lines appear in order across the rotated files
            assert record["seq"] == last_seq[record["writer"]] + 1
            last_seq[record["writer"]] = record["seq"]
            total += 1
    assert total == writers * count
    assert last_seq == dict.fromkeys(range(writers), count - 1)


def test_several_processes_append_long_lines_to_one_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.log"
    run_writers(path, 3, 200, "plain")
    lines = path.read_bytes().split(b"\n")[:-1]
    assert len(lines) == 600
    assert all(json.loads(line)["pad"] == "y" * 9000 for line in lines)


def test_threads_share_a_rotating_sink(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    sink = RotatingFileSink(path, RotationPolicy(max_bytes=5_000, backup_count=1000))

    def work(n: int) -> None:
        for seq in range(300):
            sink.write(json.dumps({"n": n, "seq": seq, "pad": "z" * 50}))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sink.close()
    records = [
        json.loads(line) for f in rotated_files(path) for line in f.read_text().splitlines()
    ]
    assert len(records) == 1200
    assert sink.rotations > 10
    assert sink.dropped == 0


def test_time_rotation_uses_the_period_of_the_last_write(tmp_path: Path) -> None:
    path = tmp_path / "hourly.log"
    now = [7200.0 + 10]
    sink = RotatingFileSink(
        path, RotationPolicy(interval=3600, backup_count=3), clock=lambda: now[0]
    )
    sink.write("first")
    os.utime(path, (7200.0 + 5, 7200.0 + 5))  # written in the period starting at 7200
    sink.write("same hour")
    assert not Path(f"{path}.1").exists()
    now[0] = 10_800.0 + 1  # the next hour
    sink.write("next hour")
    sink.close()
    assert Path(f"{path}.1").read_text() == "first\nsame hour\n"
    assert path.read_text() == "next hour\n"


def test_backups_beyond_the_count_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "b.log"
    sink = RotatingFileSink(path, RotationPolicy(max_bytes=10, backup_count=2))
    for n in range(6):
        sink.write(f"line-{n}xx")
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "b.log",
        "b.log.1",
        "b.log.2",
        "b.log.lock",
    ]
    assert path.read_text() == "line-5xx\n"
    assert Path(f"{path}.2").read_text() == "line-3xx\n"


def test_backup_count_zero_discards_old_lines(tmp_path: Path) -> None:
    path = tmp_path / "z.log"
    sink = RotatingFileSink(path, RotationPolicy(max_bytes=10, backup_count=0))
    for n in range(3):
        sink.write(f"line-{n}xx")
    sink.close()
    assert path.read_text() == "line-2xx\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["z.log", "z.log.lock"]


def test_a_file_removed_under_the_sink_is_recreated(tmp_path: Path) -> None:
    path = tmp_path / "gone.log"
    sink = RotatingFileSink(path, RotationPolicy(max_bytes=1000))
    sink.write("one")
    path.unlink()
    sink.write("two")
    sink.close()
    assert path.read_text() == "two\n"


def test_closed_sinks_drop_and_count(tmp_path: Path) -> None:
    rotating = RotatingFileSink(tmp_path / "r.log", RotationPolicy(max_bytes=100))
    rotating.close()
    rotating.close()
    rotating.write("late")
    assert rotating.dropped == 1
    plain = FileSink(tmp_path / "f.log")
    plain.close()
    plain.close()
    plain.write("late")
    assert plain.dropped == 1


def test_write_errors_are_counted_not_raised(tmp_path: Path) -> None:
    read_only = FileSink(tmp_path / "f.log")
    os.close(read_only._fd)  # type: ignore[arg-type]
    read_only._fd = os.open(tmp_path / "f.log", os.O_RDONLY)
    read_only.write("x")
    assert read_only.dropped == 1
    read_only.close()
    rotating = RotatingFileSink(tmp_path / "r.log", RotationPolicy(max_bytes=100))
    rotating.write("first")
    assert rotating._fd is not None
    os.close(rotating._fd)
    rotating._fd = os.open(tmp_path / "r.log", os.O_RDONLY)
    rotating.write("second")
    assert rotating.dropped == 1
    rotating.close()


def test_stream_sink_counts_a_closed_stream() -> None:
    stream = io.StringIO()
    sink = StreamSink(stream)
    sink.write("ok")
    sink.close()
    stream.close()
    sink.write("late")
    sink.close()
    assert sink.dropped == 1


def test_sinks_satisfy_the_protocol(tmp_path: Path) -> None:
    sinks: list[LineSink] = [
        StreamSink(io.StringIO()),
        FileSink(tmp_path / "a"),
        RotatingFileSink(tmp_path / "b", RotationPolicy(max_bytes=1)),
    ]
    assert all(isinstance(s, LineSink) for s in sinks)
    for s in sinks:
        s.close()


def test_a_line_longer_than_max_bytes_still_lands_alone(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    sink = RotatingFileSink(path, RotationPolicy(max_bytes=10, backup_count=5))
    sink.write("short")
    sink.write("a much longer line than ten bytes")
    sink.write("tiny")
    sink.close()
    assert Path(f"{path}.2").read_text() == "short\n"
    assert Path(f"{path}.1").read_text() == "a much longer line than ten bytes\n"
    assert path.read_text() == "tiny\n"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs max_bytes, interval or both"),
        ({"max_bytes": -5}, "max_bytes must be a whole number >= 1, got -5"),
        ({"max_bytes": 1.5}, "max_bytes must be a whole number >= 1, got 1.5"),
        ({"interval": 0}, "interval must be a positive number of seconds, got 0"),
        ({"interval": float("inf")}, "interval must be a positive number of seconds, got inf"),
        ({"interval": True}, "got True"),
        ({"max_bytes": 10, "backup_count": -1}, "backup_count must be a whole number >= 0"),
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RotationPolicy(**kwargs)  # type: ignore[arg-type]


@given(
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=1, max_value=10_000),
    st.integers(min_value=1, max_value=10_000),
)
def test_size_rotation_keeps_files_within_max_bytes(size: int, incoming: int, limit: int) -> None:
    policy = RotationPolicy(max_bytes=limit)
    due = rotation_due(policy, size=size, incoming=incoming, modified=0.0, now=0.0)
    if size == 0:
        assert not due
    else:
        assert due is (size + incoming > limit)


@given(
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
    st.sampled_from([1.0, 60.0, 3600.0, 86400.0]),
)
def test_time_rotation_exactly_when_the_period_changes(
    modified: float, later: float, interval: float
) -> None:
    now = modified + later
    policy = RotationPolicy(interval=interval)
    due = rotation_due(policy, size=1, incoming=1, modified=modified, now=now)
    assert due is (modified // interval != now // interval)


def test_rotation_is_not_slowed_by_a_waiting_lock(tmp_path: Path) -> None:
    """A writer blocked on the lock proceeds as soon as it is released."""
    import fcntl

    path = tmp_path / "l.log"
    sink = RotatingFileSink(path, RotationPolicy(max_bytes=1000))
    holder = os.open(f"{path}.lock", os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    done = threading.Event()

    def write() -> None:
        sink.write("waited")
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.1)
    assert not done.is_set()  # it waits for the other writer's lock
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    thread.join(5)
    sink.close()
    assert path.read_text() == "waited\n"
