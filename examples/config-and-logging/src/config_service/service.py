"""The service: settings, a WSGI application, a heartbeat thread and background jobs."""

from __future__ import annotations

import json
import logging
import socketserver
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pydantic import BaseModel, Field, SecretStr

from bricolage.logging import (
    WSGICorrelationMiddleware,
    carry_context,
    correlation_scope,
    get_correlation_id,
    get_logger,
    new_correlation_id,
)
from bricolage.settings import LiveSettings, Settings, SettingsConfigDict, SettingsError

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"

log = get_logger("config_service")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


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


def _json(start_response: StartResponse, status: str, body: object) -> list[bytes]:
    data = json.dumps(body, indent=2).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


class Jobs:
    """Background jobs on threads that log under the correlation id of the request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self.results: dict[str, str] = {}

    def start(self, size: int) -> str:
        job_id = uuid.uuid4().hex[:12]
        worker = threading.Thread(
            target=carry_context(self._run), args=(job_id, size), name=f"job-{job_id}"
        )
        with self._lock:
            self._threads[job_id] = worker
        worker.start()
        return job_id

    def _run(self, job_id: str, size: int) -> None:
        job_log = log.bind(job_id=job_id)
        job_log.info("job started", size=size)
        total = sum(i * i for i in range(size))
        with self._lock:
            self.results[job_id] = str(total)
        job_log.info("job finished", result=total)

    def wait(self, timeout: float = 5.0) -> None:
        with self._lock:
            threads = list(self._threads.values())
        for worker in threads:
            worker.join(timeout)


def create_app(live: LiveSettings[ServiceSettings], jobs: Jobs | None = None) -> WSGIApp:
    """The WSGI application, wrapped in the correlation-id middleware.

    Every request reads ``live.current`` afresh, so a reload shows at the next request.
    """
    jobs = jobs if jobs is not None else Jobs()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        settings = live.current
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        log.info("request", method=method, path=path)
        if method == "GET" and path == "/":
            return _json(
                start_response,
                "200 OK",
                {
                    "greeting": settings.greeting,
                    "service": settings.name,
                    "correlation_id": get_correlation_id(),
                },
            )
        if method == "GET" and path == "/settings":
            explanation = settings.explain().as_dict()
            return _json(start_response, "200 OK", explanation)
        if method == "POST" and path == "/jobs":
            job_id = jobs.start(size=10_000)
            return _json(start_response, "202 Accepted", {"job_id": job_id})
        if method == "GET" and path == "/health":
            return _json(start_response, "200 OK", {"status": "ok"})
        log.warning("not found", method=method, path=path)
        return _json(start_response, "404 Not Found", {"error": f"no route {method} {path}"})

    return WSGICorrelationMiddleware(app)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Access lines go through the JSON logger instead of stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        logging.getLogger("config_service.access").debug(format, *args)


class Service:
    """The running service: live settings, HTTP server, heartbeat thread.

    >>> # see tests/ and __main__.py for use; it binds a port, so no doctest here
    """

    def __init__(
        self,
        *,
        config_dir: Path = CONFIG_DIR,
        profile: str | None = None,
        port: int | None = None,
        poll_interval: float = 0.5,
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
        self.jobs = Jobs()
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        settings = self.live.current
        self.server = make_server(
            settings.host,
            settings.port,
            create_app(self.live, self.jobs),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        self._serve = threading.Thread(target=self.server.serve_forever, name="http")

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        return f"http://{host!s}:{self.server.server_port}"

    def start(self) -> None:
        settings = self.live.current
        log.info(
            "service starting",
            url=self.url,
            profile=settings.explain().profile,
            database=settings.database.url,
        )
        self.live.start(interval=self._poll_interval)
        self._serve.start()
        self._heartbeat.start()

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.live.stop()
        self.jobs.wait()
        self._serve.join(5)
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
                log.debug("heartbeat", jobs_done=len(self.jobs.results))

    @staticmethod
    def _reloaded(old: ServiceSettings, new: ServiceSettings) -> None:
        before, after = old.explain(), new.explain()
        changed = sorted(row.field for row in after if before[row.field].value != row.value)
        log.info("settings reloaded", changed=changed)

    @staticmethod
    def _reload_refused(error: SettingsError) -> None:
        log.error("settings reload refused; keeping the previous settings", reason=str(error))
