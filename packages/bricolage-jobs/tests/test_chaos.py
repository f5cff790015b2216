"""Chaos: real worker processes killed with SIGKILL and frozen with SIGSTOP at random.

It proves, on both backends: no job is lost; a job runs more than once only when a
worker running it was killed or frozen; late reports are fenced (each job succeeds
exactly once, on its first and only counted attempt); poison jobs end in the
dead-letter queue.
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
LEASE = 1.0


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
            [
                sys.executable,
                "-m",
                "bricolage.jobs",
                "-v",
                "worker",
                "chaos_app:queue",
                "--concurrency",
                "4",
                "--lease",
                str(LEASE),
                "--poll-interval",
                "0.1",
                "--grace",
                "5",
            ],
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
    url: str, tmp_path: Path, *, jobs: int, processes: int, seconds: float
) -> dict[str, int]:
    rng = random.Random(20261121)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    app = _load_app(url, log_dir)
    queue: Queue = app.queue
    poison_kill = [queue.enqueue(app.poison_kill, i) for i in range(3)]
    poison_raise = [queue.enqueue(app.poison_raise, i) for i in range(3)]
    lengths = [rng.choice([0, 5, 50, 100, 200, 400]) for _ in range(jobs)]
    for i in rng.sample(range(jobs), max(1, jobs // 50)):
        lengths[i] = 1500  # longer than the lease: only renewals keep it
    handles = queue.enqueue_many(Call.of(app.work, i, ms) for i, ms in enumerate(lengths))
    chaos = Chaos(url, log_dir)
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
                time.sleep(2.5 * LEASE)
                victim.send_signal(signal.SIGCONT)
                chaos.freezes_at.append((began, time.time()))
            states = [queue.get(h.id).state for h in handles[:: max(1, jobs // 40)]]
            if all(s.is_terminal for s in states) and time.monotonic() > deadline - seconds / 2:
                break
        # calm: let the survivors finish everything
        for _ in range(int(60 / 0.2)):
            pending = sum(1 for h in handles if not queue.get(h.id).state.is_terminal)
            pending += sum(
                1 for h in poison_kill + poison_raise if not h.status().state.is_terminal
            )
            if pending == 0:
                break
            if len(chaos.alive()) < processes:
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
            n, pid, at = int(n_text), int(pid_text), float(at_text)
            if kind == "start":
                starts[n].append((at, pid))
            else:
                ends[n] += 1
                ended[(n, pid)] = at
    fenced = lost = 0
    for err in log_dir.glob("*.err"):
        text = err.read_text(errors="replace")
        fenced += text.count("report fenced")
        lost += text.count("lost the lease")

    # no job lost: every job finished with its own result, on one counted attempt
    for i, handle in enumerate(handles):
        record = queue.get(handle.id)
        assert record.state is JobState.SUCCEEDED, (i, record)
        assert handle.result() == i
        assert record.attempts == 1
    # only jobs in flight at a kill or a freeze ran twice (poison jobs kill workers too)
    self_killed = {w.pid for w in chaos.workers if w.returncode == -signal.SIGKILL}
    suspects = chaos.killed | chaos.frozen | self_killed
    ran_twice = 0
    for n, runs in starts.items():
        if len(runs) > 1:
            ran_twice += 1
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
    extra_ends = sum(count - 1 for count in ends.values() if count > 1)
    late = sum(
        1
        for n, runs in starts.items()
        for _, pid in sorted(runs)[:-1]
        if (n, pid) in ended and pid not in killed_pids
    )
    assert late <= fenced + lost
    # poison jobs end in the dead-letter queue
    for handle in poison_kill + poison_raise:
        assert handle.status().state is JobState.DEAD
    dead = {r.id for r in queue.dead_letters(limit=100)}
    assert {h.id for h in poison_kill + poison_raise} <= dead
    counts = {
        "jobs": jobs,
        "processes": processes,
        "sigkill": chaos.kills,
        "sigstop": chaos.freezes,
        "ran_twice": ran_twice,
        "late_reports_fenced": fenced,
        "leases_lost_and_abandoned": lost,
        "extra_completions": extra_ends,
        "late_completions_in_survivors": late,
        "killed_by_poison": len(self_killed - chaos.killed),
        "poison_dead": len(poison_kill) + len(poison_raise),
    }
    print(f"\nchaos {url.split(':')[0]}: {counts}")
    queue.close()
    open_backend(url).close()
    return counts


def test_chaos_short(backend_url: str, tmp_path: Path) -> None:
    counts = run_chaos(backend_url, tmp_path, jobs=400, processes=3, seconds=8.0)
    assert counts["sigkill"] + counts["sigstop"] >= 3


@pytest.mark.slow
def test_chaos_long(backend_url: str, tmp_path: Path) -> None:
    counts = run_chaos(backend_url, tmp_path, jobs=3000, processes=4, seconds=60.0)
    assert counts["sigkill"] + counts["sigstop"] >= 15
