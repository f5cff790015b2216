"""Run the page and a worker: SQLite by default, Redis when given a URL."""

from __future__ import annotations

import argparse
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from background_jobs.app import create_app
from bricolage.jobs import Worker


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Background jobs demo page")
    parser.add_argument(
        "--url",
        default="sqlite:///background-jobs.db",
        help="sqlite:///file.db (default) or redis://host:port/db",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-worker", action="store_true", help="run the page only")
    args = parser.parse_args(argv)
    app = create_app(args.url)
    if not args.no_worker:
        worker = Worker(app.queue, ["default", "reports"], concurrency=4, poll_interval=0.2)
        threading.Thread(target=worker.run, kwargs={"handle_signals": False}, daemon=True).start()
    with make_server(args.host, args.port, app, handler_class=_Quiet) as server:
        print(f"serving on http://{args.host}:{args.port}/ with {app.queue.backend!r}")
        server.serve_forever()


if __name__ == "__main__":
    main()
