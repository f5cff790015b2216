"""The units of work against a model: a hypothesis state machine.

Each step opens a unit of work, deposits into some accounts (creating them on first use),
then commits, leaves without committing, or raises. The stored balances and the published
events must equal a dictionary that applies only the committed steps, on the in-memory
unit of work and on SQLAlchemy with a SQLite file alike.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from bricolage.patterns import Aggregate, Event, InMemoryUnitOfWork, UnitOfWork
from bricolage.patterns.sqlalchemy import SqlAlchemyUnitOfWork


@dataclass(frozen=True)
class Credited(Event):
    account: str
    amount: int


class Base(DeclarativeBase):
    pass


class Ledger(Base, Aggregate):
    __tablename__ = "ledgers"
    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    balance: Mapped[int] = mapped_column(default=0)

    def credit(self, amount: int) -> None:
        self.balance += amount
        self.record(Credited(self.id, amount))


class Abort(Exception):
    pass


deposits = st.lists(st.tuples(st.sampled_from("abc"), st.integers(1, 9)), min_size=1, max_size=4)


class UnitOfWorkModel(RuleBasedStateMachine):
    uow: UnitOfWork

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, int] = {}
        self.events: list[Credited] = []
        self._tmp = tempfile.TemporaryDirectory()

    @initialize(flavour=st.sampled_from(["memory", "sqlite"]))
    def open(self, flavour: str) -> None:
        if flavour == "memory":
            self.uow = InMemoryUnitOfWork()
        else:
            engine = create_engine(f"sqlite:///{Path(self._tmp.name) / 'ledger.db'}")
            Base.metadata.create_all(engine)
            self.engine = engine
            self.uow = SqlAlchemyUnitOfWork(sessionmaker(engine))

    def _repo(self) -> object:
        uow = self.uow
        return uow.repository(Ledger)  # type: ignore[attr-defined]

    @rule(steps=deposits, outcome=st.sampled_from(["commit", "leave", "raise"]))
    def work(self, steps: list[tuple[str, int]], outcome: str) -> None:
        try:
            with self.uow:
                repo = self._repo()
                for account, amount in steps:
                    ledger = repo.get(account)  # type: ignore[attr-defined]
                    if ledger is None:
                        ledger = Ledger(id=account, balance=0)
                        repo.add(ledger)  # type: ignore[attr-defined]
                    ledger.credit(amount)
                if outcome == "commit":
                    self.uow.commit()
                elif outcome == "raise":
                    raise Abort
        except Abort:
            pass
        if outcome == "commit":
            for account, amount in steps:
                self.model[account] = self.model.get(account, 0) + amount
                self.events.append(Credited(account, amount))

    @invariant()
    def stored_equals_model(self) -> None:
        if not hasattr(self, "uow"):
            return
        with self.uow:
            stored = {ledger.id: ledger.balance for ledger in self._repo().list()}  # type: ignore[attr-defined]
        assert stored == self.model
        assert self.uow.published == self.events

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.engine.dispose()
        self._tmp.cleanup()


TestUnitOfWorkModel = UnitOfWorkModel.TestCase
TestUnitOfWorkModel.settings = settings(max_examples=40, stateful_step_count=8)
