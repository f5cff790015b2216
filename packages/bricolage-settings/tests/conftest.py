"""Shared fixtures: a clean environment and a settings folder per test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Import every module under its real name before --doctest-modules imports the source files
# under a short name of its own, so that coverage attributes their lines to this package.
from settings_support import PREFIX

import bricolage.settings.__main__
import bricolage.settings._cli
import bricolage.settings.testing  # noqa: F401


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable of the test prefixes leaks in from the machine running the tests."""
    for name in list(os.environ):
        if name.upper().startswith((PREFIX, "SETTINGS_PROFILE", "OTHER_")):
            monkeypatch.delenv(name)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty settings folder, also the working directory."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Async tests run on asyncio and on trio."""
    return str(request.param)
