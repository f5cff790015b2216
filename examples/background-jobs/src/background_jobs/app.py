"""The application factory: a Flask app over one :class:`~bricolage.jobs.Queue`."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from bricolage.jobs import Queue

_EXTENSION = "bricolage.jobs.queue"


def data_dir() -> Path:
    """Where the demo keeps its SQLite queue: ``$BACKGROUND_JOBS_DATA`` or the user's data dir."""
    override = os.environ.get("BACKGROUND_JOBS_DATA")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bricolage-background-jobs"


def default_url() -> str:
    """``sqlite:///`` a file in :func:`data_dir` (made if missing)."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'jobs.db'}"


def create_app(queue: Queue | str) -> Flask:
    """The site over ``queue`` (a :class:`Queue`, or a URL: ``sqlite:///jobs.db``, ``redis://``).

    The page lives in the ``pages`` blueprint, the JSON views in ``api``.
    """
    from background_jobs.jobs import registry
    from background_jobs.views import api, pages

    app = Flask(__name__)
    app.extensions[_EXTENSION] = queue if isinstance(queue, Queue) else Queue(queue, registry)
    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")
    return app


def queue_of(app: Flask) -> Queue:
    """The queue an app made by :func:`create_app` serves."""
    queue = app.extensions[_EXTENSION]
    assert isinstance(queue, Queue)
    return queue
