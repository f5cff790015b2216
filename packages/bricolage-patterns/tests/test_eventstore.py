"""The event store on a SQLite file: concurrency, order, snapshots, projections."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bricolage.patterns import (
    ConcurrencyError,
    EventStore,
    NewEvent,
    Projection,
    Snapshot,
    StoredEvent,
    StoreFormatError,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    with EventStore(tmp_path / "events.db") as opened:
        yield opened


def test_append_and_read_a_stream(store: EventStore) -> None:
    assert store.append("acct-1", [NewEvent("Opened", {"owner": "ada"})], 0) == 1
    assert store.append("acct-1", [NewEvent("Deposited", {"amount": 5})] * 2, 1) == 3
    events = store.read("acct-1")
    assert [(e.version, e.type, e.data) for e in events] == [
        (1, "Opened", {"owner": "ada"}),
        (2, "Deposited", {"amount": 5}),
        (3, "Deposited", {"amount": 5}),
    ]
    assert [e.version for e in store.read("acct-1", after_version=2)] == [3]
    assert store.version("acct-1") == 3
    assert store.read("nobody") == []


def test_a_stale_expected_version_names_both_and_stores_nothing(store: EventStore) -> None:
    store.append("s", [NewEvent("A"), NewEvent("B")], 0)
    with pytest.raises(ConcurrencyError) as caught:
        store.append("s", [NewEvent("C")], expected_version=1)
    assert (caught.value.stream, caught.value.expected, caught.value.actual) == ("s", 1, 2)
    assert "at version 2, not the expected version 1" in str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert [e.type for e in store.read("s")] == ["A", "B"]
    assert store.append("s", [NewEvent("C")], expected_version=None) == 3


def test_unserialisable_data_stores_nothing(store: EventStore) -> None:
    with pytest.raises(TypeError):
        store.append("s", [NewEvent("A"), NewEvent("B", {"when": object()})], 0)
    assert store.version("s") == 0


def test_global_order_spans_streams(store: EventStore) -> None:
    store.append("a", [NewEvent("a1")], 0)
    store.append("b", [NewEvent("b1"), NewEvent("b2")], 0)
    store.append("a", [NewEvent("a2")], 1)
    every = store.read_all()
    assert [(e.position, e.stream, e.type) for e in every] == [
        (1, "a", "a1"),
        (2, "b", "b1"),
        (3, "b", "b2"),
        (4, "a", "a2"),
    ]
    assert [e.type for e in store.read_all(after_position=2, limit=1)] == ["b2"]
    assert list(store.streams()) == ["a", "b"]


def test_snapshots_replace_older_ones_and_refuse_impossible_versions(store: EventStore) -> None:
    store.append("s", [NewEvent("A")] * 5, 0)
    assert store.load_snapshot("s") is None
    store.save_snapshot(Snapshot("s", 3, {"count": 3}))
    store.save_snapshot(Snapshot("s", 5, {"count": 5}))
    with pytest.raises(ValueError, match="newer snapshot \\(version 5\\) than version 4"):
        store.save_snapshot(Snapshot("s", 4, {"count": 4}))
    with pytest.raises(ValueError, match="at version 9 is impossible: the stream is at version 5"):
        store.save_snapshot(Snapshot("s", 9, {}))
    snapshot = store.load_snapshot("s")
    assert snapshot == Snapshot("s", 5, {"count": 5})
    store.append("s", [NewEvent("A")], 5)
    assert [e.version for e in store.read("s", after_version=snapshot.version)] == [6]


def test_a_projection_resumes_from_its_stored_position(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    seen: list[int] = []

    def fail_on_third(event: StoredEvent) -> None:
        if event.position == 3:
            raise RuntimeError("read model unavailable")
        seen.append(event.position)

    with EventStore(path) as store:
        store.append("a", [NewEvent("x")] * 4, 0)
        projection = Projection(store, "totals", fail_on_third)
        with pytest.raises(RuntimeError, match="unavailable"):
            projection.catch_up(batch=2)
        assert projection.position == 2
    # A new process, a new store object: the projection starts after position 2.
    with EventStore(path) as store:
        projection = Projection(store, "totals", lambda e: seen.append(e.position))
        assert projection.catch_up(batch=2) == 2
        assert projection.catch_up() == 0
        store.append("b", [NewEvent("y")], 0)
        assert projection.catch_up() == 1
        other = Projection(store, "audit", lambda e: None)
        assert other.catch_up() == 5  # positions are per projection
    assert seen == [1, 2, 3, 4, 5]


def test_files_the_store_cannot_use_are_refused_untouched(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(StoreFormatError, match=r"format 99; .* up to format 1: upgrade"):
        EventStore(newer)

    foreign = tmp_path / "app.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE users (id INTEGER)")
        db.execute("INSERT INTO users VALUES (1)")
    with pytest.raises(StoreFormatError, match=r"already holds the tables \['users'\]"):
        EventStore(foreign)
    with sqlite3.connect(foreign) as db:
        assert db.execute("SELECT COUNT(*) FROM users").fetchone() == (1,)

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreFormatError, match="is not an SQLite event store"):
        EventStore(garbage)
    assert garbage.read_bytes() == b"this is not a database" * 100


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    with EventStore(tmp_path / "e.db") as store:
        store.append("s", [NewEvent("A")], 0)
    with EventStore(tmp_path / "e.db") as store:
        assert store.version("s") == 1


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 4), st.integers(1, 3)),
        max_size=15,
    )
)
def test_appends_agree_with_a_model(ops: list[tuple[str, int, int]]) -> None:
    """Random appends, some with stale versions, against a dictionary of lists."""
    with EventStore(":memory:") as store:
        model: dict[str, list[str]] = {}
        log: list[tuple[str, str]] = []
        for stream, expected, count in ops:
            current = len(model.get(stream, []))
            names = [f"{stream}{current + i}" for i in range(count)]
            if expected != current:
                with pytest.raises(ConcurrencyError):
                    store.append(stream, [NewEvent(n) for n in names], expected)
                continue
            assert store.append(stream, [NewEvent(n) for n in names], expected) == current + count
            model.setdefault(stream, []).extend(names)
            log.extend((stream, n) for n in names)
        for stream, names in model.items():
            assert [e.type for e in store.read(stream)] == names
            assert [e.version for e in store.read(stream)] == list(range(1, len(names) + 1))
        assert [(e.stream, e.type) for e in store.read_all()] == log


WRITER = textwrap.dedent(
    """
    import json, sys
    from bricolage.patterns import ConcurrencyError, EventStore, NewEvent

    path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    conflicts = 0
    with EventStore(path) as store:
        for i in range(count):
            while True:
                version = store.version("counter")
                try:
                    store.append("counter", [NewEvent("Inc", {"by": name, "i": i})], version)
                    break
                except ConcurrencyError:
                    conflicts += 1
    print(json.dumps({"conflicts": conflicts}))
    """
)


def test_concurrent_writer_processes_lose_nothing_and_never_share_a_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    EventStore(path).close()
    writers, each = 4, 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"w{n}", str(each)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * writers
    conflicts = sum(json.loads(out)["conflicts"] for out in outputs)
    with EventStore(path) as store:
        events = store.read("counter")
        assert [e.version for e in events] == list(range(1, writers * each + 1))
        for n in range(writers):
            mine = [e.data["i"] for e in events if e.data["by"] == f"w{n}"]
            assert mine == list(range(each))  # each writer's events, all, in its order
        positions = [e.position for e in store.read_all()]
        assert positions == sorted(positions)
        assert len(set(positions)) == writers * each
    # Conflicts are expected under contention but not required; report them for the log.
    print(f"{conflicts} optimistic conflicts retried")


def test_two_connections_deciding_on_the_same_version_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    with EventStore(path) as first, EventStore(path) as second:
        seen_by_first = first.version("order-1")
        seen_by_second = second.version("order-1")
        assert first.append("order-1", [NewEvent("Paid")], seen_by_first) == 1
        with pytest.raises(ConcurrencyError, match="at version 1, not the expected version 0"):
            second.append("order-1", [NewEvent("Cancelled")], seen_by_second)
        assert [e.type for e in second.read("order-1")] == ["Paid"]
