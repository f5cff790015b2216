"""Users and their password hashes in a SQLite file."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    password_hash: str


class UserStore:
    """A thin layer over one SQLite connection (one per request)."""

    def __init__(self, path: str | Path) -> None:
        self.connection = sqlite3.connect(path)
        self.connection.execute(SCHEMA)

    def close(self) -> None:
        self.connection.close()

    def by_email(self, email: str) -> User | None:
        row = self.connection.execute(
            "SELECT id, email, password_hash FROM users WHERE email = ?", (email,)
        ).fetchone()
        return User(*row) if row else None

    def by_id(self, user_id: int) -> User | None:
        row = self.connection.execute(
            "SELECT id, email, password_hash FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        return User(*row) if row else None

    def add(self, email: str, password_hash: str) -> User:
        with self.connection:
            cursor = self.connection.execute(
                "INSERT INTO users (email, password_hash) VALUES (?, ?)", (email, password_hash)
            )
        assert cursor.lastrowid is not None
        return User(cursor.lastrowid, email, password_hash)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.connection:
            self.connection.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
            )
