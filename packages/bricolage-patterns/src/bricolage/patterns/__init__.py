"""Typed architectural building blocks: a message bus, a state machine and more.

>>> import bricolage.patterns as patterns
>>> patterns.MessageBus().handlers_for(patterns.Event)
()
"""

from __future__ import annotations

from importlib.metadata import version as _version

from bricolage.patterns._bus import Command, Event, MessageBus, Middleware, NextHandler
from bricolage.patterns.errors import (
    DuplicateHandlerError,
    HandlerSignatureError,
    MessageTypeError,
    NoHandlerError,
    PatternsError,
)

__version__ = _version("bricolage-patterns")

__all__ = [
    "Command",
    "DuplicateHandlerError",
    "Event",
    "HandlerSignatureError",
    "MessageBus",
    "MessageTypeError",
    "Middleware",
    "NextHandler",
    "NoHandlerError",
    "PatternsError",
    "__version__",
]
