"""The exceptions of ``bricolage.http``.

Every exception raised by this package on its own account derives from
:class:`BricolageHTTPError`; a specific error also inherits the built-in it refines, so a
generic ``except ValueError`` still catches a bad setting::

    BricolageHTTPError
    ├── PolicyError(ValueError)          a setting is out of range or malformed
    ├── MissingExtraError(ImportError)   an optional integration is not installed
    └── CacheError
        ├── StorageError(OSError)        a storage backend failed to read or write
        └── CorruptEntryError(ValueError) a stored entry cannot be decoded (it is dropped)

Errors raised by the network (``httpx.ConnectError``, ``httpx.ReadTimeout``, ...)
are never wrapped: when retries are exhausted the last one is re-raised unchanged, with a
note that says how many attempts were made and why the next one was not.

>>> from bricolage.http import RetryPolicy
>>> try:
...     RetryPolicy(max_attempts=0)
... except ValueError as error:
...     print(type(error).__name__)
PolicyError
"""

from __future__ import annotations

__all__ = [
    "BricolageHTTPError",
    "CacheError",
    "CorruptEntryError",
    "MissingExtraError",
    "PolicyError",
    "StorageError",
]


class BricolageHTTPError(Exception):
    """The base of every error raised by ``bricolage.http``.

    >>> from bricolage.http import BricolageHTTPError, PolicyError
    >>> issubclass(PolicyError, BricolageHTTPError)
    True
    """


class PolicyError(BricolageHTTPError, ValueError):
    """A policy or storage setting is out of range or malformed.

    >>> from bricolage.http import CachePolicy
    >>> CachePolicy(heuristic_fraction=2.0)
    Traceback (most recent call last):
    ...
    bricolage.http.errors.PolicyError: heuristic_fraction must be between 0 and 1, got 2.0
    """


class MissingExtraError(BricolageHTTPError, ImportError):
    """An optional integration was asked for but its extra is not installed.

    >>> from bricolage.http import MissingExtraError
    >>> error = MissingExtraError("redis", "RedisStorage")
    >>> print(error)
    RedisStorage needs the 'redis' extra: pip install "bricolage-http[redis]"
    """

    def __init__(self, extra: str, feature: str) -> None:
        super().__init__(
            f'{feature} needs the {extra!r} extra: pip install "bricolage-http[{extra}]"'
        )
        self.extra = extra
        self.feature = feature


class CacheError(BricolageHTTPError):
    """The base of the cache's own errors.

    >>> from bricolage.http import CacheError, StorageError
    >>> issubclass(StorageError, CacheError)
    True
    """


class StorageError(CacheError, OSError):
    """A storage backend failed to read or write.

    The cache transports catch it, count it in the metrics and carry on as if the entry
    were absent: a broken cache never breaks a request.

    >>> from bricolage.http import StorageError
    >>> isinstance(StorageError("disk full"), OSError)
    True
    """


class CorruptEntryError(CacheError, ValueError):
    """A stored entry cannot be decoded; the storage drops it and never serves it.

    >>> from bricolage.http import decode_entries
    >>> decode_entries(b"garbage")
    Traceback (most recent call last):
    ...
    bricolage.http.errors.CorruptEntryError: cache entry is corrupt: bad magic b'garbage'
    """
