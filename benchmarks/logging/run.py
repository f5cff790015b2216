"""JSON log lines per second, with a correlation id bound: bricolage.logging and its peers.

Every contender writes the same event (a message, three fields, a bound correlation id)
as one JSON line, flushed, to the same kind of sink (``/dev/null`` by default, or a real
file with ``--sink file``), in one process, one after the other within each repeat so
machine noise hits all alike. It prints the median lines per second over the repeats,
peak traced memory for one run, and ratios (ours / peer).

    python benchmarks/logging/run.py                 # defaults: 20000 lines x 7 repeats
    python benchmarks/logging/run.py --lines 50000 --repeats 9 --sink file
    python benchmarks/logging/run.py --profile ours  # cProfile of one run, top functions

Contenders (python-json-logger and loguru come from requirements.txt; orjson rows appear
only when orjson is installed, and then bare structlog uses orjson too):

- ours: ``bricolage.logging.configure()``, the full schema (timestamp, level, logger,
  message, service, correlation id, fields).
- structlog: bare structlog, the textbook set-up: ``merge_contextvars``,
  ``add_log_level``, ``TimeStamper(fmt="iso", utc=True)``, ``JSONRenderer()``, a
  filtering bound logger and ``WriteLoggerFactory``; the id bound with
  ``bind_contextvars``.
- python-json-logger: the standard library with its ``JsonFormatter``; the id added by a
  filter reading a context variable (the usual pattern).
- loguru: ``logger.add(sink, serialize=True)``; the id bound with ``contextualize``.
- stdlib-json: the standard library with a small ``json.dumps`` formatter and the same
  filter.
"""

from __future__ import annotations

import argparse
import contextvars
import cProfile
import gc
import io
import json
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

import bricolage.logging as ours

CID = "0f8fad5bd9cb469fa16570867728950e"
FIELDS = {"path": "/orders/42", "status": 200, "duration_ms": 12.5}
MESSAGE = "request handled"


@dataclass
class Contender:
    name: str
    setup: Callable[[io.TextIOBase | Any], tuple[Callable[[], None], Callable[[], None]]]
    binary: bool = False


def _have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# -- ours -------------------------------------------------------------------------------


def setup_ours(serializer: str) -> Callable[[Any], tuple[Callable[[], None], Callable[[], None]]]:
    def setup(stream: Any) -> tuple[Callable[[], None], Callable[[], None]]:
        config = ours.configure(
            service="bench",
            stream=stream,
            renderer="json",
            serializer=serializer,  # type: ignore[arg-type]
            capture_stdlib=False,
        )
        log = ours.get_logger("bench")
        token = ours.bind_correlation_id(CID)
        info = log.info

        def emit() -> None:
            info(MESSAGE, **FIELDS)

        def teardown() -> None:
            ours.unbind_correlation_id(token)
            config.close(close_sinks=False)

        return emit, teardown

    return setup


# -- bare structlog ----------------------------------------------------------------------


def setup_structlog(
    serializer: str,
) -> Callable[[Any], tuple[Callable[[], None], Callable[[], None]]]:
    def setup(stream: Any) -> tuple[Callable[[], None], Callable[[], None]]:
        if serializer == "orjson":
            import orjson

            renderer = structlog.processors.JSONRenderer(serializer=orjson.dumps)
            factory: Any = structlog.BytesLoggerFactory(stream)
        else:
            renderer = structlog.processors.JSONRenderer()
            factory = structlog.WriteLoggerFactory(stream)
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            logger_factory=factory,
            cache_logger_on_first_use=True,
        )
        structlog.contextvars.bind_contextvars(correlation_id=CID)
        log = structlog.get_logger("bench")
        info = log.info

        def emit() -> None:
            info(MESSAGE, **FIELDS)

        def teardown() -> None:
            structlog.contextvars.clear_contextvars()
            structlog.reset_defaults()

        return emit, teardown

    return setup


# -- the standard library: python-json-logger and a plain json formatter ----------------

_STDLIB_CID: contextvars.ContextVar[str | None] = contextvars.ContextVar("cid", default=None)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _STDLIB_CID.get()
        return True


class PlainJsonFormatter(logging.Formatter):
    _skip = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs * 1000):06d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update((k, v) for k, v in record.__dict__.items() if k not in self._skip)
        return json.dumps(data, default=repr)


def _stdlib_setup(formatter: logging.Formatter) -> Callable[[Any], Any]:
    def setup(stream: Any) -> tuple[Callable[[], None], Callable[[], None]]:
        logger = logging.getLogger("bench.stdlib")
        logger.handlers.clear()
        logger.propagate = False
        logger.setLevel(logging.INFO)
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.addFilter(CorrelationFilter())
        logger.addHandler(handler)
        token = _STDLIB_CID.set(CID)
        info = logger.info

        def emit() -> None:
            info(MESSAGE, extra=FIELDS)

        def teardown() -> None:
            _STDLIB_CID.reset(token)
            logger.removeHandler(handler)

        return emit, teardown

    return setup


def setup_python_json_logger() -> Callable[[Any], Any]:
    try:
        from pythonjsonlogger.json import JsonFormatter
    except ImportError:  # older releases
        from pythonjsonlogger.jsonlogger import JsonFormatter  # type: ignore[no-redef]
    return _stdlib_setup(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))


# -- loguru -------------------------------------------------------------------------------


def setup_loguru(stream: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    from loguru import logger

    logger.remove()
    sink_id = logger.add(stream, serialize=True, level="INFO", enqueue=False, catch=False)
    context = logger.contextualize(correlation_id=CID)
    context.__enter__()
    info = logger.info

    def emit() -> None:
        info(MESSAGE, **FIELDS)

    def teardown() -> None:
        context.__exit__(None, None, None)
        logger.remove(sink_id)

    return emit, teardown


# -- the runner ---------------------------------------------------------------------------


def contenders() -> list[Contender]:
    found = [
        Contender("ours", setup_ours("json")),
        Contender("structlog", setup_structlog("json")),
    ]
    if _have("orjson"):
        found += [
            Contender("ours+orjson", setup_ours("orjson")),
            Contender("structlog+orjson", setup_structlog("orjson"), binary=True),
        ]
    if _have("pythonjsonlogger"):
        found.append(Contender("python-json-logger", setup_python_json_logger()))
    if _have("loguru"):
        found.append(Contender("loguru", setup_loguru))
    found.append(Contender("stdlib-json", _stdlib_setup(PlainJsonFormatter())))
    return found


def open_sink(kind: str, folder: Path, name: str, binary: bool) -> Any:
    path = os.devnull if kind == "null" else folder / f"{name}.log"
    return open(path, "wb" if binary else "w")


def one_run(contender: Contender, lines: int, sink: str, folder: Path) -> tuple[float, float]:
    """Lines per CPU second (user + system time of this process) and per wall second."""
    stream = open_sink(sink, folder, contender.name, contender.binary)
    try:
        emit, teardown = contender.setup(stream)
        try:
            for _ in range(200):  # warm up caches (loggers, timestamps)
                emit()
            gc.collect()
            cpu_started, wall_started = time.process_time(), time.perf_counter()
            for _ in range(lines):
                emit()
            cpu = time.process_time() - cpu_started
            wall = time.perf_counter() - wall_started
        finally:
            teardown()
    finally:
        stream.close()
    return lines / max(cpu, 1e-9), lines / wall


def peak_memory(contender: Contender, lines: int, sink: str, folder: Path) -> int:
    tracemalloc.start()
    try:
        one_run(contender, lines, sink, folder)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def check_output(contender: Contender, folder: Path) -> str:
    """One line from the contender, to show that everyone writes comparable JSON."""
    stream = open_sink("file", folder, f"sample-{contender.name}", contender.binary)
    emit, teardown = contender.setup(stream)
    emit()
    teardown()
    stream.close()
    text = (folder / f"sample-{contender.name}.log").read_text().strip()
    json.loads(text.splitlines()[-1])
    return text.splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sink", choices=["null", "file"], default="null")
    parser.add_argument("--profile", metavar="NAME", help="cProfile one contender and stop")
    parser.add_argument("--show-lines", action="store_true", help="print one line of each")
    args = parser.parse_args()

    everyone = contenders()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.profile:
            chosen = next(c for c in everyone if c.name == args.profile)
            profiler = cProfile.Profile()
            profiler.enable()
            one_run(chosen, args.lines, args.sink, folder)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
            return
        if args.show_lines:
            for contender in everyone:
                print(f"{contender.name}: {check_output(contender, folder)}")
            print()
        rates: dict[str, list[float]] = {c.name: [] for c in everyone}
        walls: dict[str, list[float]] = {c.name: [] for c in everyone}
        for _ in range(args.repeats):
            for contender in everyone:  # interleaved, so noise hits everyone alike
                cpu_rate, wall_rate = one_run(contender, args.lines, args.sink, folder)
                rates[contender.name].append(cpu_rate)
                walls[contender.name].append(wall_rate)
        peaks = {
            c.name: peak_memory(c, min(args.lines, 5_000), args.sink, folder) for c in everyone
        }

    medians = {name: statistics.median(values) for name, values in rates.items()}
    wall_medians = {name: statistics.median(values) for name, values in walls.items()}
    print(
        f"bricolage-logging benchmark: {args.lines} lines x {args.repeats} repeats, "
        f"sink={args.sink}, Python {sys.version.split()[0]}, structlog {structlog.__version__}"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.1f} (a shared machine: "
        "figures are medians of interleaved runs)"
    )
    print("lines/s per CPU second (user+system of this process; robust to other load),")
    print("and per wall-clock second (what a user sees on an idle machine)")
    print()
    header = (
        f"{'contender':<20}{'lines/CPU-s':>13}{'min':>10}{'max':>10}"
        f"{'lines/wall-s':>14}{'peak KiB':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, values in rates.items():
        print(
            f"{name:<20}{medians[name]:>13,.0f}{min(values):>10,.0f}{max(values):>10,.0f}"
            f"{wall_medians[name]:>14,.0f}{peaks[name] / 1024:>10,.0f}"
        )
    print()
    print("ratios, ours / peer (medians; above 1.00 means ours is faster):")
    print(f"  {'':<12}   {'':<20} {'CPU':>6} {'wall':>6}")
    pairs = [("ours", name) for name in medians if not name.startswith("ours")]
    if "ours+orjson" in medians:
        pairs.append(("ours+orjson", "structlog+orjson"))
        pairs.append(("ours+orjson", "python-json-logger"))
    for mine, peer in pairs:
        if peer in medians:
            print(
                f"  {mine:<12} / {peer:<20} {medians[mine] / medians[peer]:6.2f}"
                f" {wall_medians[mine] / wall_medians[peer]:6.2f}"
            )
    print()
    print(
        "goals: ours >= 0.90 x bare structlog (same serializer); ours >= 2.00 x python-json-logger"
    )


if __name__ == "__main__":
    main()
