"""The service: settings, a Flask application, a job queue with its worker, a heartbeat."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr

from bricolage.jobs import Worker
from bricolage.logging import correlation_scope, get_logger, new_correlation_id
from bricolage.settings import LiveSettings, Settings, SettingsConfigDict, SettingsError
from config_service._server import Server, working
from config_service.app import create_app
from config_service.jobs import Jobs

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"

log = get_logger("config_service")


def default_data_dir() -> Path:
    """``$CONFIG_SERVICE_DATA``, or ``bricolage-config-service`` in the user's data folder."""
    override = os.environ.get("CONFIG_SERVICE_DATA")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bricolage-config-service"


class DatabaseSettings(BaseModel):
    """Where the service would keep its data."""

    url: str = "sqlite:///service.db"
    pool_size: int = 5


class ServiceSettings(Settings):
    """Every setting of the service, with its default.

    Sources, strongest first: arguments, ``SERVICE_*`` environment variables, ``.env``,
    the secrets directory, ``settings.<profile>.toml``, ``settings.toml``, these defaults.
    The profile comes from ``SERVICE_PROFILE`` (``dev`` when unset).
    """

    model_config = SettingsConfigDict(
        env_prefix="SERVICE_", config_dir=CONFIG_DIR, secrets_dir="secrets"
    )

    name: str = "config-service"
    greeting: str = "hello"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    heartbeat_seconds: float = 30.0
    allowed_origins: list[str] = Field(default_factory=list)
    api_token: SecretStr = SecretStr("dev-token-change-me")
    database: DatabaseSettings = DatabaseSettings()


class Service:
    """The running service: live settings, HTTP server, job queue and worker, heartbeat.

    The job queue is a SQLite file, ``jobs.db`` in ``data_dir``.

    >>> # see tests/ and __main__.py for use; it binds a port, so no doctest here
    """

    def __init__(
        self,
        *,
        config_dir: Path = CONFIG_DIR,
        profile: str | None = None,
        port: int | None = None,
        poll_interval: float = 0.5,
        data_dir: Path | None = None,
    ) -> None:
        overrides: dict[str, Any] = {} if port is None else {"port": port}
        self.live = LiveSettings(
            ServiceSettings,
            profile=profile,
            config_dir=config_dir,
            on_error=self._reload_refused,
            **overrides,
        )
        self.live.subscribe(self._reloaded)
        self.data_dir = data_dir if data_dir is not None else default_data_dir()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.jobs = Jobs(f"sqlite:///{self.data_dir / 'jobs.db'}")
        self._worker = Worker(self.jobs.queue, ["service"], concurrency=2, poll_interval=0.05)
        self._running = contextlib.ExitStack()
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        settings = self.live.current
        self.app = create_app(self.live, self.jobs)
        try:
            self.server = Server(self.app, settings.host, settings.port)
        except OSError:
            self.jobs.close()
            raise

    @property
    def url(self) -> str:
        """Where the service answers, without a trailing slash."""
        return self.server.url

    def start(self) -> None:
        settings = self.live.current
        log.info(
            "service starting",
            port=self.server.port,
            profile=settings.explain().profile,
            database=settings.database.url,
        )
        self.live.start(interval=self._poll_interval)
        self._running.enter_context(working(self._worker))
        self.server.start()
        self._heartbeat.start()

    def stop(self) -> None:
        self._stop.set()
        self.server.stop()
        self.live.stop()
        self._running.close()  # the worker finishes what it runs, then stops
        self.jobs.close()
        self._heartbeat.join(5)
        log.info("service stopped")

    def __enter__(self) -> Service:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _beat(self) -> None:
        while not self._stop.wait(self.live.current.heartbeat_seconds):
            with correlation_scope(new_correlation_id()):
                log.debug("heartbeat", jobs_done=self.jobs.done())

    @staticmethod
    def _reloaded(old: ServiceSettings, new: ServiceSettings) -> None:
        before, after = old.explain(), new.explain()
        changed = sorted(row.field for row in after if before[row.field].value != row.value)
        log.info("settings reloaded", changed=changed)

    @staticmethod
    def _reload_refused(error: SettingsError) -> None:
        log.error("settings reload refused; keeping the previous settings", reason=str(error))
