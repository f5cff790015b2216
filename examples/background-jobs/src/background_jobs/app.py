"""A WSGI app: enqueue jobs, watch them live, see scheduled jobs, re-queue dead ones."""

from __future__ import annotations

import html
import json
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from background_jobs.jobs import always_fails, count_words, flaky, slow_report
from bricolage.jobs import (
    ConfigurationError,
    InvalidArgumentsError,
    JobNotFoundError,
    JobRecord,
    JobsError,
    JobState,
    Queue,
)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_SHOWN = [
    JobState.RUNNING,
    JobState.QUEUED,
    JobState.SCHEDULED,
    JobState.RETRYING,
    JobState.SUCCEEDED,
    JobState.FAILED,
    JobState.CANCELLED,
]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Background jobs</title>
<style>
 body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
 table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }}
 td, th {{ border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; }}
 form {{ display: inline; margin-right: 1rem; }}
 .dead {{ color: #a00; }} .succeeded {{ color: #070; }}
</style></head><body>
<h1>Background jobs</h1>
<p>Backend: <code>{backend}</code></p>
<section>
 <form method="post" action="/enqueue"><input type="hidden" name="kind" value="count_words">
  <input name="text" value="the quick brown fox jumps over the lazy dog the end">
  <button>Count words</button></form>
 <form method="post" action="/enqueue"><input type="hidden" name="kind" value="slow_report">
  <button>Slow report</button></form>
 <form method="post" action="/enqueue"><input type="hidden" name="kind" value="flaky">
  <button>Flaky job</button></form>
 <form method="post" action="/enqueue"><input type="hidden" name="kind" value="always_fails">
  <button>Broken job</button></form>
 <form method="post" action="/enqueue"><input type="hidden" name="kind" value="count_words">
  <input type="hidden" name="text" value="scheduled later">
  in <input name="delay" value="30" size="3"> s <button>Schedule</button></form>
</section>
<h2>Jobs</h2><div id="jobs">{jobs}</div>
<h2>Dead-letter queue</h2>
<form method="post" action="/dlq/requeue"><button>Re-queue all</button></form>
<form method="post" action="/dlq/purge"><button>Purge all</button></form>
<div id="dead">{dead}</div>
<script>
async function refresh() {{
  const r = await fetch("/fragments");
  if (r.ok) {{
    const data = await r.json();
    document.getElementById("jobs").innerHTML = data.jobs;
    document.getElementById("dead").innerHTML = data.dead;
  }}
}}
setInterval(refresh, 1000);
</script></body></html>
"""


def _when(value: float | None) -> str:
    if value is None:
        return ""
    import datetime as dt

    return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%H:%M:%S")


def _row(record: JobRecord, action: str) -> str:
    e = html.escape
    detail = record.result or record.error or record.progress or ""
    return (
        f"<tr class='{e(record.state.value)}'><td><code>{e(record.id[:8])}</code></td>"
        f"<td>{e(record.name)}</td><td>{e(record.queue)}</td><td>{e(record.state.value)}</td>"
        f"<td>{record.attempts}</td><td>{_when(record.due_at)}</td>"
        f"<td>{e(detail[:120])}</td><td>{action}</td></tr>"
    )


def _table(rows: list[str]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = (
        "<tr><th>id</th><th>job</th><th>queue</th><th>state</th><th>attempts</th>"
        "<th>due</th><th>result / error / progress</th><th></th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _button(path: str, label: str) -> str:
    return f"<form method='post' action='{path}'><button>{label}</button></form>"


class JobsApp:
    """The WSGI application around one :class:`~bricolage.jobs.Queue`."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue

    def fragments(self) -> dict[str, str]:
        rows: list[str] = []
        for state in _SHOWN:
            for record in self.queue.jobs(state, limit=50):
                action = ""
                if not record.state.is_terminal:
                    action = _button(f"/cancel/{record.id}", "Cancel")
                elif record.state is JobState.FAILED:
                    action = _button(f"/requeue/{record.id}", "Re-queue")
                rows.append(_row(record, action))
        dead = [
            _row(r, _button(f"/requeue/{r.id}", "Re-queue"))
            for r in self.queue.dead_letters(limit=100)
        ]
        return {"jobs": _table(rows), "dead": _table(dead)}

    def enqueue(self, form: dict[str, str]) -> str:
        kind = form.get("kind", "")
        try:
            delay = float(form.get("delay", "0") or 0)
        except ValueError:
            raise InvalidArgumentsError(f"delay must be a number, got {form['delay']!r}") from None
        if kind == "count_words":
            handle = self.queue.enqueue(count_words.options(delay=delay), form.get("text", ""))
        elif kind == "slow_report":
            handle = self.queue.enqueue(slow_report.options(delay=delay))
        elif kind == "flaky":
            handle = self.queue.enqueue(flaky.options(delay=delay))
        elif kind == "always_fails":
            handle = self.queue.enqueue(always_fails.options(delay=delay))
        else:
            raise InvalidArgumentsError(f"unknown job kind {kind!r}")
        return handle.id

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/")
        try:
            if method == "GET" and path == "/":
                parts = self.fragments()
                body = PAGE.format(
                    backend=html.escape(repr(self.queue.backend)),
                    jobs=parts["jobs"],
                    dead=parts["dead"],
                )
                return self._send(start_response, "200 OK", body, "text/html; charset=utf-8")
            if method == "GET" and path == "/fragments":
                return self._json(start_response, "200 OK", self.fragments())
            if method == "GET" and path.startswith("/api/jobs/"):
                record = self.queue.get(path.removeprefix("/api/jobs/"))
                return self._json(start_response, "200 OK", _as_dict(record))
            if method == "POST":
                form = _form(environ)
                if path == "/enqueue":
                    job_id = self.enqueue(form)
                    if environ.get("HTTP_ACCEPT") == "application/json":
                        return self._json(start_response, "201 Created", {"id": job_id})
                elif path.startswith("/requeue/"):
                    self.queue.requeue([path.removeprefix("/requeue/")])
                elif path.startswith("/cancel/"):
                    self.queue.cancel(path.removeprefix("/cancel/"))
                elif path == "/dlq/requeue":
                    self.queue.requeue()
                elif path == "/dlq/purge":
                    self.queue.purge()
                else:
                    return self._send(start_response, "404 Not Found", "not found", "text/plain")
                start_response("303 See Other", [("Location", "/")])
                return [b""]
            return self._send(start_response, "404 Not Found", "not found", "text/plain")
        except JobNotFoundError as exc:
            return self._send(start_response, "404 Not Found", str(exc), "text/plain")
        except (InvalidArgumentsError, ConfigurationError, JobsError) as exc:
            return self._send(start_response, "400 Bad Request", str(exc), "text/plain")

    @staticmethod
    def _send(start_response: StartResponse, status: str, body: str, kind: str) -> list[bytes]:
        data = body.encode()
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data)))])
        return [data]

    def _json(self, start_response: StartResponse, status: str, data: object) -> list[bytes]:
        return self._send(start_response, status, json.dumps(data), "application/json")


def _form(environ: dict[str, Any]) -> dict[str, str]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length).decode() if length else ""
    return dict(urllib.parse.parse_qsl(raw))


def _as_dict(record: JobRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "state": record.state.value,
        "attempts": record.attempts,
        "result": record.result,
        "error": record.error,
        "progress": record.progress,
        "due_at": record.due_at,
    }


def create_app(url: str) -> JobsApp:
    """The app over the jobs at ``url`` (``sqlite:///jobs.db`` or ``redis://...``)."""
    from background_jobs.jobs import registry

    return JobsApp(Queue(url, registry))
