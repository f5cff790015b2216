"""The dependency-injection container: lifetimes, wiring by type hints, errors."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from bricolage.patterns import Container, ResolutionError


class Settings:
    def __init__(self) -> None:
        self.url = "sqlite://"


class Database:
    built = 0

    def __init__(self, settings: Settings) -> None:
        Database.built += 1
        self.settings = settings


class Session:
    def __init__(self, db: Database) -> None:
        self.db = db


@dataclass
class OrderService:
    session: Session
    page_size: int = 50


def make_container() -> Container:
    container = Container()
    container.register(Settings, lifetime="singleton")
    container.register(Database, lifetime="singleton")
    container.register(Session, lifetime="scoped")
    container.register(OrderService)
    return container


def test_the_three_lifetimes() -> None:
    container = make_container()
    with container.scope() as first:
        a, b = first.resolve(OrderService), first.resolve(OrderService)
        assert a is not b  # transient
        assert a.session is b.session  # scoped: shared within the scope
        assert a.page_size == 50  # an unregistered parameter keeps its default
    with container.scope() as second:
        c = second.resolve(OrderService)
        assert c.session is not a.session  # a new scope, a new session
        assert c.session.db is a.session.db  # singleton across scopes
    assert container.resolve(Database) is a.session.db
    assert container.resolve(Settings) is a.session.db.settings


def test_a_singleton_is_built_once_under_threads() -> None:
    container = Container()
    built: list[int] = []

    def slow() -> Settings:
        built.append(1)
        time.sleep(0.01)
        return Settings()

    container.register(Settings, slow, lifetime="singleton")
    results: list[Settings] = []
    threads = [
        threading.Thread(target=lambda: results.append(container.resolve(Settings)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert all(r is results[0] for r in results)


def test_missing_registrations_show_the_chain() -> None:
    container = Container()
    container.register(Session)
    container.register(Database)
    with pytest.raises(
        ResolutionError,
        match=r"cannot resolve Session -> Database: its parameter 'settings' \(Settings\) "
        "is not registered and has no default",
    ):
        container.resolve(Session)
    with pytest.raises(LookupError, match="cannot resolve int: int is not registered"):
        container.resolve(int)


def test_a_scoped_service_outside_a_scope_or_in_a_singleton_is_refused() -> None:
    container = make_container()
    with pytest.raises(ResolutionError, match="Session is scoped; resolve it inside"):
        container.resolve(OrderService)
    container.register(OrderService, lifetime="singleton")
    with container.scope() as scope, pytest.raises(ResolutionError, match="singleton cannot"):
        scope.resolve(OrderService)


class Chicken:
    def __init__(self, egg: Egg) -> None: ...


class Egg:
    def __init__(self, chicken: Chicken) -> None: ...


def test_a_cycle_is_reported() -> None:
    container = Container()
    container.register(Chicken)
    container.register(Egg)
    with pytest.raises(ResolutionError, match="Chicken -> Egg -> Chicken: a dependency cycle"):
        container.resolve(Chicken)


def test_factories_instances_and_replacement() -> None:
    container = Container()
    container.register_instance(Settings, Settings())
    container.register(Database, lambda: Database(Settings()), lifetime="singleton")
    assert Settings in container
    assert Session not in container
    first = container.resolve(Database)
    container.register(Database, lifetime="singleton")  # replaced: the old one is dropped
    second = container.resolve(Database)
    assert second is not first
    assert second.settings is container.resolve(Settings)


def test_bad_lifetimes_and_unreadable_hints_are_refused() -> None:
    container = Container()
    with pytest.raises(ValueError, match=r"lifetime must be one of .* not 'forever'"):
        container.register(Settings, lifetime="forever")  # type: ignore[arg-type]

    def broken(x: Missing) -> int:  # type: ignore[name-defined]  # noqa: F821
        return 1

    container.register(int, broken)
    with pytest.raises(ResolutionError, match="cannot read the type hints of"):
        container.resolve(int)

    def untyped(x, *args, **kwargs):  # type: ignore[no-untyped-def]
        return "x"

    container.register(str, untyped)
    with pytest.raises(ResolutionError, match=r"'x' \(no annotation\)"):
        container.resolve(str)
