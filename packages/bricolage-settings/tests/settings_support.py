"""Settings classes and helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from bricolage.settings import Settings, SettingsConfigDict

PREFIX = "BRT_"


class Database(BaseModel):
    host: str = "localhost"
    port: int = 5432
    password: SecretStr = SecretStr("")


class AppSettings(Settings):
    """The settings most tests load: nested, lists, dicts, a required secret."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, secrets_dir="secrets")

    debug: bool = False
    name: str = "app"
    database: Database = Database()
    hosts: list[str] = Field(default_factory=list)
    ports: list[int] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    api_token: SecretStr = SecretStr("")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
