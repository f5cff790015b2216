"""The application factory: a Flask app over live settings and a job queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from bricolage.logging import WSGICorrelationMiddleware
from bricolage.settings import LiveSettings

if TYPE_CHECKING:
    from config_service.jobs import Jobs
    from config_service.service import ServiceSettings

_LIVE = "config_service.live"
_JOBS = "config_service.jobs"


def create_app(live: LiveSettings[ServiceSettings], jobs: Jobs) -> Flask:
    """The service's routes, wrapped in the correlation-id middleware.

    Every request reads ``live.current`` afresh, so a reload shows at the next request.
    """
    from config_service.views import service

    app = Flask(__name__)
    app.extensions[_LIVE] = live
    app.extensions[_JOBS] = jobs
    app.register_blueprint(service)
    app.wsgi_app = WSGICorrelationMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


def live_of(app: Flask) -> LiveSettings[ServiceSettings]:
    """The live settings an app made by :func:`create_app` reads."""
    live: LiveSettings[ServiceSettings] = app.extensions[_LIVE]
    return live


def jobs_of(app: Flask) -> Jobs:
    """The jobs an app made by :func:`create_app` starts."""
    jobs: Jobs = app.extensions[_JOBS]
    return jobs
