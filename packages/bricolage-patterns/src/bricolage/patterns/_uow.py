"""Repositories and the unit of work: the in-memory flavour and the shared protocol."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Hashable, Iterator
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from bricolage.patterns._bus import Event, MessageBus

__all__ = [
    "Aggregate",
    "EventSource",
    "InMemoryRepository",
    "InMemoryUnitOfWork",
    "Repository",
    "UnitOfWork",
]

T = TypeVar("T")

_SEQUENCE = itertools.count()  # orders events recorded by different aggregates


@runtime_checkable
class EventSource(Protocol):
    """Anything that hands over the domain events it recorded, once.

    >>> isinstance(Aggregate(), EventSource)
    True
    """

    def collect_events(self) -> list[Event]:
        """Return the events recorded since the last call, and forget them."""
        ...


class Aggregate:
    """A mixin for domain objects that record events for the unit of work to publish.

    It keeps no state until :meth:`record` is called, so it mixes into dataclasses and
    SQLAlchemy mapped classes alike (objects loaded from a database start with no events).

    >>> class Placed(Event): ...
    >>> class Order(Aggregate):
    ...     def place(self) -> None:
    ...         self.record(Placed())
    >>> order = Order()
    >>> order.place()
    >>> [type(e).__name__ for e in order.collect_events()], order.collect_events()
    (['Placed'], [])
    """

    def record(self, event: Event) -> None:
        """Remember ``event``, to be published when the unit of work commits.

        >>> a = Aggregate()
        >>> a.record(Event())
        >>> len(a.collect_events())
        1
        """
        pending: list[tuple[int, Event]] | None = self.__dict__.get("_bricolage_events")
        if pending is None:
            pending = []
            self.__dict__["_bricolage_events"] = pending
        pending.append((next(_SEQUENCE), event))

    def collect_events(self) -> list[Event]:
        """Return the recorded events, oldest first, and forget them.

        >>> Aggregate().collect_events()
        []
        """
        return [event for _, event in self._take_sequenced()]

    def _take_sequenced(self) -> list[tuple[int, Event]]:
        pending: list[tuple[int, Event]] = self.__dict__.pop("_bricolage_events", None) or []
        return pending


class Repository(Protocol[T]):
    """What a repository offers: add, get by key, remove and list one kind of object.

    Both :class:`InMemoryRepository` and ``bricolage.patterns.sqlalchemy.SqlAlchemyRepository``
    satisfy it, so code written against it runs on either.

    >>> def count(repo: Repository[object]) -> int:
    ...     return len(repo.list())
    >>> count(InMemoryRepository())
    0
    """

    def add(self, item: T) -> None:
        """Add a new object."""
        ...

    def get(self, key: Any) -> T | None:
        """The object with this key, or ``None``."""
        ...

    def remove(self, item: T) -> None:
        """Remove an object."""
        ...

    def list(self) -> list[T]:
        """Every object."""
        ...


class InMemoryRepository(Repository[T]):
    """A repository in a dictionary, for tests and prototypes.

    Args:
        key: The attribute holding each object's key (``"id"`` by default), or a callable
            returning the key.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Customer:
    ...     id: int
    ...     name: str
    >>> repo: InMemoryRepository[Customer] = InMemoryRepository()
    >>> repo.add(Customer(1, "Ada"))
    >>> repo.get(1)
    Customer(id=1, name='Ada')
    >>> repo.get(2) is None
    True
    """

    def __init__(self, key: str | Callable[[T], Hashable] = "id") -> None:
        self._key: Callable[[T], Hashable] = (
            (lambda item: getattr(item, key)) if isinstance(key, str) else key
        )
        self._items: dict[Hashable, T] = {}
        self.seen: list[T] = []
        """The objects added or fetched through this repository, oldest first."""

    def _see(self, item: T) -> None:
        if not any(item is other for other in self.seen):
            self.seen.append(item)

    def add(self, item: T) -> None:
        """Add ``item``.

        Raises:
            ValueError: An object with the same key is already stored; it is kept.

        >>> repo = InMemoryRepository(key=str.lower)
        >>> repo.add("Ada"); repo.add("ADA")
        Traceback (most recent call last):
        ...
        ValueError: an object with the key 'ada' is already stored: 'Ada'
        """
        key = self._key(item)
        if key in self._items:
            raise ValueError(
                f"an object with the key {key!r} is already stored: {self._items[key]!r}"
            )
        self._items[key] = item
        self._see(item)

    def get(self, key: Any) -> T | None:
        """The object stored under ``key``, or ``None``.

        >>> InMemoryRepository().get(1) is None
        True
        """
        item = self._items.get(key)
        if item is not None:
            self._see(item)
        return item

    def remove(self, item: T) -> None:
        """Remove ``item``.

        Raises:
            LookupError: Nothing is stored under its key.

        >>> InMemoryRepository(key=str).remove("x")
        Traceback (most recent call last):
        ...
        LookupError: nothing is stored under the key 'x'
        """
        key = self._key(item)
        if key not in self._items:
            raise LookupError(f"nothing is stored under the key {key!r}")
        del self._items[key]
        self._see(item)

    def list(self) -> list[T]:
        """Every stored object, in insertion order.

        >>> repo = InMemoryRepository(key=str)
        >>> repo.add("b"); repo.add("a")
        >>> repo.list()
        ['b', 'a']
        """
        items = list(self._items.values())
        for item in items:
            self._see(item)
        return items

    def __iter__(self) -> Iterator[T]:
        return iter(self.list())


class UnitOfWork:
    """One atomic piece of work: commit it all or nothing, then publish its events.

    Use it as a context manager. :meth:`commit` makes the changes durable, then hands the
    events recorded by every object the repositories saw (see :class:`Aggregate`) to the
    bus with :meth:`MessageBus.collect`, so they are handled after the current handler
    returns. Leaving the block without committing, or with an exception, rolls back and
    drops those events. Subclasses implement :meth:`_commit`, :meth:`_rollback` and
    :meth:`_seen`.

    Args:
        bus: Where committed events go; without one they are kept in :attr:`published`.

    >>> uow = InMemoryUnitOfWork()
    >>> with uow:
    ...     uow.repository(dict, key=lambda d: d["id"]).add({"id": 1})
    ...     uow.commit()
    >>> with uow:
    ...     uow.repository(dict).list()
    [{'id': 1}]
    """

    def __init__(self, bus: MessageBus | None = None) -> None:
        self.bus = bus
        self.published: list[Event] = []
        """Committed events, when there is no bus to hand them to."""

    def __enter__(self) -> Self:
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Committed work has nothing left to roll back; anything else is undone.
        self.rollback()

    def commit(self) -> None:
        """Make the work durable, then publish the events its objects recorded.

        If the commit itself fails, the work is rolled back and no event is published.
        """
        # In the order they were recorded, across aggregates.
        sequenced: list[tuple[int, Event]] = []
        for item in self._seen():
            if isinstance(item, Aggregate):
                sequenced.extend(item._take_sequenced())
            elif isinstance(item, EventSource):
                sequenced.extend((next(_SEQUENCE), event) for event in item.collect_events())
        sequenced.sort(key=lambda pair: pair[0])
        events = [event for _, event in sequenced]
        try:
            self._commit()
        except BaseException:
            self.rollback()
            raise
        if self.bus is not None:
            self.bus.collect(*events)
        else:
            self.published.extend(events)

    def rollback(self) -> None:
        """Undo everything not committed, and drop the events recorded since.

        >>> with InMemoryUnitOfWork() as uow:
        ...     uow.repository(str, key=str).add("draft")
        ...     uow.rollback()
        ...     uow.repository(str).list()
        []
        """
        for item in self._seen():
            if isinstance(item, EventSource):
                item.collect_events()
        self._rollback()

    def _begin(self) -> None:
        """Start the work (open a session, take a snapshot)."""

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def _seen(self) -> list[object]:
        raise NotImplementedError


class InMemoryUnitOfWork(UnitOfWork):
    """A unit of work over in-memory repositories, one per object type, for tests.

    Rollback restores a deep copy taken at the start of the block, so changes made to the
    objects themselves are undone too.

    >>> class Registered(Event): ...
    >>> class User(Aggregate):
    ...     def __init__(self, id: int) -> None:
    ...         self.id = id
    ...         self.record(Registered())
    >>> uow = InMemoryUnitOfWork()
    >>> with uow:
    ...     uow.repository(User).add(User(7))
    ...     uow.commit()
    >>> [type(e).__name__ for e in uow.published]
    ['Registered']
    """

    def __init__(self, bus: MessageBus | None = None) -> None:
        super().__init__(bus)
        self._repositories: dict[type, InMemoryRepository[Any]] = {}
        self._snapshot: dict[type, InMemoryRepository[Any]] = {}

    def repository(
        self, kind: type[T], key: str | Callable[[T], Hashable] = "id"
    ) -> InMemoryRepository[T]:
        """The repository of ``kind`` objects, created on first use with ``key``.

        >>> InMemoryUnitOfWork().repository(str, key=str).list()
        []
        """
        repo = self._repositories.get(kind)
        if repo is None:
            repo = self._repositories[kind] = InMemoryRepository(key)
        return repo

    def _begin(self) -> None:
        for repo in self._repositories.values():
            repo.seen.clear()
        self._snapshot = copy.deepcopy(self._repositories)

    def _commit(self) -> None:
        self._snapshot = copy.deepcopy(self._repositories)

    def _rollback(self) -> None:
        self._repositories = copy.deepcopy(self._snapshot)

    def _seen(self) -> list[object]:
        return [item for repo in self._repositories.values() for item in repo.seen]
