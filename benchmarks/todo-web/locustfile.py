"""The load: signed-in users reading their list pages (filtered, sorted, paged) and
searching. Each simulated user logs in as one of the seeded accounts."""

from __future__ import annotations

import itertools
import random
import re
import threading

from locust import HttpUser, between, task

WORDS = ["invoice", "garden", "report", "meeting", "groceries", "dentist", "release", "tax"]
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_LIST = re.compile(r'href="(/lists/\d+)"')
_numbers = itertools.count(1)
_lock = threading.Lock()


class TodoUser(HttpUser):
    """One person of the seeded fifty."""

    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        with _lock:
            number = (next(_numbers) - 1) % 50 + 1
        page = self.client.get("/login", name="/login").text
        token = _TOKEN.search(page)
        assert token is not None
        self.client.post(
            "/login",
            {
                "csrf_token": token.group(1),
                "email": f"user{number}@bench.example",
                "password": "bench-password-1",
            },
            name="/login",
        )
        found = _LIST.findall(self.client.get("/", name="/ (dashboard)").text)
        assert found, "login failed: no list on the dashboard"
        self.lists = found

    @task(3)
    def list_page(self) -> None:
        url = random.choice(self.lists)
        params = random.choice(
            [
                {},
                {"status": "open"},
                {"sort": "priority"},
                {"due": "week"},
                {"page": str(random.randint(1, 10))},
                {"tag": random.choice(["home", "work", "urgent"]), "sort": "title"},
            ]
        )
        self.client.get(url, params=params, name="/lists/[id]")

    @task(2)
    def search(self) -> None:
        self.client.get("/search", params={"q": random.choice(WORDS)}, name="/search")
