"""Write the quality page of the docs from the figures the nox sessions leave in ``reports/``.

    python tools/quality.py                 # writes docs/_generated/quality.md
    python tools/quality.py --print         # and prints it

Read, when present (a figure not measured in this checkout is shown as "-"):

- ``reports/coverage/<package>.json``: branch coverage, from ``tests(<package>)``;
- ``reports/types/<package>.json``: ``mypy --strict`` errors and pyright type completeness
  on the installed wheel, from ``wheeltypes(<package>)``;
- ``reports/mutation/<package>.<module>.json``: mutation scores, from ``mutation(...)`` or
  its bounded CI form ``mutation-ci(...)``;
- ``reports/bench/<name>.txt``: the output of the last ``bench -- <name>`` run.

Measured here from the sources: lines of code (radon's raw metrics), cyclomatic complexity
hot spots (radon), public docstring coverage (interrogate). The docs build (``docs/conf.py``)
runs this script, so the page always exists; CI runs the sessions above first.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
OUT = ROOT / "docs" / "_generated" / "quality.md"
HOT_SPOT_MIN = 11  # radon rank C and worse: complexity above 10
HOT_SPOTS_SHOWN = 15

# Why a surviving mutant is left alive: "<package>.<module>" -> text for the page. Each
# survivor not killed by a test in tests/test_mutants_<module>.py is explained here.
SURVIVOR_NOTES: dict[str, str] = {
    "jobs._states": (
        "mutmut mutates code, not data: the transition table itself is pinned entry by entry "
        "in `tests/test_mutants_states.py`."
    ),
    "jobs._policy": (
        "the survivors rename `base` and `max_delay` inside `RetryPolicy`'s error messages "
        "and accept an infinite `factor`. These parameters are being renamed to the shared "
        "retry vocabulary (`initial`, `maximum`, `multiplier`) in 0.2; tests pinned to the "
        "old names would break on that change, so they are killed after it lands."
    ),
    "http._retry": (
        "equivalent mutants: `not_sent = None` (as falsy as `False`) and a default draw of "
        "`2.0` instead of `1.0` (the draw is clamped to 1)."
    ),
    "security._tokens": (
        "equivalent mutants: the case of codec and digest names (`utf-8`/`UTF-8`, "
        "`ascii`/`ASCII`, `sha256`/`SHA256`), `>Q`/`>q` for timestamps below 2**63, extra "
        "base64 padding (ignored by the decoder), `float('INF')`, and the `replace` error "
        "handler on a purpose that we signed ourselves and so is always valid UTF-8."
    ),
    "security._jwt": (
        "the first run selected `test_jwt.py` only, so the JWKS client's mutants had no "
        "tests; `test_jwks.py` is now part of the module's selection."
    ),
    "search._query": (
        "the `expected a term` guard in `primary()` cannot be reached (`expect_operand` "
        "raises first; it is marked `no cover`), and the token kind label of a word is never "
        "compared (`word`/`WORD`)."
    ),
    "search._scoring": (
        "equivalent mutants: `astype(None)` and `np.ones(..., dtype=None)` are float64 too."
    ),
    "tfidf._weighting": (
        "equivalent mutants: `astype(dtype)` copies by default, `copy=None` is as falsy as "
        "`False` for scipy's constructor, and `_row_reduce`'s output dtype is cast again by "
        "its callers."
    ),
    "settings._layers": (
        "most survivors are defaults passed to `_config()` for keys pydantic-settings always "
        "sets (`env_prefix`, `env_nested_delimiter`, `case_sensitive`: equivalent). The "
        "others are in secrets reading and provenance (`read_secrets`, `origins_for`), which "
        "`test_errors_and_secrets.py` and `test_explain_cli.py` exercise but the run did not "
        "select: not yet killed."
    ),
    "http.rfc9111": (
        "not yet killed: most survivors change the human-readable reason a `Lookup` or a "
        "storability check carries, or the `entry`/`age` of a miss or revalidation, which "
        "the transports do not read; the others widen a validator or status boundary. "
        "They are listed in `reports/mutation/http.rfc9111.json`."
    ),
}


def _packages() -> list[str]:
    return sorted(
        p.parent.name.removeprefix("bricolage-")
        for p in (ROOT / "packages").glob("*/pyproject.toml")
    )


def _load(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _optional(name: str) -> ModuleType | None:
    """A measuring tool's module, or None when it is not installed in this build."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _sloc(files: Iterable[Path]) -> int | None:
    raw = _optional("radon.raw")
    if raw is None:
        return None
    return sum(int(raw.analyze(p.read_text(encoding="utf-8")).sloc) for p in files)


def _docstring_coverage(src: Path) -> float | None:
    config = _optional("interrogate.config")
    coverage = _optional("interrogate.coverage")
    if config is None or coverage is None:
        return None
    conf = config.InterrogateConfig(
        ignore_init_method=True,
        ignore_init_module=True,
        ignore_magic=True,
        ignore_private=True,
        ignore_semiprivate=True,
        ignore_nested_functions=True,
        ignore_nested_classes=True,
        ignore_overloaded_functions=True,
    )
    results = coverage.InterrogateCoverage(paths=[str(src)], conf=conf).get_coverage()
    return float(results.perc_covered) if results.total else 100.0


def _hot_spots(packages: list[str]) -> list[tuple[int, str, str]] | None:
    complexity = _optional("radon.complexity")
    if complexity is None:
        return None
    spots = []
    for package in packages:
        src = ROOT / "packages" / f"bricolage-{package}" / "src"
        for path in _python_files(src):
            for block in complexity.cc_visit(path.read_text(encoding="utf-8")):
                if block.complexity >= HOT_SPOT_MIN:
                    where = f"{path.relative_to(ROOT).as_posix()}:{block.lineno}"
                    spots.append((block.complexity, block.fullname, where))
    return sorted(spots, key=lambda s: (-s[0], s[2]))


def _fmt(value: object, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}{suffix}"
    return f"{value}{suffix}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "an unknown commit"


def render() -> str:
    """The page, as Markdown (without its title: ``docs/quality.md`` holds the title)."""
    packages = _packages()
    out = [
        (
            f"Figures for commit `{_commit()}`, from the reports CI leaves in `reports/` "
            "(see `tools/quality.py`). A dash means the figure was not measured in this build."
        ),
        "",
        "## Per package",
        "",
    ]
    rows = []
    for package in packages:
        folder = ROOT / "packages" / f"bricolage-{package}"
        coverage = _load(REPORTS / "coverage" / f"{package}.json")
        percent = None
        if coverage is not None:
            totals = coverage.get("totals", {})
            percent = totals.get("percent_covered") if isinstance(totals, dict) else None
        types = _load(REPORTS / "types" / f"{package}.json") or {}
        rows.append(
            [
                f"bricolage-{package}",
                _fmt(_sloc(_python_files(folder / "src"))),
                _fmt(_sloc(_python_files(folder / "tests"))),
                _fmt(percent, "%"),
                _fmt(_docstring_coverage(folder / "src"), "%"),
                _fmt(types.get("mypy_errors")),
                _fmt(types.get("completeness"), "%"),
            ]
        )
    out += _table(
        [
            "package",
            "source lines",
            "test lines",
            "branch coverage",
            "public docstrings",
            "mypy --strict errors (wheel)",
            "type completeness (pyright)",
        ],
        rows,
    )
    out += [
        (
            "Lines are source lines of code (radon). Branch coverage is measured by the "
            "package's `tests` session. Docstring coverage counts public names only "
            "(interrogate). The two type columns check the built wheel, installed with every "
            "extra, from outside the checkout (`wheeltypes` session)."
        ),
        "",
        "## Mutation testing",
        "",
        (
            "mutmut mutates each sans-I/O core and runs, for every mutant, the tests of that "
            "module that reach the mutated function. The score is killed / checked; the goal "
            "is at least 90% on each module. CI runs a time-capped sample (`mutation-ci`); the "
            'full run is `nox -s "mutation(<package>.<module>)"`.'
        ),
        "",
    ]
    rows = []
    notes = []
    for path in sorted((REPORTS / "mutation").glob("*.json")):
        result = _load(path)
        if result is None:
            continue
        name = str(result.get("target", path.stem))
        capped = " (time-capped sample)" if result.get("capped") else ""
        rows.append(
            [
                f"`{result.get('module', name)}`",
                _fmt(result.get("total")),
                _fmt(result.get("checked")),
                _fmt(result.get("killed")),
                _fmt(result.get("survived")),
                _fmt(result.get("no_tests")),
                _fmt(result.get("score"), "%") + capped,
            ]
        )
        if name in SURVIVOR_NOTES:
            notes.append(f"- `{name}`: {SURVIVOR_NOTES[name]}")
    if rows:
        out += _table(
            ["module", "mutants", "checked", "killed", "survived", "no tests", "score"], rows
        )
    else:
        out += ["No mutation results in this build.", ""]
    if notes:
        out += ["Surviving mutants, explained:", "", *notes, ""]

    out += ["## Complexity hot spots", ""]
    spots = _hot_spots(packages)
    if spots is None:
        out += ["radon is not installed in this build.", ""]
    elif not spots:
        out += [f"No function has a cyclomatic complexity of {HOT_SPOT_MIN} or more.", ""]
    else:
        out += [
            (
                f"Functions with a cyclomatic complexity of {HOT_SPOT_MIN} or more (radon "
                f"rank C and worse), the {min(len(spots), HOT_SPOTS_SHOWN)} highest of "
                f"{len(spots)}:"
            ),
            "",
        ]
        out += _table(
            ["complexity", "function", "where"],
            [[str(c), f"`{n}`", f"`{w}`"] for c, n, w in spots[:HOT_SPOTS_SHOWN]],
        )

    out += ["## Benchmarks", ""]
    bench = sorted((REPORTS / "bench").glob("*.txt"))
    if not bench:
        out += [
            (
                "No benchmark results in this build: `nox -s bench -- <name>` keeps its output "
                "in `reports/bench/<name>.txt`, shown here."
            ),
            "",
        ]
    for path in bench:
        lines = path.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
        out += [f"### {path.stem}", "", "```text", *lines[-40:], "```", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--print", action="store_true", help="also print the page")
    args = parser.parse_args(argv)
    page = render()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not args.out.is_file() or args.out.read_text(encoding="utf-8") != page:
        args.out.write_text(page, encoding="utf-8")
    if args.print:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
