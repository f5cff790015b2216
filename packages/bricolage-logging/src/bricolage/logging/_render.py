"""Turning an event into one schema line: timestamps, exceptions, field names, JSON."""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal, cast

from bricolage.logging._correlation import _CORRELATION_ID, is_valid_correlation_id
from bricolage.logging.errors import ConfigurationError

FieldNames = Literal["native", "ecs"]
Serializer = Callable[[Mapping[str, Any]], str]

#: The version of the log schema the lines follow (see :func:`bricolage.logging.schema`).
SCHEMA_VERSION: Final = "1.0.0"
#: The Elastic Common Schema version the ``ecs`` field names follow.
ECS_VERSION: Final = "8.11.0"

# structlog method names and stdlib level names, mapped to the schema's level words.
LEVELS: Final[dict[str, str]] = {
    "debug": "debug",
    "info": "info",
    "msg": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
    "notset": "debug",
}
_MAX_CAUSES: Final = 8


@dataclass(frozen=True, slots=True)
class _Keys:
    timestamp: str
    level: str
    logger: str
    message: str
    service: str
    correlation_id: str
    exception: str | None  # native: one nested object; ecs: flat error.* fields


_NATIVE: Final = _Keys(
    "timestamp", "level", "logger", "message", "service", "correlation_id", "exception"
)
_ECS: Final = _Keys(
    "@timestamp", "log.level", "log.logger", "message", "service.name", "http.request.id", None
)
_ECS_ERROR_KEYS: Final = frozenset({"error.type", "error.message", "error.stack_trace"})


def keys_for(field_names: FieldNames) -> _Keys:
    if field_names == "native":
        return _NATIVE
    if field_names == "ecs":
        return _ECS
    raise ConfigurationError(f"unknown field_names {field_names!r}: use 'native' or 'ecs'")


class Timestamps:
    """RFC 3339 UTC timestamps with microseconds, formatted once per second then reused."""

    __slots__ = ("_cache", "clock")

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._cache: tuple[int, str] = (-(2**63), "")  # no real second

    def now(self) -> str:
        return self.format(self.clock())

    def format(self, seconds: float) -> str:
        whole = int(seconds)
        if whole > seconds:  # before 1970: int() rounded up
            whole -= 1
        cached_second, prefix = self._cache
        if whole != cached_second:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
            self._cache = (whole, prefix)
        micros = int((seconds - whole) * 1_000_000)
        if micros > 999_999:  # a hair below a whole second, rounded up
            micros = 999_999
        return f"{prefix}.{micros:06d}Z"


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def exc_info_to_exception(value: object) -> BaseException | None:
    """Read structlog's and the standard library's ``exc_info`` forms."""
    if value is None or value is False:
        return None
    if isinstance(value, BaseException):
        return value
    if isinstance(value, tuple):
        return value[1] if len(value) == 3 and isinstance(value[1], BaseException) else None
    return sys.exc_info()[1]  # ``exc_info=True``: the exception being handled, if any


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception as error:  # noqa: BLE001 - a broken __str__ must not break logging
        return f"<unprintable {type(value).__name__}: {type(error).__name__}>"


def structure_exception(exc: BaseException, *, depth: int = 0) -> dict[str, Any]:
    """The native ``exception`` object: type, message, stack trace, frames, cause chain."""
    frames = [
        {"file": frame.filename, "line": frame.lineno or 0, "function": frame.name}
        for frame in traceback.extract_tb(exc.__traceback__)
    ]
    out: dict[str, Any] = {"type": _type_name(exc), "message": _safe_str(exc)}
    if depth == 0:
        out["stacktrace"] = "".join(traceback.format_exception(exc)).rstrip("\n")
    out["frames"] = frames
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None and depth < _MAX_CAUSES:
        out["cause"] = structure_exception(cause, depth=depth + 1)
    return out


def _fallback(value: object) -> object:
    """JSON for values the encoder does not know: sets as lists, the rest as ``repr``."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return _safe_repr(value)


def _checked_encoder() -> Callable[[Any], str]:
    return json.JSONEncoder(
        ensure_ascii=True, separators=(",", ":"), default=_fallback, allow_nan=True
    ).encode


def _fast_encoder() -> Callable[[Any], list[str]] | None:
    """The C encoder that ``json.dumps`` builds on every call, built once here.

    It skips the circular-reference bookkeeping; a circular or too deeply nested value
    makes it fail, and the line is then encoded again by the checked encoder. Returns
    ``None`` where the interpreter has no such encoder or it behaves differently.
    """
    try:
        import _json

        encoder = _json.make_encoder(
            None,
            _fallback,
            json.encoder.encode_basestring_ascii,
            None,
            ":",
            ",",
            False,
            False,
            True,
        )
        probe = {"a": [1, 2.5, None, True, "\u00e9\n"], "b": {"c": float("inf")}, "d": {1}}
        if "".join(encoder(probe, 0)) != _checked_encoder()(probe):
            return None  # pragma: no cover - another interpreter's json
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - not CPython
        return None
    return cast(Callable[[Any], list[str]], encoder)


def _safe_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    """Values the encoder cannot take (circular, too deep) replaced by their ``repr``."""
    encode = _checked_encoder()
    safe: dict[str, Any] = {}
    for key, value in data.items():
        try:
            encode(value)
        except (ValueError, RecursionError, TypeError):
            value = _safe_repr(value)
        safe[str(key)] = value
    return safe


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception as error:  # noqa: BLE001 - a broken __repr__ must not break logging
        return f"<unrepresentable {type(value).__name__}: {type(error).__name__}>"


def json_serializer() -> Serializer:
    """Compact ASCII JSON from the standard library's C encoder, built once.

    >>> json_serializer()({"message": "hi", "n": 1.5, "tags": {"b", "a"}})
    '{"message":"hi","n":1.5,"tags":["a","b"]}'
    """
    checked = _checked_encoder()
    fast = _fast_encoder()

    def serialize(data: Mapping[str, Any]) -> str:
        if fast is not None:
            try:
                return "".join(fast(data, 0))  # type: ignore[call-arg]
            except (ValueError, RecursionError, TypeError):
                pass
        try:
            return checked(data)
        except (ValueError, RecursionError, TypeError):
            return checked(_safe_copy(data))

    return serialize


def orjson_serializer() -> Serializer:
    """orjson when it is installed (the extra ``bricolage-logging[orjson]``)."""
    try:
        import orjson
    except ImportError:
        raise ConfigurationError(
            "serializer='orjson' needs orjson: pip install \"bricolage-logging[orjson]\""
        ) from None
    dumps: Callable[..., bytes] = orjson.dumps
    option: int = orjson.OPT_NON_STR_KEYS

    def serialize(data: Mapping[str, Any]) -> str:
        encoded: bytes = dumps(data, default=_fallback, option=option)
        return encoded.decode()

    return serialize


class Finalizer:
    """The last step: build the schema fields in order and serialize them to one line."""

    __slots__ = (
        "_clock",
        "_dumps",
        "_ecs",
        "_head",
        "_reserved",
        "_service",
        "_special",
        "_timestamps",
    )

    def __init__(
        self,
        *,
        service: str,
        field_names: FieldNames,
        timestamps: Timestamps,
        serializer: Serializer,
    ) -> None:
        keys = keys_for(field_names)
        self._head = (
            keys.timestamp,
            keys.level,
            keys.logger,
            keys.message,
            keys.service,
            keys.correlation_id,
        )
        self._ecs = keys.exception is None
        self._service = service
        self._timestamps = timestamps
        self._clock = timestamps.clock
        self._dumps = serializer
        reserved = set(self._head)
        reserved |= (_ECS_ERROR_KEYS | {"ecs.version"}) if self._ecs else {"exception"}
        self._reserved = frozenset(reserved)
        # Keys needing work beyond a copy: one set test covers them all in the hot path.
        self._special = self._reserved | {"exc_info", "stack_info", "correlation_id"}

    def __call__(self, logger: Any, method_name: str, event_dict: dict[str, Any]) -> str:
        """structlog's last processor: the line for one event.

        This is the hot path, written out for speed: the common case (no exception, no
        reserved names, an id bound or none) costs one set test beyond building the
        fields. Anything unusual goes through :meth:`_build`, the reference version.
        """
        if self._ecs or not self._special.isdisjoint(event_dict):
            return self._dumps(self._build(self._clock(), logger.name, method_name, event_dict))
        now = self._clock()
        whole = int(now)
        cached_second, prefix = self._timestamps._cache
        if whole != cached_second or whole > now:
            stamp = self._timestamps.format(now)
        else:
            micros = int((now - whole) * 1_000_000)
            stamp = f"{prefix}.{micros if micros < 1_000_000 else 999_999:06d}Z"
        timestamp_key, level_key, logger_key, message_key, service_key, id_key = self._head
        message = event_dict.pop("event", "")
        level = LEVELS.get(method_name)
        out: dict[str, Any] = {
            timestamp_key: stamp,
            level_key: level if level is not None else _level_word(method_name),
            logger_key: logger.name,
            message_key: message if type(message) is str else _safe_str(message),
            service_key: self._service,
        }
        correlation_id = _CORRELATION_ID.get()
        if correlation_id is not None:
            out[id_key] = correlation_id
        if event_dict:
            out.update(event_dict)
        return self._dumps(out)

    def fields(
        self,
        name: str | None,
        method_name: str,
        event_dict: dict[str, Any],
        created: float | None,
    ) -> dict[str, Any]:
        """The ordered schema fields of one event (``created``: its own time, if known)."""
        return self._build(
            self._clock() if created is None else created, name, method_name, event_dict
        )

    def _build(
        self, now: float, name: str | None, method_name: str, event_dict: dict[str, Any]
    ) -> dict[str, Any]:
        timestamp_key, level_key, logger_key, message_key, service_key, id_key = self._head
        message = event_dict.pop("event", "")
        level = LEVELS.get(method_name)
        out: dict[str, Any] = {
            timestamp_key: self._timestamps.format(now),
            level_key: level if level is not None else _level_word(method_name),
            logger_key: name,
            message_key: message if type(message) is str else _safe_str(message),
            service_key: self._service,
        }
        if self._ecs:
            out["ecs.version"] = ECS_VERSION
        correlation_id = _CORRELATION_ID.get()
        if correlation_id is not None:
            out[id_key] = correlation_id
        elif "correlation_id" in event_dict and is_valid_correlation_id(
            event_dict["correlation_id"]
        ):
            out[id_key] = event_dict.pop("correlation_id")
        if event_dict:
            if "exc_info" in event_dict:
                exc = exc_info_to_exception(event_dict.pop("exc_info"))
                if exc is not None:
                    self._add_exception(out, exc)
            if "stack_info" in event_dict:
                _render_stack(event_dict)
            if not self._reserved.isdisjoint(event_dict):
                for key in self._reserved.intersection(event_dict):
                    event_dict[f"{key}_"] = event_dict.pop(key)
            out.update(event_dict)
        return out

    def _add_exception(self, out: dict[str, Any], exc: BaseException) -> None:
        if not self._ecs:
            out["exception"] = structure_exception(exc)
        else:
            out["error.type"] = _type_name(exc)
            out["error.message"] = _safe_str(exc)
            out["error.stack_trace"] = "".join(traceback.format_exception(exc)).rstrip("\n")


def _render_stack(event_dict: dict[str, Any]) -> None:
    """``stack_info=True`` on a structlog call: the caller's stack as the ``stack`` field."""
    if event_dict.pop("stack_info"):
        frame = sys._getframe(1)
        while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
            ("structlog", "bricolage.logging")
        ):
            frame = frame.f_back
        event_dict["stack"] = "Stack (most recent call last):\n" + "".join(
            traceback.format_stack(frame)
        ).rstrip("\n")


def _level_word(method_name: str) -> str:
    word = method_name.lower()
    return LEVELS.get(word, "info")


class ConsoleFields:
    """Before structlog's console renderer: a short local time, level, logger, id."""

    __slots__ = ("_clock",)

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def __call__(self, logger: Any, method_name: str, event_dict: dict[str, Any]) -> Any:
        return self.fields(logger.name, method_name, event_dict, None)

    def fields(
        self,
        name: str | None,
        method_name: str,
        event_dict: dict[str, Any],
        created: float | None,
    ) -> dict[str, Any]:
        seconds = self._clock() if created is None else created
        stamp = time.strftime("%H:%M:%S", time.localtime(seconds))
        event_dict["timestamp"] = f"{stamp}.{int(seconds % 1 * 1000):03d}"
        event_dict["level"] = LEVELS.get(method_name) or _level_word(method_name)
        event_dict["logger"] = name
        if "stack_info" in event_dict:
            _render_stack(event_dict)
        correlation_id = _CORRELATION_ID.get()
        if correlation_id is not None:
            event_dict.setdefault("correlation_id", correlation_id)
        return event_dict
