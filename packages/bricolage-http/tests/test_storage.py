"""Storages: memory LRU, a real SQLite file (threads, processes, corruption), a real Redis."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import bricolage.http
from bricolage.http import (
    CachedResponse,
    CacheStorage,
    CacheTransport,
    CorruptEntryError,
    MemoryStorage,
    MissingExtraError,
    PolicyError,
    RedisStorage,
    SQLiteStorage,
    StorageError,
    cache_outcome,
    decode_entries,
    encode_entries,
)
from bricolage.http.testing import FrozenClock


def entry(body: bytes = b"body", url: str = "http://a.test/") -> CachedResponse:
    return CachedResponse(
        url,
        200,
        (("Cache-Control", "max-age=60"),),
        body,
        1.0,
        2.0,
        60.0,
        0.5,
        vary=(("accept", "x"),),
    )


entries = st.builds(
    CachedResponse,
    url=st.text(max_size=20),
    status=st.integers(100, 599),
    headers=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=4).map(tuple),
    body=st.binary(max_size=64),
    request_time=st.floats(0, 1e9),
    response_time=st.floats(0, 1e9),
    freshness_lifetime=st.floats(0, 1e9),
    initial_age=st.floats(0, 1e9),
    vary=st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=2).map(tuple),
    forced=st.booleans(),
)


@given(st.lists(entries, max_size=3))
def test_codec_round_trips(variants: list[CachedResponse]) -> None:
    assert decode_entries(encode_entries(variants)) == variants


@given(st.lists(entries, min_size=1, max_size=2), st.data())
def test_any_flipped_byte_is_detected(variants: list[CachedResponse], data: st.DataObject) -> None:
    blob = bytearray(encode_entries(variants))
    index = data.draw(st.integers(0, len(blob) - 1))
    blob[index] ^= 0xFF
    with pytest.raises(CorruptEntryError):
        decode_entries(bytes(blob))


def test_memory_lru_is_bounded_in_bytes() -> None:
    storage = MemoryStorage(max_bytes=2000)
    for i in range(10):
        storage.put(f"k{i}", [entry(b"x" * 500)], ttl=None)
        storage.get("k0")  # keep k0 recently used
    assert storage.size <= 2000
    assert storage.get("k0")
    assert storage.get("k9")
    assert not storage.get("k5")
    storage.put("huge", [entry(b"x" * 5000)], ttl=None)
    assert not storage.get("huge")
    storage.put("k0", [entry(b"y")], ttl=None)
    assert storage.get("k0")[0].body == b"y"
    storage.delete("k0")
    storage.delete("absent")
    assert not storage.get("k0")
    with pytest.raises(PolicyError, match="max_bytes"):
        MemoryStorage(max_bytes=-1)


def test_memory_ttl_expires() -> None:
    clock = FrozenClock()
    storage = MemoryStorage(clock=clock)
    storage.put("k", [entry()], ttl=10)
    assert storage.get("k")
    clock.advance(10)
    assert storage.get("k") == []
    assert storage.size == 0


def test_sqlite_round_trip_ttl_and_restart(tmp_path: Path) -> None:
    clock = FrozenClock(1000)
    path = tmp_path / "sub" / "cache.db"
    storage = SQLiteStorage(path, clock=clock)
    assert isinstance(storage, CacheStorage)
    storage.put("k", [entry()], ttl=None)
    storage.put("short", [entry()], ttl=5)
    storage.put("shorter", [entry()], ttl=1)
    storage.close()
    reopened = SQLiteStorage(path, clock=clock)
    assert reopened.get("k") == [entry()]
    assert len(reopened) == 3
    clock.advance(2)
    assert reopened.purge_expired() == 1
    clock.advance(5)
    assert reopened.get("short") == []
    reopened.delete("k")
    assert reopened.get("k") == []
    reopened.put("a", [entry()], ttl=None)
    reopened.clear()
    assert len(reopened) == 0
    reopened.close()
    with pytest.raises(StorageError, match="closed"):
        reopened.get("a")


def test_sqlite_drops_corrupt_entries(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cache.db"
    storage = SQLiteStorage(path)
    storage.put("k", [entry()], ttl=None)
    blob = bytearray(encode_entries([entry()]))
    blob[-1] ^= 0x01
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE bricolage_http_cache SET value = ? WHERE key = ?", (bytes(blob), "k"))
    conn.close()
    assert storage.get("k") == []
    assert "corrupt" in caplog.text
    assert len(storage) == 0
    storage.close()


def test_sqlite_rereads_rows_it_has_decoded_before(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.db"
    storage = SQLiteStorage(path)
    storage.put("k", [entry(b"one")], ttl=None)
    first = storage.get("k")
    assert first == [entry(b"one")]
    first.clear()  # callers get their own list
    assert storage.get("k") == [entry(b"one")]
    # Another process rewrites the row: the new bytes are decoded, not the old ones reused.
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE bricolage_http_cache SET value = ? WHERE key = ?",
            (encode_entries([entry(b"two")]), "k"),
        )
    conn.close()
    assert storage.get("k") == [entry(b"two")]
    # A row corrupted after it was read and decoded is still dropped, never served.
    blob = bytearray(encode_entries([entry(b"two")]))
    blob[-1] ^= 0x01
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE bricolage_http_cache SET value = ? WHERE key = ?", (bytes(blob), "k"))
    conn.close()
    assert storage.get("k") == []
    assert "corrupt" in caplog.text
    assert len(storage) == 0
    # Rows beyond the decoded-row budget, and rows too large to keep decoded, still read.
    big = entry(b"x" * (300 * 1024))
    storage.put("big", [big], ttl=None)
    assert storage.get("big") == [big] == storage.get("big")
    for i in range(40):
        storage.put(f"k{i}", [entry(b"y" * (60 * 1024))], ttl=None)
        assert storage.get(f"k{i}")[0].body == b"y" * (60 * 1024)
    assert storage.get("k0")[0].body == b"y" * (60 * 1024)
    storage.close()


def test_sqlite_bad_paths_are_clear(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="is a directory"):
        SQLiteStorage(tmp_path)
    with pytest.raises(PolicyError, match="timeout"):
        SQLiteStorage(tmp_path / "x.db", timeout=0)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match=r"garbage\.db"):
        SQLiteStorage(garbage)
    assert garbage.read_bytes().startswith(b"this is not a database")  # nothing lost


def test_sqlite_many_threads_never_lock(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "cache.db")
    errors: list[BaseException] = []
    barrier = threading.Barrier(100)

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(20):
                key = f"k{(n + i) % 30}"
                storage.put(key, [entry(f"{n}-{i}".encode())], ttl=60)
                storage.get(key)
                if i % 7 == 0:
                    storage.delete(key)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    storage.close()
    assert errors == []


_WORKER = """
import sys
from bricolage.http import CachedResponse, SQLiteStorage
path, n = sys.argv[1], int(sys.argv[2])
storage = SQLiteStorage(path)
entry = CachedResponse("u", 200, (), b"x" * 100, 0.0, 0.0, 60.0, 0.0)
for i in range(50):
    storage.put(f"p{n}-{i}", [entry], ttl=60)
    assert storage.get(f"p{n}-{i}")
    storage.get(f"p{(n + 1) % 4}-{i}")
storage.close()
"""


def test_sqlite_many_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.db")
    SQLiteStorage(path).close()
    processes = [subprocess.Popen([sys.executable, "-c", _WORKER, path, str(n)]) for n in range(4)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0, 0, 0]
    storage = SQLiteStorage(path)
    assert len(storage) == 200
    storage.close()


@pytest.mark.redis
def test_redis_storage_round_trip_and_corruption(redis_url: str) -> None:
    import redis

    storage = RedisStorage(redis_url, prefix="t1:")
    storage.put("k", [entry()], ttl=60)
    storage.put("forever", [entry()], ttl=None)
    assert storage.get("k") == [entry()]
    assert storage.get("absent") == []
    client = redis.Redis.from_url(redis_url)
    assert 0 < client.pttl("t1:k") <= 60000
    assert client.pttl("t1:forever") == -1
    client.set("t1:k", b"BHC1 broken")
    assert storage.get("k") == []
    assert client.exists("t1:k") == 0
    storage.delete("forever")
    assert storage.get("forever") == []
    client.close()
    storage.close()
    shared = RedisStorage(client=redis.Redis.from_url(redis_url))
    shared.put("x", [entry()], ttl=1)
    assert shared.get("x")
    shared._client.close()


@pytest.mark.redis
def test_redis_cache_survives_a_new_client(redis_url: str) -> None:
    def origin(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Cache-Control": "max-age=60"}, content=b"from origin")

    for expected in ("miss", "hit"):
        storage = RedisStorage(redis_url, prefix="t2:")
        with httpx.Client(
            transport=CacheTransport(httpx.MockTransport(origin), storage=storage)
        ) as client:
            outcome = cache_outcome(client.get("http://a.test/"))
            assert outcome is not None
            assert outcome.action == expected
        storage.close()


def test_redis_errors_are_storage_errors() -> None:
    storage = RedisStorage("redis://127.0.0.1:1/0")
    for call in (
        lambda: storage.get("k"),
        lambda: storage.put("k", [entry()], ttl=None),
        lambda: storage.delete("k"),
    ):
        with pytest.raises(StorageError, match="Redis cache"):
            call()
    storage.close()


def test_missing_redis_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(MissingExtraError, match=r"bricolage-http\[redis\]") as info:
        RedisStorage()
    assert isinstance(info.value, ImportError)
    assert bricolage.http.RedisStorage is RedisStorage
    with pytest.raises(AttributeError, match="nope"):
        bricolage.http.nope  # noqa: B018


_HAMMER = """
import sys
from bricolage.http import CachedResponse, SQLiteStorage
storage = SQLiteStorage(sys.argv[1])
i = 0
while True:
    body = bytes([i % 251]) * (1000 + i % 5000)
    storage.put(f"k{i % 50}", [CachedResponse("u", 200, (), body, 0.0, 0.0, 60.0, 0.0)], ttl=None)
    i += 1
"""


def test_sqlite_survives_a_writer_killed_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    SQLiteStorage(path).close()
    writer = subprocess.Popen([sys.executable, "-c", _HAMMER, str(path)])
    try:
        deadline = time.monotonic() + 30
        storage = SQLiteStorage(path)
        while len(storage) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        storage.close()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    storage = SQLiteStorage(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert len(storage) == 50
    for i in range(50):
        [variant] = storage.get(f"k{i}")
        assert set(variant.body) <= {variant.body[0]}  # never a torn body
    storage.put("after", [entry()], ttl=None)
    assert storage.get("after") == [entry()]
    storage.close()


class MemoryStorageMachine(RuleBasedStateMachine):
    """The LRU never exceeds its budget and keeps the most recently used keys."""

    def __init__(self) -> None:
        super().__init__()
        self.storage = MemoryStorage(max_bytes=3000)
        self.model: dict[str, int] = {}  # key -> size, in recency order

    @rule(key=st.sampled_from("abcdefgh"), size=st.integers(0, 1500))
    def put(self, key: str, size: int) -> None:
        variants = [entry(b"x" * size)]
        self.storage.put(key, variants, ttl=None)
        self.model.pop(key, None)
        total = sum(v.size for v in variants) + len(key)
        if total <= 3000:
            self.model[key] = total
            while sum(self.model.values()) > 3000:
                del self.model[next(iter(self.model))]

    @rule(key=st.sampled_from("abcdefgh"))
    def get(self, key: str) -> None:
        found = self.storage.get(key)
        assert bool(found) == (key in self.model)
        if key in self.model:
            self.model[key] = self.model.pop(key)

    @rule(key=st.sampled_from("abcdefgh"))
    def delete(self, key: str) -> None:
        self.storage.delete(key)
        self.model.pop(key, None)

    @invariant()
    def within_budget(self) -> None:
        assert self.storage.size == sum(self.model.values()) <= 3000
        assert len(self.storage) == len(self.model)


TestMemoryStorageMachine = MemoryStorageMachine.TestCase
