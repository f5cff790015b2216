"""Search: scoped to the lists a user may read, in step with every edit, and safe."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from helpers import Browser, Factory, make_settings
from todo_web.app import create_app
from todo_web.permissions import Role
from todo_web.search_index import TodoIndex
from todo_web.web import Runtime


def _results(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', html)


def test_search_finds_titles_and_notes_with_highlighted_snippets(
    browser: Browser, make: Factory
) -> None:
    ada = make.user("ada@example.com")
    todo_list = make.personal_list(ada)
    make.todo(todo_list, ada, title="Buy oat milk", notes="The barista kind")
    make.todo(todo_list, ada, title="Call mum", notes="About the barista course")
    make.todo(todo_list, ada, title="Unrelated")
    browser.login("ada@example.com")
    page = browser.get("/search?q=barista").text
    assert sorted(_results(page)) == ["Buy oat milk", "Call mum"]
    assert "<mark>barista</mark>" in page
    assert "2 results for “barista”" in page
    assert _results(browser.get("/search?q=milk").text) == ["Buy oat milk"]


def test_search_follows_edits_and_deletes(browser: Browser, make: Factory) -> None:
    ada = make.user("ada@example.com")
    todo_list = make.personal_list(ada)
    todo = make.todo(todo_list, ada, title="Paint the fence")
    browser.login("ada@example.com")
    assert _results(browser.get("/search?q=fence").text) == ["Paint the fence"]
    browser.post(
        f"/todos/{todo.id}/edit", {"title": "Paint the shed", "notes": "green", "priority": "2"}
    )
    assert "No to-do matches “fence”" in browser.get("/search?q=fence").text
    assert _results(browser.get("/search?q=shed").text) == ["Paint the shed"]
    assert _results(browser.get("/search?q=green").text) == ["Paint the shed"]
    browser.post(f"/todos/{todo.id}/delete")
    assert _results(browser.get("/search?q=shed").text) == []


def test_search_sees_shared_lists_and_nothing_else(app: Flask, make: Factory) -> None:
    ada, grace, eve = (make.user(f"{n}@example.com") for n in ("ada", "grace", "eve"))
    team = make.todo_list(ada, "Team", {grace: Role.VIEWER})
    make.todo(team, ada, title="Quarterly report draft")
    make.todo(make.personal_list(eve), eve, title="Quarterly private budget")
    browser = Browser(app.test_client())
    browser.login("grace@example.com")
    assert _results(browser.get("/search?q=quarterly").text) == ["Quarterly report draft"]


def test_search_takes_any_text_as_plain_words(browser: Browser, make: Factory) -> None:
    ada = make.user("ada@example.com")
    make.todo(make.personal_list(ada), ada, title="Fix <b>bold</b> AND stuff")
    browser.login("ada@example.com")
    for query in ('"unclosed', "AND OR NOT (", "title:", "*", "x" * 500):
        assert browser.get("/search", query_string={"q": query}).status_code == 200
    page = browser.get("/search?q=bold").text
    assert "<b>bold</b>" not in page  # escaped in the title and the snippet
    assert "&lt;b&gt;" in page
    assert "Search your to-dos" in browser.get("/search").text


def test_a_damaged_or_missing_index_is_rebuilt_from_the_database(
    tmp_path: Path, make: Factory, rt: Runtime
) -> None:
    ada = make.user("ada@example.com")
    todo_list = make.personal_list(ada)
    make.todo(todo_list, ada, title="Rebuild me")
    folder = rt.settings.data_dir.resolve() / "search"
    for path in folder.iterdir():
        if path.is_file():
            path.write_bytes(b"garbage")
    app = create_app(rt.settings)
    assert [h.todo_id for h in app.extensions["todo_web"].index.search("rebuild", [todo_list.id])]


def test_in_memory_index_and_empty_queries() -> None:
    index = TodoIndex(None)
    assert index.fresh
    assert index.search("   ", [1]) == []
    assert index.search("anything", []) == []
    index.delete([404])


def test_the_index_survives_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    app = create_app(settings)
    rt: Runtime = app.extensions["todo_web"]
    from helpers import Factory as F

    make = F(rt)
    ada = make.user("ada@example.com")
    todo_list = make.personal_list(ada)
    make.todo(todo_list, ada, title="Persistent thought")
    again = TodoIndex(settings.data_dir.resolve() / "search")
    assert not again.fresh
    assert [h.todo_id for h in again.search("persistent", [todo_list.id])] != []
