#!/usr/bin/env python3
"""Run the project's nox sessions on a machine that has only Python 3.11 or newer.

    python3 bootstrap.py -s demo     # the demo
    python3 bootstrap.py -s ci       # the whole test suite, as CI runs it

It creates ``.tools/`` (a virtual environment with nox and uv) the first time, then hands
every argument to nox. Before a test session it installs, when run as root, the Debian
packages listed in ``system-packages.txt`` that are missing (Redis, PostgreSQL, Chromium...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
REQUIREMENTS = ["nox>=2025.2.9", "uv>=0.5"]


def _bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    return TOOLS / folder / name


SYSTEM_PACKAGES = ROOT / "system-packages.txt"
# Sessions whose tests start servers or browsers from system-packages.txt.
_NEEDS_SYSTEM_PACKAGES = ("ci", "tests", "examples", "wheeltest", "conformance", "mutation")


def _system_packages() -> list[str]:
    """The Debian packages named in ``system-packages.txt`` (comments and blanks skipped)."""
    names = []
    for line in SYSTEM_PACKAGES.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def _missing_system_packages(names: list[str]) -> list[str]:
    dpkg = shutil.which("dpkg-query")
    if dpkg is None:
        return []
    missing = []
    for name in names:
        result = subprocess.run(
            [dpkg, "-W", "-f=${db:Status-Status}", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.stdout.strip() != "installed":
            missing.append(name)
    return missing


def _ensure_system_packages() -> None:
    """Install the Debian packages the suite needs (``system-packages.txt``) when missing."""
    missing = _missing_system_packages(_system_packages())
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        print(f"bootstrap: installing {' '.join(missing)} with apt-get", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run([apt, "update", "-qq"], check=True, env=env)
        subprocess.run(
            [apt, "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
        )
        return
    sys.stderr.write(
        f"bootstrap: missing system packages {' '.join(missing)}; the tests that need them "
        f"will fail. Install them first (sudo apt-get install {' '.join(missing)}).\n"
    )


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - a clear message on an old Python
        sys.stderr.write(f"bricolage needs Python 3.11 or newer; this is {sys.version}\n")
        return 2
    if not _bin("nox").exists():
        print(f"bootstrap: creating {TOOLS} with {', '.join(REQUIREMENTS)}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        subprocess.run(
            [str(_bin("python")), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True
        )
    if not argv or any(a.startswith(_NEEDS_SYSTEM_PACKAGES) for a in argv):
        _ensure_system_packages()
    env = dict(os.environ)
    env["PATH"] = f"{_bin('python').parent}{os.pathsep}{env.get('PATH', '')}"
    command = [str(_bin("nox")), "--noxfile", str(ROOT / "noxfile.py"), *argv]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached nox and the demo as well (one process group): let them stop
            # cleanly and report their own exit code instead of a traceback from here.
            continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
