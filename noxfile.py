"""Developer and CI sessions for the bricolage monorepo.

Packages are discovered from ``packages/*/pyproject.toml`` and examples from
``examples/*/pyproject.toml``: adding either needs no edit of this file.

    nox -s ci                      # everything CI runs
    nox -s tests -p settings       # one package's tests (also: nox -s "tests(settings)")
    nox -s bench -- search         # one benchmark
    nox -s demo -- config-and-logging
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
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


@nox.session(python=False)
def ci(session: nox.Session) -> None:
    """Everything CI runs: tests, types, lint, docs, builds and examples of every project."""
    for name in PACKAGES:
        session.notify(f"tests({name})")
        session.notify(f"typecheck({name})")
        session.notify(f"build({name})")
    session.notify("lint")
    session.notify("docs")
    for example in EXAMPLES:
        session.notify(f"examples({example})")


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
        "--cov-fail-under=90",
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


@nox.session
def docs(session: nox.Session) -> None:
    """The Sphinx site with warnings as errors, then its doctests."""
    # Each package with its test group: docstring examples may use what its tests use.
    for name in PACKAGES:
        _install_project(session, _package_dir(name), group="test")
    session.install("-r", str(ROOT / "docs" / "requirements.txt"))
    out = ROOT / "docs" / "_build"
    shutil.rmtree(out, ignore_errors=True)
    common = ["-W", "--keep-going", "-q", str(ROOT / "docs")]
    session.run("sphinx-build", "-b", "html", *common, str(out / "html"))
    session.run("sphinx-build", "-b", "doctest", *common, str(out / "doctest"))


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
    """One example application's tests."""
    path = EXAMPLES_DIR / example
    _install_project(session, path, group="test")
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
    session.run("python", str(folder / "run.py"), *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Run an example as a demo: ``nox -s demo -- <example> [args]``."""
    name, *rest = session.posargs or ["config-and-logging"]
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
