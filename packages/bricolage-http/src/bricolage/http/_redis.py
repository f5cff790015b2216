"""A Redis storage (extra ``[redis]``, imported lazily)."""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Sequence
from typing import Any

from bricolage.http._storage import decode_entries, encode_entries
from bricolage.http.errors import CorruptEntryError, MissingExtraError, StorageError
from bricolage.http.rfc9111 import CachedResponse

__all__ = ["RedisStorage"]

_log = logging.getLogger("bricolage.http")


def _import_redis() -> Any:
    try:
        return importlib.import_module("redis")
    except ImportError as error:
        raise MissingExtraError("redis", "RedisStorage") from error


class RedisStorage:
    """A cache in Redis, shared by every process that reaches the server.

    Needs the ``redis`` extra (``pip install 'bricolage-http[redis]'``). Entries carry a
    Redis expiry when their usefulness is bounded; a corrupt value is deleted, never served.

    Args:
        url: a Redis URL such as ``redis://127.0.0.1:6379/0`` (ignored when ``client`` is
            given).
        client: an existing ``redis.Redis`` client (not closed by :meth:`close`).
        prefix: prepended to every key.

    >>> from bricolage.http import RedisStorage
    >>> storage = RedisStorage("redis://127.0.0.1:6390/0", prefix="api:")  # connects lazily
    >>> storage.prefix
    'api:'
    >>> storage.close()
    """

    blocking = True

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Any = None,
        prefix: str = "bricolage-http:",
    ) -> None:
        redis = _import_redis()
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._own = client is None
        self._client = redis.Redis.from_url(url) if client is None else client
        self.prefix = prefix

    def get(self, key: str) -> list[CachedResponse]:
        """The variants under ``key``; a corrupt value is deleted and gives ``[]``."""
        try:
            blob = self._client.get(self.prefix + key)
        except self._errors as error:
            raise StorageError(f"Redis cache get {key!r} failed: {error}") from error
        if blob is None:
            return []
        try:
            return decode_entries(bytes(blob))
        except CorruptEntryError as error:
            _log.warning("dropping corrupt cache entry %r from Redis: %s", key, error)
            self.delete(key)
            return []

    def put(self, key: str, variants: Sequence[CachedResponse], ttl: float | None) -> None:
        """Store ``variants`` under ``key`` with a Redis expiry of ``ttl`` seconds."""
        blob = encode_entries(variants)
        px = None if ttl is None else max(1, math.ceil(ttl * 1000))
        try:
            self._client.set(self.prefix + key, blob, px=px)
        except self._errors as error:
            raise StorageError(f"Redis cache put {key!r} failed: {error}") from error

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        try:
            self._client.delete(self.prefix + key)
        except self._errors as error:
            raise StorageError(f"Redis cache delete {key!r} failed: {error}") from error

    def close(self) -> None:
        """Close the client if this storage created it."""
        if self._own:
            self._client.close()
