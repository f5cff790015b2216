"""The application's settings: typed, layered (files, profile, secrets, environment).

Profiles ``dev`` (the default), ``test`` and ``prod`` live in ``todo_web/config``; every
value can be overridden by an environment variable ``TODO_WEB_<NAME>`` or a file named
after the setting in the secrets directory (``/run/secrets`` by default, or
``TODO_WEB_SECRETS_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import Field, SecretStr, model_validator

from bricolage.settings import Settings, SettingsConfigDict

__all__ = ["CONFIG_DIR", "AppSettings", "load_settings"]

CONFIG_DIR = Path(__file__).parent / "config"


class AppSettings(Settings):
    """Everything the application reads from its environment.

    >>> settings = AppSettings.load(profile="test", data_dir="/tmp/todo-example")
    >>> settings.environment, settings.sqlalchemy_url()
    ('test', 'sqlite:////tmp/todo-example/todo.sqlite3')
    """

    model_config = SettingsConfigDict(
        env_prefix="TODO_WEB_", config_dir=CONFIG_DIR, secrets_dir="/run/secrets"
    )

    environment: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path("data")
    database_url: str = ""
    jobs_url: str = ""
    secret_key: SecretStr = SecretStr("")
    origins: list[str] = Field(default_factory=list)
    trusted_proxies: list[str] = Field(default_factory=list)
    cookie_name: str = "__Host-session"
    dev_outbox: bool = False
    password_hashing: Literal["owasp", "strong", "fast-for-tests"] = "strong"  # noqa: S105
    login_rate_limit: int = Field(default=10, ge=1)
    login_rate_period: float = Field(default=60.0, gt=0)
    lockout_free_attempts: int = Field(default=5, ge=0)
    lockout_base_delay: float = Field(default=2.0, gt=0)
    reset_max_age: int = Field(default=3600, ge=60)
    page_size: int = Field(default=20, ge=1, le=200)
    reminder_window_hours: int = Field(default=24, ge=1)
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @model_validator(mode="after")
    def _secret_in_production(self) -> AppSettings:
        if self.environment == "prod" and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError(
                "secret_key must be set in production and be at least 32 characters long "
                "(TODO_WEB_SECRET_KEY or a secrets file named secret_key)"
            )
        return self

    def sqlalchemy_url(self) -> str:
        """The database URL: ``database_url``, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'todo.sqlite3'}"

    def jobs_backend(self) -> str:
        """The job queue: ``jobs_url`` (``redis://``...), or a SQLite file beside the data."""
        return self.jobs_url or str(self.data_dir.resolve() / "jobs.sqlite3")


def load_settings(profile: str | None = None, **values: Any) -> AppSettings:
    """Load the settings for ``profile`` (default: ``TODO_WEB_PROFILE``, else ``dev``).

    >>> load_settings("test", data_dir="/tmp/x").password_hashing
    'fast-for-tests'
    """
    chosen = profile or os.environ.get("TODO_WEB_PROFILE") or "dev"
    secrets_dir = os.environ.get("TODO_WEB_SECRETS_DIR")
    cls: type[AppSettings] = AppSettings
    if secrets_dir:
        config = {**AppSettings.model_config, "secrets_dir": secrets_dir}
        cls = cast(
            "type[AppSettings]", type("AppSettings", (AppSettings,), {"model_config": config})
        )
    return cls.load(profile=chosen, **values)
