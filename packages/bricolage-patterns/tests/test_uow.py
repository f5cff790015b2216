"""Repositories and the unit of work: in memory, on a SQLite file, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, String, create_engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bricolage.patterns import (
    Aggregate,
    Command,
    Event,
    EventSource,
    InMemoryRepository,
    InMemoryUnitOfWork,
    MessageBus,
    PatternsError,
    UnitOfWork,
)
from bricolage.patterns.sqlalchemy import SqlAlchemyRepository, SqlAlchemyUnitOfWork

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Deposited(Event):
    account: str
    amount: int


@dataclass(frozen=True)
class Deposit(Command):
    account: str
    amount: int


class Base(DeclarativeBase):
    pass


class Account(Base, Aggregate):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    balance: Mapped[int] = mapped_column(default=0)

    def deposit(self, amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"a deposit must be positive, got {amount}")
        self.balance += amount
        self.record(Deposited(self.id, amount))


# -- in memory ------------------------------------------------------------------------


@dataclass
class Wallet(Aggregate):
    id: str
    balance: int = 0

    def deposit(self, amount: int) -> None:
        self.balance += amount
        self.record(Deposited(self.id, amount))


def test_in_memory_commit_keeps_and_publishes() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        wallets = uow.repository(Wallet)
        wallets.add(Wallet("w1"))
        wallet = wallets.get("w1")
        assert wallet is not None
        wallet.deposit(5)
        uow.commit()
    assert uow.published == [Deposited("w1", 5)]
    with uow:
        stored = uow.repository(Wallet).get("w1")
        assert stored is not None
        assert stored.balance == 5
        assert stored.collect_events() == []  # published once only


def test_in_memory_error_rolls_back_objects_and_drops_events() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.repository(Wallet).add(Wallet("w1", 10))
        uow.commit()

    def fail_midway() -> None:
        with uow:
            wallet = uow.repository(Wallet).get("w1")
            assert wallet is not None
            wallet.deposit(90)
            uow.repository(Wallet).add(Wallet("w2"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_midway()
    with uow:
        repo = uow.repository(Wallet)
        assert [(w.id, w.balance) for w in repo] == [("w1", 10)]
    assert uow.published == []


def test_leaving_without_commit_rolls_back() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.repository(Wallet).add(Wallet("w1"))
    with uow:
        assert uow.repository(Wallet).list() == []


def test_in_memory_repository_errors_name_the_key() -> None:
    repo: InMemoryRepository[Wallet] = InMemoryRepository()
    repo.add(Wallet("a", 1))
    with pytest.raises(ValueError, match="key 'a' is already stored: Wallet"):
        repo.add(Wallet("a", 2))
    assert repo.get("a") == Wallet("a", 1)
    repo.remove(Wallet("a"))
    with pytest.raises(LookupError, match="key 'a'"):
        repo.remove(Wallet("a"))


def test_a_bare_unit_of_work_must_be_subclassed() -> None:
    with pytest.raises(NotImplementedError), UnitOfWork():
        pass


def test_aggregate_is_an_event_source() -> None:
    wallet = Wallet("x")
    assert isinstance(wallet, EventSource)
    wallet.deposit(1)
    wallet.deposit(2)
    assert wallet.collect_events() == [Deposited("x", 1), Deposited("x", 2)]
    assert wallet.collect_events() == []


# -- SQLAlchemy -----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bank.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    Base.metadata.drop_all(engine)
    engine.dispose()


def balance(engine: Engine, account: str) -> int | None:
    with Session(engine) as session:
        return session.scalar(select(Account.balance).where(Account.id == account))


def count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


async def test_a_handler_commits_and_its_events_follow_on_the_bus(engine: Engine) -> None:
    bus = MessageBus()
    uow = SqlAlchemyUnitOfWork(sessionmaker(engine), bus=bus)
    seen: list[tuple[str, int, int | None]] = []

    def deposit(command: Deposit) -> int:
        with uow:
            accounts = uow.repository(Account)
            account = accounts.get(command.account)
            if account is None:
                account = Account(id=command.account, balance=0)
                accounts.add(account)
            account.deposit(command.amount)
            uow.commit()
            return account.balance

    def on_deposited(event: Deposited) -> None:
        # Handled after the commit: another connection already sees the new balance.
        seen.append((event.account, event.amount, balance(engine, event.account)))

    bus.register(deposit)
    bus.register(on_deposited)
    assert await bus.handle(Deposit("alice", 30)) == 30
    assert await bus.handle(Deposit("alice", 12)) == 42
    assert seen == [("alice", 30, 30), ("alice", 12, 42)]


async def test_any_error_rolls_back_and_publishes_nothing(engine: Engine) -> None:
    bus = MessageBus()
    uow = SqlAlchemyUnitOfWork(sessionmaker(engine), bus=bus)
    seen: list[Event] = []
    bus.register(seen.append, message_type=Event)
    with uow:
        uow.repository(Account).add(Account(id="bob", balance=100))
        uow.commit()

    def deposit(command: Deposit) -> None:
        with uow:
            account = uow.repository(Account).get(command.account)
            assert account is not None
            account.deposit(50)  # recorded, then the bad one below fails
            account.deposit(command.amount)
            uow.commit()

    bus.register(deposit)
    with pytest.raises(ValueError, match="must be positive, got -5"):
        await bus.handle(Deposit("bob", -5))
    assert balance(engine, "bob") == 100
    assert seen == []


def test_a_failing_commit_rolls_back_and_publishes_nothing(engine: Engine) -> None:
    uow = SqlAlchemyUnitOfWork(sessionmaker(engine))
    with uow:
        uow.repository(Account).add(Account(id="carol", balance=1))
        uow.commit()

    def add_a_duplicate() -> None:
        with uow:
            fresh = Account(id="dave", balance=0)
            fresh.deposit(3)
            uow.repository(Account).add(fresh)
            uow.repository(Account).add(Account(id="carol", balance=2))  # duplicate key
            uow.commit()

    with pytest.raises(IntegrityError):
        add_a_duplicate()
    assert uow.published == []
    assert count(engine) == 1
    assert balance(engine, "carol") == 1
    with uow:  # the unit of work is usable again
        uow.repository(Account).add(Account(id="dave", balance=0))
        uow.commit()
    assert count(engine) == 2


def test_leaving_the_block_uncommitted_rolls_back(engine: Engine) -> None:
    uow = SqlAlchemyUnitOfWork(sessionmaker(engine))
    with uow:
        uow.repository(Account).add(Account(id="erin", balance=1))
    assert count(engine) == 0


def test_repository_lists_and_removes(engine: Engine) -> None:
    uow = SqlAlchemyUnitOfWork(sessionmaker(engine))
    with uow:
        for name in ("a", "b", "c"):
            uow.repository(Account).add(Account(id=name, balance=0))
        uow.commit()
    with uow:
        repo = uow.repository(Account)
        assert isinstance(repo, SqlAlchemyRepository)
        assert repo is uow.repository(Account)
        assert sorted(a.id for a in repo.list()) == ["a", "b", "c"]
        b = repo.get("b")
        assert b is not None
        repo.remove(b)
        assert repo.get("zzz") is None
        uow.commit()
    with uow:
        assert sorted(a.id for a in uow.repository(Account).list()) == ["a", "c"]


def test_the_session_exists_only_inside_the_block(tmp_path: Path) -> None:
    uow = SqlAlchemyUnitOfWork(sessionmaker(create_engine(f"sqlite:///{tmp_path / 'x.db'}")))
    with pytest.raises(PatternsError, match="outside a 'with uow:' block"):
        uow.repository(Account)


def test_events_are_published_in_recorded_order_across_aggregates() -> None:
    class Outbox:
        """An event source that is not an Aggregate: its events follow the recorded ones."""

        id = "outbox"

        def collect_events(self) -> list[Event]:
            return [Deposited("outbox", 0)]

    uow = InMemoryUnitOfWork()
    with uow:
        a, b = Wallet("a"), Wallet("b")
        uow.repository(Wallet).add(a)
        uow.repository(Wallet).add(b)
        uow.repository(Outbox).add(Outbox())
        a.deposit(1)
        b.deposit(2)
        a.deposit(3)
        uow.commit()
    assert uow.published == [
        Deposited("a", 1),
        Deposited("b", 2),
        Deposited("a", 3),
        Deposited("outbox", 0),
    ]
