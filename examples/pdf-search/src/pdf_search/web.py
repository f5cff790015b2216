"""A small web page (WSGI, standard library only): a search form and ranked snippets."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs

from bricolage.search import QueryError, SearchError
from pdf_search.core import Library

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PDF Search</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; }}
form {{ display: flex; gap: .5rem; flex-wrap: wrap; }}
input[name=q] {{ flex: 1; padding: .4rem; }}
mark {{ background: #ffe48a; }} .hit {{ margin: 1.2rem 0; }}
.meta {{ color: #555; font-size: .9rem; }}
.error {{ color: #a00; white-space: pre; font-family: monospace; }}
</style></head><body>
<h1>PDF Search</h1>
<form method="get" action="/">
<input name="q" value="{query}"
       placeholder='"exact phrase" AND word NOT other, title:word, prefix*, fuzzy~1'>
<label>title weight <input name="title" value="{title}" size="3"></label>
<label><input type="checkbox" name="all" value="1" {checked}> all words</label>
<button>Search</button></form>
<p class="meta">{summary}</p>
{body}
</body></html>
"""


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


class SearchApp:
    """The WSGI application: ``/`` (HTML) and ``/api/search`` (JSON)."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        path = environ.get("PATH_INFO", "/")
        if path == "/api/search":
            return self._api(params, start_response)
        if path != "/":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found"]
        return self._page(params, start_response)

    def _run(self, params: dict[str, str]) -> tuple[int, list[Any]]:
        return self.library.search(
            params.get("q", ""),
            limit=int(_float(params.get("limit"), 10)),
            title_weight=_float(params.get("title"), 2.0),
            match_all=params.get("all") == "1",
        )

    def _api(self, params: dict[str, str], start_response: StartResponse) -> Iterable[bytes]:
        try:
            total, hits = self._run(params)
        except (QueryError, SearchError) as error:
            body = json.dumps({"error": str(error)}).encode()
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [body]
        payload = {"total": total, "hits": [asdict(hit) for hit in hits]}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(payload).encode()]

    def _page(self, params: dict[str, str], start_response: StartResponse) -> Iterable[bytes]:
        query = params.get("q", "")
        summary, body, status = "", "", "200 OK"
        if query.strip():
            try:
                total, hits = self._run(params)
                summary = f"{total} matching page(s)"
                body = "\n".join(
                    f'<div class="hit"><div><b>{hit.rank}. {html.escape(hit.title)}</b></div>'
                    f'<div class="meta">{html.escape(hit.file)}, page {hit.page} · '
                    f"score {hit.score:.3f}</div><div>{hit.snippet_html}</div></div>"
                    for hit in hits
                )
            except (QueryError, SearchError) as error:
                status = "400 Bad Request"
                body = f'<p class="error">{html.escape(str(error))}</p>'
        else:
            stats = self.library.stats()
            summary = f"{stats['pages']} page(s) from {stats['files']} file(s) indexed"
        page = PAGE.format(
            query=html.escape(query, quote=True),
            title=html.escape(params.get("title", "2"), quote=True),
            checked="checked" if params.get("all") == "1" else "",
            summary=html.escape(summary),
            body=body,
        )
        start_response(status, [("Content-Type", "text/html; charset=utf-8")])
        return [page.encode()]
