"""The exceptions of bricolage.jobs.

Every error raised on purpose derives from :class:`JobsError`; a specific error also
inherits the built-in it refines, so a generic ``except ValueError`` still catches it::

    JobsError
    ├── ConfigurationError        (ValueError)   a bad option, URL, cron expression
    │   ├── MissingExtraError     (ImportError)  an optional dependency is not installed
    │   └── StoreVersionError                    a store written by a newer version
    ├── InvalidArgumentsError     (ValueError)   job arguments that fail validation
    │   └── PayloadTooLargeError                 arguments over the size limit
    ├── CorruptJobError           (ValueError)   a stored job that cannot be read
    ├── IllegalTransitionError    (ValueError)   a state change the life cycle forbids
    ├── JobNotFoundError          (LookupError)  no job with that id (or it expired)
    ├── UnknownJobError           (LookupError)  no function registered under that name
    ├── LeaseLostError            (RuntimeError) a completion fenced off: the lease moved on
    ├── JobFailedError            (RuntimeError) the result of a job that did not succeed
    ├── ResultTimeoutError        (TimeoutError) waiting for a result took too long
    ├── BackendConnectionError    (ConnectionError) the store cannot be reached
    ├── BackendTimeoutError       (TimeoutError) the store did not answer in time
    └── PermanentError                            raised by a job: fail now, no retry

>>> issubclass(LeaseLostError, RuntimeError) and issubclass(LeaseLostError, JobsError)
True
"""

from __future__ import annotations

__all__ = [
    "BackendConnectionError",
    "BackendTimeoutError",
    "ConfigurationError",
    "CorruptJobError",
    "IllegalTransitionError",
    "InvalidArgumentsError",
    "JobFailedError",
    "JobNotFoundError",
    "JobsError",
    "LeaseLostError",
    "MissingExtraError",
    "PayloadTooLargeError",
    "PermanentError",
    "ResultTimeoutError",
    "StoreVersionError",
    "UnknownJobError",
]


class JobsError(Exception):
    """The base of every error this package raises on purpose.

    >>> try:
    ...     raise JobNotFoundError("no job 'x'")
    ... except JobsError as exc:
    ...     print(type(exc).__name__)
    JobNotFoundError
    """


class ConfigurationError(JobsError, ValueError):
    """An option, URL or cron expression that cannot be used.

    >>> isinstance(ConfigurationError("bad"), ValueError)
    True
    """


class InvalidArgumentsError(JobsError, ValueError):
    """Job arguments that do not match the registered function's signature.

    >>> isinstance(InvalidArgumentsError("bad"), ValueError)
    True
    """


class IllegalTransitionError(JobsError, ValueError):
    """A state change the job life cycle does not allow (e.g. re-queueing a succeeded job).

    >>> isinstance(IllegalTransitionError("bad"), ValueError)
    True
    """


class JobNotFoundError(JobsError, LookupError):
    """No job with the given id exists (never enqueued, purged, or its result expired).

    >>> isinstance(JobNotFoundError("x"), LookupError)
    True
    """


class UnknownJobError(JobsError, LookupError):
    """No function is registered under a job's name on this worker.

    >>> isinstance(UnknownJobError("x"), LookupError)
    True
    """


class LeaseLostError(JobsError, RuntimeError):
    """A worker reported on a job whose lease it no longer holds; the report was refused.

    This is the fencing rule: once a lease expired and the job was handed to someone
    else, the first holder's late completion must not overwrite anything.

    >>> isinstance(LeaseLostError("late"), RuntimeError)
    True
    """


class JobFailedError(JobsError, RuntimeError):
    """Asked for the result of a job that failed, died or was cancelled.

    >>> str(JobFailedError("job 'a' is dead: boom"))
    "job 'a' is dead: boom"
    """


class ResultTimeoutError(JobsError, TimeoutError):
    """A job did not finish within the time given to wait for it.

    >>> isinstance(ResultTimeoutError("slow"), TimeoutError)
    True
    """


class PermanentError(JobsError):
    """Raise it from a job to fail at once, without the remaining retries.

    >>> def send(to: str) -> None:
    ...     raise PermanentError(f"the address {to!r} does not exist")
    >>> issubclass(PermanentError, JobsError)
    True
    """


class MissingExtraError(ConfigurationError, ImportError):
    """An optional dependency is missing; the message names the extra to install.

    >>> issubclass(MissingExtraError, ImportError)
    True
    """


class StoreVersionError(ConfigurationError):
    """The store was written by a newer bricolage-jobs than this one; upgrade to open it.

    >>> issubclass(StoreVersionError, ValueError)
    True
    """


class PayloadTooLargeError(InvalidArgumentsError):
    """Job arguments whose JSON is longer than the queue's ``max_payload`` bytes.

    >>> issubclass(PayloadTooLargeError, ValueError)
    True
    """


class CorruptJobError(JobsError, ValueError):
    """A stored job could not be read; it was moved aside (see ``Queue.corrupt_jobs``).

    >>> isinstance(CorruptJobError("meta is not JSON"), ValueError)
    True
    """


class BackendConnectionError(JobsError, ConnectionError):
    """The store (the Redis server) could not be reached, or the connection broke.

    >>> isinstance(BackendConnectionError("refused"), ConnectionError)
    True
    """


class BackendTimeoutError(JobsError, TimeoutError):
    """The store (the Redis server) did not answer in time.

    >>> isinstance(BackendTimeoutError("slow"), TimeoutError)
    True
    """
