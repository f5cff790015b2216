"""Developer and CI sessions for the bricolage monorepo.

Packages are discovered from ``packages/*/pyproject.toml`` and examples from
``examples/*/pyproject.toml``: adding either needs no edit of this file.

    nox -s ci                      # everything CI runs
    nox -s tests -p settings       # one package's tests (also: nox -s "tests(settings)")
    nox -s bench -- search         # one benchmark
    nox -s demo                    # the default demo (DEMO_EXAMPLE below)
    nox -s "wheeltypes(http)"      # mypy --strict and pyright --verifytypes on the built wheel
    nox -s "mutation(http.rfc9111)"   # full mutation run of one sans-I/O module
    nox -s changelog release-dryrun
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType

import nox

# The example ``nox -s demo`` runs when no example is named.
DEMO_EXAMPLE = "todo-web"

ROOT = Path(__file__).parent
REPORTS = ROOT / "reports"  # test reports, coverage, type and mutation figures (CI artefacts)
PACKAGES_DIR = ROOT / "packages"
EXAMPLES_DIR = ROOT / "examples"
BENCHMARKS_DIR = ROOT / "benchmarks"

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["ci"]

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _names(folder: Path) -> list[str]:
    """Sorted short names of the projects below ``folder`` (those with a pyproject)."""
    if not folder.is_dir():
        return []
    return sorted(p.parent.name for p in folder.glob("*/pyproject.toml"))


PACKAGES = [name.removeprefix("bricolage-") for name in _names(PACKAGES_DIR)]
EXAMPLES = _names(EXAMPLES_DIR)


def _package_dir(name: str) -> Path:
    return PACKAGES_DIR / f"bricolage-{name}"


def _pyproject(path: Path) -> dict[str, object]:
    return nox.project.load_toml(path / "pyproject.toml")


def _requirement_name(requirement: str) -> str:
    match = _REQ_NAME.match(requirement)
    if match is None:  # pragma: no cover - a malformed pyproject fails elsewhere first
        raise ValueError(f"cannot read a project name from requirement {requirement!r}")
    return match.group(1).lower().replace("_", "-")


def _local_siblings(project_dir: Path, extras: tuple[str, ...] = ()) -> list[Path]:
    """Every bricolage package that ``project_dir`` depends on, transitively, as paths.

    The siblings are not on the index the tests use, so they are installed from their
    folders: a package is tested against the siblings in this very checkout.
    """
    seen: dict[str, Path] = {}
    todo = [(project_dir, extras)]
    while todo:
        current, wanted_extras = todo.pop()
        project = _pyproject(current)["project"]
        assert isinstance(project, dict)
        requirements = list(project.get("dependencies", []))
        optional = project.get("optional-dependencies", {})
        for extra in wanted_extras:
            requirements.extend(optional.get(extra, []))
        for requirement in requirements:
            name = _requirement_name(requirement)
            if name.startswith("bricolage-") and name not in seen:
                path = PACKAGES_DIR / name
                if not path.is_dir():
                    raise ValueError(f"{current.name} depends on {name}, not found in packages/")
                seen[name] = path
                todo.append((path, ()))
    return list(seen.values())


def _group(project_dir: Path, group: str) -> list[str]:
    data = _pyproject(project_dir)
    groups = data.get("dependency-groups", {})
    assert isinstance(groups, dict)
    if group not in groups:
        return []
    return list(nox.project.dependency_groups(data, group))


def _install_project(
    session: nox.Session, project_dir: Path, *, group: str | None, editable: bool = True
) -> None:
    """Install one project, its local siblings and one of its dependency groups."""
    extras = _pyproject(project_dir)["project"]
    assert isinstance(extras, dict)
    all_extras = tuple(extras.get("optional-dependencies", {}))
    args: list[str] = []
    for sibling in _local_siblings(project_dir, all_extras):
        args += ["-e", str(sibling)] if editable else [str(sibling)]
    target = f"{project_dir}[{','.join(all_extras)}]" if all_extras else str(project_dir)
    args += ["-e", target] if editable else [target]
    if group is not None:
        args += _group(project_dir, group)
    session.install(*args)


def _load_tool(name: str) -> ModuleType:
    """A script under ``tools/`` loaded as a module (its tables drive sessions below)."""
    spec = importlib.util.spec_from_file_location(f"_tools_{name}", ROOT / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# "<package>.<module>" for each sans-I/O core under mutation testing (tools/mutation.py).
MUTATION_TARGETS = sorted(_load_tool("mutation").TARGETS)
# The bounded CI form: this many seconds of mutants per module, the fastest first.
MUTATION_CI_SECONDS = 60


@nox.session(python=False)
def ci(session: nox.Session) -> None:
    """Everything CI runs: tests, types, lint, docs, builds, release checks and examples.

    Sized for about 35 minutes on two cores: the full mutation runs (``mutation(...)``)
    stay out; ``mutation-ci`` spends a fixed time per module instead.
    """
    session.notify("workflows")
    session.notify("changelog")
    session.notify("lint")
    for name in PACKAGES:
        session.notify(f"tests({name})")
        session.notify(f"typecheck({name})")
        session.notify(f"build({name})")
        session.notify(f"wheeltypes({name})")
    for target in MUTATION_TARGETS:
        session.notify(f"mutation-ci({target})")
    session.notify("release-dryrun")
    for example in EXAMPLES:
        session.notify(f"examples({example})")
    # Last: the docs carry the quality page, written from the reports of the sessions above.
    session.notify("docs")


@nox.session
@nox.parametrize("package", PACKAGES, ids=PACKAGES)
def tests(session: nox.Session, package: str) -> None:
    """One package's tests, doctests included, in an env holding only what it declares."""
    path = _package_dir(package)
    _install_project(session, path, group="test")
    session.install("pytest-cov>=5")
    # Measured by path: the editable install maps the module to this folder.
    source = path / "src" / "bricolage" / package
    session.run(
        "pytest",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(path),
        f"--cov={source}",
        "--cov-branch",
        "--cov-report=term-missing:skip-covered",
        f"--cov-report=json:{REPORTS / 'coverage' / f'{package}.json'}",
        "--cov-fail-under=90",
        f"--junitxml={REPORTS / 'junit' / f'tests-{package}.xml'}",
        "--doctest-modules",
        "-p",
        "no:cacheprovider",
        str(path / "src"),
        str(path / "tests"),
        *session.posargs,
        env={"COVERAGE_FILE": str(ROOT / f".coverage.{package}")},
    )


@nox.session
@nox.parametrize("package", PACKAGES, ids=PACKAGES)
def typecheck(session: nox.Session, package: str) -> None:
    """``mypy --strict`` over one package's source and tests."""
    path = _package_dir(package)
    _install_project(session, path, group="test")
    session.install("mypy>=1.13")
    session.run(
        "mypy",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        str(path / "src"),
        str(path / "tests"),
        env={"MYPYPATH": str(path / "src")},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """``ruff check`` and ``ruff format --check`` over the whole tree."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


def _install_docs(session: nox.Session) -> None:
    # Each package with its test group: docstring examples may use what its tests use.
    for name in PACKAGES:
        _install_project(session, _package_dir(name), group="test")
    session.install("-r", str(ROOT / "docs" / "requirements.txt"))


@nox.session
def docs(session: nox.Session) -> None:
    """The Sphinx site with warnings as errors, then its doctests; silent when all is well."""
    _install_docs(session)
    out = ROOT / "docs" / "_build"
    shutil.rmtree(out, ignore_errors=True)
    common = ["-W", "--keep-going", "-q", str(ROOT / "docs")]
    session.run("sphinx-build", "-b", "html", *common, str(out / "html"))
    session.run("sphinx-build", "-b", "doctest", *common, str(out / "doctest"))


@nox.session(name="docs-versions")
def docs_versions(session: nox.Session) -> None:
    """The published site: ``latest`` and each package's releases, with a version switcher.

    Writes ``docs/_build/site`` (see ``tools/docs_versions.py``); the docs workflow deploys it.
    """
    _install_docs(session)
    session.run("python", str(ROOT / "tools" / "docs_versions.py"), *session.posargs)


@nox.session
@nox.parametrize("package", PACKAGES, ids=PACKAGES)
def build(session: nox.Session, package: str) -> None:
    """Build one package, check it as the index would, and import the wheel alone."""
    path = _package_dir(package)
    session.install("build>=1.2", "twine>=5", "uv>=0.5")
    dist = ROOT / "dist" / package
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(dist), str(path))
    artifacts = sorted(str(p) for p in dist.iterdir())
    session.run("twine", "check", "--strict", *artifacts)
    wheel = next(dist.glob("*.whl"))
    _check_wheel(session, wheel, package)
    # A clean environment holding the wheel and its declared dependencies only.
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        session.run("uv", "venv", "--quiet", "--python", "python", str(venv))
        python = str(venv / "bin" / "python")
        siblings = [str(s) for s in _local_siblings(path)]
        session.run("uv", "pip", "install", "--quiet", "--python", python, *siblings, str(wheel))
        session.run(
            python,
            "-c",
            f"import bricolage.{package} as m; assert m.__version__; "
            "print(m.__name__, m.__version__, m.__file__)",
            external=True,
        )


def _check_wheel(session: nox.Session, wheel: Path, package: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    if "bricolage/__init__.py" in names:
        session.error(f"{wheel.name} ships bricolage/__init__.py; the namespace must stay open")
    if f"bricolage/{package}/py.typed" not in names:
        session.error(f"{wheel.name} does not ship bricolage/{package}/py.typed")
    stray = sorted(n for n in names if "/tests/" in n or n.startswith("tests/"))
    if stray:
        session.error(f"{wheel.name} ships test files: {stray}")
    session.log(f"{wheel.name}: {len(names)} files, py.typed present, namespace open")


@nox.session
@nox.parametrize("package", PACKAGES, ids=PACKAGES)
def wheeltest(session: nox.Session, package: str) -> None:
    """One package's test suite against its built wheel (what a release publishes).

    Run ``build(<package>)`` first; the tests then import the installed wheel, not the
    source tree.
    """
    path = _package_dir(package)
    wheels = sorted((ROOT / "dist" / package).glob("*.whl"))
    if not wheels:
        session.error(f"no wheel in dist/{package}: run nox -s 'build({package})' first")
    siblings = [str(s) for s in _local_siblings(path)]
    session.install(*siblings, str(wheels[-1]), *_group(path, "test"))
    session.run(
        "pytest",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(path),
        "-p",
        "no:cacheprovider",
        str(path / "tests"),
        *session.posargs,
    )


@nox.session
@nox.parametrize("example", EXAMPLES, ids=EXAMPLES)
def examples(session: nox.Session, example: str) -> None:
    """One example application's tests.

    Screenshots and other artefacts go to the folder named by ``BRICOLAGE_ARTIFACTS``
    (``reports/artifacts/<example>/``), which CI uploads.
    """
    path = EXAMPLES_DIR / example
    _install_project(session, path, group="test")
    session.install("mypy>=1.13")
    # Examples meet the packages' standard: mypy --strict over their code and tests.
    session.run(
        "mypy",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        str(path / "src"),
        str(path / "tests"),
        env={"MYPYPATH": str(path / "src")},
    )
    artifacts = REPORTS / "artifacts" / example
    artifacts.mkdir(parents=True, exist_ok=True)
    # An example that declares [tool.coverage] has its branch coverage enforced (95%, the
    # flagship's bar), its own subprocesses (servers, workers) included.
    coverage: list[str] = []
    tool = _pyproject(path).get("tool", {})
    if isinstance(tool, dict) and "coverage" in tool:
        session.install("pytest-cov>=5")
        coverage = [
            f"--cov-config={path / 'pyproject.toml'}",
            "--cov",
            "--cov-branch",
            "--cov-report=term-missing:skip-covered",
            "--cov-fail-under=95",
        ]
    session.run(
        "pytest",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(path),
        "-p",
        "no:cacheprovider",
        f"--junitxml={REPORTS / 'junit' / f'examples-{example}.xml'}",
        *coverage,
        str(path / "tests"),
        *session.posargs,
        env={
            "BRICOLAGE_ARTIFACTS": str(artifacts),
            "COVERAGE_FILE": str(ROOT / f".coverage.example-{example}"),
        },
    )


@nox.session
def conformance(session: nox.Session) -> None:
    """The HTTP caching test suite: bricolage-http (shared, private) beside its peers.

    ``tests(http)`` already fails on any required failure of the shared cache; this session
    prints the whole table, with hishel, CacheControl and requests-cache in the same harness.
    """
    _install_project(session, _package_dir("http"), group=None, editable=False)
    session.install("-r", str(BENCHMARKS_DIR / "http" / "requirements.txt"))
    session.run(
        "python",
        str(BENCHMARKS_DIR / "http" / "conformance.py"),
        "--fail-on-required",
        *session.posargs,
    )


BENCHMARKS = sorted(p.parent.name for p in BENCHMARKS_DIR.glob("*/run.py"))


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Run one benchmark side by side with its peers: ``nox -s bench -- <name> [args]``.

    Each benchmark runs in an environment of its own (``benchmark(<name>)``) holding only its
    contenders, so one peer's optional accelerator never speeds up another benchmark.
    """
    if not session.posargs:
        session.error(
            f"name a benchmark: nox -s bench -- <name>  (one of: {', '.join(BENCHMARKS)})"
        )
    name, *rest = session.posargs
    if name not in BENCHMARKS:
        session.error(f"no benchmark named {name!r}; one of: {', '.join(BENCHMARKS)}")
    session.notify(f"benchmark({name})", posargs=rest)


@nox.session
@nox.parametrize("name", BENCHMARKS, ids=BENCHMARKS)
def benchmark(session: nox.Session, name: str) -> None:
    """One benchmark in its own environment: the package, built as a wheel, and its peers."""
    folder = BENCHMARKS_DIR / name
    package = _package_dir(name)
    if package.is_dir():
        _install_project(session, package, group=None, editable=False)
    requirements = folder / "requirements.txt"
    if requirements.is_file():
        session.install("-r", str(requirements))
    # The printed figures are also kept as the last run's results, for the quality page.
    results = REPORTS / "bench" / f"{name}.txt"
    results.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python", "-u", _quote(folder / "run.py"), *map(_quote, session.posargs)])
    session.run(
        "bash", "-o", "pipefail", "-c", f"{command} | tee {_quote(results)}", external=True
    )


def _quote(value: object) -> str:
    return shlex.quote(str(value))


@nox.session
def demo(session: nox.Session) -> None:
    """Run an example as a demo: ``nox -s demo -- <example> [args]`` (default: DEMO_EXAMPLE)."""
    name, *rest = session.posargs or [DEMO_EXAMPLE]
    path = EXAMPLES_DIR / name
    if not path.is_dir():
        session.error(f"no example named {name!r}; one of: {', '.join(EXAMPLES)}")
    tool = _pyproject(path).get("tool", {})
    assert isinstance(tool, dict)
    command = tool.get("bricolage", {}).get("demo")
    if not command:
        session.error(f"{path / 'pyproject.toml'} has no [tool.bricolage] demo command")
    _install_project(session, path, group=None)
    session.run(*command, *rest, external=False)


# --- release engineering and quality gates ------------------------------------------------


def _build_wheel(session: nox.Session, project_dir: Path, outdir: Path) -> Path:
    """Build one project's wheel into ``outdir`` and return its path."""
    outdir.mkdir(parents=True, exist_ok=True)
    for old in outdir.glob("*.whl"):
        old.unlink()
    session.run(
        "python", "-m", "build", "--wheel", "--installer", "uv", "--outdir", str(outdir),
        str(project_dir), silent=True,
    )  # fmt: skip
    return next(outdir.glob("*.whl"))


def _all_extras(project_dir: Path) -> tuple[str, ...]:
    project = _pyproject(project_dir)["project"]
    assert isinstance(project, dict)
    return tuple(project.get("optional-dependencies", {}))


@nox.session
@nox.parametrize("package", PACKAGES, ids=PACKAGES)
def wheeltypes(session: nox.Session, package: str) -> None:
    """Type-check the built wheel as a user gets it, from outside the checkout.

    The wheel (and its sibling wheels) go, with every extra, into a fresh environment;
    ``mypy --strict -p bricolage.<package>`` and ``pyright --verifytypes bricolage.<package>
    --ignoreexternal`` then run against that environment from a temporary folder, so that
    nothing in the source tree can stand in for what the wheel ships. Fails on any mypy
    error and on a type completeness below 100%.
    """
    path = _package_dir(package)
    session.install("build>=1.2", "uv>=0.5", "mypy>=1.13", "pyright>=1.1.400")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wheels = [_build_wheel(session, path, tmp / "wheels" / package)]
        for sibling in _local_siblings(path):
            wheels.append(_build_wheel(session, sibling, tmp / "wheels" / sibling.name))
        venv = tmp / "venv"
        python = str(venv / "bin" / "python")
        session.run("uv", "venv", "--quiet", "--python", "python", str(venv))
        extras = _all_extras(path)
        target = f"{wheels[0]}[{','.join(extras)}]" if extras else str(wheels[0])
        session.run(
            "uv", "pip", "install", "--quiet", "--python", python, *map(str, wheels[1:]), target
        )
        work = tmp / "outside"
        work.mkdir()
        session.chdir(work)
        mypy = session.run(
            "mypy", "--strict", "--python-executable", python, "--cache-dir", str(tmp / "mypy"),
            "-p", f"bricolage.{package}", success_codes=[0, 1], silent=True,
        )  # fmt: skip
        # pyright finds the installed packages through the Python first on PATH: the fresh
        # environment's, not this session's.
        command = [
            str(Path(session.bin) / "pyright"), "--outputjson", "--ignoreexternal",
            "--verifytypes", f"bricolage.{package}",
        ]  # fmt: skip
        session.log(" ".join(command))
        env = dict(os.environ, VIRTUAL_ENV=str(venv))
        env["PATH"] = os.pathsep.join([str(venv / "bin"), *_outside_path(session)])
        pyright = subprocess.run(
            command, cwd=work, env=env, capture_output=True, text=True, check=False
        ).stdout
        session.chdir(ROOT)
    mypy_out = str(mypy or "")
    print(mypy_out.rstrip())
    mypy_errors = len(re.findall(r": error: ", mypy_out))
    completeness = json.loads(str(pyright))["typeCompleteness"]
    score = float(completeness["completenessScore"])
    problems = [
        f"{s['name']}: {d['message']}"
        for s in completeness["symbols"]
        for d in s.get("diagnostics", [])
        if d.get("severity") == "error"
    ]
    for problem in problems[:40]:
        print(f"pyright: {problem}")
    if len(problems) > 40:
        print(f"pyright: ... and {len(problems) - 40} more")
    figures = {
        "package": package,
        "mypy_errors": mypy_errors,
        "completeness": round(100.0 * score, 1),
        "known": completeness["exportedSymbolCounts"]["withKnownType"],
        "ambiguous": completeness["exportedSymbolCounts"]["withAmbiguousType"],
        "unknown": completeness["exportedSymbolCounts"]["withUnknownType"],
    }
    out = REPORTS / "types" / f"{package}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    session.log(
        f"bricolage.{package} wheel: mypy --strict {mypy_errors} errors, "
        f"pyright type completeness {figures['completeness']}%"
    )
    if mypy_errors or score < 1.0:
        session.error(f"bricolage.{package} wheel is not type-complete: {figures}")


def _outside_path(session: nox.Session) -> list[str]:
    """PATH without this session's own environment."""
    own = str(Path(session.bin).resolve())
    entries = os.environ.get("PATH", "").split(os.pathsep)
    return [e for e in entries if e and str(Path(e).resolve()) != own]


def _mutation(session: nox.Session, target: str, *, max_seconds: float | None) -> None:
    package = target.split(".", 1)[0]
    _install_project(session, _package_dir(package), group="test", editable=False)
    session.install("mutmut>=3.3")
    tool = _load_tool("mutation")
    floor = tool.TARGETS[target].floor
    args = [
        str(ROOT / "tools" / "mutation.py"), target,
        "--workdir", str(Path(session.create_tmp()) / "mutmut"),
        "--out", str(REPORTS / "mutation" / f"{target}.json"),
        "--fail-under", str(floor),
    ]  # fmt: skip
    if max_seconds is not None:
        args += ["--max-seconds", str(max_seconds)]
    session.run("python", *args, *session.posargs)


@nox.session
@nox.parametrize("target", MUTATION_TARGETS, ids=MUTATION_TARGETS)
def mutation(session: nox.Session, target: str) -> None:
    """Every mutant of one sans-I/O module, against that module's tests (mutmut).

    ``target`` is ``<package>.<module>`` as listed in ``tools/mutation.py``; the score and
    the survivors go to ``reports/mutation/<target>.json`` for the quality page.
    """
    _mutation(session, target, max_seconds=None)


@nox.session(name="mutation-ci")
@nox.parametrize("target", MUTATION_TARGETS, ids=MUTATION_TARGETS)
def mutation_ci(session: nox.Session, target: str) -> None:
    """The bounded form CI runs: ``MUTATION_CI_SECONDS`` of mutants, the fastest first."""
    _mutation(session, target, max_seconds=MUTATION_CI_SECONDS)


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def _base_for(package: str) -> str:
    """The commit a package's changes are measured from.

    ``BRICOLAGE_BASE`` when set (CI sets the pull request's base), else the package's last
    release tag reachable from HEAD, else the merge base with ``origin/main`` or ``main``.
    """
    explicit = os.environ.get("BRICOLAGE_BASE", "")
    if explicit:
        return explicit
    tag = _git("describe", "--tags", "--abbrev=0", "--match", f"bricolage-{package}-v*", "HEAD")
    if tag:
        return tag
    for ref in ("origin/main", "main"):
        base = _git("merge-base", "HEAD", ref)
        if base:
            return base
    return "HEAD"


def _changed(package: str, base: str, *paths: str) -> list[str]:
    folder = f"packages/bricolage-{package}"
    spec = [f"{folder}/{p}" for p in paths] or [folder]
    return _git("diff", "--name-only", f"{base}...HEAD", "--", *spec).splitlines()


@nox.session(python=False)
def changelog(session: nox.Session) -> None:
    """Fail when a package's ``src/`` changed but its ``CHANGELOG.md`` did not.

    Changes are measured from ``BRICOLAGE_BASE``, or the package's last tag, or the merge
    base with main. A commit in that range whose message has a line ``changelog: none``
    (for a change no user can notice) lets its package pass.
    """
    missing = []
    for package in PACKAGES:
        base = _base_for(package)
        src = _changed(package, base, "src")
        if not src:
            continue
        if _changed(package, base, "CHANGELOG.md"):
            session.log(f"bricolage-{package}: src/ and CHANGELOG.md changed since {base[:12]}")
            continue
        log = _git(
            "log", "--format=%B", f"{base}..HEAD", "--", f"packages/bricolage-{package}/src"
        )
        if re.search(r"(?im)^\s*changelog:\s*none\b", log):
            session.log(f"bricolage-{package}: src/ changed, a commit says 'changelog: none'")
            continue
        missing.append(f"bricolage-{package} ({len(src)} files in src/ since {base[:12]})")
    if missing:
        session.error(
            "src/ changed without a CHANGELOG.md entry: "
            + "; ".join(missing)
            + ". Add an entry under [Unreleased] (or a version section), or say "
            "'changelog: none' in the commit message when no user can notice the change."
        )


@nox.session(name="release-dryrun")
def release_dryrun(session: nox.Session) -> None:
    """Build, check and install each changed package from a local index, as a release would.

    Changed means ``src/``, ``pyproject.toml`` or ``README.md`` changed since the package's
    base (see ``changelog``). Name packages to force them: ``nox -s release-dryrun -- http``
    (``-- all`` for every package). Each gets ``python -m build``, ``twine check --strict``,
    ``check-wheel-contents`` and the wheel checks of ``build``, then is installed by name and
    version from a flat index folder holding the built distributions, in a fresh environment.
    """
    if session.posargs == ["all"]:
        chosen = list(PACKAGES)
    elif session.posargs:
        unknown = sorted(set(session.posargs) - set(PACKAGES))
        if unknown:
            session.error(f"no package named {unknown}; one of: {', '.join(PACKAGES)}")
        chosen = list(session.posargs)
    else:
        chosen = [
            p for p in PACKAGES if _changed(p, _base_for(p), "src", "pyproject.toml", "README.md")
        ]
    if not chosen:
        session.log("no package changed since its base: nothing to release")
        return
    session.install("build>=1.2", "twine>=5", "check-wheel-contents>=0.6", "uv>=0.5")
    with tempfile.TemporaryDirectory() as tmp_name:
        index = Path(tmp_name) / "index"
        index.mkdir()
        # Every package is built into the index, so a changed package finds its siblings.
        for package in PACKAGES:
            session.run(
                "python", "-m", "build", "--installer", "uv", "--outdir", str(index),
                str(_package_dir(package)), silent=True,
            )  # fmt: skip
        for package in chosen:
            version = str(_pyproject(_package_dir(package))["project"]["version"])  # type: ignore[index]
            stem = f"bricolage_{package}-{version}"
            artifacts = sorted(str(p) for p in index.glob(f"{stem}*"))
            session.run("twine", "check", "--strict", *artifacts)
            wheel = index / f"{stem}-py3-none-any.whl"
            session.run("check-wheel-contents", str(wheel))
            _check_wheel(session, wheel, package)
            venv = Path(tmp_name) / f"venv-{package}"
            python = str(venv / "bin" / "python")
            session.run("uv", "venv", "--quiet", "--python", "python", str(venv))
            session.run(
                "uv", "pip", "install", "--quiet", "--python", python, "--find-links",
                str(index), f"bricolage-{package}=={version}",
            )  # fmt: skip
            session.run(
                python, "-c",
                f"import bricolage.{package} as m; "
                f"assert m.__version__ == {version!r}, m.__version__; "
                "print(m.__name__, m.__version__, 'installed from the local index')",
                external=True,
            )  # fmt: skip


@nox.session
def workflows(session: nox.Session) -> None:
    """Audit the GitHub workflows: zizmor (offline) and GitHub's workflow schema."""
    session.install("zizmor>=1.5", "check-jsonschema>=0.30")
    files = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    # The whole repository: the workflows and the dependabot configuration.
    session.run("zizmor", "--offline", "--min-severity", "low", str(ROOT))
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files)
    dependabot = ROOT / ".github" / "dependabot.yml"
    session.run("check-jsonschema", "--builtin-schema", "vendor.dependabot", str(dependabot))


@nox.session
def quality(session: nox.Session) -> None:
    """Write the quality page from the reports of the other sessions and print it."""
    session.install("radon>=6", "interrogate>=1.7")
    session.run("python", str(ROOT / "tools" / "quality.py"), "--print")
