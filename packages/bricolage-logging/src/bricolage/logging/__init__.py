"""Structured JSON logging on structlog, for applications.

One :func:`configure` call sets up structlog and the standard library together; every
line follows a versioned JSON Schema (:func:`schema`); correlation ids ride on context
variables through requests, threads, tasks, outgoing HTTP calls and jobs; lines can be
sampled, written to files rotated safely by several processes, and shipped to
Elasticsearch.

>>> from bricolage.logging import MemorySink, configure, correlation_scope, get_logger
>>> sink = MemorySink()
>>> config = configure(service="shop", stream=None, sinks=[sink])
>>> with correlation_scope("req-1"):
...     get_logger("shop").info("order placed", order_id=7)
>>> record = sink.records()[0]
>>> record["message"], record["correlation_id"], record["order_id"]
('order placed', 'req-1', 7)
>>> config.close()
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import Any as _Any

from bricolage.logging._configure import LoggingConfig, MemorySink, configure, get_logger
from bricolage.logging._correlation import (
    bind_correlation_id,
    carry_context,
    correlated,
    correlation_scope,
    get_correlation_id,
    is_valid_correlation_id,
    new_correlation_id,
    unbind_correlation_id,
)
from bricolage.logging._middleware import (
    ASGICorrelationMiddleware,
    JobMiddleware,
    OutgoingRequest,
    WSGICorrelationMiddleware,
    correlation_from,
    correlation_job_middleware,
    httpx_async_request_hook,
    httpx_request_hook,
    inject_correlation_id,
)
from bricolage.logging._retry import RetryPolicy
from bricolage.logging._sampling import SamplingPolicy, correlation_fraction, should_keep
from bricolage.logging._schema import SCHEMA_VERSION, schema, schema_text
from bricolage.logging._shipper import ElasticsearchShipper, ShipperStats, bulk_body
from bricolage.logging._sinks import (
    FileSink,
    LineSink,
    RotatingFileSink,
    RotationPolicy,
    StreamSink,
    rotation_due,
)
from bricolage.logging.errors import ConfigurationError, LoggingError

__version__ = _version("bricolage-logging")

__all__ = [
    "SCHEMA_VERSION",
    "ASGICorrelationMiddleware",
    "ConfigurationError",
    "ElasticsearchShipper",
    "FileSink",
    "JobMiddleware",
    "LineSink",
    "LoggingConfig",
    "LoggingError",
    "MemorySink",
    "OutgoingRequest",
    "RetryPolicy",
    "RotatingFileSink",
    "RotationPolicy",
    "SamplingPolicy",
    "ShipperStats",
    "StreamSink",
    "WSGICorrelationMiddleware",
    "__version__",
    "bind_correlation_id",
    "bulk_body",
    "carry_context",
    "configure",
    "correlated",
    "correlation_fraction",
    "correlation_from",
    "correlation_job_middleware",
    "correlation_scope",
    "get_correlation_id",
    "get_logger",
    "httpx_async_request_hook",
    "httpx_request_hook",
    "inject_correlation_id",
    "is_valid_correlation_id",
    "new_correlation_id",
    "rotation_due",
    "schema",
    "schema_text",
    "should_keep",
    "unbind_correlation_id",
]


def __getattr__(name: str) -> _Any:
    # Deprecated names keep working for one minor version, with a DeprecationWarning.
    if name == "backoff_delay":
        from bricolage.logging import _shipper

        return getattr(_shipper, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
