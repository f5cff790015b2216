"""Background Jobs with Redis: a small Flask site in front of a bricolage.jobs queue."""

from __future__ import annotations

from background_jobs.app import create_app, queue_of
from background_jobs.jobs import registry

__all__ = ["create_app", "queue_of", "registry"]
