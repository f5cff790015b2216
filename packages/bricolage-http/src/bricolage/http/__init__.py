"""httpx transports that retry and cache by the RFCs (RFC 9111, RFC 5861), sync and async.

Wrap any httpx transport; stack them to get both::

    >>> import httpx
    >>> from bricolage.http import CacheTransport, RetryTransport, SQLiteStorage
    >>> transport = CacheTransport(RetryTransport(httpx.HTTPTransport()))
    >>> client = httpx.Client(transport=transport)
    >>> client.close()

The decisions (is this fresh? may this be stored? retry, after how long?) are pure
functions exported here too, so they can be tested and reused on their own.
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

from bricolage.http._cache import AsyncCacheTransport, CacheTransport
from bricolage.http._directives import CacheControl, parse_cache_control, parse_http_date
from bricolage.http._metrics import CacheMetrics, CacheOutcome, MetricsSnapshot, cache_outcome
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
from bricolage.http._rfc9111 import (
    Action,
    CachedResponse,
    CachePolicy,
    CacheRule,
    Lookup,
    cache_key,
    conditional_headers,
    corrected_initial_age,
    current_age,
    decide,
    freshness_lifetime,
    invalidation_urls,
    make_entry,
    merge_not_modified,
    select_variant,
    serve_stale_on_error,
    vary_values,
    why_not_storable,
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

if TYPE_CHECKING:
    from bricolage.http._redis import RedisStorage

__version__ = _version("bricolage-http")

__all__ = [
    "Action",
    "AsyncCacheTransport",
    "AsyncRetryTransport",
    "Attempt",
    "BricolageHTTPError",
    "CacheControl",
    "CacheError",
    "CacheMetrics",
    "CacheOutcome",
    "CachePolicy",
    "CacheRule",
    "CacheStorage",
    "CacheTransport",
    "CachedResponse",
    "CorruptEntryError",
    "Lookup",
    "MemoryStorage",
    "MetricsSnapshot",
    "MissingExtraError",
    "PolicyError",
    "RedisStorage",
    "RetryBudget",
    "RetryDecision",
    "RetryOutcome",
    "RetryPolicy",
    "RetryTransport",
    "SQLiteStorage",
    "StorageError",
    "__version__",
    "backoff_delay",
    "cache_key",
    "cache_outcome",
    "conditional_headers",
    "corrected_initial_age",
    "current_age",
    "decide",
    "decide_retry",
    "decode_entries",
    "encode_entries",
    "freshness_lifetime",
    "invalidation_urls",
    "make_entry",
    "merge_not_modified",
    "parse_cache_control",
    "parse_http_date",
    "parse_retry_after",
    "retry_outcome",
    "select_variant",
    "serve_stale_on_error",
    "vary_values",
    "why_not_storable",
]


def __getattr__(name: str) -> Any:
    # RedisStorage lives behind the optional 'redis' extra; its module imports redis
    # only when a storage is made, so this import is cheap and always works.
    if name == "RedisStorage":
        from bricolage.http._redis import RedisStorage

        return RedisStorage
    raise AttributeError(f"module 'bricolage.http' has no attribute {name!r}")
