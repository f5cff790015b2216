"""A hypothesis state machine drives each backend and checks it against a plain model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from bricolage.jobs import (
    Backend,
    Event,
    IllegalTransitionError,
    JobState,
    LeaseLostError,
    NewJob,
    Outcome,
    RedisBackend,
    SQLiteBackend,
)

LEASE = 10.0


@attrs.define
class ModelJob:
    state: JobState
    priority: int
    seq: int
    due: float
    deliveries: int = 0
    max_deliveries: int = 2
    token: int = 0
    lease_until: float = 0.0
    cancel_requested: bool = False
    crashes: int = 0
    suspect: bool = False
    isolated: bool = False


class QueueModel(RuleBasedStateMachine):
    make_backend: Callable[[], tuple[Backend, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.backend, self._cleanup = self.make_backend()
        self.now = 1000.0
        self.jobs: dict[str, ModelJob] = {}
        self.seq = 0
        self.made = 0
        self.stale: dict[str, int] = {}

    def teardown(self) -> None:
        self.backend.close()
        self._cleanup()

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    @rule(delay=st.sampled_from([0.0, 0.0, 5.0]), priority=st.integers(-2, 2))
    def enqueue(self, delay: float, priority: int) -> None:
        self.made += 1
        job_id = f"j{self.made}"
        new = NewJob(
            id=job_id,
            name="t",
            queue="q",
            args="{}",
            priority=priority,
            delay=delay,
            max_deliveries=2,
        )
        [record] = self.backend.enqueue([new], self.now)
        state = JobState.QUEUED if delay == 0 else JobState.SCHEDULED
        self.jobs[job_id] = ModelJob(state, priority, self._next_seq(), self.now + delay)
        assert record.state is state

    @rule(step=st.sampled_from([0.5, 3.0, 6.0, 11.0]))
    def advance(self, step: float) -> None:
        self.now += step

    def _model_maintain(self) -> None:
        for job in self.jobs.values():
            if job.state is JobState.RUNNING and job.lease_until <= self.now:
                # poison isolation: only a job that ran alone is charged its worker's loss
                job.crashes += job.isolated
                job.suspect = True
                job.isolated = False
                if job.crashes >= job.max_deliveries:
                    job.state = JobState.DEAD
                else:
                    job.state = JobState.QUEUED
            if job.state in (JobState.SCHEDULED, JobState.RETRYING) and job.due <= self.now:
                job.state = JobState.QUEUED

    @rule(n=st.integers(1, 3), alone=st.booleans())
    def claim(self, n: int, alone: bool) -> None:
        self._model_maintain()
        queued = [j for j in self.jobs.items() if j[1].state is JobState.QUEUED]
        suspects = sorted((j for j in queued if j[1].suspect), key=lambda item: item[1].seq)
        if suspects:
            expected = [suspects[0][0]] if alone else []
            isolated = True
        else:
            ready = sorted(queued, key=lambda item: (-item[1].priority, item[1].seq))
            expected = [job_id for job_id, _ in ready[:n]]
            isolated = alone and n == 1
        got = self.backend.claim(["q"], "w", n, LEASE, self.now, alone=alone)
        assert [r.id for r in got] == expected
        assert all(r.isolated is isolated for r in got)
        for record in got:
            job = self.jobs[record.id]
            if job.token:
                self.stale[record.id] = job.token
            job.state = JobState.RUNNING
            job.deliveries += 1
            job.token = record.token
            job.lease_until = self.now + LEASE
            job.isolated = isolated
            assert record.deliveries == job.deliveries

    def _running(self) -> list[str]:
        return sorted(i for i, j in self.jobs.items() if j.state is JobState.RUNNING)

    @precondition(lambda self: any(j.state is JobState.RUNNING for j in self.jobs.values()))
    @rule(
        data=st.data(),
        event=st.sampled_from(
            [Event.SUCCEED, Event.RETRY, Event.FAIL, Event.BURY, Event.RELEASE, Event.CANCEL]
        ),
    )
    def finish(self, data: st.DataObject, event: Event) -> None:
        job_id = data.draw(st.sampled_from(self._running()))
        job = self.jobs[job_id]
        lease_alive = job.lease_until > self.now
        outcome = Outcome(event, result="1", error="e", due_at=self.now + 2.0)
        if not lease_alive:
            # an expired lease is still honoured until someone else claims the job
            pass
        record = self.backend.finish(job_id, job.token, outcome, self.now)
        job.state = next_state_for(event)
        job.isolated = False
        if event is Event.RELEASE:
            job.deliveries -= 1
            job.cancel_requested = False
        else:
            job.suspect = False
        if event is Event.RETRY:
            job.due = self.now + 2.0
        assert record.state is job.state

    @precondition(lambda self: bool(self.stale))
    @rule(data=st.data())
    def late_report_is_fenced(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.stale)))
        try:
            self.backend.finish(job_id, self.stale[job_id], Outcome(Event.SUCCEED), self.now)
        except LeaseLostError:
            return
        raise AssertionError(f"a stale token was accepted for {job_id}")

    @precondition(lambda self: bool(self.jobs))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.jobs)))
        job = self.jobs[job_id]
        self.backend.claim(["q"], "w", 0, LEASE, self.now)  # the same maintenance first
        self._model_maintain()
        if job.state.is_terminal:
            with pytest.raises(IllegalTransitionError):
                self.backend.cancel(job_id, self.now)
            return
        record = self.backend.cancel(job_id, self.now)
        if job.state is JobState.RUNNING:
            job.cancel_requested = True
            assert record.cancel_requested
        else:
            job.state = JobState.CANCELLED
        assert record.state is job.state

    @precondition(
        lambda self: any(j.state in (JobState.DEAD, JobState.FAILED) for j in self.jobs.values())
    )
    @rule(data=st.data())
    def requeue(self, data: st.DataObject) -> None:
        job_id = data.draw(
            st.sampled_from(
                sorted(
                    i for i, j in self.jobs.items() if j.state in (JobState.DEAD, JobState.FAILED)
                )
            )
        )
        assert self.backend.requeue([job_id], self.now) == 1
        job = self.jobs[job_id]
        job.state = JobState.QUEUED
        job.deliveries = 0
        job.cancel_requested = False
        job.crashes = 0
        job.suspect = False
        job.seq = self._next_seq()

    @rule()
    def purge(self) -> None:
        dead = [i for i, j in self.jobs.items() if j.state is JobState.DEAD]
        assert self.backend.purge(None) == len(dead)
        for job_id in dead:
            del self.jobs[job_id]
            self.stale.pop(job_id, None)

    @invariant()
    def states_match(self) -> None:
        for job_id, job in self.jobs.items():
            record = self.backend.get(job_id, self.now)
            assert record is not None, job_id
            assert record.state is job.state, (job_id, record.state, job.state)
            assert record.cancel_requested == job.cancel_requested
            assert (record.crashes, record.suspect) == (job.crashes, job.suspect), job_id
        stats = self.backend.stats(self.now).counts.get("q", {})
        counted: dict[str, int] = {}
        for job in self.jobs.values():
            counted[job.state.value] = counted.get(job.state.value, 0) + 1
        assert stats == counted


def next_state_for(event: Event) -> JobState:
    return {
        Event.SUCCEED: JobState.SUCCEEDED,
        Event.RETRY: JobState.RETRYING,
        Event.FAIL: JobState.FAILED,
        Event.BURY: JobState.DEAD,
        Event.RELEASE: JobState.QUEUED,
        Event.CANCEL: JobState.CANCELLED,
    }[event]


_settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _run(factory: Callable[[], tuple[Backend, Callable[[], None]]]) -> None:
    machine: Any = type("Machine", (QueueModel,), {"make_backend": staticmethod(factory)})
    machine.TestCase.settings = _settings
    machine.TestCase().runTest()


def test_sqlite_backend_matches_the_model() -> None:
    def factory() -> tuple[Backend, Callable[[], None]]:
        folder = TemporaryDirectory()
        return SQLiteBackend(Path(folder.name) / "jobs.db"), folder.cleanup

    _run(factory)


def test_redis_backend_matches_the_model(redis_factory: Callable[[], RedisBackend]) -> None:
    def factory() -> tuple[Backend, Callable[[], None]]:
        return redis_factory(), lambda: None

    _run(factory)
