"""Chaos: real worker processes killed with SIGKILL and frozen with SIGSTOP at random.

It proves, on both backends: no job is lost; a job runs more than once only when a
worker running it was killed or frozen; late reports are fenced (each job succeeds
exactly once, on its first and only counted attempt); poison jobs end in the
dead-letter queue, and only they do: with several poison jobs per hundred that end
their worker process (``os._exit``, SIGKILL), no healthy job is ever buried for dying
beside one (poison isolation).
"""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from bricolage.jobs import Call, JobState, Queue, open_backend

HERE = Path(__file__).parent


def _load_app(url: str, log_dir: Path) -> ModuleType:
    os.environ["BRICOLAGE_CHAOS_URL"] = url
    os.environ["BRICOLAGE_CHAOS_LOG"] = str(log_dir)
    spec = importlib.util.spec_from_file_location(
        f"chaos_app_{os.urandom(4).hex()}", HERE / "chaos_app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Chaos:
    url: str
    log_dir: Path
    concurrency: int
    lease: float
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: set[int] = field(default_factory=set)
    frozen: set[int] = field(default_factory=set)
    freezes_at: list[tuple[float, float]] = field(default_factory=list)
    kills: int = 0
    freezes: int = 0

    def start_worker(self) -> None:
        env = dict(os.environ, BRICOLAGE_CHAOS_URL=self.url, BRICOLAGE_CHAOS_LOG=str(self.log_dir))
        err = open(self.log_dir / f"worker-{len(self.workers)}.err", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "chaos_app.py", str(self.concurrency), str(self.lease)],
            cwd=HERE,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        err.close()
        self.workers.append(proc)

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def stop_all(self) -> None:
        for proc in self.alive():
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
        for proc in self.workers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_chaos(
    url: str,
    tmp_path: Path,
    *,
    jobs: int,
    processes: int,
    seconds: float,
    exit_poison: int = 3,
    raise_poison: int = 3,
    concurrency: int = 4,
    lease: float = 1.0,
) -> dict[str, int]:
    rng = random.Random(20261121)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    app = _load_app(url, log_dir)
    queue: Queue = app.queue
    lengths = [rng.choice([0, 5, 50, 100, 200, 400]) for _ in range(jobs)]
    for i in rng.sample(range(jobs), max(1, jobs // 50)):
        lengths[i] = int(1500 * lease)  # longer than the lease: only renewals keep it
    calls = [Call.of(app.work, i, ms) for i, ms in enumerate(lengths)]
    # poison spread through the queue: half end their process, half are SIGKILLed
    poison_calls = [
        Call.of(app.poison_exit if i % 2 else app.poison_kill, i) for i in range(exit_poison)
    ]
    slots = sorted(rng.sample(range(jobs), exit_poison))
    for at, call in reversed(list(zip(slots, poison_calls, strict=True))):
        calls.insert(at, call)
    handles = queue.enqueue_many(calls)
    poison_ids = {h.id for h in handles if h.record.name != "work"}
    healthy = [h for h in handles if h.record.name == "work"]
    raising = [queue.enqueue(app.poison_raise, i) for i in range(raise_poison)]
    chaos = Chaos(url, log_dir, concurrency, lease)
    for _ in range(processes):
        chaos.start_worker()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.4, 0.9))
            while len(chaos.alive()) < processes:
                chaos.start_worker()
            alive = chaos.alive()
            if alive and rng.random() < 0.6:
                victim = rng.choice(alive)
                victim.kill()
                victim.wait()
                chaos.killed.add(victim.pid)
                chaos.kills += 1
                chaos.start_worker()
            elif alive:
                victim = rng.choice(alive)
                began = time.time()
                victim.send_signal(signal.SIGSTOP)
                chaos.frozen.add(victim.pid)
                chaos.freezes += 1
                time.sleep(2.5 * lease)
                victim.send_signal(signal.SIGCONT)
                chaos.freezes_at.append((began, time.time()))
            states = [queue.get(h.id).state for h in handles[:: max(1, jobs // 40)]]
            if all(s.is_terminal for s in states) and time.monotonic() > deadline - seconds / 2:
                break
        # calm: let the survivors (and the replacements of poisoned ones) finish
        for _ in range(int(180 / 0.2)):
            pending = sum(1 for h in handles + raising if not h.status().state.is_terminal)
            if pending == 0:
                break
            while len(chaos.alive()) < processes:
                chaos.start_worker()
            time.sleep(0.2)
    finally:
        chaos.stop_all()

    starts: dict[int, list[tuple[float, int]]] = defaultdict(list)
    ended: dict[tuple[int, int], float] = {}
    ends: dict[int, int] = defaultdict(int)
    for log in log_dir.glob("*.log"):
        for line in log.read_text().splitlines():
            kind, n_text, pid_text, at_text = line.split()
            if kind == "poison":
                continue
            n, pid, when = int(n_text), int(pid_text), float(at_text)
            if kind == "start":
                starts[n].append((when, pid))
            else:
                ends[n] += 1
                ended[(n, pid)] = when
    fenced = lost = 0
    for err in log_dir.glob("*.err"):
        text = err.read_text(errors="replace")
        fenced += text.count("report fenced")
        lost += text.count("lost the lease")

    # the dead-letter queue holds the poison jobs and nothing else
    dead = {r.id: r for r in queue.dead_letters(limit=10_000)}
    healthy_dead = [r for r in dead.values() if r.name == "work"]
    poison_dead = [i for i in poison_ids if i in dead]
    lost_jobs = [h.id for h in handles + raising if not h.status().state.is_terminal]
    self_killed = {w.pid for w in chaos.workers if w.returncode in (-signal.SIGKILL, 1)}
    counts = {
        "jobs": len(handles) + len(raising),
        "exit_poison": exit_poison,
        "raise_poison": raise_poison,
        "processes": processes,
        "sigkill": chaos.kills,
        "sigstop": chaos.freezes,
        "workers_ended_by_poison": len(self_killed - chaos.killed),
        "healthy_in_dlq": len(healthy_dead),
        "poison_in_dlq": len(poison_dead) + sum(h.id in dead for h in raising),
        "lost": len(lost_jobs),
        "ran_twice": sum(1 for runs in starts.values() if len(runs) > 1),
        "late_reports_fenced": fenced,
        "leases_lost_and_abandoned": lost,
    }
    print(f"\nchaos {url.split(':')[0]}: {counts}")
    assert healthy_dead == [], [(r.id, r.error) for r in healthy_dead]
    assert lost_jobs == []
    # no job lost: every job finished with its own result, on one counted attempt
    for handle in healthy:
        record = queue.get(handle.id)
        assert record.state is JobState.SUCCEEDED, record
        assert record.attempts == 1
        assert record.crashes < record.max_deliveries  # a chaos kill while alone
    assert [handle.result() for handle in healthy] == list(range(jobs))
    # only jobs in flight at a kill or a freeze ran twice (poison jobs end workers too)
    suspects = chaos.killed | chaos.frozen | self_killed
    for n, runs in starts.items():
        for began, pid in sorted(runs)[:-1]:
            # the earlier run died with its worker, or overlapped a freeze (a frozen
            # SQLite writer also stalls the other processes' renewals)
            finished = ended.get((n, pid), float("inf"))
            overlapped = any(began < b and finished > a for a, b in chaos.freezes_at)
            assert pid in suspects or overlapped, (n, runs, suspects)
    assert set(starts) == set(range(jobs))
    # late completions were refused: an earlier run that finished in a worker that
    # survived must have had its report fenced (or abandoned on a lost lease)
    killed_pids = chaos.killed | self_killed
    late = sum(
        1
        for n, runs in starts.items()
        for _, pid in sorted(runs)[:-1]
        if (n, pid) in ended and pid not in killed_pids
    )
    assert late <= fenced + lost
    # every poison job is in the dead-letter queue: charged only for crashes alone
    for job_id in poison_ids:
        record = dead[job_id]
        assert record.crashes == record.max_deliveries, record
        assert record.error is not None
        assert "while the job ran alone" in record.error
    for handle in raising:
        assert handle.status().state is JobState.DEAD
    queue.close()
    open_backend(url).close()
    return counts


def test_chaos_short(backend_url: str, tmp_path: Path) -> None:
    """200 jobs, 6 of which end their worker (3 per hundred), under SIGKILL and SIGSTOP."""
    counts = run_chaos(
        backend_url,
        tmp_path,
        jobs=200,
        exit_poison=6,
        raise_poison=4,
        processes=3,
        concurrency=8,
        seconds=6.0,
    )
    assert counts["sigkill"] + counts["sigstop"] >= 3
    assert counts["workers_ended_by_poison"] >= 6 * 3


@pytest.mark.slow
def test_chaos_long(backend_url: str, tmp_path: Path) -> None:
    """The reported scenario: 2,000 jobs, 21 that end their worker, 38 that raise."""
    counts = run_chaos(
        backend_url,
        tmp_path,
        jobs=2000 - 21 - 38,
        exit_poison=21,
        raise_poison=38,
        processes=3,
        concurrency=16,
        lease=2.0,
        seconds=60.0,
    )
    assert counts["sigkill"] + counts["sigstop"] >= 15
