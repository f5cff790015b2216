"""configure(): JSON and console output, levels, stdlib capture, schema, errors."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import json
import logging
import random
import sys
from collections.abc import Callable
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from bricolage.logging import (
    ConfigurationError,
    FileSink,
    MemorySink,
    SamplingPolicy,
    configure,
    correlation_scope,
    get_logger,
)
from bricolage.logging._configure import parse_level
from bricolage.logging._render import Timestamps


def fixed_clock() -> float:
    return 1_700_000_000.25


def test_json_line_has_the_schema_fields_in_order(sink: MemorySink) -> None:
    configure(service="shop", stream=None, sinks=[sink], clock=fixed_clock)
    with correlation_scope("req-1"):
        get_logger("shop.orders").info("order placed", order_id=7, items=["a"])
    (line,) = sink.lines
    record = json.loads(line)
    assert list(record) == [
        "timestamp",
        "level",
        "logger",
        "message",
        "service",
        "correlation_id",
        "order_id",
        "items",
    ]
    assert record["timestamp"] == "2023-11-14T22:13:20.250000Z"
    assert record["level"] == "info"
    assert record["logger"] == "shop.orders"
    assert record["correlation_id"] == "req-1"
    assert record["items"] == ["a"]


Validate = Callable[..., dict[str, Any]]


def test_default_stream_is_stdout_and_json_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str], validate: Validate
) -> None:
    config = configure(service="svc")
    assert config.renderer == "json"
    get_logger("x").warning("careful", n=1)
    out = capsys.readouterr().out
    record = validate(out.strip())
    assert record["message"] == "careful"
    assert record["level"] == "warning"


def test_stderr_stream(capsys: pytest.CaptureFixture[str], validate: Validate) -> None:
    configure(service="svc", stream="stderr")
    get_logger("x").info("to stderr")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert validate(captured.err.strip())["message"] == "to stderr"


def test_every_level_and_positional_interpolation(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink], level="DEBUG")
    log = get_logger("lv")
    log.debug("d")
    log.info("i %s", "x")
    log.warning("w")
    log.error("e")
    log.critical("c")
    log.msg("m")
    assert [(r["level"], r["message"]) for r in sink.records()] == [
        ("debug", "d"),
        ("info", "i x"),
        ("warning", "w"),
        ("error", "e"),
        ("critical", "c"),
        ("info", "m"),
    ]


def test_levels_per_logger_for_structlog_and_stdlib(sink: MemorySink) -> None:
    configure(
        service="svc",
        stream=None,
        sinks=[sink],
        level="INFO",
        levels={"chatty": "WARNING", "app.db": 10},
    )
    get_logger("chatty").info("hidden")
    get_logger("chatty.sub").info("hidden too")
    get_logger("chatty").warning("shown 1")
    get_logger("app.db.pool").debug("shown 2")
    get_logger("app").debug("hidden 3")
    logging.getLogger("chatty.lib").info("hidden 4")
    logging.getLogger("chatty.lib").error("shown 3")
    logging.getLogger("app.db").debug("shown 4")
    logging.getLogger("other").debug("hidden 5")
    assert [r["message"] for r in sink.records()] == ["shown 1", "shown 2", "shown 3", "shown 4"]


def test_stdlib_records_become_the_same_json(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink], clock=fixed_clock)
    library = logging.getLogger("somelib.client")
    with correlation_scope("req-9"):
        library.info("fetched %d rows", 3, extra={"table": "users"})
        try:
            empty: dict[str, int] = {}
            empty["missing"]
        except KeyError:
            library.exception("lookup failed")
    first, second = sink.records()
    assert first["logger"] == "somelib.client"
    assert first["message"] == "fetched 3 rows"
    assert first["table"] == "users"
    assert first["correlation_id"] == "req-9"
    assert first["service"] == "svc"
    assert second["level"] == "error"
    assert second["exception"]["type"] == "KeyError"
    assert second["exception"]["message"] == "'missing'"
    assert "Traceback" in second["exception"]["stacktrace"]
    # The record's own creation time is used, formatted like structlog's lines.
    assert first["timestamp"].endswith("Z")


def test_stdlib_stack_info_is_a_field(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    logging.getLogger("lib").warning("where", stack_info=True)
    assert "Stack (most recent call last)" in sink.records()[0]["stack"]


def test_capture_stdlib_false_leaves_the_root_logger_alone(sink: MemorySink) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    configure(service="svc", stream=None, sinks=[sink], capture_stdlib=False)
    assert root.handlers == before
    logging.getLogger("lib").warning("not ours")
    assert sink.lines == []


def test_exception_is_structured_with_its_cause_chain(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    log = get_logger("exc")

    def inner() -> None:
        raise KeyError("k")

    try:
        try:
            inner()
        except KeyError as error:
            raise RuntimeError("wrapped") from error
    except RuntimeError:
        log.exception("failed", step=2)
    record = sink.records()[0]
    exception = record["exception"]
    assert exception["type"] == "RuntimeError"
    assert exception["message"] == "wrapped"
    assert (
        exception["frames"][-1]["function"] == "test_exception_is_structured_with_its_cause_chain"
    )
    assert exception["cause"]["type"] == "KeyError"
    assert exception["cause"]["frames"][-1]["function"] == "inner"
    assert "stacktrace" not in exception["cause"]
    assert "The above exception was the direct cause" in exception["stacktrace"]
    assert record["step"] == 2


def test_exc_info_forms(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    log = get_logger("exc")
    error = ValueError("bad")
    log.error("instance", exc_info=error)
    log.error("tuple", exc_info=(ValueError, error, None))
    log.error("true without exception")
    log.error("false", exc_info=False)
    log.error("broken tuple", exc_info=("nope",))
    records = sink.records()
    assert records[0]["exception"]["type"] == "ValueError"
    assert records[1]["exception"]["message"] == "bad"
    assert all("exception" not in r for r in records[2:])


def test_custom_exception_type_is_qualified_and_unprintable_message_survives(
    sink: MemorySink,
) -> None:
    class Weird(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    configure(service="svc", stream=None, sinks=[sink])
    get_logger("exc").error("weird", exc_info=Weird())
    exception = sink.records()[0]["exception"]
    assert exception["type"].endswith("Weird")
    assert exception["type"].startswith(f"{__name__}.")
    assert exception["message"].startswith("<unprintable Weird")


def test_reserved_names_are_renamed_not_lost(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    get_logger("x").info("clash", level=5, service="other", timestamp="t", exception="e")
    record = sink.records()[0]
    assert record["level"] == "info"
    assert record["service"] == "svc"
    assert (record["level_"], record["service_"], record["timestamp_"], record["exception_"]) == (
        5,
        "other",
        "t",
        "e",
    )


def test_bound_correlation_id_field_and_invalid_ones(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    get_logger("x").bind(correlation_id="job-1").info("bound")
    get_logger("x").info("invalid", correlation_id="has space")
    first, second = sink.records()
    assert first["correlation_id"] == "job-1"
    assert "correlation_id" not in second
    assert second["correlation_id_"] == "has space"


def test_values_json_does_not_know_are_rendered(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    when = dt.date(2026, 11, 21)
    get_logger("x").info("odd", when=when, tags={"b", "a"}, obj=object, n=float("nan"))
    record = sink.records()[0]
    assert record["when"] == "datetime.date(2026, 11, 21)"
    assert record["tags"] == ["'a'", "'b'"] or sorted(record["tags"]) == ["a", "b"]
    assert record["obj"] == "<class 'object'>"


def test_non_string_message_is_stringified(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    get_logger("x").info(42)  # type: ignore[arg-type]
    assert sink.records()[0]["message"] == "42"


def test_structlog_get_logger_names_the_calling_module(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink], cache_loggers=False)
    structlog.get_logger().info("plain structlog")
    get_logger().info("ours")
    names = [r["logger"] for r in sink.records()]
    assert names == [__name__, __name__]
    assert __name__.endswith("test_configure")


def test_structlog_contextvars_are_merged(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    structlog.contextvars.bind_contextvars(user="ada")
    try:
        get_logger("x").info("with user")
    finally:
        structlog.contextvars.clear_contextvars()
    assert sink.records()[0]["user"] == "ada"


def test_merge_contextvars_can_be_switched_off(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink], merge_contextvars=False)
    structlog.contextvars.bind_contextvars(user="ada")
    try:
        get_logger("x").info("no user")
    finally:
        structlog.contextvars.clear_contextvars()
    assert "user" not in sink.records()[0]


def test_initial_values_and_bind(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    log = get_logger("x", region="eu").bind(tenant=3)
    log.info("hello")
    record = sink.records()[0]
    assert (record["region"], record["tenant"]) == ("eu", 3)


def test_ecs_field_names_follow_the_ecs_schema(make_sink: Callable[[str], MemorySink]) -> None:
    sink = make_sink("ecs")
    configure(service="svc", stream=None, sinks=[sink], field_names="ecs")
    log = get_logger("ecs.test")
    with correlation_scope("req-2"):
        log.info("hello", user="ada")
        try:
            raise OSError("disk")
        except OSError:
            log.exception("failed")
    logging.getLogger("lib").warning("from stdlib")
    first, second, third = sink.records()
    assert list(first)[:7] == [
        "@timestamp",
        "log.level",
        "log.logger",
        "message",
        "service.name",
        "ecs.version",
        "http.request.id",
    ]
    assert first["http.request.id"] == "req-2"
    assert second["error.type"] == "OSError"
    assert second["error.message"] == "disk"
    assert "Traceback" in second["error.stack_trace"]
    assert third["log.logger"] == "lib"


def test_console_renderer_is_readable(sink: MemorySink) -> None:
    out = io.StringIO()
    config = configure(service="svc", stream=out, renderer="console", colors=False, sinks=[sink])
    assert config.renderer == "console"
    with correlation_scope("req-3"):
        get_logger("ui").info("hello", n=1)
        logging.getLogger("lib").warning("careful")
    text = out.getvalue()
    first, second = text.splitlines()
    assert "hello" in first
    assert "[ui]" in first
    assert "correlation_id=req-3" in first
    assert "n=1" in first
    assert "{" not in first
    assert "careful" in second
    assert "[lib]" in second
    # JSON sinks still get JSON, validated by the sink.
    assert [r["message"] for r in sink.records()] == ["hello", "careful"]


def test_console_without_json_sinks_and_with_colours() -> None:
    out = io.StringIO()
    configure(service="svc", stream=out, renderer="console", colors=True)
    get_logger("ui").error("red")
    logging.getLogger("lib").error("also red")
    text = out.getvalue()
    assert "\x1b[" in text
    assert "red" in text
    assert "also red" in text


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class BrokenTerminal(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("closed")


def test_auto_renderer_picks_console_on_a_terminal() -> None:
    terminal = FakeTerminal()
    config = configure(service="svc", stream=terminal)
    assert config.renderer == "console"
    get_logger("tty").info("pretty")
    assert "\x1b[" in terminal.getvalue()
    assert configure(service="svc", stream=BrokenTerminal()).renderer == "json"


def test_file_sink_through_configure(tmp_path: Any, validate: Validate) -> None:
    path = tmp_path / "app.log"
    config = configure(service="svc", stream=None, sinks=[FileSink(path)])
    get_logger("f").info("to file")
    config.close()
    (line,) = path.read_text().splitlines()
    assert validate(line)["message"] == "to file"


def test_orjson_serializer_writes_the_same_schema(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink], serializer="orjson")
    get_logger("o").info("fast", n=1, odd=object)
    assert sink.records()[0]["n"] == 1


def test_orjson_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)
    with pytest.raises(
        ConfigurationError, match=r"needs orjson: pip install \"bricolage-logging\[orjson\]\""
    ):
        configure(service="svc", serializer="orjson")


def test_custom_serializer_callable(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink], serializer=lambda data: json.dumps(data))
    get_logger("c").info("spaced")
    assert sink.lines[0].startswith('{"timestamp": ')


def test_reconfigure_closes_sinks_no_longer_used(sink: MemorySink) -> None:
    old, kept = MemorySink(), MemorySink()
    configure(service="svc", stream=None, sinks=[old, kept])
    configure(service="svc", stream=None, sinks=[kept, sink])
    assert old.closed
    assert not kept.closed
    get_logger("r").info("after")
    assert [r["message"] for r in sink.records()] == ["after"]
    assert kept.lines
    assert json.loads(kept.lines[-1])["message"] == "after"
    assert old.lines == []


def test_close_restores_structlog_and_is_idempotent(sink: MemorySink) -> None:
    config = configure(service="svc", stream=None, sinks=[sink], levels={"a": "DEBUG"})
    assert logging.getLogger("a").level == logging.DEBUG
    config.close()
    config.close()
    assert sink.closed
    assert logging.getLogger("a").level == logging.NOTSET
    assert structlog.is_configured() is False


def test_sampled_out_counts(sink: MemorySink) -> None:
    config = configure(
        service="svc",
        stream=None,
        sinks=[sink],
        sampling=SamplingPolicy(levels={"info": 0.0}),
    )
    get_logger("s").info("dropped")
    get_logger("s").warning("kept")
    logging.getLogger("lib").info("dropped too")
    assert config.sampled_out == 2
    assert [r["message"] for r in sink.records()] == ["kept"]
    assert configure(service="svc", stream=None).sampled_out == 0


def test_sampling_with_console_and_stdlib() -> None:
    out = io.StringIO()
    configure(
        service="svc",
        stream=out,
        renderer="console",
        sampling=SamplingPolicy(levels={"info": 0.0}),
        rng=random.Random(1),
    )
    logging.getLogger("lib").info("dropped")
    logging.getLogger("lib").error("kept")
    assert "dropped" not in out.getvalue()
    assert "kept" in out.getvalue()


def test_a_failing_stdlib_emit_goes_to_handle_error(
    sink: MemorySink, capsys: pytest.CaptureFixture[str]
) -> None:
    class Exploding(MemorySink):
        def write(self, line: str) -> None:
            raise RuntimeError("sink broke")

    configure(service="svc", stream=None, sinks=[Exploding()])
    logging.raiseExceptions = True
    logging.getLogger("lib").warning("boom")
    assert "sink broke" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service": ""}, "service must be a non-empty name, got ''"),
        ({"service": "s", "level": "LOUD"}, "invalid log level 'LOUD'"),
        ({"service": "s", "level": -1}, "invalid log level -1"),
        ({"service": "s", "level": True}, "invalid log level True"),
        ({"service": "s", "levels": {"": "INFO"}}, "invalid logger name ''"),
        ({"service": "s", "levels": {"a": "nope"}}, "invalid log level 'nope'"),
        ({"service": "s", "renderer": "xml"}, "invalid renderer 'xml'"),
        ({"service": "s", "field_names": "otel"}, "unknown field_names 'otel'"),
        ({"service": "s", "sinks": [object()]}, "is not a LineSink"),
        ({"service": "s", "serializer": "yaml"}, "invalid serializer 'yaml'"),
        ({"service": "s", "stream": 3}, "invalid stream 3"),
    ],
)
def test_bad_arguments_name_the_value(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        configure(**kwargs)


def test_parse_level_accepts_names_and_numbers() -> None:
    assert parse_level("warn") == logging.WARNING
    assert parse_level(" Debug ") == logging.DEBUG
    assert parse_level(25) == 25


def test_custom_numeric_level(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink], level=25)
    get_logger("n").info("hidden")
    get_logger("n").warning("shown")
    assert [r["message"] for r in sink.records()] == ["shown"]


def test_repr_of_the_wrapped_logger() -> None:
    configure(service="svc", stream=None)
    from bricolage.logging._configure import _CURRENT

    assert _CURRENT is not None
    assert _CURRENT._pipeline is not None
    assert repr(_CURRENT._pipeline.logger("a")) == "<logger 'a' level=INFO>"


@given(st.floats(min_value=-2_000_000_000, max_value=4_102_444_800, allow_nan=False))
def test_timestamps_match_datetime(seconds: float) -> None:
    formatted = Timestamps(lambda: seconds).now()
    expected = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    parsed = dt.datetime.strptime(formatted, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    assert abs((parsed - expected).total_seconds()) < 2e-6
    assert len(formatted) == 27


def test_structlog_stack_info_and_async_methods(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    log = get_logger("st")
    log.info("where", stack_info=True)

    async def main() -> None:
        with correlation_scope("req-async"):
            await log.ainfo("async line", n=1)

    asyncio.run(main())
    first, second = sink.records()
    assert "test_structlog_stack_info_and_async_methods" in first["stack"]
    assert "stack_info" not in first
    assert (second["message"], second["correlation_id"], second["n"]) == (
        "async line",
        "req-async",
        1,
    )


def test_console_shows_exceptions_and_stacks() -> None:
    out = io.StringIO()
    configure(service="svc", stream=out, renderer="console", colors=False)
    get_logger("ui").info("where am i", stack_info=True)
    get_logger("ui").info("not asked", stack_info=False)
    assert "test_console_shows_exceptions_and_stacks" in out.getvalue()
    assert "stack_info=False" not in out.getvalue()
    try:
        raise LookupError("gone")
    except LookupError:
        get_logger("ui").exception("failed")
    text = out.getvalue()
    assert "failed" in text
    assert "LookupError: gone" in text


def test_loggers_cached_earlier_follow_a_new_configuration() -> None:
    first, second = MemorySink(), MemorySink()
    configure(service="one", stream=None, sinks=[first], level="INFO")
    module_level = get_logger("cached")  # like a module-level logger
    plain = structlog.get_logger("cached.plain")
    module_level.info("to first")
    plain.info("plain to first")
    module_level.debug("hidden at INFO")
    configure(service="two", stream=None, sinks=[second], level="DEBUG")
    module_level.debug("to second, now visible")
    plain.info("plain to second")
    logging.getLogger("cached.std").info("stdlib to second")
    assert [r["message"] for r in first.records()] == ["to first", "plain to first"]
    assert [(r["service"], r["message"]) for r in second.records()] == [
        ("two", "to second, now visible"),
        ("two", "plain to second"),
        ("two", "stdlib to second"),
    ]
    configure(service="three", stream=None, sinks=[second], levels={"cached": "ERROR"})
    module_level.warning("hidden by the per-logger level")
    module_level.error("shown")
    assert second.records()[-1]["message"] == "shown"
    assert second.records()[-1]["service"] == "three"


def test_after_close_cached_loggers_are_silent(capsys: pytest.CaptureFixture[str]) -> None:
    sink = MemorySink()
    config = configure(service="svc", stream=None, sinks=[sink])
    log = get_logger("silenced")
    log.info("before")
    config.close()
    log.info("after close")
    assert [r["message"] for r in sink.records()] == ["before"]
    assert capsys.readouterr().out == ""


def test_many_short_lived_loggers_do_not_pile_up() -> None:
    from bricolage.logging import _configure

    configure(service="svc", stream=None)
    for n in range(5000):
        structlog.get_logger("short").info("x", n=n)
    assert len(_configure._CACHED) < 3000


def test_values_json_cannot_express_are_written_as_repr(sink: MemorySink) -> None:
    configure(service="svc", stream=None, sinks=[sink])
    circular: dict[str, object] = {}
    circular["self"] = circular
    deep: list[object] = []
    cursor = deep
    for _ in range(5000):
        inner: list[object] = []
        cursor.append(inner)
        cursor = inner

    class BadRepr:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    get_logger("odd").info("strange values", circular=circular, deep=deep, ok=[1, 2])
    get_logger("odd").info("bad repr", value=BadRepr())
    first, second = sink.records()
    assert first["circular"] == "{'self': {...}}"
    assert first["deep"].startswith("<unrepresentable list")
    assert first["ok"] == [1, 2]
    assert second["value"] == "<unrepresentable BadRepr: RuntimeError>"


def test_no_output_at_all_is_allowed() -> None:
    config = configure(service="svc", stream=None)
    get_logger("void").info("goes nowhere")
    logging.getLogger("void").warning("nowhere either")
    assert config.sinks == ()


def test_memory_sink_clear() -> None:
    sink = MemorySink()
    sink.write("{}")
    sink.clear()
    assert sink.lines == []


def test_timestamps_before_1970() -> None:
    assert Timestamps(lambda: -0.5).now() == "1969-12-31T23:59:59.500000Z"


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


field_values = st.one_of(
    st.integers(), st.text(max_size=5), st.none(), st.lists(st.integers(), max_size=3)
)


@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "level", "service", "correlation_id", "exception", "x_"]),
        field_values,
        max_size=5,
    ),
    st.sampled_from(["debug", "info", "warning", "error", "critical", "msg", "exception"]),
    st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False),
    st.one_of(st.none(), st.sampled_from(["req-1", "job-2"])),
    st.sampled_from(["native", "ecs"]),
)
def test_the_fast_path_writes_what_the_reference_path_writes(
    fields: dict[str, Any],
    method_name: str,
    now: float,
    bound: str | None,
    field_names: Any,
) -> None:
    from bricolage.logging._render import Finalizer, json_serializer

    finalizer = Finalizer(
        service="svc",
        field_names=field_names,
        timestamps=Timestamps(lambda: now),
        serializer=json_serializer(),
    )
    event = {"event": "happened", **fields}
    with correlation_scope(bound) if bound else contextlib.nullcontext():
        fast = finalizer(_Named("n"), method_name, dict(event))
        reference = json_serializer()(finalizer.fields("n", method_name, dict(event), None))
    assert fast == reference
    validate_record = json.loads(fast)
    assert validate_record["service" if field_names == "native" else "service.name"] == "svc"


def test_own_processors_run_for_structlog_and_stdlib(sink: MemorySink) -> None:
    def redact(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        if "password" in event_dict:
            event_dict["password"] = "***"
        event_dict["region"] = "eu"
        return event_dict

    def drop_health_checks(logger: Any, method_name: str, event_dict: Any) -> Any:
        if event_dict.get("event") == "health check":
            raise structlog.DropEvent
        return event_dict

    configure(service="svc", stream=None, sinks=[sink], processors=[redact, drop_health_checks])
    get_logger("auth").info("login", user="ada", password="hunter2")
    logging.getLogger("lib").info("connect", extra={"password": "s3cret"})
    get_logger("web").info("health check")
    first, second = sink.records()
    assert (first["password"], first["region"]) == ("***", "eu")
    assert (second["password"], second["region"]) == ("***", "eu")
    assert "hunter2" not in "".join(sink.lines)


def test_a_processor_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="processor 42 is not callable"):
        configure(service="svc", processors=[42])  # type: ignore[list-item]
