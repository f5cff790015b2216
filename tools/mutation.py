"""Mutation testing of one sans-I/O module with mutmut, scoped to that module's tests.

    python tools/mutation.py http.rfc9111 --workdir DIR --out reports/mutation/http.rfc9111.json
    python tools/mutation.py http.rfc9111 --workdir DIR --max-seconds 60   # the bounded CI form

The package folder is copied into ``DIR`` (its ``src/`` and only the test files named for the
module in :data:`TARGETS`, plus the helpers and conftest those tests need, plus any
``tests/test_mutants_<module>.py``), a ``pyproject.toml`` holding the workspace's pytest
settings and the mutmut settings is written beside them, and ``mutmut run`` mutates only the
target module. mutmut records which tests reach which function, so each mutant runs only the
tests that exercise it.

The result (killed, survived, timeouts, not checked, score, survivors by name) is written as
JSON to ``--out``; the quality page reads it. ``--max-seconds`` stops the run after that long
(mutmut tries the fastest mutants first) and scores what was checked: the CI form. The exit
status is 1 when no mutant could be checked, or when a complete run scores below
``--fail-under`` (a capped run's sample is reported, not held to the floor: its size depends
on the machine's load).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent


class Target(NamedTuple):
    """One module under mutation: its package, the tests that speak for it, its floor."""

    package: str
    module: str
    tests: tuple[str, ...]
    floor: float  # fails below this score (% of checked); a ratchet: 90 once reached


# The sans-I/O cores where a wrong branch is a silent bug. Keyed "<package>.<module>".
TARGETS: dict[str, Target] = {
    t.package + "." + t.module: t
    for t in (
        Target("http", "rfc9111", ("test_decisions.py",), 75.0),
        Target("http", "_retry", ("test_retry.py",), 90.0),
        Target("jobs", "_states", ("test_state_machine.py", "test_core.py"), 90.0),
        Target("jobs", "_policy", ("test_core.py", "test_state_machine.py"), 90.0),
        Target("security", "_jwt", ("test_jwt.py", "test_jwks.py"), 60.0),
        Target("security", "_tokens", ("test_tokens.py",), 90.0),
        Target("search", "_query", ("test_query_parser.py",), 90.0),
        Target("search", "_scoring", ("test_search.py", "test_properties.py"), 90.0),
        Target("tfidf", "_weighting", ("test_vectorizer.py", "test_properties.py"), 90.0),
        Target("settings", "_layers", ("test_layers.py",), 80.0),
    )
}

# mutmut's exit-code vocabulary, folded into the four outcomes the quality page shows.
_KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # killed, pytest error, timeouts, type check
_SURVIVED = {0}
_NO_TESTS = {5, 33}


def _copy_scope(target: Target, workdir: Path) -> Path:
    """Lay out ``workdir`` with the package's src and the target's tests; return the module."""
    package_dir = ROOT / "packages" / f"bricolage-{target.package}"
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "tests").mkdir(parents=True)
    shutil.copytree(package_dir / "src", workdir / "src")
    tests_dir = package_dir / "tests"
    wanted = set(target.tests) | {f"test_mutants_{target.module.lstrip('_')}.py"}
    for path in sorted(tests_dir.iterdir()):
        helper = path.suffix == ".py" and not path.name.startswith("test_")
        if path.is_file() and (helper or path.name in wanted):
            shutil.copy2(path, workdir / "tests" / path.name)
        elif path.is_dir() and path.name not in {"__pycache__"}:
            shutil.copytree(path, workdir / "tests" / path.name)
    missing = [t for t in target.tests if not (workdir / "tests" / t).is_file()]
    if missing:
        raise SystemExit(f"{target.package}: no test file {missing} in {tests_dir}")
    module = Path("src") / "bricolage" / target.package / f"{target.module}.py"
    if not (workdir / module).is_file():
        raise SystemExit(f"no module {module} in {package_dir}")
    root_config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = dict(root_config["tool"]["pytest"]["ini_options"])
    (workdir / "pyproject.toml").write_text(
        _toml(
            {
                "tool": {
                    "mutmut": {
                        "source_paths": ["src"],
                        "only_mutate": [f"*{module.as_posix()}"],
                        "pytest_add_cli_args_test_selection": ["tests"],
                        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q"],
                        "use_git_change_detection": False,
                    },
                    "pytest": {"ini_options": pytest_options},
                }
            }
        ),
        encoding="utf-8",
    )
    return module


def _toml(data: dict[str, object], prefix: str = "") -> str:
    """A tiny TOML writer for nested tables of strings, numbers, booleans and lists."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, object]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((f"{prefix}{key}", value))
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for name, table in tables:
        body = _toml(table, f"{name}.")
        if any(not isinstance(v, dict) for v in table.values()):
            out += f"\n[{name}]\n"
        out += body
    return out


def _run_mutmut(workdir: Path, max_seconds: float | None, max_children: int) -> float:
    """Run mutmut in ``workdir``; stop it with SIGINT after ``max_seconds``. Return seconds."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)]
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=workdir, env=env)  # noqa: S603
    try:
        process.wait(timeout=max_seconds)
    except subprocess.TimeoutExpired:
        print(f"mutation: time cap of {max_seconds:.0f}s reached, stopping mutmut", flush=True)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return time.monotonic() - start


def _collect(workdir: Path, module: Path) -> dict[str, object]:
    meta = workdir / "mutants" / f"{module}.meta"
    if not meta.is_file():
        raise SystemExit(f"mutmut left no results in {meta}: see its output above")
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    killed = sorted(k for k, c in codes.items() if c in _KILLED)
    survived = sorted(k for k, c in codes.items() if c in _SURVIVED)
    no_tests = sorted(k for k, c in codes.items() if c in _NO_TESTS)
    unchecked = sorted(k for k, c in codes.items() if c is None)
    other = sorted(
        k for k, c in codes.items() if c is not None and c not in _KILLED | _SURVIVED | _NO_TESTS
    )
    checked = len(killed) + len(survived) + len(no_tests) + len(other)
    score = 100.0 * len(killed) / checked if checked else 0.0
    return {
        "total": len(codes),
        "checked": checked,
        "killed": len(killed),
        "survived": len(survived),
        "no_tests": len(no_tests),
        "suspicious": len(other),
        "not_checked": len(unchecked),
        "score": round(score, 1),
        "survivors": survived + no_tests + other,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--max-seconds", type=float, default=None)
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--fail-under", type=float, default=None)
    args = parser.parse_args(argv)

    target = TARGETS[args.target]
    module = _copy_scope(target, args.workdir)
    seconds = _run_mutmut(args.workdir, args.max_seconds, args.max_children)
    result = _collect(args.workdir, module)
    result.update(
        target=args.target,
        module=f"bricolage.{target.package}.{target.module}",
        tests=list(target.tests),
        seconds=round(seconds, 1),
        capped=args.max_seconds is not None and result["not_checked"] != 0,
    )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"mutation {args.target}: {result['killed']} killed / {result['checked']} checked "
        f"of {result['total']} mutants = {result['score']}% in {seconds:.0f}s"
    )
    for name in result["survivors"]:  # type: ignore[attr-defined]
        print(f"  survived: {name}")
    if result["total"] and not result["checked"]:
        print(f"mutation {args.target}: no mutant was checked; do the module's tests pass?")
        return 1
    floor = args.fail_under
    # A capped run scores a sample (the fastest mutants, as many as the time allowed, which
    # depends on the machine's load): it is reported, and the floor holds for complete runs.
    complete = args.max_seconds is None or result["checked"] == result["total"]
    if floor is not None and complete and float(result["score"]) < floor:  # type: ignore[arg-type]
        print(f"mutation {args.target}: score {result['score']}% is below {floor}%")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
