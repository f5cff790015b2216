"""The Redis backend: many machines, every transition one Lua script."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import attrs

from bricolage.jobs import _lua
from bricolage.jobs._backend import AsyncBackend, Renewal
from bricolage.jobs._model import (
    CorruptRecord,
    JobRecord,
    NewJob,
    Outcome,
    QueueStats,
    check_report,
)
from bricolage.jobs._policy import RateLimit
from bricolage.jobs._states import Event, JobState, next_state
from bricolage.jobs.errors import (
    BackendConnectionError,
    BackendTimeoutError,
    ConfigurationError,
    CorruptJobError,
    IllegalTransitionError,
    JobNotFoundError,
    LeaseLostError,
    MissingExtraError,
)

if TYPE_CHECKING:
    import redis
    import redis.asyncio

_P = ParamSpec("_P")
_T = TypeVar("_T")

logger = logging.getLogger("bricolage.jobs.redis")

_MISSING_REDIS = 'the Redis backend needs redis-py: pip install "bricolage-jobs[redis]"'


def _redis_module() -> Any:
    """redis-py, or ``MissingExtraError`` naming the extra that installs it."""
    try:
        import redis
    except ImportError as exc:
        raise MissingExtraError(_MISSING_REDIS) from exc
    return redis


@contextmanager
def _translated() -> Iterator[None]:
    """Turn redis-py's connection failures into this package's errors."""
    import redis

    try:
        yield
    except redis.exceptions.TimeoutError as exc:
        raise BackendTimeoutError(f"Redis did not answer in time: {exc}") from exc
    except redis.exceptions.ConnectionError as exc:
        raise BackendConnectionError(f"cannot reach Redis: {exc}") from exc


def _wrap(method: Callable[_P, _T]) -> Callable[_P, _T]:
    @functools.wraps(method)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with _translated():
            return method(*args, **kwargs)

    return call


def _awrap(
    method: Callable[_P, Coroutine[Any, Any, _T]],
) -> Callable[_P, Coroutine[Any, Any, _T]]:
    @functools.wraps(method)
    async def call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with _translated():
            return await method(*args, **kwargs)

    return call


__all__ = ["RedisBackend"]

_FLOATS = frozenset(
    {
        "timeout",
        "enqueued_at",
        "due_at",
        "started_at",
        "finished_at",
        "lease_expires_at",
        "result_ttl",
    }
)
_INTS = frozenset(
    {"priority", "seq", "attempts", "max_attempts", "deliveries", "max_deliveries", "token"}
    | {"crashes"}
)
_REQUIRED = frozenset(
    {"id", "name", "queue", "state", "args", "meta", "cancel_requested", "enqueued_at"}
    | {"due_at", "result_ttl", "priority", "seq", "attempts", "max_attempts", "deliveries"}
    | {"max_deliveries", "token"}
)
_FLAGS = frozenset({"cancel_requested", "suspect", "isolated"})
_RECORD_FIELDS = frozenset(a.name for a in attrs.fields(JobRecord))
_OPTIONAL = [
    "timeout",
    "started_at",
    "finished_at",
    "lease_expires_at",
    "worker",
    "result",
    "error",
    "traceback",
    "progress",
    "idempotency_key",
]
_ABSENT: dict[str, object] = dict.fromkeys(_OPTIONAL)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_record(flat: Sequence[object]) -> JobRecord:
    """Build a record from a flat ``HGETALL`` reply; ``CorruptJobError`` says what is wrong."""
    raw = {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}
    if not raw.keys() >= _REQUIRED:
        missing = ", ".join(sorted(_REQUIRED - raw.keys()))
        raise CorruptJobError(f"the job record lacks {missing}")
    values: dict[str, Any] = dict(_ABSENT)
    name = ""
    try:
        for name, text in raw.items():
            if name in _FLOATS:
                values[name] = float(text)
            elif name in _INTS:
                values[name] = int(text)
            elif name in _FLAGS:
                values[name] = text == "1"
            elif name in _RECORD_FIELDS:
                values[name] = text
    except ValueError:
        raise CorruptJobError(f"{name} is not a number: {raw[name]!r}") from None
    try:
        values["state"] = JobState(raw["state"])
    except ValueError:
        raise CorruptJobError(f"unknown state {raw['state']!r}") from None
    text = raw["meta"]
    if text == "{}":
        values["meta"] = {}
    else:
        try:
            meta = json.loads(text)
        except ValueError as exc:
            raise CorruptJobError(f"meta is not JSON ({exc}): {text!r}") from None
        if not isinstance(meta, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
        ):
            raise CorruptJobError(f"meta is not an object of strings: {text!r}")
        values["meta"] = meta
    return JobRecord(**values)


def _num(value: float) -> str:
    return repr(float(value))


class RedisBackend:
    """Jobs in Redis; every state transition is one atomic Lua script.

    All keys of a ``namespace`` share the hash tag ``{namespace}``, so a Redis Cluster
    keeps them in one slot. Pass a URL or a ready ``redis.Redis`` client. Needs the extra
    ``bricolage-jobs[redis]``. A connection failure raises
    :class:`~bricolage.jobs.BackendConnectionError` (a ``ConnectionError``), a server
    that does not answer in time :class:`~bricolage.jobs.BackendTimeoutError`.

    >>> RedisBackend("redis://127.0.0.1:1/0", namespace="app").prefix
    '{app}'
    """

    def __init__(
        self,
        url_or_client: str | redis.Redis,
        *,
        namespace: str = "bricolage",
    ) -> None:
        if not namespace or any(c in namespace for c in "{}"):
            raise ConfigurationError(
                f"namespace {namespace!r} must be non-empty and free of braces"
            )
        module = _redis_module()
        self._url: str | None = None
        if isinstance(url_or_client, str):
            # typed loosely: redis-py's annotations differ between its major versions
            self._client: Any = module.Redis.from_url(url_or_client)
            self._url = url_or_client
            self._owns = True
        else:
            self._client = url_or_client
            self._owns = False
        # asyncio clients by (event loop, use): the calls of AsyncQueue, a worker's waits
        self._async: dict[tuple[int, str], tuple[Any, dict[str, Any]]] = {}
        self.prefix: str = "{" + namespace + "}"
        c = self._client
        self._enqueue = c.register_script(_lua.ENQUEUE)
        self._claim = c.register_script(_lua.CLAIM)
        self._renew = c.register_script(_lua.RENEW)
        self._finish = c.register_script(_lua.FINISH)
        self._cancel = c.register_script(_lua.CANCEL)
        self._requeue = c.register_script(_lua.REQUEUE)
        self._purge = c.register_script(_lua.PURGE)
        self._stats = c.register_script(_lua.STATS)
        self._aside = c.register_script(_lua.ASIDE)

    def __repr__(self) -> str:
        return f"RedisBackend(prefix={self.prefix!r})"

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _enqueue_args(self, job: NewJob, now: float) -> list[str]:
        return [
            self.prefix,
            job.id,
            job.name,
            job.queue,
            job.args,
            str(job.priority),
            str(job.max_attempts),
            str(job.max_deliveries),
            "" if job.timeout is None else _num(job.timeout),
            _num(job.due_at(now)),
            _num(now),
            job.idempotency_key or "",
            json.dumps(dict(job.meta), sort_keys=True),
            _num(job.result_ttl),
        ]

    def _enqueued(self, job: NewJob, reply: Sequence[Any], now: float) -> JobRecord:
        status = int(reply[0])
        if status == -1:
            raise ConfigurationError(
                f"job id {job.id!r} is already taken by a {_text(reply[1])} job; pass a new id"
            )
        if status == 0:
            return parse_record(reply[1])
        return JobRecord.create(job, now, int(reply[1]))

    @_wrap
    def enqueue(self, jobs: Sequence[NewJob], now: float) -> list[JobRecord]:
        """Store ``jobs`` in one round trip; see :meth:`Backend.enqueue`."""
        if len(jobs) == 1:
            job = jobs[0]
            reply = self._enqueue(
                keys=[self._key("job", job.id)], args=self._enqueue_args(job, now)
            )
            return [self._enqueued(job, reply, now)]
        replies = self._scripts(
            [
                (self._enqueue, [self._key("job", job.id)], self._enqueue_args(job, now))
                for job in jobs
            ]
        )
        return [self._enqueued(job, reply, now) for job, reply in zip(jobs, replies, strict=True)]

    def _scripts(self, calls: Sequence[tuple[Any, list[str], list[str]]]) -> list[Any]:
        """Run ``(script, keys, args)`` calls in one pipelined round trip, in order.

        redis-py checks a pipeline's scripts with an extra ``SCRIPT EXISTS`` round trip
        before every run; this sends ``EVALSHA`` alone and loads a script only when the
        server answers that it lacks it, then re-runs just the calls that did not run.
        """
        replies: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        while True:
            pipe = self._client.pipeline(transaction=False)
            for i in todo:
                script, keys, args = calls[i]
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            missing: list[int] = []
            for i, reply in zip(todo, pipe.execute(raise_on_error=False), strict=True):
                if _lacks_script(reply):
                    missing.append(i)
                else:
                    replies[i] = reply
            if not missing:
                return replies
            for script in {calls[i][0].sha: calls[i][0] for i in missing}.values():
                self._client.script_load(script.script)
            todo = missing

    def _claim_args(
        self,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None,
        alone: bool,
    ) -> list[str]:
        args: list[str] = [
            self.prefix,
            worker,
            str(limit),
            _num(lease),
            _num(now),
            str(len(queues)),
            "1" if alone else "0",
        ]
        for queue in queues:
            rate = (rate_limits or {}).get(queue)
            args += (
                [queue, "", ""] if rate is None else [queue, str(rate.limit), _num(rate.period)]
            )
        return args

    def _claimed(self, replies: Sequence[Any], now: float) -> list[JobRecord]:
        """Records of a claim's reply; an unreadable one is moved aside and left out."""
        out: list[JobRecord] = []
        for flat in replies:
            try:
                out.append(parse_record(flat))
            except CorruptJobError as exc:
                self._move_aside(_claimed_id(flat), str(exc), now)
        return out

    def _move_aside(self, job_id: str, reason: str, now: float) -> None:
        logger.error("job %s is corrupt and was moved aside: %s", job_id, reason)
        self._aside(keys=[self._key("corrupt")], args=[self.prefix, job_id, reason, _num(now)])

    @_wrap
    def claim(
        self,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> list[JobRecord]:
        """Lease up to ``limit`` jobs; see :meth:`Backend.claim`."""
        args = self._claim_args(queues, worker, limit, lease, now, rate_limits, alone)
        reply = self._claim(keys=[self._key("running")], args=args)
        return self._claimed(reply, now)

    @_wrap
    def wait_and_claim(
        self,
        timeout: float,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> list[JobRecord]:
        """:meth:`wait` up to ``timeout`` seconds, then :meth:`claim`, in one round trip.

        The wait and the claim travel in one pipeline: Redis holds the claim behind the
        blocking pop and runs it the moment the pop returns, so a woken worker holds its
        job without a second round trip. ``now`` is the worker's clock as it sends; the
        claim adds the wait's length as measured by the server (see ``MARK``), so leases
        and start times are as exact as with :meth:`claim`.
        """
        if timeout <= 0:
            return self.claim(queues, worker, limit, lease, now, rate_limits, alone=alone)
        mark = self._key("mark", worker)
        args = self._claim_args(queues, worker, limit, lease, now, rate_limits, alone)
        pipe = self._client.pipeline(transaction=False)
        self._queue_wait_and_claim(pipe, timeout, mark, args)
        claimed = pipe.execute(raise_on_error=False)[-1]
        if _lacks_script(claimed):
            # The server lacks the script (never loaded, a restart, SCRIPT FLUSH): the
            # wait is over and MARK ran; load CLAIM and claim.
            self._client.script_load(_lua.CLAIM)
            claimed = self._client.evalsha(self._claim.sha, 2, self._key("running"), mark, *args)
        return self._claimed(claimed, now)

    def _queue_wait_and_claim(self, pipe: Any, timeout: float, mark: str, args: list[str]) -> None:
        wait = max(0.01, timeout)
        # MARK is tiny and sent whole (EVAL), so it always runs; CLAIM may need loading
        pipe.eval(_lua.MARK, 1, mark, str(int(wait * 1000) + 60_000))
        pipe.blpop([self._key("wake")], timeout=wait)
        pipe.evalsha(self._claim.sha, 2, self._key("running"), mark, *args)

    @_wrap
    def renew(
        self,
        held: Mapping[str, int],
        lease: float,
        now: float,
        progress: Mapping[str, str] | None = None,
    ) -> Renewal:
        """Extend the leases in ``held``; see :meth:`Backend.renew`."""
        if not held:
            return Renewal(lost=frozenset(), cancel=frozenset())
        progress = progress or {}
        args = [self.prefix, _num(now + lease), str(len(held))]
        for job_id, token in held.items():
            args += [job_id, str(token), progress.get(job_id, "")]
        lost, cancel = self._renew(keys=[self._key("running")], args=args)
        return Renewal(
            lost=frozenset(_text(i) for i in lost), cancel=frozenset(_text(i) for i in cancel)
        )

    @_wrap
    def finish(self, job_id: str, token: int, outcome: Outcome, now: float) -> JobRecord:
        """Apply the holder's report; see :meth:`Backend.finish`."""
        check_report(outcome.event)
        reply = self._finish(
            keys=[self._key("job", job_id)], args=self._finish_args(job_id, token, outcome, now)
        )
        return self._finished(job_id, token, reply)

    def _finish_args(self, job_id: str, token: int, outcome: Outcome, now: float) -> list[str]:
        return [
            self.prefix,
            job_id,
            str(token),
            outcome.event.value,
            _num(now),
            outcome.result or "",
            outcome.error or "",
            outcome.traceback or "",
            "" if outcome.due_at is None else _num(outcome.due_at),
            outcome.progress or "",
            "full",
        ]

    def _finished(self, job_id: str, token: int, reply: Sequence[Any]) -> JobRecord:
        status = int(reply[0])
        if status < 0:
            state = "gone" if status == -1 else _text(reply[1])
            current = None if status == -1 else _text(reply[2])
            raise LeaseLostError(
                f"job {job_id!r}: the lease with token {token} is no longer held "
                f"(job is {state}, current token {current}); the report was dropped"
            )
        return parse_record(reply[1])

    @_wrap
    def finish_many(
        self, reports: Sequence[tuple[str, int, Outcome]], now: float
    ) -> list[LeaseLostError | None]:
        """Apply many reports in one round trip; see :meth:`Backend.finish_many`."""
        return self._fenced(reports, self._scripts(self._finish_calls(reports, now)))

    def _finish_calls(
        self, reports: Sequence[tuple[str, int, Outcome]], now: float
    ) -> list[tuple[Any, list[str], list[str]]]:
        for _, _, outcome in reports:
            check_report(outcome.event)
        calls = []
        for job_id, token, outcome in reports:
            args = self._finish_args(job_id, token, outcome, now)
            args[-1] = "brief"
            calls.append((self._finish, [self._key("job", job_id)], args))
        return calls

    def _fenced(
        self, reports: Sequence[tuple[str, int, Outcome]], replies: Sequence[Any]
    ) -> list[LeaseLostError | None]:
        out: list[LeaseLostError | None] = []
        for (job_id, token, _), reply in zip(reports, replies, strict=True):
            if int(reply[0]) < 0:
                try:
                    self._finished(job_id, token, reply)
                except LeaseLostError as exc:
                    out.append(exc)
            else:
                out.append(None)
        return out

    def _found(self, job_id: str, found: Mapping[Any, Any], now: float) -> JobRecord:
        try:
            record = parse_record([x for pair in found.items() for x in pair])
        except CorruptJobError as exc:
            self._move_aside(job_id, str(exc), now)
            raise CorruptJobError(
                f"job {job_id!r} is corrupt and was moved aside: {exc}"
            ) from None
        return record

    def _check_corrupt(self, job_id: str, reason: object) -> None:
        if reason is not None:
            raise CorruptJobError(
                f"job {job_id!r} is corrupt and was moved aside: {_text(reason)}"
            )

    @_wrap
    def get(self, job_id: str, now: float) -> JobRecord | None:
        """The job, or None; see :meth:`Backend.get`."""
        pipe = self._client.pipeline(transaction=False)
        pipe.hgetall(self._key("job", job_id))
        pipe.hget(self._key("corrupt:reason"), job_id)
        found, reason = pipe.execute()
        if not found:
            self._check_corrupt(job_id, reason)
            return None
        record = self._found(job_id, found, now)
        expires = record.expires_at
        return None if expires is not None and expires <= now else record

    @_wrap
    def cancel(self, job_id: str, now: float) -> JobRecord:
        """Cancel a job; see :meth:`Backend.cancel`."""
        reply = self._cancel(
            keys=[self._key("job", job_id)], args=[self.prefix, job_id, _num(now)]
        )
        return self._cancelled(job_id, reply)

    def _cancelled(self, job_id: str, reply: Sequence[Any]) -> JobRecord:
        status = int(reply[0])
        if status == -1:
            raise JobNotFoundError(f"no job with id {job_id!r}")
        if status == -3:
            next_state(JobState(_text(reply[1])), Event.CANCEL)
        return parse_record(reply[1])

    def _indexes(self, state: JobState) -> list[tuple[str, bool]]:
        """The sorted sets that hold ``state``, in listing order: (key, newest first)."""
        if state is JobState.QUEUED:
            out: list[tuple[str, bool]] = []
            for queue in sorted(_text(q) for q in self._client.smembers(self._key("queues"))):
                out.append((self._key("suspect", queue), False))
                out.append((self._key("ready", queue), False))
            return out
        if state in (JobState.SCHEDULED, JobState.RETRYING, JobState.RUNNING):
            return [(self._key(state.value), False)]
        if state is JobState.DEAD:
            return [(self._key("dead"), True)]
        # finished jobs, scored by the time their result expires
        return [(self._key("done", state.value), False)]

    @_wrap
    def list_jobs(self, state: JobState, limit: int = 100, offset: int = 0) -> list[JobRecord]:
        """Jobs in ``state``; see :meth:`Backend.list_jobs`.

        Paginated in Redis by rank (``ZRANGE start stop`` on the state's sorted set,
        ``O(log n)`` to find the page): a page costs what it returns, plus one ``ZCARD``
        per set skipped whole.
        """
        ids: list[str] = []
        skip = offset
        for key, newest_first in self._indexes(state):
            want = limit - len(ids)
            if want <= 0:
                break
            if skip > 0:
                size = int(self._client.zcard(key))
                if skip >= size:
                    skip -= size
                    continue
            read = self._client.zrevrange if newest_first else self._client.zrange
            ids += [_text(i) for i in read(key, skip, skip + want - 1)]
            skip = 0
        if not ids:
            return []
        pipe = self._client.pipeline(transaction=False)
        for job_id in ids:
            pipe.hgetall(self._key("job", job_id))
        records: list[JobRecord] = []
        now = time.time()
        for job_id, reply in zip(ids, pipe.execute(), strict=True):
            if not reply:
                continue
            try:
                record = parse_record([x for pair in reply.items() for x in pair])
            except CorruptJobError as exc:
                self._move_aside(job_id, str(exc), now)
                continue
            if record.state is state:
                records.append(record)
        return records

    @_wrap
    def corrupt(self, limit: int = 100, offset: int = 0) -> list[CorruptRecord]:
        """Records moved aside as unreadable, most recent first; see :meth:`Backend.corrupt`."""
        pairs = self._client.zrevrange(
            self._key("corrupt"), offset, offset + limit - 1, withscores=True
        )
        if not pairs:
            return []
        pipe = self._client.pipeline(transaction=False)
        for job_id, _ in pairs:
            pipe.hget(self._key("corrupt:reason"), job_id)
            pipe.hgetall(self._key("corrupt:job", _text(job_id)))
        replies = pipe.execute()
        out: list[CorruptRecord] = []
        for i, (job_id, moved_at) in enumerate(pairs):
            reason, fields = replies[2 * i], replies[2 * i + 1]
            out.append(
                CorruptRecord(
                    id=_text(job_id),
                    reason=_text(reason) if reason is not None else "",
                    fields={_text(k): _text(v) for k, v in fields.items()},
                    moved_at=float(moved_at),
                )
            )
        return out

    @_wrap
    def requeue(self, job_ids: Sequence[str] | None, now: float) -> int:
        """Re-queue dead or failed jobs; see :meth:`Backend.requeue`."""
        which = ["*"] if job_ids is None else ["-", *job_ids]
        reply = self._requeue(keys=[self._key("dead")], args=[self.prefix, _num(now), *which])
        status = int(reply[0])
        if status == -1:
            raise JobNotFoundError(f"no job with id {_text(reply[1])!r}")
        if status == -3:
            raise IllegalTransitionError(
                f"job {_text(reply[1])!r} is {_text(reply[2])}; only dead or failed jobs can be "
                "re-queued"
            )
        return int(reply[1])

    @_wrap
    def purge(self, job_ids: Sequence[str] | None) -> int:
        """Delete dead jobs; see :meth:`Backend.purge`."""
        which = ["*"] if job_ids is None else ["-", *job_ids]
        return int(self._purge(keys=[self._key("dead")], args=[self.prefix, *which]))

    @_wrap
    def stats(self, now: float) -> QueueStats:
        """Counts and recent latencies; see :meth:`Backend.stats`."""
        flat, finished, latency, corrupt = self._stats(
            keys=[self._key("queues")], args=[self.prefix, _num(now)]
        )
        counts: dict[str, dict[str, int]] = {}
        for i in range(0, len(flat), 2):
            queue, _, state = _text(flat[i]).partition("\0")
            counts.setdefault(queue, {})[state] = int(flat[i + 1])
        pairs = [_text(item).split(",") for item in latency]
        waits = sorted(float(w) for w, _ in pairs)
        runs = sorted(float(r) for _, r in pairs)
        return QueueStats(
            counts=counts,
            finished_last_minute=int(finished),
            wait_p50=_quantile(waits, 0.5),
            wait_p99=_quantile(waits, 0.99),
            run_p50=_quantile(runs, 0.5),
            corrupt=int(corrupt),
        )

    @_wrap
    def fire_once(self, key: str, ttl: float, now: float) -> bool:
        """First caller wins; see :meth:`Backend.fire_once`."""
        return bool(
            self._client.set(self._key("fired", key), "1", nx=True, px=max(1, int(ttl * 1000)))
        )

    def _queue_wakeup(self, pipe: Any) -> None:
        for name in ("scheduled", "retrying", "running"):
            pipe.zrange(self._key(name), 0, 0, withscores=True)

    @_wrap
    def next_wakeup(self, now: float) -> float | None:
        """Earliest due time or lease expiry; see :meth:`Backend.next_wakeup`."""
        pipe = self._client.pipeline(transaction=False)
        self._queue_wakeup(pipe)
        return _earliest(pipe.execute())

    @_wrap
    def wait(self, timeout: float) -> None:
        """Block on the namespace's wake-up list for up to ``timeout`` seconds."""
        if timeout > 0:
            self._client.blpop([self._key("wake")], timeout=max(0.01, timeout))

    def close(self) -> None:
        """Close the client if this backend created it."""
        if self._owns:
            self._client.close()

    # -- asyncio ----------------------------------------------------------------------

    def asyncio_backend(self) -> AsyncBackend | None:
        """Itself when its asyncio methods can run here (built from a URL, on asyncio)."""
        if self._url is None:
            return None
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self

    @property
    def supports_asyncio(self) -> bool:
        """Whether the asyncio methods can open their own client (built from a URL)."""
        return self._url is not None

    def _aclient(self, use: str = "calls") -> tuple[Any, dict[str, Any]]:
        import asyncio

        import redis.asyncio

        loop = (id(asyncio.get_running_loop()), use)
        found = self._async.get(loop)
        if found is None:
            if self._url is None:
                raise ConfigurationError(
                    "the asyncio methods need a RedisBackend built from a URL, not a client"
                )
            client = redis.asyncio.Redis.from_url(self._url)
            scripts = {
                "enqueue": client.register_script(_lua.ENQUEUE),
                "cancel": client.register_script(_lua.CANCEL),
            }
            found = self._async[loop] = (client, scripts)
        return found

    @_awrap
    async def aenqueue(self, jobs: Sequence[NewJob], now: float) -> list[JobRecord]:
        """:meth:`enqueue` on redis-py's asyncio client (asyncio only)."""
        client, scripts = self._aclient()
        pipe = client.pipeline(transaction=False)
        for job in jobs:
            await scripts["enqueue"](
                keys=[self._key("job", job.id)], args=self._enqueue_args(job, now), client=pipe
            )
        replies = await pipe.execute()
        return [self._enqueued(job, reply, now) for job, reply in zip(jobs, replies, strict=True)]

    @_awrap
    async def aclaim(
        self,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> tuple[list[JobRecord], float | None]:
        """:meth:`claim`, then :meth:`next_wakeup`, in one round trip (asyncio only)."""
        client, _ = self._aclient("worker")
        args = self._claim_args(queues, worker, limit, lease, now, rate_limits, alone)
        running = self._key("running")
        pipe = client.pipeline(transaction=False)
        pipe.evalsha(self._claim.sha, 1, running, *args)
        self._queue_wakeup(pipe)
        claimed, *times = await pipe.execute(raise_on_error=False)
        if _lacks_script(claimed):
            await client.script_load(_lua.CLAIM)
            claimed = await client.evalsha(self._claim.sha, 1, running, *args)
        return await self._aclaimed(claimed, now), _earliest(times)

    async def _aclaimed(self, replies: Sequence[Any], now: float) -> list[JobRecord]:
        out: list[JobRecord] = []
        for flat in replies:
            try:
                out.append(parse_record(flat))
            except CorruptJobError as exc:
                client, _ = self._aclient("worker")
                logger.error("job %s is corrupt and was moved aside: %s", _claimed_id(flat), exc)
                await client.eval(
                    _lua.ASIDE,
                    1,
                    self._key("corrupt"),
                    self.prefix,
                    _claimed_id(flat),
                    str(exc),
                    _num(now),
                )
        return out

    @_awrap
    async def afinish_many(
        self, reports: Sequence[tuple[str, int, Outcome]], now: float
    ) -> list[LeaseLostError | None]:
        """:meth:`finish_many` on redis-py's asyncio client (asyncio only)."""
        client, _ = self._aclient("worker")
        calls = self._finish_calls(reports, now)
        replies: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        while True:
            pipe = client.pipeline(transaction=False)
            for i in todo:
                script, keys, args = calls[i]
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            missing: list[int] = []
            for i, reply in zip(todo, await pipe.execute(raise_on_error=False), strict=True):
                if _lacks_script(reply):
                    missing.append(i)
                else:
                    replies[i] = reply
            if not missing:
                return self._fenced(reports, replies)
            await client.script_load(_lua.FINISH)
            todo = missing

    @_awrap
    async def await_and_claim(
        self,
        timeout: float,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> list[JobRecord]:
        """:meth:`wait_and_claim` on redis-py's asyncio client (asyncio only).

        A worker on asyncio waits here, in its event loop: the job it is woken for
        comes back on the loop's own socket, without a hop through a thread.
        """
        client, _ = self._aclient("worker")
        args = self._claim_args(queues, worker, limit, lease, now, rate_limits, alone)
        if timeout <= 0:
            claimed = await client.evalsha(self._claim.sha, 1, self._key("running"), *args)
            return await self._aclaimed(claimed, now)
        mark = self._key("mark", worker)
        pipe = client.pipeline(transaction=False)
        self._queue_wait_and_claim(pipe, timeout, mark, args)
        claimed = (await pipe.execute(raise_on_error=False))[-1]
        if _lacks_script(claimed):
            await client.script_load(_lua.CLAIM)
            claimed = await client.evalsha(self._claim.sha, 2, self._key("running"), mark, *args)
        return await self._aclaimed(claimed, now)

    @_awrap
    async def aget(self, job_id: str, now: float) -> JobRecord | None:
        """:meth:`get` on redis-py's asyncio client (asyncio only)."""
        client, _ = self._aclient()
        pipe = client.pipeline(transaction=False)
        pipe.hgetall(self._key("job", job_id))
        pipe.hget(self._key("corrupt:reason"), job_id)
        found, reason = await pipe.execute()
        if not found:
            self._check_corrupt(job_id, reason)
            return None
        try:
            record = parse_record([x for pair in found.items() for x in pair])
        except CorruptJobError as exc:
            raise CorruptJobError(f"job {job_id!r} is corrupt: {exc}") from None
        expires = record.expires_at
        return None if expires is not None and expires <= now else record

    @_awrap
    async def acancel(self, job_id: str, now: float) -> JobRecord:
        """:meth:`cancel` on redis-py's asyncio client (asyncio only)."""
        _, scripts = self._aclient()
        reply = await scripts["cancel"](
            keys=[self._key("job", job_id)], args=[self.prefix, job_id, _num(now)]
        )
        return self._cancelled(job_id, reply)

    async def aclose(self) -> None:
        """Close the asyncio client of the running event loop, if one was opened."""
        await self._aclose("calls")

    async def aclose_worker_connection(self) -> None:
        """Close the client a worker's asyncio methods use in the running event loop."""
        await self._aclose("worker")

    async def _aclose(self, use: str) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        found = self._async.pop((id(loop), use), None)
        if found is not None:
            await found[0].aclose()


def _claimed_id(flat: Sequence[object]) -> str:
    """The id in a flat ``HGETALL`` reply (claims always store it)."""
    for i in range(0, len(flat) - 1, 2):
        if _text(flat[i]) == "id":
            return _text(flat[i + 1])
    return ""  # pragma: no cover - CLAIM moves a record without an id aside itself


def _earliest(replies: Sequence[Any]) -> float | None:
    """The smallest score of ``ZRANGE … 0 0 WITHSCORES`` replies, or None."""
    times = [float(pair[1]) for reply in replies if not _lacks_script(reply) for pair in reply]
    return min(times) if times else None


def _lacks_script(reply: object) -> bool:
    """Whether a pipelined reply says the server lacks the script; other errors raise."""
    import redis

    if isinstance(reply, redis.exceptions.NoScriptError):
        return True
    if isinstance(reply, Exception):
        raise reply
    return False


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[index]
