"""Settings, forms, migrations, seeding and the docstring examples."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from helpers import TODAY, make_settings
from pydantic import SecretStr
from todo_web import forms
from todo_web.db import make_engine, make_sessionmaker, migrate
from todo_web.models import Base, Todo, TodoList, User
from todo_web.search_index import TodoIndex
from todo_web.seed import DEMO_USERS, seed_demo
from todo_web.settings import AppSettings, load_settings

from bricolage.security import Argon2Parameters, PasswordHasher
from bricolage.settings import SettingsValidationError

MODULES = [
    "todo_web.app",
    "todo_web.db",
    "todo_web.filters",
    "todo_web.forms",
    "todo_web.permissions",
    "todo_web.search_index",
    "todo_web.settings",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


def test_profiles_set_what_they_promise(tmp_path: Path) -> None:
    dev = load_settings("dev", data_dir=tmp_path)
    assert (dev.environment, dev.dev_outbox, dev.password_hashing) == ("dev", True, "owasp")
    test = load_settings("test", data_dir=tmp_path)
    assert test.password_hashing == "fast-for-tests"
    assert test.jobs_backend() == str(tmp_path.resolve() / "jobs.sqlite3")
    prod = load_settings("prod", data_dir=tmp_path, secret_key="s" * 40)
    assert (prod.environment, prod.dev_outbox, prod.log_format) == ("prod", False, "json")
    assert prod.cookie_name == "__Host-session"


def test_production_refuses_a_missing_or_short_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsValidationError, match="secret_key must be set in production"):
        load_settings("prod", data_dir=tmp_path)
    with pytest.raises(SettingsValidationError, match="at least 32 characters"):
        load_settings("prod", data_dir=tmp_path, secret_key="short")


def test_environment_and_secrets_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "secret_key").write_text("k" * 48 + "\n")
    monkeypatch.setenv("TODO_WEB_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("TODO_WEB_PROFILE", "prod")
    monkeypatch.setenv("TODO_WEB_PAGE_SIZE", "50")
    monkeypatch.setenv("TODO_WEB_DATABASE_URL", "postgresql://db.internal/todo")
    settings = load_settings(data_dir=tmp_path)
    assert isinstance(settings, AppSettings)
    assert settings.secret_key == SecretStr("k" * 48)
    assert settings.page_size == 50
    assert settings.environment == "prod"
    assert settings.sqlalchemy_url() == "postgresql://db.internal/todo"
    assert "secret_key" in settings.explain().__str__()


def test_bad_values_name_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_WEB_PAGE_SIZE", "500")
    with pytest.raises(SettingsValidationError) as caught:
        load_settings("test", data_dir=tmp_path)
    assert "page_size" in str(caught.value)
    assert "500" in str(caught.value)


def test_the_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    migrate(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    engine.dispose()


def test_postgres_urls_use_psycopg_3() -> None:
    engine = make_engine("postgresql://user@127.0.0.1:1/db")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_seeding_is_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'seed.sqlite3'}")
    migrate(engine)
    sessions = make_sessionmaker(engine)
    index = TodoIndex(tmp_path / "search")
    hasher = PasswordHasher(Argon2Parameters.for_tests())
    with sessions() as db:
        first = seed_demo(db, index, hasher, TODAY)
    with sessions() as db:
        again = seed_demo(db, index, hasher, TODAY)
        assert again.id == first.id
        assert db.query(User).count() == len(DEMO_USERS)
        assert db.query(TodoList).count() == len(DEMO_USERS) + 2
        todos = list(db.query(Todo))
    assert len(todos) == 10
    assert index.rebuild(todos) == 10
    assert index.rebuild(todos) == 10  # a rebuild replaces, it does not add
    assert len(index.search("passport dentist milk", {t.list_id for t in todos})) >= 2
    engine.dispose()


def test_forms_normalise_what_they_accept() -> None:
    values, errors = forms.validate_todo(
        {"title": "  Walk  ", "due": "2026-12-24", "priority": "3", "tags": "Dog,dog  PARK"}
    )
    assert errors == {}
    assert values["title"] == "Walk"
    assert values["tags"] == ["dog", "park"]
    assert values["priority"] == 3
    values, errors = forms.validate_signup(
        {"email": "Ada@EXAMPLE.com", "password": "long-enough-1", "confirm": "long-enough-1"}
    )
    assert errors == {}
    assert values == {"email": "ada@example.com", "name": "ada", "password": "long-enough-1"}
    assert forms.validate_list_name({"name": "x" * 81})[1] == {
        "name": "Keep the name under 80 characters (it has 81)."
    }


def test_settings_for_tests_helper(tmp_path: Path) -> None:
    assert make_settings(tmp_path, page_size=3).page_size == 3
