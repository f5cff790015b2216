"""``background-jobs``: serve the page and a worker; SQLite by default, Redis given a URL."""

from __future__ import annotations

import sys
import threading
from contextlib import ExitStack

import click
from rich.console import Console

from background_jobs._server import serving, working
from background_jobs.app import create_app, default_url, queue_of
from background_jobs.jobs import always_fails, count_words, flaky, slow_report
from bricolage.jobs import JobsError, Queue, Worker

INTERRUPTED = 130


def seed(queue: Queue) -> int:
    """Put a few jobs of each kind in an empty queue, so the page has something to show."""
    if any(sum(states.values()) for states in queue.stats().counts.values()):
        return 0
    queue.enqueue(count_words, "the quick brown fox jumps over the lazy dog the end")
    queue.enqueue(slow_report)
    queue.enqueue(flaky)
    queue.enqueue(always_fails)
    queue.enqueue(count_words.options(delay=300), "scheduled in five minutes")
    return 5


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    default=None,
    metavar="URL",
    help="sqlite:///file.db or redis://host:port/db [default: a SQLite file in the data folder]",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port [default: a free one]."
)
@click.option("--worker/--no-worker", default=True, help="Run a worker in this process.")
@click.option(
    "--seed/--no-seed", "seed_jobs", default=True, help="Start an empty queue with a few jobs."
)
def cli(url: str | None, host: str, port: int, worker: bool, seed_jobs: bool) -> None:
    """Serve a page that enqueues jobs, shows them live and re-queues dead ones."""
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        app = create_app(url or default_url())
    except JobsError as error:
        raise click.BadParameter(str(error), param_hint="--url") from None
    queue = queue_of(app)
    with ExitStack() as stack:
        stack.callback(queue.close)
        if seed_jobs:
            seeded = seed(queue)
            if seeded:
                err.print(f"seeded {seeded} jobs")
        if worker:
            stack.enter_context(
                working(
                    Worker(
                        queue, ["default", "reports"], concurrency=4, poll_interval=0.2, grace=5
                    )
                )
            )
        url_shown = stack.enter_context(serving(app, host, port))
        err.print(f"backend {queue.backend!r}; Ctrl-C stops", markup=False)
        console.print(url_shown, soft_wrap=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            err.print("stopping")
            sys.exit(INTERRUPTED)


def main(argv: list[str] | None = None) -> None:
    """The console script."""
    cli.main(args=argv, prog_name="background-jobs")


if __name__ == "__main__":
    main()
