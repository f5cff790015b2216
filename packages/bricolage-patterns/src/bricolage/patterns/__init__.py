"""Typed architectural building blocks: a message bus, a state machine and more.

>>> import bricolage.patterns as patterns
>>> patterns.MessageBus().handlers_for(patterns.Event)
()
"""

from __future__ import annotations

from importlib.metadata import version as _version

from bricolage.patterns._bus import Command, Event, MessageBus, Middleware, NextHandler
from bricolage.patterns._container import Container, Lifetime, Scope
from bricolage.patterns._eventstore import (
    EventStore,
    NewEvent,
    Projection,
    Snapshot,
    StoredEvent,
)
from bricolage.patterns._plugins import PluginRegistry, ReloadReport
from bricolage.patterns._state import (
    ANY_STATE,
    Guard,
    Hook,
    StateChange,
    StateMachine,
    Transition,
)
from bricolage.patterns._uow import (
    Aggregate,
    EventSource,
    InMemoryRepository,
    InMemoryUnitOfWork,
    Repository,
    UnitOfWork,
)
from bricolage.patterns.errors import (
    ConcurrencyError,
    DuplicateHandlerError,
    GuardRejectedError,
    HandlerSignatureError,
    IllegalTransitionError,
    MachineDefinitionError,
    MessageTypeError,
    NoHandlerError,
    PatternsError,
    PluginError,
    ResolutionError,
    StoreFormatError,
)

__version__ = _version("bricolage-patterns")

__all__ = [
    "ANY_STATE",
    "Aggregate",
    "Command",
    "ConcurrencyError",
    "Container",
    "DuplicateHandlerError",
    "Event",
    "EventSource",
    "EventStore",
    "Guard",
    "GuardRejectedError",
    "HandlerSignatureError",
    "Hook",
    "IllegalTransitionError",
    "InMemoryRepository",
    "InMemoryUnitOfWork",
    "Lifetime",
    "MachineDefinitionError",
    "MessageBus",
    "MessageTypeError",
    "Middleware",
    "NewEvent",
    "NextHandler",
    "NoHandlerError",
    "PatternsError",
    "PluginError",
    "PluginRegistry",
    "Projection",
    "ReloadReport",
    "Repository",
    "ResolutionError",
    "Scope",
    "Snapshot",
    "StateChange",
    "StateMachine",
    "StoreFormatError",
    "StoredEvent",
    "Transition",
    "UnitOfWork",
    "__version__",
]
