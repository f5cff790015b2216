"""The blueprints: ``pages`` (the search form and ranked snippets) and ``api`` (JSON)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from bricolage.search import QueryError, SearchError
from pdf_search.app import library_of
from pdf_search.core import SearchHit

pages = Blueprint("pages", __name__)
api = Blueprint("api", __name__)

MAX_LIMIT = 100


class FieldError(ValueError):
    """A form field holds a value the search cannot use; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _number(args: MultiDict[str, str], field: str, label: str, default: float) -> float:
    raw = args.get(field, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise FieldError(field, f"{label} must be a number, got {raw!r}") from None
    if not 0 < value <= 1000:
        raise FieldError(field, f"{label} must be above 0 and at most 1000, got {raw!r}")
    return value


def _search(args: MultiDict[str, str]) -> tuple[int, list[SearchHit]]:
    title = _number(args, "title", "title weight", 2.0)
    limit = int(_number(args, "limit", "limit", 10))
    try:
        return library_of(current_app).search(
            args.get("q", ""),
            limit=min(limit, MAX_LIMIT),
            title_weight=title,
            match_all=args.get("all") == "1",
        )
    except (QueryError, SearchError) as error:
        raise FieldError("q", str(error)) from None


@pages.get("/")
def search() -> tuple[str, int]:
    """The search form; with ``q``, the matching pages ranked, with highlighted snippets."""
    query = request.args.get("q", "")
    errors: dict[str, str] = {}
    hits: list[dict[str, Any]] = []
    summary, status = "", 200
    if query.strip():
        try:
            total, found = _search(request.args)
        except FieldError as error:
            errors[error.field] = str(error)
            status = 400
        else:
            summary = f"{total} matching page(s)"
            # The snippet's HTML comes from bricolage.search: the text escaped, <mark> added.
            hits = [{**asdict(hit), "snippet": Markup(hit.snippet_html)} for hit in found]  # noqa: S704
    else:
        stats = library_of(current_app).stats()
        summary = f"{stats['pages']} page(s) from {stats['files']} file(s) indexed"
    body = render_template(
        "search.html",
        query=query,
        title=request.args.get("title", "2"),
        match_all=request.args.get("all") == "1",
        summary=summary,
        hits=hits,
        errors=errors,
    )
    return body, status


@api.get("/search")
def api_search() -> Any:
    """``{"total": n, "hits": [...]}``, or ``400 {"error": ..., "field": ...}``."""
    try:
        total, hits = _search(request.args)
    except FieldError as error:
        return jsonify(error=str(error), field=error.field), 400
    return jsonify(total=total, hits=[asdict(hit) for hit in hits])


@pages.app_errorhandler(NotFound)
def not_found(error: NotFound) -> tuple[str, int]:
    """No such page."""
    del error
    return render_template("error.html", message=f"no page at {request.path}"), 404
