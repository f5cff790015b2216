"""Load time of a settings object from environment + files: bricolage-settings and its peers.

Every contender reads the same data, prepared in a temporary folder: a base TOML file, a
profile TOML file, a ``.env`` file, a secrets directory and environment variables, for a
settings class of 24 fields (two nested models, lists, a secret). One "load" builds a
complete settings object from all those sources.

    python benchmarks/settings/run.py [--loads 200] [--repeats 7]

Contenders:
- bricolage-settings: ``AppSettings.load()`` (with provenance), and ``.explain()`` after it;
- pydantic-settings: ``BaseSettings`` with the same sources (TOML through
  ``TomlConfigSettingsSource``), validating the same types;
- dynaconf (when installed): the same files and variables, read eagerly; it does not
  validate types, so it does less work.

Printed: the median time per load over the repeats, peak memory of one load (tracemalloc),
and the ratio ours / peer.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bricolage.settings import Settings
from bricolage.settings import SettingsConfigDict as OurConfig

PREFIX = "BENCH_"

BASE_TOML = """
name = "shop"
workers = 4
timeout = 30.0
allowed_hosts = ["shop.example.com"]
feature_flags = ["search", "checkout"]

[database]
host = "db.internal"
port = 5432
user = "shop"
pool_size = 10

[cache]
url = "redis://cache.internal:6379/0"
ttl = 300
"""

PROFILE_TOML = """
workers = 8
debug = false

[database]
host = "db.prod.internal"
pool_size = 20

[cache]
ttl = 600
"""

DOTENV = f"""
{PREFIX}LOG_LEVEL=INFO
{PREFIX}REGION=eu-west-1
{PREFIX}CACHE__PREFIX=shop:
"""

ENVIRON = {
    f"{PREFIX}DEBUG": "false",
    f"{PREFIX}DATABASE__PORT": "6432",
    f"{PREFIX}ADMINS": '["ops@example.com", "dev@example.com"]',
    f"{PREFIX}RETRY_LIMIT": "5",
    f"{PREFIX}SENTRY_DSN": "https://key@sentry.example.com/1",
}


class Database(BaseModel):
    host: str = "localhost"
    port: int = 5432
    user: str = "app"
    pool_size: int = 5
    password: SecretStr = SecretStr("")


class Cache(BaseModel):
    url: str = "redis://localhost:6379/0"
    ttl: int = 60
    prefix: str = ""


class _Fields(BaseModel):
    """The fields, shared by our class and the pydantic-settings class."""

    name: str = "app"
    debug: bool = True
    workers: int = 1
    timeout: float = 10.0
    log_level: str = "DEBUG"
    region: str = "local"
    retry_limit: int = 3
    sentry_dsn: str = ""
    allowed_hosts: list[str] = Field(default_factory=list)
    feature_flags: list[str] = Field(default_factory=list)
    admins: list[str] = Field(default_factory=list)
    api_token: SecretStr = SecretStr("")
    database: Database = Database()
    cache: Cache = Cache()


def prepare(folder: Path) -> None:
    (folder / "settings.toml").write_text(BASE_TOML)
    (folder / "settings.prod.toml").write_text(PROFILE_TOML)
    (folder / ".env").write_text(DOTENV)
    secrets = folder / "secrets"
    secrets.mkdir()
    # Named with the prefix, as pydantic-settings expects; bricolage-settings reads both forms.
    (secrets / f"{PREFIX.lower()}api_token").write_text("tok-123\n")
    os.environ.update(ENVIRON)


def contenders(folder: Path) -> dict[str, Callable[[], Any]]:
    class OurSettings(Settings, _Fields):
        model_config = OurConfig(
            env_prefix=PREFIX, config_dir=folder, secrets_dir="secrets", frozen=True
        )

    class PeerSettings(BaseSettings, _Fields):
        model_config = SettingsConfigDict(
            env_prefix=PREFIX,
            env_nested_delimiter="__",
            env_file=folder / ".env",
            secrets_dir=folder / "secrets",
            toml_file=[folder / "settings.toml", folder / "settings.prod.toml"],
            extra="ignore",
        )

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            toml = TomlConfigSettingsSource(settings_cls, deep_merge=True)
            return (init_settings, env_settings, dotenv_settings, file_secret_settings, toml)

    def ours() -> Any:
        return OurSettings.load(profile="prod")

    def ours_explained() -> Any:
        return OurSettings.load(profile="prod").explain()

    def peer() -> Any:
        return PeerSettings()

    found: dict[str, Callable[[], Any]] = {
        "bricolage-settings": ours,
        "bricolage-settings + explain()": ours_explained,
        "pydantic-settings": peer,
    }
    # The same values from every contender, or the comparison means nothing.
    a, b = ours(), peer()
    assert a.model_dump(mode="json") == b.model_dump(mode="json"), (a, b)
    assert a.api_token.get_secret_value() == b.api_token.get_secret_value() == "tok-123"
    assert (a.database.port, a.workers) == (6432, 8)
    try:
        from dynaconf import Dynaconf
    except ImportError:
        print("dynaconf is not installed: skipped", file=sys.stderr)
        return found

    def dynaconf() -> Any:
        settings = Dynaconf(
            settings_files=[str(folder / "settings.toml"), str(folder / "settings.prod.toml")],
            envvar_prefix=PREFIX.rstrip("_"),
            load_dotenv=True,
            dotenv_path=str(folder / ".env"),
            merge_enabled=True,
        )
        return settings.as_dict()  # dynaconf is lazy: force the load

    loaded = dynaconf()
    assert (loaded["DATABASE"]["port"], loaded["WORKERS"]) == (6432, 8), loaded
    found["dynaconf"] = dynaconf
    return found


def measure(load: Callable[[], Any], loads: int, repeats: int) -> tuple[float, int]:
    for _ in range(min(20, loads)):  # warm up: imports, caches, pydantic schemas
        load()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        for _ in range(loads):
            load()
        times.append((time.perf_counter() - start) / loads)
    gc.collect()
    tracemalloc.start()
    load()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=200, help="loads per repeat")
    parser.add_argument("--repeats", type=int, default=7, help="repeats (the median is shown)")
    args = parser.parse_args()
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            prepare(folder)
            results = {
                name: measure(load, args.loads, args.repeats)
                for name, load in contenders(folder).items()
            }
        finally:
            os.environ.clear()
            os.environ.update(saved)
    from importlib.metadata import version

    print(
        f"settings load: {args.loads} loads x {args.repeats} repeats, median per load;"
        f" Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(
        "versions: "
        + ", ".join(
            f"{d} {version(d)}"
            for d in ("bricolage-settings", "pydantic-settings", "pydantic", "dynaconf")
            if _installed(d)
        )
    )
    ours_time, ours_peak = results["bricolage-settings"]
    header = f"{'contender':<32}{'median/load':>14}{'peak memory':>14}{'ours/peer':>12}"
    print(header)
    print("-" * len(header))
    for name, (median, peak) in results.items():
        ratio = "" if name.startswith("bricolage") else f"{ours_time / median:.2f}x"
        print(f"{name:<32}{median * 1e6:>11.0f} us{peak / 1024:>11.0f} KiB{ratio:>12}")
    for name, (_, peak) in results.items():
        if not name.startswith("bricolage"):
            print(f"peak memory, ours / {name}: {ours_peak / peak:.2f}x")


def _installed(distribution: str) -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(distribution)
    except PackageNotFoundError:
        return False
    return True


if __name__ == "__main__":
    main()
