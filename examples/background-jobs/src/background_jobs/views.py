"""The blueprints: ``pages`` (the HTML page and its live fragments) and ``api`` (JSON)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Response as Redirect

from background_jobs.app import queue_of
from background_jobs.jobs import always_fails, count_words, flaky, slow_report
from bricolage.jobs import JobFunction, JobNotFoundError, JobRecord, JobsError, JobState, Queue

pages = Blueprint("pages", __name__)
api = Blueprint("api", __name__)

_SHOWN = [
    JobState.RUNNING,
    JobState.QUEUED,
    JobState.SCHEDULED,
    JobState.RETRYING,
    JobState.SUCCEEDED,
    JobState.FAILED,
    JobState.CANCELLED,
]
_KINDS: dict[str, JobFunction[..., Any]] = {
    "count_words": count_words,
    "slow_report": slow_report,
    "flaky": flaky,
    "always_fails": always_fails,
}


class FormError(ValueError):
    """A form field holds a value the page cannot use; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Row:
    """One job as the tables show it, with the button that applies to it (if any)."""

    id: str
    name: str
    queue: str
    state: str
    attempts: int
    due: str
    detail: str
    action: tuple[str, str] | None


def _queue() -> Queue:
    return queue_of(current_app)


def _when(value: float | None) -> str:
    if value is None:
        return ""
    return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%H:%M:%S")


def _row(record: JobRecord, action: tuple[str, str] | None) -> Row:
    detail = record.result or record.error or record.progress or ""
    return Row(
        id=record.id,
        name=record.name,
        queue=record.queue,
        state=record.state.value,
        attempts=record.attempts,
        due=_when(record.due_at),
        detail=detail[:120],
        action=action,
    )


def _rows(queue: Queue) -> tuple[list[Row], list[Row]]:
    jobs: list[Row] = []
    for state in _SHOWN:
        for record in queue.jobs(state, limit=50):
            action = None
            if not record.state.is_terminal:
                action = (url_for("pages.cancel", job_id=record.id), "Cancel")
            elif record.state is JobState.FAILED:
                action = (url_for("pages.requeue", job_id=record.id), "Re-queue")
            jobs.append(_row(record, action))
    dead = [
        _row(r, (url_for("pages.requeue", job_id=r.id), "Re-queue"))
        for r in queue.dead_letters(limit=100)
    ]
    return jobs, dead


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _page(status: int = 200, errors: dict[str, str] | None = None) -> tuple[str, int]:
    queue = _queue()
    jobs, dead = _rows(queue)
    body = render_template(
        "index.html",
        backend=repr(queue.backend),
        jobs=jobs,
        dead=dead,
        errors=errors or {},
        form=request.form,
    )
    return body, status


def _delay(form: dict[str, str]) -> float:
    raw = form.get("delay", "").strip()
    try:
        delay = float(raw or 0)
    except ValueError:
        raise FormError("delay", f"delay must be a number of seconds, got {raw!r}") from None
    if not 0 <= delay <= 7 * 24 * 3600:
        raise FormError("delay", f"delay must be between 0 and 604800 seconds, got {raw!r}")
    return delay


def enqueue_from(form: dict[str, str]) -> str:
    """Enqueue the job a form asks for; returns its id. Raises :class:`FormError`."""
    kind = form.get("kind", "")
    job = _KINDS.get(kind)
    if job is None:
        raise FormError("kind", f"unknown job kind {kind!r}")
    delay = _delay(form)
    queue = _queue()
    if job is count_words:
        return queue.enqueue(count_words.options(delay=delay), form.get("text", "")).id
    return queue.enqueue(job.options(delay=delay)).id


@pages.get("/")
def index() -> tuple[str, int]:
    """The page: forms to start jobs, the jobs by state, the dead-letter queue."""
    return _page()


@pages.get("/fragments")
def fragments() -> Response:
    """The two tables as HTML, for the page's script to swap in."""
    jobs, dead = _rows(_queue())
    return jsonify(
        jobs=render_template("_table.html", rows=jobs).strip(),
        dead=render_template("_table.html", rows=dead).strip(),
    )


@pages.post("/enqueue")
def enqueue() -> Any:
    """Start a job from a form; JSON clients get ``201 {"id": ...}``."""
    form = request.form.to_dict()
    try:
        job_id = enqueue_from(form)
    except FormError as error:
        if _wants_json():
            return jsonify(error=str(error), field=error.field), 400
        return _page(400, {error.field: str(error)})
    if _wants_json():
        return jsonify(id=job_id), 201
    return redirect(url_for("pages.index"), 303)


@pages.post("/requeue/<job_id>")
def requeue(job_id: str) -> Redirect:
    """Put one failed or dead job back in its queue."""
    _queue().requeue([job_id])
    return redirect(url_for("pages.index"), 303)


@pages.post("/cancel/<job_id>")
def cancel(job_id: str) -> Redirect:
    """Cancel a job that has not finished."""
    _queue().cancel(job_id)
    return redirect(url_for("pages.index"), 303)


@pages.post("/dlq/requeue")
def requeue_all() -> Redirect:
    """Re-queue every dead job."""
    _queue().requeue()
    return redirect(url_for("pages.index"), 303)


@pages.post("/dlq/purge")
def purge_all() -> Redirect:
    """Forget every dead job."""
    _queue().purge()
    return redirect(url_for("pages.index"), 303)


@api.get("/jobs/<job_id>")
def job(job_id: str) -> Response:
    """One job's record as JSON."""
    record = _queue().get(job_id)
    return jsonify(
        id=record.id,
        name=record.name,
        state=record.state.value,
        attempts=record.attempts,
        result=record.result,
        error=record.error,
        progress=record.progress,
        due_at=record.due_at,
    )


def _error(status: int, message: str) -> Any:
    if _wants_json() or request.blueprint == "api":
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


@pages.app_errorhandler(JobNotFoundError)
def not_found(error: JobNotFoundError) -> Any:
    """An unknown job id: 404, saying which."""
    return _error(404, str(error))


@pages.app_errorhandler(JobsError)
def refused(error: JobsError) -> Any:
    """Anything else the queue refuses: 400 with its message."""
    return _error(400, str(error))


@pages.app_errorhandler(NotFound)
def no_route(error: HTTPException) -> Any:
    """No such page."""
    return _error(404, f"no page at {request.path}")
