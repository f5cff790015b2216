"""Search, the development mail outbox, and the health check."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from todo_web.models import Membership, OutboxMessage, Todo
from todo_web.permissions import visible_list_ids
from todo_web.web import current_user, db, login_required, runtime

__all__ = ["bp"]

bp = Blueprint("pages", __name__)


@bp.get("/search")
@login_required
def search() -> str:
    """Full-text search over the titles and notes of the to-dos the user may read."""
    query = (request.args.get("q") or "").strip()[:200]
    user = current_user()
    assert user is not None
    lists = visible_list_ids(
        db().execute(
            select(Membership.list_id, Membership.role).where(Membership.user_id == user.id)
        )
    )
    hits = runtime().index.search(query, lists) if query else []
    todos = {
        todo.id: todo
        for todo in db().scalars(select(Todo).where(Todo.id.in_([h.todo_id for h in hits])))
    }
    # The database decides: a hit whose to-do moved out of reach is not shown.
    results = [
        (todos[h.todo_id], h.snippet)
        for h in hits
        if h.todo_id in todos and todos[h.todo_id].list_id in lists
    ]
    return render_template("search.html", query=query, results=results)


@bp.get("/dev/outbox")
def outbox() -> str:
    """The e-mails the application sent (development and test profiles only)."""
    if not runtime().settings.dev_outbox:
        abort(404)
    messages = db().scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(100))
    return render_template("dev/outbox.html", messages=list(messages))


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 otherwise (for load balancers and Docker)."""
    try:
        db().execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
