"""``configure()``: structlog and the standard library, set up together in one call."""

from __future__ import annotations

import atexit
import json
import logging
import random
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any, Final, Literal, TextIO, cast

import structlog
from structlog.typing import FilteringBoundLogger

from bricolage.logging._render import (
    ConsoleFields,
    Finalizer,
    Serializer,
    Timestamps,
    json_serializer,
    keys_for,
    orjson_serializer,
)
from bricolage.logging._sampling import Sampler, SamplingPolicy
from bricolage.logging._sinks import LineSink, StreamSink
from bricolage.logging.errors import ConfigurationError

__all__ = ["LoggingConfig", "MemorySink", "configure", "get_logger"]

Processor = Callable[[Any, str, Any], Any]

_LEVEL_NAMES: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
    "notset": logging.NOTSET,
}
# Attributes every LogRecord has; anything else came from ``extra=`` and is a field.
_RECORD_ATTRIBUTES: Final = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
_SKIP_MODULES: Final = ("structlog", "bricolage.logging", "logging")


def parse_level(level: object) -> int:
    """A level as a number, from ``"INFO"``, ``"info"`` or ``20``; a clear error otherwise."""
    if isinstance(level, bool):
        raise ConfigurationError(f"invalid log level {level!r}: use a name like 'INFO' or 20")
    if isinstance(level, int):
        if level < 0:
            raise ConfigurationError(f"invalid log level {level!r}: must be >= 0")
        return level
    if isinstance(level, str) and level.strip().lower() in _LEVEL_NAMES:
        return _LEVEL_NAMES[level.strip().lower()]
    raise ConfigurationError(
        f"invalid log level {level!r}: use one of DEBUG, INFO, WARNING, ERROR, CRITICAL "
        "or a number"
    )


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


class MemorySink:
    """A :class:`~bricolage.logging.LineSink` keeping lines in memory, for tests.

    >>> sink = MemorySink()
    >>> sink.write('{"message":"hi"}')
    >>> sink.lines, sink.records()[0]["message"]
    (['{"message":"hi"}'], 'hi')
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.closed: bool = False

    def write(self, line: str) -> None:
        """Keep ``line``."""
        self.lines.append(line)

    def close(self) -> None:
        """Mark the sink closed (the lines stay readable)."""
        self.closed = True

    def records(self) -> list[dict[str, Any]]:
        """Every line parsed as JSON."""
        return [json.loads(line) for line in self.lines]

    def clear(self) -> None:
        """Forget the lines kept so far."""
        self.lines.clear()


class _FanOut:
    __slots__ = ("sinks",)

    def __init__(self, sinks: Sequence[LineSink]) -> None:
        self.sinks = tuple(sinks)

    def write(self, line: str) -> None:
        for sink in self.sinks:
            sink.write(line)


class _Nowhere:
    __slots__ = ()

    def write(self, line: str) -> None:
        pass


def _target(sinks: Sequence[LineSink]) -> Callable[[str], None]:
    if not sinks:
        return _Nowhere().write
    if len(sinks) == 1:
        return sinks[0].write
    return _FanOut(sinks).write


class _NamedLogger:
    """What structlog wraps: a name, its level, and methods that write the final line."""

    def __init__(self, name: str | None, level: int, write: Callable[[str], None]) -> None:
        self.name = name
        self.retarget(level, write)

    def retarget(self, level: int, write: Callable[[str], None]) -> None:
        """Follow a new configuration: its level for this name and its output."""
        self.level = level
        self.msg = self.debug = self.info = self.warning = self.warn = write
        self.error = self.exception = self.critical = self.fatal = self.log = write

    def __repr__(self) -> str:
        return f"<logger {self.name!r} level={logging.getLevelName(self.level)}>"


_FILTERING: dict[int, type[FilteringBoundLogger]] = {}


_STANDARD_LEVELS: Final = (0, 10, 20, 30, 40, 50)


def _filtering_class(level: int) -> type[FilteringBoundLogger]:
    """structlog's filtering class for a level; a custom level filters like the next
    standard one up (25 shows warnings, not infos), since structlog's methods are the
    standard ones."""
    cls = _FILTERING.get(level)
    if cls is None:
        standard = next((known for known in _STANDARD_LEVELS if known >= level), 50)
        cls = _FILTERING[level] = structlog.make_filtering_bound_logger(standard)
    return cls


# Shared by every configuration, so that loggers structlog cached under an earlier
# configure() follow a later one: one processor list, changed in place; one wrapped logger
# per name, retargeted; and weak references to the bound loggers structlog cached, whose
# filtering class is switched to the new level.
_PROCESSORS: list[Processor] = []
_LOGGERS: dict[str, _NamedLogger] = {}
_CACHED: list[weakref.ref[Any]] = []
_REGISTRY_LOCK = threading.Lock()
_TRACKING = {"on": False, "prune_at": 1024}


def _drop(logger: Any, method_name: str, event_dict: Any) -> Any:
    """The only processor left after close(): loggers cached earlier stay silent."""
    raise structlog.DropEvent


def _wrap(
    logger: _NamedLogger, processors: Sequence[Processor], context: dict[str, Any]
) -> FilteringBoundLogger:
    """structlog's wrapper class: the filtering class for this logger's own level."""
    bound = _filtering_class(logger.level)(logger, processors=processors, context=context)  # type: ignore[call-arg]
    if _TRACKING["on"]:  # structlog caches this one: follow later configurations
        with _REGISTRY_LOCK:
            _CACHED.append(weakref.ref(bound))
            if len(_CACHED) > _TRACKING["prune_at"]:
                _CACHED[:] = [ref for ref in _CACHED if ref() is not None]
                _TRACKING["prune_at"] = 2 * len(_CACHED) + 1024
    return bound


def _retarget_all(pipeline: _Pipeline | None, cache_loggers: bool) -> None:
    """Point every logger made so far at ``pipeline`` (``None``: silence them)."""
    with _REGISTRY_LOCK:
        _PROCESSORS[:] = pipeline.processors if pipeline is not None else [_drop]
        _TRACKING["on"] = cache_loggers and pipeline is not None
        for name, named in _LOGGERS.items():
            if pipeline is None:
                named.retarget(named.level, _Nowhere().write)
            else:
                named.retarget(pipeline.level_for(name), pipeline.write)
        alive = []
        for ref in _CACHED:
            bound = ref()
            if bound is not None:
                alive.append(ref)
                bound.__class__ = _filtering_class(bound._logger.level)
        _CACHED[:] = alive


def _caller_module(depth: int = 2) -> str | None:
    frame: FrameType | None = sys._getframe(depth)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if not isinstance(name, str):
            return None
        if not any(name == skip or name.startswith(skip + ".") for skip in _SKIP_MODULES):
            return name
        frame = frame.f_back
    return None  # pragma: no cover - the bottom of every stack is a module


class _Pipeline:
    """The processors, renderers and sinks one ``configure()`` call put together."""

    def __init__(
        self,
        *,
        level: int,
        levels: Mapping[str, int],
        pre: list[Processor],
        finalizer: Finalizer,
        serializer: Serializer,
        console: tuple[ConsoleFields, Processor, LineSink] | None,
        json_sinks: Sequence[LineSink],
    ) -> None:
        self.level = level
        self.levels = dict(levels)
        self.pre = pre
        self.finalizer = finalizer
        self.dumps = serializer
        self.console = console
        self.json_write = _target(json_sinks)
        self.has_json_sinks = bool(json_sinks)
        if console is None:
            self.write = self.json_write
            self.processors: list[Processor] = [*pre, finalizer]
        else:
            fields, renderer, stream = console
            self.write = stream.write
            tee: list[Processor] = [self._tee] if json_sinks else []
            self.processors = [*pre, *tee, fields, renderer]

    def _tee(self, logger: Any, method_name: str, event_dict: dict[str, Any]) -> Any:
        self.json_write(self.finalizer(logger, method_name, dict(event_dict)))
        return event_dict

    def level_for(self, name: str | None) -> int:
        if name:
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                level = self.levels.get(".".join(parts[:end]))
                if level is not None:
                    return level
        return self.level

    def logger(self, name: str) -> _NamedLogger:
        found = _LOGGERS.get(name)
        if found is None:
            with _REGISTRY_LOCK:
                found = _LOGGERS.get(name)
                if found is None:
                    found = _LOGGERS[name] = _NamedLogger(name, self.level_for(name), self.write)
        return found

    def factory(self, *args: Any) -> _NamedLogger:
        """structlog's logger factory: ``get_logger("name")`` or the caller's module."""
        name = args[0] if args and isinstance(args[0], str) else _caller_module()
        return self.logger(name or "root")

    def emit_record(self, record: logging.LogRecord) -> None:
        """Send one standard-library record through the same processors and sinks."""
        event_dict: dict[str, Any] = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
        }
        event_dict["event"] = record.getMessage()
        if record.exc_info:
            event_dict["exc_info"] = record.exc_info
        if record.stack_info:
            event_dict["stack"] = record.stack_info
        method_name = record.levelname.lower()
        logger = self.logger(record.name)
        try:
            for processor in self.pre:
                event_dict = processor(logger, method_name, event_dict)
        except structlog.DropEvent:
            return
        if self.console is None:
            fields = self.finalizer.fields(record.name, method_name, event_dict, record.created)
            self.json_write(self.dumps(fields))
            return
        console_fields, renderer, stream = self.console
        if self.has_json_sinks:
            fields = self.finalizer.fields(
                record.name, method_name, dict(event_dict), record.created
            )
            self.json_write(self.dumps(fields))
        event_dict = console_fields.fields(record.name, method_name, event_dict, record.created)
        stream.write(renderer(logger, method_name, event_dict))


class _StdlibHandler(logging.Handler):
    """The root handler that turns standard-library records into the same lines."""

    def __init__(self, pipeline: _Pipeline) -> None:
        super().__init__(logging.NOTSET)
        self.pipeline = pipeline

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.pipeline.emit_record(record)
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)


class LoggingConfig:
    """What :func:`configure` set up; :meth:`close` undoes it and closes the sinks.

    >>> config = configure(service="doc", stream=None, sinks=[MemorySink()])
    >>> config.renderer, config.field_names, config.level
    ('json', 'native', 20)
    >>> config.close()
    """

    def __init__(
        self,
        *,
        service: str,
        level: int,
        levels: Mapping[str, int],
        renderer: Literal["json", "console"],
        field_names: Literal["native", "ecs"],
        sinks: Sequence[LineSink],
    ) -> None:
        self.service = service
        self.level = level
        self.levels: dict[str, int] = dict(levels)
        self.renderer = renderer
        self.field_names = field_names
        self.sinks: tuple[LineSink, ...] = tuple(sinks)
        self._sampler: Sampler | None = None
        self._handler: _StdlibHandler | None = None
        self._pipeline: _Pipeline | None = None
        self._closed = False

    @property
    def sampled_out(self) -> int:
        """How many lines sampling dropped so far (0 without a sampling policy)."""
        return 0 if self._sampler is None else self._sampler.dropped

    def close(self, *, close_sinks: bool = True) -> None:
        """Detach from the standard library, reset structlog, and close the sinks.

        Closing flushes an :class:`~bricolage.logging.ElasticsearchShipper`. It runs at
        interpreter exit too, and twice is harmless.
        """
        global _CURRENT
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        self._release_stdlib()
        if _CURRENT is self:
            _CURRENT = None
            _retarget_all(None, cache_loggers=False)
            structlog.reset_defaults()
        if close_sinks:
            for sink in self.sinks:
                sink.close()

    def _release_stdlib(self) -> None:
        root = logging.getLogger()
        if self._handler is not None:
            root.removeHandler(self._handler)
            self._handler.close()
            self._handler = None
        for name in self.levels:
            logging.getLogger(name).setLevel(logging.NOTSET)


_CURRENT: LoggingConfig | None = None
_CONFIGURE_LOCK = threading.Lock()


def _resolve_stream(stream: TextIO | Literal["stdout", "stderr"] | None) -> TextIO | None:
    if stream == "stdout":
        return sys.stdout
    if stream == "stderr":
        return sys.stderr
    if stream is None or hasattr(stream, "write"):
        return stream
    raise ConfigurationError(
        f"invalid stream {stream!r}: use 'stdout', 'stderr', None or a text stream"
    )


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def configure(
    *,
    service: str,
    level: int | str = "INFO",
    levels: Mapping[str, int | str] | None = None,
    renderer: Literal["auto", "json", "console"] = "auto",
    stream: TextIO | Literal["stdout", "stderr"] | None = "stdout",
    sinks: Sequence[LineSink] = (),
    field_names: Literal["native", "ecs"] = "native",
    sampling: SamplingPolicy | None = None,
    processors: Sequence[Callable[[Any, str, Any], Any]] = (),
    serializer: Literal["json", "orjson"] | Callable[[Mapping[str, Any]], str] = "json",
    capture_stdlib: bool = True,
    merge_contextvars: bool = True,
    cache_loggers: bool = True,
    colors: bool | None = None,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
) -> LoggingConfig:
    """Set up structlog and the standard library's logging together, for an application.

    Args:
        service: the service name every line carries.
        level: the default level, a name (``"INFO"``) or a number.
        levels: levels per logger name, applied to structlog and standard-library
            loggers alike, inherited down the dotted hierarchy
            (``{"httpx": "WARNING", "app.db": "DEBUG"}``).
        renderer: ``"json"`` lines, ``"console"`` (readable, coloured), or ``"auto"``:
            console when ``stream`` is a terminal, JSON otherwise.
        stream: where lines are printed: ``"stdout"`` (the default), ``"stderr"``, a text
            stream, or ``None`` for none.
        sinks: more destinations, always fed JSON lines: :class:`FileSink`,
            :class:`RotatingFileSink`, :class:`ElasticsearchShipper`, your own
            :class:`LineSink`.
        field_names: ``"native"`` (the bricolage schema) or ``"ecs"`` (Elastic Common
            Schema names: ``@timestamp``, ``log.level``, ``http.request.id``, ...).
        sampling: keep only a fraction of debug/info lines, per correlation id.
        processors: your own structlog processors (add a field, redact a secret, drop
            an event with ``structlog.DropEvent``), run on every event, standard-library
            records included, after the context variables are merged and before
            sampling and rendering.
        serializer: ``"json"`` (standard library), ``"orjson"`` (when installed), or a
            callable turning a mapping into a JSON string.
        capture_stdlib: route standard-library records (from libraries) into the same
            lines, replacing the root logger's handlers.
        merge_contextvars: include values bound with
            ``structlog.contextvars.bind_contextvars``.
        cache_loggers: let structlog cache each logger on first use (fast). Cached
            loggers still follow a later ``configure()``: its processors, outputs and
            levels.
        colors: force colours on or off in console output (default: on for a terminal).
        clock: seconds since the epoch, for the timestamps (inject one in tests).
        rng: the random source for sampling lines that have no correlation id.

    Calling it again replaces the previous set-up everywhere, loggers already in use
    included, and closes the sinks it no longer uses.

    >>> sink = MemorySink()
    >>> config = configure(service="shop", stream=None, sinks=[sink], clock=lambda: 0.0)
    >>> get_logger("shop.orders").info("order placed", order_id=7)
    >>> for key, value in sink.records()[0].items():
    ...     print(f"{key}: {value}")
    timestamp: 1970-01-01T00:00:00.000000Z
    level: info
    logger: shop.orders
    message: order placed
    service: shop
    order_id: 7
    >>> config.close()
    """
    global _CURRENT
    if not _nonempty_str(service):
        raise ConfigurationError(f"service must be a non-empty name, got {service!r}")
    default_level = parse_level(level)
    per_logger = {}
    raw_levels = cast("Mapping[object, object]", levels or {})  # checked below
    for name, value in raw_levels.items():
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"invalid logger name {name!r} in levels")
        per_logger[name] = parse_level(value)
    del raw_levels
    if renderer not in {"auto", "json", "console"}:
        raise ConfigurationError(f"invalid renderer {renderer!r}: use 'auto', 'json' or 'console'")
    keys_for(field_names)  # validates
    for sink in sinks:
        if not isinstance(sink, LineSink):
            raise ConfigurationError(
                f"sink {sink!r} has no write(line) and close(): it is not a LineSink"
            )
    if serializer == "json":
        dumps = json_serializer()
    elif serializer == "orjson":
        dumps = orjson_serializer()
    elif callable(serializer):
        dumps = serializer
    else:
        raise ConfigurationError(
            f"invalid serializer {serializer!r}: use 'json', 'orjson' or a callable"
        )
    output = _resolve_stream(stream)
    chosen: Literal["json", "console"]
    if renderer == "auto":
        chosen = "console" if output is not None and _is_tty(output) else "json"
    else:
        chosen = renderer

    timestamps = Timestamps(clock)
    finalizer = Finalizer(
        service=service, field_names=field_names, timestamps=timestamps, serializer=dumps
    )
    pre: list[Processor] = []
    if merge_contextvars:
        pre.append(structlog.contextvars.merge_contextvars)
    for processor in processors:
        if not callable(processor):
            raise ConfigurationError(
                f"processor {processor!r} is not callable: a structlog processor is "
                "called as processor(logger, method_name, event_dict)"
            )
        pre.append(processor)
    sampler = Sampler(sampling, rng) if sampling is not None else None
    if sampler is not None:
        pre.append(sampler)
    stream_sink = StreamSink(output) if output is not None else None
    console: tuple[ConsoleFields, Processor, LineSink] | None = None
    json_sinks: list[LineSink] = list(sinks)
    if chosen == "console" and stream_sink is not None:
        use_colors = _is_tty(stream_sink.stream) if colors is None else colors
        console_renderer = structlog.dev.ConsoleRenderer(colors=use_colors)
        console = (ConsoleFields(clock), console_renderer, stream_sink)
    elif stream_sink is not None:
        json_sinks.insert(0, stream_sink)
    pipeline = _Pipeline(
        level=default_level,
        levels=per_logger,
        pre=pre,
        finalizer=finalizer,
        serializer=dumps,
        console=console,
        json_sinks=json_sinks,
    )

    with _CONFIGURE_LOCK:
        previous = _CURRENT
        if previous is not None:
            previous._release_stdlib()
            previous._closed = True
            atexit.unregister(previous.close)
            for old in previous.sinks:
                if all(old is not new for new in sinks):
                    old.close()
        _retarget_all(pipeline, cache_loggers)
        structlog.configure(
            processors=_PROCESSORS,
            wrapper_class=cast(Any, _wrap),
            logger_factory=pipeline.factory,
            context_class=dict,
            cache_logger_on_first_use=cache_loggers,
        )
        handler: _StdlibHandler | None = None
        if capture_stdlib:
            root = logging.getLogger()
            for existing in list(root.handlers):
                root.removeHandler(existing)
            handler = _StdlibHandler(pipeline)
            root.addHandler(handler)
            root.setLevel(default_level)
            for name, value in per_logger.items():
                logging.getLogger(name).setLevel(value)
        config = LoggingConfig(
            service=service,
            level=default_level,
            levels=per_logger,
            renderer=chosen,
            field_names=field_names,
            sinks=sinks,
        )
        config._sampler, config._handler, config._pipeline = sampler, handler, pipeline
        _CURRENT = config
        atexit.register(config.close)
    return config


def get_logger(name: str | None = None, **initial_values: Any) -> FilteringBoundLogger:
    """A structlog logger named ``name`` (the calling module by default).

    It is a lazy proxy: it follows the configuration current at its first use. Plain
    ``structlog.get_logger()`` works the same after :func:`configure`.

    >>> sink = MemorySink()
    >>> config = configure(service="doc", stream=None, sinks=[sink], level="WARNING",
    ...                    levels={"noisy.part": "DEBUG"})
    >>> get_logger("quiet").info("not shown")
    >>> get_logger("noisy.part.inner").debug("shown")
    >>> [record["message"] for record in sink.records()]
    ['shown']
    >>> config.close()
    """
    if name is None:
        name = _caller_module() or "root"
    return cast(FilteringBoundLogger, structlog.get_logger(name, **initial_values))
