"""On-disk behaviour: atomic commits, crashes, corruption, locking, concurrent readers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bricolage.search import (
    CorruptIndexError,
    Index,
    IndexLockedError,
    KeywordField,
    Schema,
    SchemaError,
    SearchError,
    TextField,
)
from bricolage.text import simple_analyzer


def make_schema() -> Schema:
    return Schema(TextField("body", simple_analyzer()), KeywordField("batch"))


def test_create_open_and_refresh(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    index = Index.create(folder, make_schema())
    assert index.generation == 1
    assert index.path == folder
    reader = Index.open(folder)
    with index.writer() as writer:
        writer.add("a", body="hello world")
    assert index.generation == 2
    assert reader.search("hello").ids == []  # still at its snapshot
    assert reader.refresh()
    assert not reader.refresh()
    assert reader.search("hello").ids == ["a"]
    assert reader.stats().path == str(folder)
    again = Index.create(folder, make_schema(), exist_ok=True)
    assert again.ids() == ["a"]
    with pytest.raises(SearchError, match="already holds an index"):
        Index.create(folder, make_schema())
    with pytest.raises(SchemaError, match="another schema"):
        Index.create(folder, Schema(TextField("other")), exist_ok=True)


def test_not_an_index(tmp_path: Path) -> None:
    with pytest.raises(CorruptIndexError, match="not an index"):
        Index.open(tmp_path)
    with pytest.raises(CorruptIndexError, match="not a folder"):
        Index.open(tmp_path / "missing")


def test_only_recent_segments_are_kept(tmp_path: Path) -> None:
    index = Index.create(tmp_path, make_schema())
    for i in range(4):
        with index.writer() as writer:
            writer.add(f"d{i}", body="text")
    segments = sorted(p.name for p in tmp_path.glob("segment-*.npz"))
    assert segments == ["segment-00000004.npz", "segment-00000005.npz"]


def test_leftovers_of_a_crashed_write_are_ignored_and_removed(tmp_path: Path) -> None:
    index = Index.create(tmp_path, make_schema())
    with index.writer() as writer:
        writer.add("a", body="committed")
    # a crash after writing the next segment but before switching CURRENT
    (tmp_path / "segment-00000003.npz").write_bytes(b"half written")
    (tmp_path / ".segment-00000004.npz.abc.tmp").write_bytes(b"partial")
    reopened = Index.open(tmp_path)
    assert reopened.ids() == ["a"]
    with reopened.writer() as writer:
        writer.add("b", body="next")
    assert not list(tmp_path.glob(".*.tmp"))
    assert Index.open(tmp_path).ids() == ["a", "b"]


def test_damage_is_reported_not_hidden(tmp_path: Path) -> None:
    index = Index.create(tmp_path, make_schema())
    with index.writer() as writer:
        writer.add("a", body="committed")
    pointer = json.loads((tmp_path / "CURRENT").read_text())
    segment = tmp_path / pointer["file"]
    data = segment.read_bytes()
    segment.write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(CorruptIndexError, match="checksum"):
        Index.open(tmp_path)
    segment.unlink()
    with pytest.raises(CorruptIndexError, match="which is missing"):
        Index.open(tmp_path)
    (tmp_path / "CURRENT").write_text("{not json")
    with pytest.raises(CorruptIndexError, match="damaged"):
        Index.open(tmp_path)
    (tmp_path / "CURRENT").write_text(json.dumps({**pointer, "file": "../../etc/passwd"}))
    with pytest.raises(CorruptIndexError, match="unexpected file"):
        Index.open(tmp_path)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"garbage", "not a readable index segment"),
        ("format", "index format"),
        ("ids", "damaged document table"),
        ("lengths", "do not match"),
        ("schema", "carries no schema"),
        ("field", "lacks the data"),
        ("count", "stored records"),
    ],
)
def test_inconsistent_segments_are_refused(
    tmp_path: Path, payload: bytes | str, message: str
) -> None:
    import hashlib
    import io

    import numpy as np

    index = Index.create(tmp_path, make_schema())
    with index.writer() as writer:
        writer.add("a", body="x y", batch="1")
    pointer = json.loads((tmp_path / "CURRENT").read_text())
    path = tmp_path / pointer["file"]
    if isinstance(payload, bytes):
        data = payload
    else:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        meta = json.loads(arrays["meta"].tobytes())
        if payload == "format":
            meta["format"] = 99
        elif payload == "ids":
            meta["ids"] = "nope"
        elif payload == "lengths":
            arrays["0.lengths"] = np.zeros(5, dtype=np.int32)
        elif payload == "schema":
            del meta["schema"]
        elif payload == "field":
            del arrays["1.docs"]
        else:
            meta["ids"] = ["a", "b"]
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        data = buffer.getvalue()
    path.write_bytes(data)
    pointer["sha256"] = hashlib.sha256(data).hexdigest()
    (tmp_path / "CURRENT").write_text(json.dumps(pointer))
    with pytest.raises(CorruptIndexError, match=message):
        Index.open(tmp_path)


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    index = Index.create(tmp_path, make_schema())
    first = index.writer()
    with pytest.raises(IndexLockedError, match="another writer"):
        Index.open(tmp_path).writer()
    with pytest.raises(IndexLockedError):
        index.writer(timeout=0.05)
    first.close()
    with index.writer(timeout=1) as second:
        second.add("a", body="x")
    assert Index.open(tmp_path).ids() == ["a"]


def test_a_writer_in_another_process_blocks_ours(tmp_path: Path) -> None:
    Index.create(tmp_path, make_schema())
    script = textwrap.dedent(
        f"""
        import sys, time
        from bricolage.search import Index
        writer = Index.open({str(tmp_path)!r}).writer()
        print("locked", flush=True)
        time.sleep(30)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(IndexLockedError):
            Index.open(tmp_path).writer()
    finally:
        child.kill()
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
    with Index.open(tmp_path).writer(timeout=5) as writer:  # the lock died with it
        writer.add("a", body="after")


def test_readers_keep_working_while_a_writer_commits(tmp_path: Path) -> None:
    index = Index.create(tmp_path, make_schema())
    with index.writer() as writer:
        for i in range(200):
            writer.add(f"base{i}", body=f"common word{i}", batch="0")
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: set[int] = set()

    def read() -> None:
        reader = Index.open(tmp_path)
        while not stop.is_set():
            try:
                reader.refresh()
                total = reader.search("common", limit=1).total
                assert total % 200 == 0  # whole commits only: 200 documents per batch
                seen.add(total)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
                return

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for batch in range(1, 8):
        with index.writer() as writer:
            for i in range(200):
                writer.add(f"b{batch}-{i}", body=f"common more{i}", batch=str(batch))
    time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
    assert max(seen) == 1600


CRASHER = textwrap.dedent(
    """
    import sys
    from bricolage.search import Index
    index = Index.open(sys.argv[1])
    generation = index.generation
    writer = index.writer()
    print("ready", flush=True)
    while True:
        batch = str(generation + 1)
        writer.delete_by("batch", str(generation - 1))
        for i in range(300):
            writer.add(f"g{batch}-{i}", body="crash test document " + batch, batch=batch)
        generation = writer.commit()
        print(generation, flush=True)
    """
)


@pytest.mark.parametrize("delay", [0.0, 0.004, 0.011, 0.023, 0.05])
def test_sigkill_mid_commit_leaves_the_last_commit(tmp_path: Path, delay: float) -> None:
    Index.create(tmp_path, make_schema())
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        while int(child.stdout.readline()) < 4:  # let a few commits happen first
            pass
        time.sleep(delay)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
    index = Index.open(tmp_path)
    generation = index.generation
    assert generation >= 4
    ids = set(index.ids())
    # every committed generation g holds the batches g and g-1 (older ones are deleted)
    expected = {
        f"g{batch}-{i}" for batch in (generation, generation - 1) if batch >= 2 for i in range(300)
    }
    assert ids == expected
    assert index.search(f"{generation}", limit=None).total == 300
    with index.writer(timeout=5) as writer:  # the index stays writable
        writer.add("after", body="recovered")
    assert "after" in Index.open(tmp_path)
