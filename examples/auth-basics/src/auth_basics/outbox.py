"""A development-mode email outbox: messages are kept in memory and shown at /dev/outbox."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Email:
    to: str
    subject: str
    body: str


class Outbox:
    """Collects outgoing email instead of sending it (development and tests)."""

    def __init__(self) -> None:
        self._messages: list[Email] = []
        self._lock = threading.Lock()

    def send(self, to: str, subject: str, body: str) -> None:
        with self._lock:
            self._messages.append(Email(to, subject, body))

    @property
    def messages(self) -> list[Email]:
        with self._lock:
            return list(self._messages)
