"""The storage Protocol, the entry codec and the in-memory LRU storage."""

from __future__ import annotations

import json
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from bricolage.http.errors import CorruptEntryError, PolicyError
from bricolage.http.rfc9111 import CachedResponse, stored_cache_control

__all__ = ["CacheStorage", "MemoryStorage", "decode_entries", "encode_entries"]

_MAGIC = b"BHC1"
_HEAD = struct.Struct(">4sII")  # magic, crc32 of the rest, length of the metadata


@runtime_checkable
class CacheStorage(Protocol):
    """Where a cache keeps its responses: one Protocol, several backends.

    A key maps to the stored variants of one URL (several when the response has
    ``Vary``), newest first. ``ttl`` is how long the entry can be of any use (seconds),
    ``None`` when it may be revalidated forever; a backend may forget an entry earlier.
    Methods are synchronous and thread-safe; the async transport runs them in a worker
    thread unless the storage has a false ``blocking`` attribute (as :class:`MemoryStorage`).

    >>> from bricolage.http import CacheStorage, MemoryStorage
    >>> isinstance(MemoryStorage(), CacheStorage)
    True
    """

    def get(self, key: str) -> list[CachedResponse]:
        """The variants stored under ``key``, newest first; empty when none."""
        ...

    def put(self, key: str, variants: Sequence[CachedResponse], ttl: float | None) -> None:
        """Store ``variants`` under ``key``, replacing what was there."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error if absent)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


def encode_entries(variants: Sequence[CachedResponse]) -> bytes:
    """Serialise variants into the versioned, checksummed format of persistent storages.

    >>> from bricolage.http import decode_entries, encode_entries
    >>> from bricolage.http import CachedResponse
    >>> blob = encode_entries([CachedResponse("u", 200, (("a", "b"),), b"body", 1, 2, 3, 4)])
    >>> decode_entries(blob)[0].body
    b'body'
    """
    meta = [
        {
            "u": v.url,
            "s": v.status,
            "h": v.headers,
            "n": len(v.body),
            "rq": v.request_time,
            "rs": v.response_time,
            "f": v.freshness_lifetime,
            "a": v.initial_age,
            "v": v.vary,
            "x": v.forced,
            **({"t": v.target} if v.target is not None else {}),
        }
        for v in variants
    ]
    meta_bytes = json.dumps(meta, separators=(",", ":")).encode()
    rest = meta_bytes + b"".join(v.body for v in variants)
    return _HEAD.pack(_MAGIC, zlib.crc32(rest), len(meta_bytes)) + rest


def decode_entries(blob: bytes) -> list[CachedResponse]:
    """Decode what :func:`encode_entries` wrote.

    Anything else raises :class:`~bricolage.http.errors.CorruptEntryError`.

    >>> from bricolage.http import decode_entries, encode_entries
    >>> decode_entries(encode_entries([]))
    []
    """
    if len(blob) < _HEAD.size or blob[:4] != _MAGIC:
        raise CorruptEntryError(f"cache entry is corrupt: bad magic {blob[:8]!r}")
    _, crc, meta_len = _HEAD.unpack_from(blob)
    rest = memoryview(blob)[_HEAD.size :]
    if zlib.crc32(rest) != crc:
        raise CorruptEntryError("cache entry is corrupt: checksum mismatch")
    try:
        meta = json.loads(bytes(rest[:meta_len]).decode("utf-8"))
        offset = meta_len
        result = []
        for item in meta:
            size = int(item["n"])
            body = bytes(rest[offset : offset + size])
            offset += size
            headers = tuple((str(k), str(v)) for k, v in item["h"])
            target = None if item.get("t") is None else str(item["t"])
            result.append(
                CachedResponse(
                    url=str(item["u"]),
                    status=int(item["s"]),
                    headers=headers,
                    body=body,
                    request_time=float(item["rq"]),
                    response_time=float(item["rs"]),
                    freshness_lifetime=float(item["f"]),
                    initial_age=float(item["a"]),
                    vary=tuple((str(k), str(v)) for k, v in item["v"]),
                    forced=bool(item["x"]),
                    cache_control=stored_cache_control(headers, target),
                    target=target,
                )
            )
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptEntryError(f"cache entry is corrupt: {error}") from error
    if offset != len(rest):
        raise CorruptEntryError(
            f"cache entry is corrupt: {len(rest) - offset} unexpected trailing bytes"
        )
    return result


class MemoryStorage:
    """An in-process LRU storage bounded in bytes; the fastest, gone at exit.

    Args:
        max_bytes: the budget for bodies and headers; least recently used keys are evicted
            beyond it. An entry larger than the whole budget is not kept.
        clock: a monotonic clock in seconds, for ``ttl`` expiry.

    >>> from bricolage.http import MemoryStorage
    >>> from bricolage.http import CachedResponse
    >>> storage = MemoryStorage(max_bytes=1000)
    >>> storage.put("k", [CachedResponse("u", 200, (), b"x" * 100, 0, 0, 60, 0)], ttl=None)
    >>> len(storage.get("k")), storage.size
    (1, 302)
    """

    blocking = False

    def __init__(
        self, max_bytes: int = 64 * 1024 * 1024, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_bytes < 0:
            raise PolicyError(f"max_bytes must be >= 0, got {max_bytes!r}")
        self.max_bytes = max_bytes
        self._clock = clock
        self._data: OrderedDict[str, tuple[list[CachedResponse], int, float | None]] = (
            OrderedDict()
        )
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes currently accounted for."""
        return self._size

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> list[CachedResponse]:
        """The variants under ``key``, newest first (marks the key recently used)."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return []
            variants, size, expires = item
            if expires is not None and self._clock() >= expires:
                del self._data[key]
                self._size -= size
                return []
            self._data.move_to_end(key)
            return variants

    def put(self, key: str, variants: Sequence[CachedResponse], ttl: float | None) -> None:
        """Store ``variants`` under ``key``, evicting the least recently used beyond budget."""
        size = sum(v.size for v in variants) + len(key)
        expires = None if ttl is None else self._clock() + ttl
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._size -= old[1]
            if size > self.max_bytes:
                return
            self._data[key] = (list(variants), size, expires)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, evicted, _) = self._data.popitem(last=False)
                self._size -= evicted

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._size -= old[1]

    def clear(self) -> None:
        """Forget everything.

        >>> from bricolage.http import MemoryStorage
        >>> storage = MemoryStorage(); storage.clear(); len(storage)
        0
        """
        with self._lock:
            self._data.clear()
            self._size = 0

    def close(self) -> None:
        """Nothing to release; kept for the Protocol."""
