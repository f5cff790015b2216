"""The command line, in process (click's CliRunner) and as real processes.

Every test runs against a real SQLite file and a private redis-server (``app`` is
parametrized over both backends).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bricolage.jobs import JobRegistry, JobState, Queue, open_backend
from bricolage.jobs._cli import cli, load_queue, main

APP = textwrap.dedent(
    """
    import os, time
    from bricolage.jobs import JobRegistry, Queue

    registry = JobRegistry()

    @registry.job()
    def nap(seconds: float) -> str:
        time.sleep(seconds)
        return "rested"

    @registry.job(max_attempts=1)
    def broken(tag: str = "") -> None:
        raise ValueError("broken on purpose [red]" + tag + "[/red]")

    queue = Queue(os.environ["JOBS_URL"], registry)
    not_a_queue = 42
    """
)
ESCAPE = re.compile(r"\x1b\[")
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[25];)[0-9;]*m")


@pytest.fixture
def app(tmp_path: Path, backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Queue:
    name = f"cli_app_{os.urandom(3).hex()}"
    (tmp_path / f"{name}.py").write_text(APP)
    monkeypatch.setenv("JOBS_URL", backend_url)
    monkeypatch.delenv("BRICOLAGE_JOBS_URL", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    queue = load_queue(f"{name}:queue")
    queue.app_name = name  # type: ignore[attr-defined]
    return queue


def _target(app: Queue) -> str:
    return f"{app.app_name}:queue"  # type: ignore[attr-defined]


def _worker(app: Queue, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bricolage.jobs",
            "worker",
            _target(app),
            "--poll-interval",
            "0.05",
            *extra,
        ],
        cwd=os.getcwd(),
        env=dict(os.environ),
    )


def _wait_for(app: Queue, job_id: str, state: JobState, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while app.get(job_id).state is not state:
        assert time.monotonic() < deadline, app.get(job_id)
        time.sleep(0.05)


def _bury(app: Queue, count: int) -> list[str]:
    """``count`` jobs in the dead-letter queue, through a real burst worker process."""
    broken = app.registry.get("broken")
    ids = [app.enqueue(broken, str(i)).id for i in range(count)]
    assert _worker(app, "--burst").wait(60) == 0
    assert {app.get(i).state for i in ids} == {JobState.DEAD}
    return ids


def _invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="bricolage-jobs", input=input)


# -- real worker processes -----------------------------------------------------------------


def test_sigterm_lets_a_short_job_finish(app: Queue) -> None:
    handle = app.enqueue(app.registry.get("nap"), 0.5)
    proc = _worker(app, "--grace", "10")
    _wait_for(app, handle.id, JobState.RUNNING)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert handle.result(timeout=1) == "rested"


def test_sigterm_requeues_a_job_that_outlives_the_grace(app: Queue) -> None:
    handle = app.enqueue(app.registry.get("nap"), 30.0)
    proc = _worker(app, "--grace", "0.2")
    _wait_for(app, handle.id, JobState.RUNNING)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    record = handle.status()
    assert record.state is JobState.QUEUED
    assert record.deliveries == 0


def test_several_processes_in_burst_mode(app: Queue) -> None:
    nap = app.registry.get("nap")
    handles = [app.enqueue(nap, 0.01) for _ in range(20)]
    proc = _worker(app, "--processes", "2", "--burst", "--concurrency", "2", "--queues", "default")
    assert proc.wait(60) == 0
    assert {h.result(timeout=1) for h in handles} == {"rested"}


def _children(pid: int, count: int, seconds: float = 30.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if len(found) >= count:
            return [int(child) for child in found]
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not start {count} children")


def _catches_sigterm(pid: int, seconds: float = 60.0) -> None:
    """Wait until process ``pid`` has a SIGTERM handler (the worker is serving)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M)[1], 16)  # type: ignore[index]
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never installed a SIGTERM handler")


def test_sigterm_reaches_every_child_process(app: Queue) -> None:
    proc = _worker(app, "--processes", "2")
    for child in _children(proc.pid, 2):
        _catches_sigterm(child)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0


def test_a_child_process_that_dies_fails_the_parent(app: Queue) -> None:
    proc = _worker(app, "--processes", "2")
    for child in _children(proc.pid, 2):
        os.kill(child, signal.SIGKILL)
    assert proc.wait(60) == 128 + signal.SIGKILL


def test_worker_in_process(app: Queue, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = app.enqueue(app.registry.get("nap"), 0.0)
    monkeypatch.setattr("bricolage.jobs._cli.threading.active_count", lambda: 1)
    assert main(["-v", "worker", _target(app), "--burst", "--queues", "default"]) == 0
    assert handle.result(timeout=1) == "rested"


# -- tables and JSON -----------------------------------------------------------------------


def test_status_as_a_table_and_as_json(app: Queue) -> None:
    url = os.environ["JOBS_URL"]
    [dead] = _bury(app, 1)
    shown = _invoke("status", dead, "--url", url)
    assert shown.exit_code == 0, shown.output
    assert "dead" in shown.stdout
    assert "1 of 1" in shown.stdout  # attempts
    # job data is shown as text, never read as rich markup
    assert "broken on purpose [red]0[/red]" in shown.stdout
    assert not ESCAPE.search(shown.stdout)  # not a terminal: no colour, no cursor control
    as_json = _invoke("status", dead, "--url", url, "--json")
    record = json.loads(as_json.stdout)
    assert record["state"] == "dead"
    assert record["id"] == dead
    assert "broken on purpose" in record["error"]


def test_stats_table_counts_every_state(app: Queue) -> None:
    _bury(app, 2)
    app.enqueue(app.registry.get("nap"), 0.0)
    table = _invoke("stats", "--app", _target(app))
    assert table.exit_code == 0, table.output
    header = next(line for line in table.stdout.splitlines() if "queued" in line)
    row = next(line for line in table.stdout.splitlines() if "default" in line)
    cells = [c.strip() for c in re.split(r"[│┃|]", row) if c.strip()]
    names = [c.strip() for c in re.split(r"[│┃|]", header) if c.strip()]
    counts = dict(zip(names[1:], cells[1:], strict=True))
    assert counts["dead"] == "2"
    assert counts["queued"] == "1"
    assert "finished in the last minute" in table.stdout
    as_json = json.loads(_invoke("stats", "--app", _target(app), "--json").stdout)
    assert as_json["counts"]["default"]["dead"] == 2


def test_dlq_list_table_json_limit_offset_and_ids(app: Queue) -> None:
    url = os.environ["JOBS_URL"]
    ids = _bury(app, 3)
    table = _invoke("dlq", "list", "--url", url)
    assert table.exit_code == 0, table.output
    assert "dead-letter queue (3 shown)" in table.stdout
    assert all(job_id in table.stdout for job_id in ids)
    lines = _invoke("dlq", "list", "--url", url, "--json", "--limit", "2").stdout.splitlines()
    assert len(lines) == 2
    listed = [json.loads(line)["id"] for line in lines]
    rest = _invoke("dlq", "list", "--url", url, "--json", "--offset", "2").stdout.splitlines()
    assert {*listed, json.loads(rest[0])["id"]} == set(ids)
    # the source may also be named before the subcommand, and ids pick jobs
    picked = _invoke("dlq", "--url", url, "list", ids[1], "--json").stdout.splitlines()
    assert [json.loads(line)["id"] for line in picked] == [ids[1]]


def test_requeue_by_id_and_all(app: Queue) -> None:
    url = os.environ["JOBS_URL"]
    ids = _bury(app, 4)
    one = _invoke("dlq", "requeue", ids[0], "--url", url)
    assert one.exit_code == 0, one.output
    assert "re-queued 1 job(s)" in one.stdout
    assert app.get(ids[0]).state is JobState.QUEUED
    rest = _invoke("dlq", "requeue", "--url", url)
    assert rest.exit_code == 0, rest.output
    assert "re-queued 3 job(s)" in rest.stdout
    assert not ESCAPE.search(rest.stderr)  # no progress bar drawn on a pipe
    assert {app.get(i).state for i in ids} == {JobState.QUEUED}
    none_left = _invoke("dlq", "requeue", "--url", url)
    assert "re-queued 0 job(s)" in none_left.stdout


def test_requeue_of_a_live_job_is_refused_and_changes_nothing(app: Queue) -> None:
    url = os.environ["JOBS_URL"]
    [dead] = _bury(app, 1)
    queued = app.enqueue(app.registry.get("nap"), 0.0).id
    result = _invoke("dlq", "requeue", dead, queued, "--url", url)
    assert result.exit_code == 4
    assert f"job {queued!r} is queued" in result.stderr
    assert app.get(dead).state is JobState.DEAD
    missing = _invoke("dlq", "requeue", "no-such-job", "--url", url)
    assert missing.exit_code == 3
    assert "no job with id 'no-such-job'" in missing.stderr


def test_purge_all_needs_yes_off_a_terminal(app: Queue, monkeypatch: pytest.MonkeyPatch) -> None:
    url = os.environ["JOBS_URL"]
    ids = _bury(app, 2)
    refused = _invoke("dlq", "purge", "--url", url)
    assert refused.exit_code == 4
    assert "purging all 2 dead job(s) cannot be undone; pass --yes" in refused.stderr
    assert {app.get(i).state for i in ids} == {JobState.DEAD}  # nothing lost
    # On a terminal the command asks; "no" keeps everything.
    monkeypatch.setattr("bricolage.jobs._cli._interactive", lambda: True)
    declined = _invoke("dlq", "purge", "--url", url, input="n\n")
    assert declined.exit_code == 4
    assert "Delete all 2 dead job(s) for good?" in declined.stdout
    assert {app.get(i).state for i in ids} == {JobState.DEAD}
    one = _invoke("dlq", "purge", ids[0], "--url", url)
    assert one.exit_code == 0
    assert "purged 1 job(s)" in one.stdout
    again = _invoke("dlq", "purge", ids[0], "--url", url)
    assert again.exit_code == 3
    accepted = _invoke("dlq", "purge", "--url", url, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "purged 1 job(s)" in accepted.stdout
    assert _invoke("dlq", "purge", "--url", url).exit_code == 0  # nothing left to refuse


def test_purge_with_yes(app: Queue) -> None:
    _bury(app, 2)
    result = _invoke("dlq", "purge", "--yes", "--url", os.environ["JOBS_URL"])
    assert result.exit_code == 0
    assert "purged 2 job(s)" in result.stdout
    assert app.stats().counts.get("default", {}).get("dead", 0) == 0


# -- exit codes ----------------------------------------------------------------------------


def test_exit_codes(app: Queue, capsys: pytest.CaptureFixture[str]) -> None:
    url = os.environ["JOBS_URL"]
    assert main(["status", "nope", "--url", url]) == 3
    assert "bricolage-jobs: error: no job with id 'nope'" in capsys.readouterr().err
    assert main(["stats"]) == 2
    assert "--app module:queue or --url" in capsys.readouterr().err
    assert main(["worker", "no_such_module_here:queue"]) == 2
    assert "cannot import" in capsys.readouterr().err
    assert main(["worker", "nocolon"]) == 2
    assert main(["worker", f"{app.app_name}:not_a_queue"]) == 2  # type: ignore[attr-defined]
    assert "int, not a bricolage.jobs.Queue" in capsys.readouterr().err
    assert main(["stats", "--no-such-option"]) == 2
    assert "No such option" in capsys.readouterr().err
    assert main(["worker", _target(app), "--concurrency", "0"]) == 2
    assert main(["--help"]) == 0
    assert "Exit codes: 0 ok" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert "bricolage-jobs, version 0.2" in capsys.readouterr().out


def test_an_unreachable_backend_fails_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["stats", "--url", "redis://127.0.0.1:1/0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bricolage-jobs: error:")
    assert "Traceback" not in err
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert main(["-v", "stats", "--url", f"sqlite:///{tmp_path / 'junk.db'}"]) == 1
    assert "bricolage-jobs: error:" in capsys.readouterr().err


def test_ctrl_c_exits_130(app: Queue, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: Queue) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Queue, "stats", interrupted)
    result = _invoke("stats", "--app", _target(app))
    assert result.exit_code == 130
    assert main(["stats", "--app", _target(app)]) == 130


def test_ctrl_c_at_a_prompt_exits_130(app: Queue, monkeypatch: pytest.MonkeyPatch) -> None:
    _bury(app, 1)
    monkeypatch.setattr("bricolage.jobs._cli._interactive", lambda: True)
    with open(os.devnull) as empty:  # end of input at once, as with Ctrl-D
        monkeypatch.setattr("sys.stdin", empty)
        assert main(["dlq", "purge", "--url", os.environ["JOBS_URL"]]) == 130


# -- a real terminal, pipes, colour, completion, the missing extra -------------------------


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the command with stdout and stderr on a pseudo-terminal; its exit code and output."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bricolage.jobs", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(30), b"".join(chunks).decode()


def test_colour_on_a_terminal_and_no_colour_with_NO_COLOR(app: Queue) -> None:
    url = os.environ["JOBS_URL"]
    [dead] = _bury(app, 1)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160"}
    env.pop("NO_COLOR", None)
    code, out = _on_a_terminal(["status", dead, "--url", url], env)
    assert code == 0
    assert COLOUR.search(out), out  # the state is in red
    code, out = _on_a_terminal(["status", dead, "--url", url], {**env, "NO_COLOR": "1"})
    assert code == 0
    assert "dead" in out
    assert not COLOUR.search(out), out


def test_requeue_draws_a_progress_bar_on_a_terminal_only(app: Queue) -> None:
    url = os.environ["JOBS_URL"]
    ids = _bury(app, 3)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    code, out = _on_a_terminal(["dlq", "requeue", *ids, "--url", url], env)
    assert code == 0
    assert "re-queueing" in out
    assert "3/3" in out
    assert "re-queued 3 job(s)" in out
    assert _worker(app, "--burst").wait(60) == 0  # the same jobs die again
    assert {app.get(i).state for i in ids} == {JobState.DEAD}
    piped = subprocess.run(
        [sys.executable, "-m", "bricolage.jobs", "dlq", "requeue", "--url", url],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert piped.returncode == 0
    assert piped.stdout == "re-queued 3 job(s)\n"
    assert piped.stderr == ""  # no progress bar, no control characters in a log


def test_shell_completion(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "_BRICOLAGE_JOBS_COMPLETE": "bash_complete",
        "COMP_WORDS": "bricolage-jobs dlq re",
        "COMP_CWORD": "2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bricolage.jobs"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0
    assert done.stdout.split() == ["plain,requeue"]
    script = _invoke("completion", "bash")
    assert script.exit_code == 0
    assert "_BRICOLAGE_JOBS_COMPLETE=bash_complete" in script.stdout
    assert "complete -o nosort -F" in script.stdout
    assert _invoke("completion", "tcsh").exit_code == 2


def test_the_missing_extra_is_named() -> None:
    code = (
        "import sys; sys.modules['rich'] = None\n"
        "from bricolage.jobs.__main__ import main\n"
        "sys.exit(main(['--help']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert 'pip install "bricolage-jobs[cli]"' in done.stderr
    assert "Traceback" not in done.stderr


def test_the_entry_point_runs_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    from bricolage.jobs.__main__ import main as entry

    assert entry(["--version"]) == 0
    assert "bricolage-jobs, version" in capsys.readouterr().out


def test_open_backend_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    backend = open_backend(str(tmp_path / "plain.db"))
    assert "plain.db" in repr(backend)
    backend.close()
    backend = open_backend(f"sqlite:///{tmp_path / 'x.db'}")
    assert str(tmp_path / "x.db") in repr(backend)
    backend.close()
    relative = open_backend("sqlite:///relative.db")
    assert repr(relative) == "SQLiteBackend('relative.db')"
    relative.close()
    queue = Queue("redis://127.0.0.1:1/0?namespace=elsewhere", JobRegistry())
    assert "{elsewhere}" in repr(queue.backend)
    queue.close()
