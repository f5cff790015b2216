"""Repositories and a unit of work on SQLAlchemy 2 (the extra ``[sqlalchemy]``).

``pip install "bricolage-patterns[sqlalchemy]"``. Any database SQLAlchemy speaks works;
the tests run on a SQLite file and on a private PostgreSQL server.

>>> from sqlalchemy import Integer, String, create_engine
>>> from sqlalchemy.orm import DeclarativeBase, mapped_column, sessionmaker
>>> from bricolage.patterns.sqlalchemy import SqlAlchemyUnitOfWork
>>> class Base(DeclarativeBase): ...
>>> class Note(Base):
...     __tablename__ = "notes"
...     id = mapped_column(Integer, primary_key=True)
...     text = mapped_column(String)
>>> engine = create_engine("sqlite://")
>>> Base.metadata.create_all(engine)
>>> uow = SqlAlchemyUnitOfWork(sessionmaker(engine))
>>> with uow:
...     uow.repository(Note).add(Note(id=1, text="buy milk"))
...     uow.commit()
>>> with uow:
...     uow.repository(Note).get(1).text
'buy milk'
"""

from __future__ import annotations

from typing import Any, TypeVar

try:
    from sqlalchemy import select
    from sqlalchemy.orm import Session, sessionmaker
except ImportError as _missing:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "bricolage.patterns.sqlalchemy needs SQLAlchemy; install it with "
        'pip install "bricolage-patterns[sqlalchemy]"'
    ) from _missing

from bricolage.patterns._bus import MessageBus
from bricolage.patterns._uow import Repository, UnitOfWork
from bricolage.patterns.errors import PatternsError

__all__ = ["SqlAlchemyRepository", "SqlAlchemyUnitOfWork"]

T = TypeVar("T")


class SqlAlchemyRepository(Repository[T]):
    """A repository of one mapped class over a SQLAlchemy session.

    Args:
        session: The session of the unit of work.
        kind: The mapped class.

    >>> from sqlalchemy import Integer, create_engine
    >>> from sqlalchemy.orm import DeclarativeBase, Session, mapped_column
    >>> from bricolage.patterns.sqlalchemy import SqlAlchemyRepository
    >>> class Base(DeclarativeBase): ...
    >>> class Tag(Base):
    ...     __tablename__ = "tags"
    ...     id = mapped_column(Integer, primary_key=True)
    >>> engine = create_engine("sqlite://")
    >>> Base.metadata.create_all(engine)
    >>> with Session(engine) as session:
    ...     tags = SqlAlchemyRepository(session, Tag)
    ...     tags.add(Tag(id=1)); tags.add(Tag(id=2))
    ...     tags.remove(tags.get(1))
    ...     session.commit()
    ...     [tag.id for tag in tags.list()]
    [2]
    """

    def __init__(self, session: Session, kind: type[T]) -> None:
        self.session = session
        self.kind = kind
        self.seen: list[T] = []
        """The objects added or fetched through this repository, oldest first."""

    def _see(self, item: T) -> None:
        if not any(item is other for other in self.seen):
            self.seen.append(item)

    def add(self, item: T) -> None:
        """Add a new object; it is inserted when the unit of work commits."""
        self.session.add(item)
        self._see(item)

    def get(self, key: Any) -> T | None:
        """The object with this primary key, or ``None``."""
        item = self.session.get(self.kind, key)
        if item is not None:
            self._see(item)
        return item

    def remove(self, item: T) -> None:
        """Delete an object when the unit of work commits."""
        self.session.delete(item)
        self._see(item)

    def list(self) -> list[T]:
        """Every object of the mapped class."""
        items = list(self.session.scalars(select(self.kind)))
        for item in items:
            self._see(item)
        return items


class SqlAlchemyUnitOfWork(UnitOfWork):
    """A unit of work over one SQLAlchemy session per ``with`` block.

    The block opens a session; :meth:`~UnitOfWork.commit` commits it and then publishes
    the domain events of every object the repositories saw; leaving the block rolls back
    whatever was not committed (on any error too) and closes the session.

    Args:
        session_factory: A :class:`sqlalchemy.orm.sessionmaker`.
        bus: Where committed events go (see :class:`~bricolage.patterns.UnitOfWork`).

    >>> from sqlalchemy import Integer, create_engine
    >>> from sqlalchemy.orm import DeclarativeBase, mapped_column, sessionmaker
    >>> from bricolage.patterns import Aggregate, Event
    >>> from bricolage.patterns.sqlalchemy import SqlAlchemyUnitOfWork
    >>> class Base(DeclarativeBase): ...
    >>> class Opened(Event): ...
    >>> class Ticket(Base, Aggregate):
    ...     __tablename__ = "tickets"
    ...     id = mapped_column(Integer, primary_key=True)
    >>> engine = create_engine("sqlite://")
    >>> Base.metadata.create_all(engine)
    >>> uow = SqlAlchemyUnitOfWork(sessionmaker(engine))
    >>> with uow:
    ...     ticket = Ticket(id=1)
    ...     ticket.record(Opened())
    ...     uow.repository(Ticket).add(ticket)
    ...     uow.commit()
    >>> [type(event).__name__ for event in uow.published]
    ['Opened']
    """

    def __init__(
        self, session_factory: sessionmaker[Session], bus: MessageBus | None = None
    ) -> None:
        super().__init__(bus)
        self.session_factory = session_factory
        self._session: Session | None = None
        self._repositories: dict[type, SqlAlchemyRepository[Any]] = {}

    @property
    def session(self) -> Session:
        """The session of the current block.

        Raises:
            PatternsError: Used outside a ``with`` block.
        """
        if self._session is None:
            raise PatternsError("the unit of work has no session outside a 'with uow:' block")
        return self._session

    def repository(self, kind: type[T]) -> SqlAlchemyRepository[T]:
        """The repository of the mapped class ``kind`` in the current block."""
        repo = self._repositories.get(kind)
        if repo is None:
            repo = self._repositories[kind] = SqlAlchemyRepository(self.session, kind)
        return repo

    def _begin(self) -> None:
        self._session = self.session_factory()
        self._repositories = {}

    def __exit__(self, *args: Any) -> None:
        try:
            super().__exit__(*args)
        finally:
            if self._session is not None:
                self._session.close()
            self._session = None
            self._repositories = {}

    def _commit(self) -> None:
        self.session.commit()

    def _rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()

    def _seen(self) -> list[object]:
        return [item for repo in self._repositories.values() for item in repo.seen]
