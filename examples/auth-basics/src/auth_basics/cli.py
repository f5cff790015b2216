"""``auth-basics``: the development server, with a seeded account and the email outbox.

Exit codes: 0 ok, 2 usage error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from auth_basics._server import serving
from auth_basics.app import create_app
from auth_basics.store import UserStore
from bricolage.security import Argon2Parameters, PasswordHasher, random_token

INTERRUPTED = 130
DEMO_EMAIL = "demo@example.com"


def data_dir() -> Path:
    """``$AUTH_BASICS_DATA``, or ``bricolage-auth-basics`` in the user's data folder."""
    override = os.environ.get("AUTH_BASICS_DATA")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bricolage-auth-basics"


def seed_demo_user(database: Path, hasher: PasswordHasher) -> str:
    """Make (or reset) the demo account with a fresh random password; return the password."""
    password = random_token(16)
    store = UserStore(database)
    try:
        user = store.by_email(DEMO_EMAIL)
        if user is None:
            store.add(DEMO_EMAIL, hasher.hash(password))
        else:
            store.set_password_hash(user.id, hasher.hash(password))
    finally:
        store.close()
    return password


def development_app(database: Path, host: str, port: int) -> Any:
    """The app as the development server runs it: plain HTTP on loopback, outbox on."""
    return create_app(
        {
            "DEV_OUTBOX": True,
            "DATABASE": str(database),
            "SESSION_COOKIE_SECURE": False,  # plain http on localhost during development
            "SESSION_COOKIE_NAME": "session",
            "ORIGINS": [f"http://{host}:{port}", f"http://localhost:{port}"],
            "ARGON2": Argon2Parameters.owasp_minimum(),
        }
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port [default: a free one]."
)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file [default: users.sqlite3 in the data folder].",
)
def cli(host: str, port: int, database: Path | None) -> None:
    """Run the development server with a seeded account and the email outbox at /dev/outbox."""
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    database = (database or data_dir() / "users.sqlite3").resolve()
    database.parent.mkdir(parents=True, exist_ok=True)
    password = seed_demo_user(database, PasswordHasher(Argon2Parameters.owasp_minimum()))
    with serving(lambda bound: development_app(database, host, bound), host, port) as url:
        out.print(url, markup=False)
        out.print(f"log in as {DEMO_EMAIL} with password {password}", markup=False)
        err.print(f"users in {database}; email goes to /dev/outbox; Ctrl-C stops", markup=False)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            err.print("stopped")
            raise SystemExit(INTERRUPTED) from None


def main(argv: list[str] | None = None) -> None:
    """The console script."""
    cli.main(args=argv, prog_name="auth-basics")
