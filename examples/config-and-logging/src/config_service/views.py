"""The routes: JSON for programs, one HTML page for people (by the ``Accept`` header)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from bricolage.logging import get_correlation_id, get_logger
from config_service.app import jobs_of, live_of

log = get_logger("config_service")
service = Blueprint("service", __name__)

JOB_SIZE = 10_000


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


@service.before_app_request
def log_request() -> None:
    """One line per request, under the request's correlation id."""
    log.info("request", method=request.method, path=request.path)


@service.get("/")
def home() -> Any:
    """The greeting and the request's correlation id (a page for a browser)."""
    settings = live_of(current_app).current
    if _wants_html():
        return render_template(
            "index.html",
            settings=settings,
            correlation_id=get_correlation_id(),
            explanation=settings.explain(),
            jobs=jobs_of(current_app).recent(),
        )
    return jsonify(
        greeting=settings.greeting, service=settings.name, correlation_id=get_correlation_id()
    )


@service.get("/settings")
def settings() -> Any:
    """Where every setting came from; secrets masked."""
    return jsonify(live_of(current_app).current.explain().as_dict())


@service.post("/jobs")
def start_job() -> Any:
    """Start the background work; it logs under this request's correlation id."""
    job_id = jobs_of(current_app).start(size=JOB_SIZE)
    if _wants_html():
        return redirect(url_for("service.home"), 303)
    return jsonify(job_id=job_id), 202


@service.get("/health")
def health() -> Any:
    """For load balancers."""
    return jsonify(status="ok")


@service.app_errorhandler(HTTPException)
def no_route(error: HTTPException) -> Any:
    """Unknown routes (and wrong methods) answer JSON and log a warning."""
    log.warning("not found", method=request.method, path=request.path)
    return jsonify(error=f"no route {request.method} {request.path}"), error.code or 500
