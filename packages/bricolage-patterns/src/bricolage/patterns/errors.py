"""Errors raised by :mod:`bricolage.patterns`.

Every error derives from :class:`PatternsError`; each specific error also inherits the
built-in exception it refines, so a generic ``except LookupError`` still catches it::

    Exception
    └── PatternsError
        ├── NoHandlerError (LookupError)              a command nobody handles
        ├── DuplicateHandlerError (ValueError)        a second handler for one command
        ├── HandlerSignatureError (TypeError)         a handler or hook that cannot be called so
        ├── MessageTypeError (TypeError)              something neither a Command nor an Event
        ├── MachineDefinitionError (ValueError)       states or transitions that contradict
        ├── ResolutionError (LookupError)             a service the container cannot build
        ├── PluginError (ImportError)                 a plugin that fails to load or to fit
        ├── ConcurrencyError (RuntimeError)           a stream moved on since it was read
        ├── StoreFormatError (ValueError)             an event store file this version cannot use
        └── IllegalTransitionError (ValueError)       an event the current state does not take
            └── GuardRejectedError                    every guard of that event said no

>>> issubclass(NoHandlerError, LookupError)
True
"""

from __future__ import annotations

__all__ = [
    "ConcurrencyError",
    "DuplicateHandlerError",
    "GuardRejectedError",
    "HandlerSignatureError",
    "IllegalTransitionError",
    "MachineDefinitionError",
    "MessageTypeError",
    "NoHandlerError",
    "PatternsError",
    "PluginError",
    "ResolutionError",
    "StoreFormatError",
]


class PatternsError(Exception):
    """The base of every error this package raises.

    >>> try:
    ...     raise NoHandlerError("no handler for command PlaceOrder")
    ... except PatternsError as exc:
    ...     print(type(exc).__name__)
    NoHandlerError
    """


class NoHandlerError(PatternsError, LookupError):
    """A command was handled but no handler is registered for its type.

    >>> str(NoHandlerError("no handler registered for command PlaceOrder"))
    'no handler registered for command PlaceOrder'
    """


class DuplicateHandlerError(PatternsError, ValueError):
    """A second handler was registered for a command, which takes exactly one.

    >>> issubclass(DuplicateHandlerError, ValueError)
    True
    """


class HandlerSignatureError(PatternsError, TypeError):
    """A handler or hook that cannot be called the way it is asked to be.

    The bus raises it for a handler whose message type cannot be read from its signature;
    a state machine raises it when a sync ``fire()`` meets an async guard or hook.

    >>> issubclass(HandlerSignatureError, TypeError)
    True
    """


class MessageTypeError(PatternsError, TypeError):
    """A value handled or registered for that is neither a Command nor an Event.

    >>> issubclass(MessageTypeError, TypeError)
    True
    """


class MachineDefinitionError(PatternsError, ValueError):
    """A state machine declared with an unknown state, a duplicate state or no states.

    >>> issubclass(MachineDefinitionError, ValueError)
    True
    """


class IllegalTransitionError(PatternsError, ValueError):
    """An event was fired that the current state does not accept.

    Attributes:
        state: The state the machine was in (it is still in it).
        event: The event that was refused.

    >>> err = IllegalTransitionError("paid", "cancel")
    >>> err.state, err.event
    ('paid', 'cancel')
    >>> print(err)
    event 'cancel' is not allowed in state 'paid'
    """

    def __init__(self, state: str, event: str, detail: str = "") -> None:
        self.state = state
        self.event = event
        message = f"event {event!r} is not allowed in state {state!r}"
        super().__init__(f"{message}: {detail}" if detail else message)


class GuardRejectedError(IllegalTransitionError):
    """The current state accepts the event, but every guard on it refused.

    >>> print(GuardRejectedError("cart", "checkout", "guard has_items refused"))
    event 'checkout' is not allowed in state 'cart': guard has_items refused
    """


class ConcurrencyError(PatternsError, RuntimeError):
    """An append expected a stream version that another writer has already moved past.

    Nothing of the refused append is stored: read the stream again, decide again, retry.

    Attributes:
        stream: The stream appended to.
        expected: The version the caller expected.
        actual: The version the stream is at.

    >>> err = ConcurrencyError("order-7", expected=2, actual=3)
    >>> print(err)
    stream 'order-7' is at version 3, not the expected version 2; read it again and retry
    """

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream!r} is at version {actual}, not the expected version {expected}; "
            "read it again and retry"
        )


class StoreFormatError(PatternsError, ValueError):
    """An event store file written by a newer format, or not an event store at all.

    >>> issubclass(StoreFormatError, ValueError)
    True
    """


class ResolutionError(PatternsError, LookupError):
    """The container cannot build a service: unregistered, a cycle, or a scope missing.

    The message shows the chain of dependencies that led to the problem.

    >>> print(ResolutionError("cannot resolve Checkout -> Payments: Payments is not registered"))
    cannot resolve Checkout -> Payments: Payments is not registered
    """


class PluginError(PatternsError, ImportError):
    """A plugin that cannot be imported, or that lacks members its extension point requires.

    >>> print(PluginError("plugin 'csv' lacks export() required by Exporter"))
    plugin 'csv' lacks export() required by Exporter
    """
