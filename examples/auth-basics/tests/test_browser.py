"""The real server on 127.0.0.1: a browser driven by keyboard, and the demo command."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from auth_basics._server import serving
from auth_basics.cli import development_app
from playwright.sync_api import expect, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_register_log_out_and_in_with_the_keyboard(tmp_path: Path) -> None:
    database = tmp_path / "users.sqlite3"
    with (
        serving(lambda port: development_app(database, "127.0.0.1", port)) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(url + "register")
            page.get_by_label("Email").focus()
            page.keyboard.type("carol@example.com")
            page.keyboard.press("Tab")
            page.keyboard.type("short")
            page.keyboard.press("Enter")
            password = page.get_by_label("Password, 8 characters or more")
            expect(password).to_have_attribute("aria-invalid", "true")
            expect(page.locator("#password-error")).to_have_text(
                "Passwords need at least 8 characters."
            )
            expect(page.get_by_label("Email")).to_have_value("carol@example.com")  # kept
            password.fill("a long enough password")
            password.press("Enter")
            expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, carol@example.com")
            page.get_by_role("button", name="Log out carol@example.com").press("Enter")
            expect(page.get_by_role("heading", level=1)).to_have_text("Welcome")
            page.get_by_role("link", name="Log in").press("Enter")
            page.get_by_label("Email").fill("carol@example.com")
            page.get_by_label("Password").fill("not the password")
            page.get_by_label("Password").press("Enter")
            expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
            page.get_by_label("Password").fill("a long enough password")
            page.get_by_label("Password").press("Enter")
            expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, carol@example.com")
            page.screenshot(path=str(tmp_path / "auth-basics.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "auth-basics.png").stat().st_size > 1000


def _log_in(base: str, email: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "login", timeout=10) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())
    assert token
    data = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": token.group(1)}
    ).encode()
    request = urllib.request.Request(
        base + "login", data=data, headers={"Origin": base.rstrip("/")}, method="POST"
    )
    with opener.open(request, timeout=10) as response:
        return str(response.read().decode())


def test_the_demo_prints_one_url_and_a_login_that_works(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "auth_basics", "--database", str(tmp_path / "users.sqlite3")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        login = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
        found = re.fullmatch(r"log in as (\S+) with password (\S+)", login)
        assert found
        page = _log_in(url, found.group(1), found.group(2))
        assert "Welcome, demo@example.com" in page
    finally:
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert rest == ""  # the URL and the login were all it printed
    assert "Traceback" not in err
