"""A running service on a free port of 127.0.0.1, with its log lines captured."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from config_service.service import CONFIG_DIR, Service

from bricolage.logging import MemorySink, configure


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the example's settings files, free to edit."""
    return Path(shutil.copytree(CONFIG_DIR, tmp_path / "config"))


@pytest.fixture
def sink() -> Iterator[MemorySink]:
    memory = MemorySink()
    config = configure(service="config-service", level="DEBUG", stream=None, sinks=[memory])
    yield memory
    config.close()


@pytest.fixture
def service(
    config_dir: Path, sink: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    monkeypatch.delenv("SERVICE_PROFILE", raising=False)
    running = Service(
        config_dir=config_dir, port=0, poll_interval=0.05, data_dir=config_dir.parent / "data"
    )
    running.start()
    yield running
    running.stop()
