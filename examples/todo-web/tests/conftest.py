"""Fixtures: settings in a temporary data folder, the app on a frozen clock, a browser-like
client and the factories."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from flask import Flask

sys.path.insert(0, str(Path(__file__).parent))

from helpers import NOW, Browser, Factory, make_settings
from todo_web.app import create_app
from todo_web.settings import AppSettings
from todo_web.web import Runtime

from bricolage.security.testing import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def app(settings: AppSettings, clock: FrozenClock) -> Flask:
    return create_app(settings, clock=clock)


@pytest.fixture
def rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["todo_web"]
    return runtime


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def make(rt: Runtime) -> Factory:
    return Factory(rt)
