"""Helpers for driving the app through forms, as a browser would."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path, base_url="https://localhost").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def post(
    client: FlaskClient,
    path: str,
    data: dict[str, str],
    *,
    ip: str = "198.51.100.7",
    form: str | None = None,
) -> TestResponse:
    token = csrf_token(client, form or path)
    return client.post(
        path,
        data={**data, "csrf_token": token},
        base_url="https://localhost",
        headers={"Origin": "https://localhost", "Sec-Fetch-Site": "same-origin"},
        environ_base={"REMOTE_ADDR": ip},
    )
