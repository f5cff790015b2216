"""Load test of the todo-web example: requests/s and p50/p99 latency of the list and
search pages with 10,000 to-dos and 50 signed-in users, on loopback, bounded in time.

The application runs under gunicorn (2 workers x 4 threads, as in its Dockerfile) on a
SQLite file seeded with 50 accounts of 200 to-dos each; locust drives 50 users in headless
mode from a separate process. Both share this machine's cores, so the figures are a floor.
There is no peer application to compare against: the figures stand alone.

    python benchmarks/todo-web/run.py [--users 50] [--seconds 30] [--todos 10000]
    nox -s bench -- todo-web
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORDS = ["invoice", "garden", "report", "meeting", "groceries", "dentist", "release", "tax"]
FILLER = ["call", "book", "fix", "plan", "buy", "check", "send", "review", "clean", "pay"]


def seed(data_dir: Path, users: int, todos: int) -> None:
    """Fill a fresh database: ``users`` accounts, their to-dos spread evenly."""
    from todo_web.db import make_engine, make_sessionmaker, migrate
    from todo_web.models import Membership, Tag, Todo
    from todo_web.search_index import TodoIndex
    from todo_web.services import create_user

    from bricolage.security import Argon2Parameters, PasswordHasher

    engine = make_engine(f"sqlite:///{data_dir / 'todo.sqlite3'}")
    migrate(engine)
    hashed = PasswordHasher(Argon2Parameters.owasp_minimum()).hash("bench-password-1")
    rng = random.Random(7)
    today = dt.date.today()
    with make_sessionmaker(engine)() as db:
        lists = []
        for n in range(1, users + 1):
            user = create_user(db, f"user{n}@bench.example", f"User {n}", hashed)
            lists.append((user.id, user))
        db.flush()
        from sqlalchemy import select
        from todo_web.models import Membership

        list_ids = list(db.scalars(select(Membership.list_id).order_by(Membership.list_id)))
        for i in range(todos):
            words = [*rng.sample(FILLER, 2), rng.choice(WORDS)]
            todo = Todo(
                list_id=list_ids[i % len(list_ids)],
                title=" ".join(words).capitalize(),
                notes=f"About the {rng.choice(WORDS)} and the {rng.choice(WORDS)}.",
                done=rng.random() < 0.3,
                due=today + dt.timedelta(days=rng.randint(-10, 30))
                if rng.random() < 0.7
                else None,
                priority=rng.randint(1, 3),
                tags=[
                    Tag(name=t) for t in rng.sample(["home", "work", "urgent"], rng.randint(0, 2))
                ],
            )
            db.add(todo)
        db.commit()
        index = TodoIndex(data_dir / "search")
        count = index.rebuild(db.scalars(select(Todo)))
    engine.dispose()
    print(f"seeded {users} users and {count} to-dos")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--todos", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="todo-web-bench-"))
    try:
        seed(folder, args.users, args.todos)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "TODO_WEB_PROFILE": "dev",
            "TODO_WEB_DATA_DIR": str(folder),
            "TODO_WEB_ORIGINS": f'["{url}"]',
            "TODO_WEB_COOKIE_NAME": "todo_session",  # plain http: no Secure cookie
            "TODO_WEB_LOGIN_RATE_LIMIT": "100000",
            "TODO_WEB_LOG_LEVEL": "WARNING",
            "TODO_WEB_LOG_FORMAT": "json",
            "TODO_WEB_SECRET_KEY": "b" * 40,
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "todo_web.wsgi:app",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_healthy(url)
            prefix = folder / "locust"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(HERE / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.users),
                    "--run-time",
                    f"{args.seconds}s",
                    "--host",
                    url,
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                check=False,
                stdout=subprocess.DEVNULL,
            )
            report(prefix.with_name("locust_stats.csv"), args)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(stats: Path, args: argparse.Namespace) -> None:
    print(
        f"todo-web under load: {args.todos} to-dos, {args.users} users, {args.seconds} s, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs shared by server and load generator"
    )
    print(f"{'page':<16}{'requests':>10}{'failures':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    with stats.open() as handle:
        for row in csv.DictReader(handle):
            if row["Name"] not in ("/lists/[id]", "/search", "Aggregated"):
                continue
            print(
                f"{row['Name']:<16}{row['Request Count']:>10}{row['Failure Count']:>10}"
                f"{float(row['Requests/s']):>9.1f}{row['50%']:>9}{row['99%']:>9}"
            )


if __name__ == "__main__":
    main()
