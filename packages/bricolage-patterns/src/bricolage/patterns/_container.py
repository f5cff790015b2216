"""A small dependency-injection container: constructors wired by their type hints."""

from __future__ import annotations

import inspect
import threading
import typing
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

from bricolage.patterns.errors import ResolutionError

__all__ = ["Container", "Lifetime", "Scope"]

T = TypeVar("T")

Lifetime = Literal["singleton", "scoped", "transient"]
"""How long a resolved instance lives: one per container, one per scope, or a new one each
time.

>>> from typing import get_args
>>> get_args(Lifetime)
('singleton', 'scoped', 'transient')
"""

_LIFETIMES = ("singleton", "scoped", "transient")
_MISSING = object()


@dataclass(slots=True)
class _Provider:
    factory: Callable[..., Any]
    lifetime: Lifetime
    params: list[tuple[str, Any, Any]] | None = None  # name, type, default


def _name(kind: Any) -> str:
    return getattr(kind, "__qualname__", None) or repr(kind)


def _parameters(factory: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # a builtin type such as dict: built without arguments
        return []
    target: Any = factory.__init__ if inspect.isclass(factory) else factory
    try:
        hints = typing.get_type_hints(target)
    except Exception as exc:
        raise ResolutionError(f"cannot read the type hints of {_name(factory)}: {exc}") from exc
    params = []
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = _MISSING if param.default is param.empty else param.default
        params.append((param.name, hints.get(param.name, _MISSING), default))
    return params


class Container:
    """Builds services from factories, filling each parameter by its type hint.

    Register a type with a factory (the class itself by default) and a lifetime:
    ``"singleton"`` (one instance per container, built once even under threads),
    ``"scoped"`` (one per :meth:`scope`), ``"transient"`` (a new one each time). A
    parameter whose type is not registered keeps its default value, if it has one.

    >>> class Settings:
    ...     url = "sqlite://"
    >>> class Database:
    ...     def __init__(self, settings: Settings) -> None:
    ...         self.url = settings.url
    >>> class Orders:
    ...     def __init__(self, db: Database) -> None:
    ...         self.db = db
    >>> container = Container()
    >>> container.register(Settings, lifetime="singleton")
    >>> container.register(Database, lifetime="singleton")
    >>> container.register(Orders, lifetime="scoped")
    >>> with container.scope() as scope:
    ...     orders = scope.resolve(Orders)
    ...     orders is scope.resolve(Orders), orders.db.url
    (True, 'sqlite://')
    """

    def __init__(self) -> None:
        self._providers: dict[Any, _Provider] = {}
        self._singletons: dict[Any, Any] = {}
        self._lock = threading.RLock()

    def register(
        self,
        service: type[T],
        factory: Callable[..., T] | None = None,
        *,
        lifetime: Lifetime = "transient",
    ) -> None:
        """Register ``service``, built by ``factory`` (the class itself by default).

        Registering a service again replaces the earlier registration.

        Raises:
            ValueError: ``lifetime`` is not one of the three.

        >>> container = Container()
        >>> container.register(list, lambda: [1, 2], lifetime="transient")
        >>> container.resolve(list), container.resolve(list) is container.resolve(list)
        ([1, 2], False)
        """
        if lifetime not in _LIFETIMES:
            raise ValueError(f"lifetime must be one of {_LIFETIMES}, not {lifetime!r}")
        with self._lock:
            self._providers[service] = _Provider(factory or service, lifetime)
            self._singletons.pop(service, None)

    def register_instance(self, service: type[T], instance: T) -> None:
        """Register an existing object as the singleton of ``service``.

        >>> container = Container()
        >>> container.register_instance(str, "configured")
        >>> container.resolve(str)
        'configured'
        """
        with self._lock:
            self._providers[service] = _Provider(lambda: instance, "singleton", [])
            self._singletons[service] = instance

    def __contains__(self, service: object) -> bool:
        """Whether ``service`` is registered.

        >>> int in Container()
        False
        """
        return service in self._providers

    def resolve(self, service: type[T]) -> T:
        """Build (or reuse) the instance of ``service`` with its dependencies.

        Raises:
            ResolutionError: The service, or one it depends on, is not registered, the
                dependencies form a cycle, or a scoped service is asked for outside a
                scope; the message shows the chain.

        >>> class Mailer: ...
        >>> try:
        ...     Container().resolve(Mailer)
        ... except ResolutionError as exc:
        ...     print(exc)
        cannot resolve Mailer: Mailer is not registered
        """
        return typing.cast(T, self._resolve(service, None, ()))

    def scope(self) -> Scope:
        """A new scope: scoped services resolved in it are built once and shared there.

        >>> container = Container()
        >>> container.register(dict, lifetime="scoped")
        >>> with container.scope() as a, container.scope() as b:
        ...     a.resolve(dict) is a.resolve(dict), a.resolve(dict) is b.resolve(dict)
        (True, False)
        """
        return Scope(self)

    def _resolve(self, service: Any, scope: Scope | None, chain: tuple[Any, ...]) -> Any:
        path = (*chain, service)
        if service in chain:
            raise ResolutionError(
                f"cannot resolve {' -> '.join(_name(s) for s in path)}: a dependency cycle"
            )
        provider = self._providers.get(service)
        if provider is None:
            raise ResolutionError(
                f"cannot resolve {' -> '.join(_name(s) for s in path)}: "
                f"{_name(service)} is not registered"
            )
        if provider.lifetime == "singleton":
            instance = self._singletons.get(service, _MISSING)
            if instance is not _MISSING:
                return instance
            with self._lock:
                instance = self._singletons.get(service, _MISSING)
                if instance is _MISSING:
                    # A singleton outlives every scope: it must not capture a scoped service.
                    instance = self._build(provider, None, path)
                    self._singletons[service] = instance
                return instance
        if provider.lifetime == "scoped":
            if scope is None:
                raise ResolutionError(
                    f"cannot resolve {' -> '.join(_name(s) for s in path)}: "
                    f"{_name(service)} is scoped; resolve it inside 'with container.scope()' "
                    "(a singleton cannot depend on it)"
                )
            instance = scope._instances.get(service, _MISSING)
            if instance is _MISSING:
                instance = self._build(provider, scope, path)
                scope._instances[service] = instance
            return instance
        return self._build(provider, scope, path)

    def _build(self, provider: _Provider, scope: Scope | None, path: tuple[Any, ...]) -> Any:
        if provider.params is None:
            provider.params = _parameters(provider.factory)
        kwargs: dict[str, Any] = {}
        for name, kind, default in provider.params:
            if kind is not _MISSING and kind in self._providers:
                kwargs[name] = self._resolve(kind, scope, path)
            elif default is _MISSING:
                raise ResolutionError(
                    f"cannot resolve {' -> '.join(_name(s) for s in path)}: its parameter "
                    f"{name!r} ({_name(kind) if kind is not _MISSING else 'no annotation'}) "
                    "is not registered and has no default"
                )
        return provider.factory(**kwargs)


class Scope:
    """A unit of lifetime for ``"scoped"`` services, such as one web request.

    Made by :meth:`Container.scope`; leaving the ``with`` block forgets its instances.

    >>> container = Container()
    >>> container.register(list, lifetime="scoped")
    >>> with container.scope() as scope:
    ...     scope.resolve(list).append("request data")
    ...     scope.resolve(list)
    ['request data']
    """

    def __init__(self, container: Container) -> None:
        self.container = container
        self._instances: dict[Any, Any] = {}

    def resolve(self, service: type[T]) -> T:
        """Resolve ``service`` in this scope.

        >>> with Container().scope() as scope:
        ...     try:
        ...         scope.resolve(int)
        ...     except ResolutionError as exc:
        ...         print(exc)
        cannot resolve int: int is not registered
        """
        return typing.cast(T, self.container._resolve(service, self, ()))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._instances.clear()
