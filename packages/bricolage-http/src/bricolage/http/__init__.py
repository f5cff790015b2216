"""httpx transports that retry and cache by the RFCs (RFC 9111, RFC 5861), sync and async.

Wrap any httpx transport; stack them to get both::

    >>> import httpx
    >>> from bricolage.http import CacheTransport, RetryTransport, SQLiteStorage
    >>> transport = CacheTransport(RetryTransport(httpx.HTTPTransport()))
    >>> client = httpx.Client(transport=transport)
    >>> client.close()

The cache's decisions (is this fresh? may this be stored? how old is it?) are pure
functions in :mod:`bricolage.http.rfc9111`; the retry decision is :func:`decide_retry`.
"""

from __future__ import annotations

import warnings
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

from bricolage.http._cache import AsyncCacheTransport, CacheTransport
from bricolage.http._clock import Clock, SystemClock
from bricolage.http._metrics import (
    CacheMetrics,
    CacheOutcome,
    MetricsSnapshot,
    RetryMetrics,
    RetrySnapshot,
    cache_outcome,
)
from bricolage.http._retry import (
    RetryBudget,
    RetryDecision,
    RetryPolicy,
    backoff_delay,
    decide_retry,
    parse_retry_after,
)
from bricolage.http._retry_transport import (
    AsyncRetryTransport,
    Attempt,
    RetryOutcome,
    RetryTransport,
    retry_outcome,
)
from bricolage.http._sqlite import SQLiteStorage
from bricolage.http._storage import CacheStorage, MemoryStorage, decode_entries, encode_entries
from bricolage.http.errors import (
    BricolageHTTPError,
    CacheError,
    CorruptEntryError,
    MissingExtraError,
    PolicyError,
    StorageError,
)
from bricolage.http.rfc9111 import CachedResponse, CachePolicy, CacheRule

if TYPE_CHECKING:
    from bricolage.http._redis import RedisStorage

__version__ = _version("bricolage-http")

__all__ = [
    "AsyncCacheTransport",
    "AsyncRetryTransport",
    "Attempt",
    "BricolageHTTPError",
    "CacheError",
    "CacheMetrics",
    "CacheOutcome",
    "CachePolicy",
    "CacheRule",
    "CacheStorage",
    "CacheTransport",
    "CachedResponse",
    "Clock",
    "CorruptEntryError",
    "MemoryStorage",
    "MetricsSnapshot",
    "MissingExtraError",
    "PolicyError",
    "RedisStorage",
    "RetryBudget",
    "RetryDecision",
    "RetryMetrics",
    "RetryOutcome",
    "RetryPolicy",
    "RetrySnapshot",
    "RetryTransport",
    "SQLiteStorage",
    "StorageError",
    "SystemClock",
    "__version__",
    "backoff_delay",
    "cache_outcome",
    "decide_retry",
    "decode_entries",
    "encode_entries",
    "parse_retry_after",
    "retry_outcome",
]

#: Names that 0.1 exported here and 0.2 moved to :mod:`bricolage.http.rfc9111` (some
#: renamed to say what they decide); they still resolve, with a DeprecationWarning, until 0.3.
_MOVED = {
    "Action": "CacheAction",
    "Lookup": "CacheDecision",
    "decide": "decide_cache_use",
    "CacheControl": "CacheControl",
    "cache_key": "cache_key",
    "conditional_headers": "conditional_headers",
    "corrected_initial_age": "corrected_initial_age",
    "current_age": "current_age",
    "freshness_lifetime": "freshness_lifetime",
    "invalidation_urls": "invalidation_urls",
    "make_entry": "make_entry",
    "merge_not_modified": "merge_not_modified",
    "parse_cache_control": "parse_cache_control",
    "parse_http_date": "parse_http_date",
    "select_variant": "select_variant",
    "serve_stale_on_error": "serve_stale_on_error",
    "vary_values": "vary_values",
    "why_not_storable": "why_not_storable",
}


def __getattr__(name: str) -> Any:
    # RedisStorage lives behind the optional 'redis' extra; its module imports redis
    # only when a storage is made, so this import is cheap and always works.
    if name == "RedisStorage":
        from bricolage.http._redis import RedisStorage

        return RedisStorage
    new = _MOVED.get(name)
    if new is not None:
        from bricolage.http import rfc9111

        warnings.warn(
            f"bricolage.http.{name} is deprecated and will be removed in 0.3: use "
            f"bricolage.http.rfc9111.{new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(rfc9111, new)
    raise AttributeError(f"module 'bricolage.http' has no attribute {name!r}")
