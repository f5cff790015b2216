"""End to end in a real headless Chromium (Debian's), with axe-core on every main page.

The application runs on a private port on 127.0.0.1; screenshots go to a temporary
artefacts folder (``TODO_WEB_ARTEFACTS`` to choose it), never into the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import make_settings
from playwright.sync_api import Browser, Page, expect, sync_playwright
from todo_web.app import create_app
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"
AXE_VERSION = "4.10.2"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("e2e-data")
    probe = make_server("127.0.0.1", 0, lambda e, s: [])  # a free port, held until we bind
    port = probe.server_port
    probe.server_close()
    origins = [f"http://127.0.0.1:{port}"]
    settings = make_settings(data, origins=origins, lockout_free_attempts=3, login_rate_limit=1000)
    app = create_app(settings)
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core from npm, installed once into a cache folder outside the repository."""
    npm = shutil.which("npm")
    if npm is None:  # pragma: no cover - listed in system-packages.txt (nodejs)
        pytest.fail("npm is needed to install axe-core for the accessibility checks")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "todo-web-axe"
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(cache),
                "--no-audit",
                "--no-fund",
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
        )
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("TODO_WEB_ARTEFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Pages:
    """Runs axe on a page and keeps a screenshot of it."""

    def __init__(self, axe: str, folder: Path) -> None:
        self.axe = axe
        self.folder = folder
        self.results: dict[str, list[dict[str, Any]]] = {}

    def check(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        page.add_script_tag(content=self.axe)
        found = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        serious = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in found
            if v["impact"] in ("serious", "critical")
        ]
        self.results[name] = serious
        assert serious == [], f"{name}: {json.dumps(serious, indent=1)}"


@pytest.fixture(scope="module")
def pages(axe_source: str, artefacts: Path) -> Pages:
    return Pages(axe_source, artefacts)


def _sign_up(page: Page, email: str, name: str) -> None:
    page.goto("/signup")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Your name").fill(name)
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Your lists")).to_be_visible()


def _log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.locator("#f-password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_sign_up_create_a_list_share_it_and_search(
    chromium: Browser, server: str, pages: Pages
) -> None:
    grace_ctx = chromium.new_context(base_url=server, bypass_csp=True)
    _sign_up(grace_ctx.new_page(), "grace@example.com", "Grace")
    grace_ctx.close()

    ada_ctx = chromium.new_context(base_url=server, bypass_csp=True)
    page = ada_ctx.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Get things done, together.")).to_be_visible()
    pages.check(page, "welcome")
    page.goto("/signup")
    page.get_by_role("button", name="Sign up").click()  # empty form: errors per field
    expect(page.locator("#e-email")).to_have_text("Enter your e-mail address.")
    pages.check(page, "signup-errors")
    _sign_up(page, "ada@example.com", "Ada")
    expect(page.get_by_text("Welcome, Ada!")).to_be_visible()
    page.get_by_label("List name").fill("Trip to Lisbon")
    page.get_by_role("button", name="Create list").click()
    expect(page.get_by_role("heading", name="Trip to Lisbon")).to_be_visible()
    expect(page.get_by_text("Nothing to do here yet")).to_be_visible()
    pages.check(page, "list-empty")
    for title, notes, tags, priority in (
        ("Renew the passport", "The photo booth is at the post office", "admin", "High"),
        ("Book the flights", "Window seats, morning flight", "travel", "Normal"),
        ("Pack the camera", "", "travel gear", "Low"),
    ):
        page.get_by_text("Add a to-do").click() if not page.locator(
            "details[open]"
        ).count() else None
        page.get_by_label("Title").fill(title)
        page.get_by_label("Notes").fill(notes)
        page.get_by_label("Due date").fill("2030-05-01")
        page.get_by_label("Priority").select_option(label=priority)
        page.get_by_label("Tags").fill(tags)
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.get_by_text(f"Added “{title}”.")).to_be_visible()
    expect(page.locator(".todo")).to_have_count(3)
    page.get_by_role("button", name="Mark done: Pack the camera").click()
    expect(page.get_by_role("button", name="Reopen: Pack the camera")).to_be_visible()
    page.get_by_label("Tag", exact=True).select_option("travel")
    page.get_by_label("Status", exact=True).select_option("open")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".todo")).to_have_count(1)
    expect(page.locator(".todo-title")).to_have_text("Book the flights")
    page.goto(page.url.split("?")[0])
    pages.check(page, "list")
    page.get_by_role("link", name="Edit Book the flights").click()
    expect(page.get_by_role("heading", name="Edit to-do")).to_be_visible()
    pages.check(page, "edit")
    page.get_by_role("link", name="Cancel").click()

    page.get_by_role("link", name="Members and settings").click()
    page.get_by_label("E-mail of their account").fill("grace@example.com")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_text("Shared with grace@example.com as viewer.")).to_be_visible()
    pages.check(page, "settings")

    page.get_by_label("Search to-dos").fill("photo booth")
    page.get_by_label("Search to-dos").press("Enter")
    expect(page.get_by_role("link", name="Renew the passport")).to_be_visible()
    expect(page.locator(".snippet mark").first).to_have_text(re.compile("photo", re.I))
    pages.check(page, "search")
    page.get_by_label("Search to-dos").fill("nothing-like-this")
    page.get_by_label("Search to-dos").press("Enter")
    expect(page.get_by_text("No to-do matches")).to_be_visible()
    page.goto("/")
    pages.check(page, "dashboard")
    ada_ctx.close()


def test_a_viewer_is_refused_an_edit(chromium: Browser, server: str, pages: Pages) -> None:
    ctx = chromium.new_context(base_url=server, bypass_csp=True)
    page = ctx.new_page()
    _log_in(page, "grace@example.com")
    page.get_by_role("link", name="Trip to Lisbon").click()
    expect(page.get_by_text("You can view this list.")).to_be_visible()
    expect(page.get_by_text("Add a to-do")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Mark done"))).to_have_count(0)
    todo_id = page.locator(".todo").first.get_attribute("id")
    assert todo_id is not None
    response = page.goto(f"/todos/{todo_id.removeprefix('todo-')}/edit")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(
        page.get_by_text("Your role in this list (viewer) does not allow this.")
    ).to_be_visible()
    pages.check(page, "forbidden")
    missing = page.goto("/lists/99999")
    assert missing is not None
    assert missing.status == 404
    pages.check(page, "not-found")
    ctx.close()


def test_lockout_and_reset_through_the_outbox(
    chromium: Browser, server: str, pages: Pages
) -> None:
    attacker = chromium.new_context(base_url=server, bypass_csp=True)
    page = attacker.new_page()
    for _ in range(4):
        _log_in(page, "ada@example.com", "guessing-wrong")
    _log_in(page, "ada@example.com", PASSWORD)
    expect(
        page.get_by_text(re.compile(r"Too many attempts\. Try again in \d+ s\."))
    ).to_be_visible()
    pages.check(page, "login-locked")
    attacker.close()

    owner = chromium.new_context(base_url=server, bypass_csp=True)
    page = owner.new_page()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    pages.check(page, "forgot")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("If an account uses that address")).to_be_visible()
    page.get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", name="Reset your password").first).to_be_visible()
    pages.check(page, "outbox")
    page.locator(".outbox a[href*='/reset/']").first.click()
    page.get_by_label("New password").fill("a-brand-new-secret")
    page.get_by_label("Repeat the password").fill("a-brand-new-secret")
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    _log_in(page, "ada@example.com", "a-brand-new-secret")
    expect(page.get_by_role("heading", name="Your lists")).to_be_visible()
    owner.close()


def test_the_forms_work_with_the_keyboard_alone(chromium: Browser, server: str) -> None:
    ctx = chromium.new_context(base_url=server, bypass_csp=True)
    page = ctx.new_page()
    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type("grace@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your lists")).to_be_visible()
    ctx.close()


def test_the_layout_fits_a_phone(chromium: Browser, server: str, pages: Pages) -> None:
    ctx = chromium.new_context(
        base_url=server, bypass_csp=True, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    page = ctx.new_page()
    _log_in(page, "grace@example.com")
    page.get_by_role("link", name="Trip to Lisbon").click()
    pages.check(page, "list-phone")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 376)
            .map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"""
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone: {width}px, {wide}"
    ctx.close()
