"""ElasticsearchShipper against a real HTTP server on 127.0.0.1 speaking the _bulk subset.

No Elasticsearch or OpenSearch server can be installed from Debian or PyPI here, so the
test starts a loopback HTTP server that answers ``POST /_bulk`` the way Elasticsearch does
(NDJSON in, per-item statuses out, the ``X-Elastic-Product`` header the official client
checks), and the shipper talks to it through the real ``elasticsearch`` client.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bricolage.logging
from bricolage.logging import (
    ConfigurationError,
    ElasticsearchShipper,
    RetryPolicy,
    bulk_body,
    configure,
    correlation_scope,
    get_logger,
)


class FakeBulkServer(ThreadingHTTPServer):
    """A small Elasticsearch: POST /_bulk with create actions, scripted failures."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), BulkHandler)
        self.documents: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        # Scripted behaviour, consumed request by request.
        self.statuses: list[int] = []  # whole-request HTTP statuses to answer first
        self.item_statuses: list[list[int]] = []  # per-item statuses for 200 answers
        self.resets = 0  # close the connection without answering this many times
        self.delay = 0.0
        self.gate: threading.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class BulkHandler(BaseHTTPRequestHandler):
    server: FakeBulkServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        server = self.server
        length = int(self.headers["Content-Length"])
        raw = self.rfile.read(length)
        if server.gate is not None:
            server.gate.wait(10)
        if server.delay:
            time.sleep(server.delay)
        with server.lock:
            if server.resets:
                server.resets -= 1
                self.close_connection = True
                self.connection.close()
                return
            server.requests.append(
                {
                    "path": self.path,
                    "content_type": self.headers["Content-Type"],
                    "authorization": self.headers.get("Authorization"),
                    "lines": raw.decode().count("\n"),
                }
            )
            status = server.statuses.pop(0) if server.statuses else 200
            if self.path.split("?")[0].rsplit("/", 1)[-1] != "_bulk":
                self._answer(404, {"error": "no such endpoint"})
                return
            if status != 200:
                self._answer(status, {"error": {"type": "scripted"}, "status": status})
                return
            lines = raw.decode().split("\n")
            assert lines[-1] == "", "NDJSON must end with a newline"
            pairs = list(zip(lines[0:-1:2], lines[1:-1:2], strict=True))
            item_statuses = server.item_statuses.pop(0) if server.item_statuses else []
            items = []
            for position, (action, source) in enumerate(pairs):
                index = json.loads(action)["create"]["_index"]
                item_status = item_statuses[position] if position < len(item_statuses) else 201
                if item_status == 201:
                    server.documents.append({"_index": index, **json.loads(source)})
                items.append({"create": {"_index": index, "status": item_status}})
            errors = any(i["create"]["status"] >= 300 for i in items)
            self._answer(200, {"took": 1, "errors": errors, "items": items})

    do_PUT = do_POST  # Elasticsearch takes _bulk as POST or PUT; the client sends PUT


@pytest.fixture
def es() -> Iterator[FakeBulkServer]:
    server = FakeBulkServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        if server.gate is not None:
            server.gate.set()
        server.shutdown()
        server.server_close()
        thread.join()


def quick(url: str, **kwargs: Any) -> ElasticsearchShipper:
    options: dict[str, Any] = {
        "index": "logs-test",
        "flush_interval": 0.05,
        "retry": RetryPolicy(max_attempts=6, initial=0.01, maximum=0.05),
        "timeout": 5.0,
        "rng": random.Random(0),
    }
    options.update(kwargs)
    return ElasticsearchShipper(url, **options)


def test_lines_logged_through_configure_arrive_in_batches(
    es: FakeBulkServer, validate: Callable[..., dict[str, Any]]
) -> None:
    shipper = quick(es.url, batch_size=50)
    config = configure(service="shop", stream=None, sinks=[shipper])
    log = get_logger("shop.orders")
    with correlation_scope("req-es"):
        for n in range(120):
            log.info("order placed", n=n)
    assert shipper.flush(10)
    config.close()
    assert len(es.documents) == 120
    for document in es.documents:
        index = document.pop("_index")
        assert index == "logs-test"
        validate(json.dumps(document))
    assert [d["n"] for d in es.documents] == list(range(120))
    assert all(r["path"] == "/_bulk" for r in es.requests)
    assert all("x-ndjson" in r["content_type"] for r in es.requests)
    assert max(r["lines"] for r in es.requests) <= 100  # batches of at most 50 documents
    stats = shipper.stats()
    assert (stats.sent, stats.dropped, stats.queued) == (120, 0, 0)


def test_503_answers_are_retried_with_backoff(es: FakeBulkServer) -> None:
    es.statuses = [503, 429]
    shipper = quick(es.url)
    shipper.write('{"message":"one"}')
    assert shipper.flush(10)
    shipper.close()
    stats = shipper.stats()
    assert stats.sent == 1
    assert stats.retries == 2
    assert stats.dropped == 0
    assert len(es.requests) == 3


def test_only_the_failed_items_are_sent_again(es: FakeBulkServer) -> None:
    es.item_statuses = [[201, 429, 400, 503]]
    shipper = quick(es.url, batch_size=4, flush_interval=0.5)
    for n in range(4):
        shipper.write(json.dumps({"message": f"m{n}"}))
    assert shipper.flush(10)
    shipper.close()
    assert sorted(d["message"] for d in es.documents) == ["m0", "m1", "m3"]
    assert es.requests[1]["lines"] == 4  # two documents sent again
    stats = shipper.stats()
    assert (stats.sent, stats.rejected, stats.dropped) == (3, 1, 1)
    assert stats.last_error is not None
    assert "refused" in stats.last_error


def test_reset_connections_are_retried(es: FakeBulkServer) -> None:
    es.resets = 2
    shipper = quick(es.url)
    shipper.write('{"message":"survives"}')
    assert shipper.flush(10)
    shipper.close()
    assert [d["message"] for d in es.documents] == ["survives"]
    assert shipper.stats().retries == 2


def test_gives_up_after_max_retries_and_counts(es: FakeBulkServer) -> None:
    es.statuses = [500] * 10
    shipper = quick(es.url, retry=RetryPolicy(max_attempts=3, initial=0.01, maximum=0.05))
    shipper.write('{"message":"lost"}')
    assert shipper.flush(10)
    shipper.close()
    stats = shipper.stats()
    assert (stats.sent, stats.gave_up, stats.dropped, stats.retries) == (0, 1, 1, 2)
    assert stats.last_error is not None
    assert "status 500" in stats.last_error
    assert len(es.requests) == 3


def test_a_4xx_answer_rejects_the_batch(es: FakeBulkServer) -> None:
    es.statuses = [401]
    shipper = quick(es.url)
    shipper.write('{"message":"denied"}')
    assert shipper.flush(10)
    shipper.close()
    assert shipper.stats().rejected == 1
    assert "status 401" in (shipper.stats().last_error or "")


def test_unreadable_answers_are_retried(es: FakeBulkServer) -> None:
    answers = iter([b"not json", b"[1]", b'{"errors": true, "items": []}'])

    class Odd(BulkHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = next(answers, b'{"errors": false, "items": [{"create": {"status": 201}}]}')
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_PUT = do_POST

    es.RequestHandlerClass = Odd
    shipper = quick(es.url)
    shipper.write('{"message":"x"}')
    assert shipper.flush(10)
    shipper.close()
    stats = shipper.stats()
    assert (stats.sent, stats.retries, stats.dropped) == (1, 3, 0)


def test_a_slow_cluster_never_blocks_the_application(es: FakeBulkServer) -> None:
    es.gate = threading.Event()  # the server holds every request until released
    shipper = quick(es.url, batch_size=10, queue_size=100)
    started = time.perf_counter()
    for n in range(5000):
        shipper.write(json.dumps({"message": f"m{n}"}))
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0  # writes only queue (5000 lines, far below one request's wait)
    stats = shipper.stats()
    assert stats.dropped_queue_full >= 5000 - 100 - 10
    assert stats.dropped == stats.dropped_queue_full
    es.gate.set()
    assert shipper.flush(10)
    shipper.close()
    assert shipper.stats().sent == 5000 - shipper.stats().dropped_queue_full


def test_close_with_an_unreachable_cluster_returns_and_counts() -> None:
    shipper = ElasticsearchShipper(
        "http://127.0.0.1:9",
        index="logs",
        flush_interval=0.05,
        retry=RetryPolicy(initial=5.0, maximum=5.0),
        timeout=1.0,
    )
    for n in range(3):
        shipper.write(json.dumps({"n": n}))
    time.sleep(0.2)  # the thread is now waiting to retry
    started = time.perf_counter()
    shipper.close(timeout=1.0)
    assert time.perf_counter() - started < 3.0
    stats = shipper.stats()
    assert stats.gave_up == 3
    assert stats.sent == 0
    shipper.write("after close")  # never raises
    assert shipper.stats().gave_up == 4
    shipper.close()  # twice is fine


def test_credentials_in_the_url_and_extra_headers(es: FakeBulkServer) -> None:
    host = es.url.removeprefix("http://")
    shipper = quick(f"http://elastic:s%40cret@{host}/prefix", headers={"X-Extra": "1"})
    shipper.write('{"message":"auth"}')
    assert shipper.flush(10)
    shipper.close()
    request = es.requests[0]
    assert request["path"] == "/prefix/_bulk"
    assert request["authorization"] == "Basic " + base64.b64encode(b"elastic:s@cret").decode()


def test_stats_before_start_and_flush_without_thread() -> None:
    shipper = ElasticsearchShipper("http://127.0.0.1:9", index="logs", start=False)
    shipper.write("{}")
    assert shipper.flush(0.1) is False
    shipper.close(timeout=0)
    shipper.start()  # after close: does nothing
    assert shipper.stats().gave_up == 1


def test_the_thread_survives_an_unexpected_error(es: FakeBulkServer) -> None:
    shipper = quick(es.url)
    original = shipper._send
    calls = {"n": 0}

    def flaky(lines: list[str]) -> list[str]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("bug")
        return original(lines)

    shipper._send = flaky  # type: ignore[method-assign]
    shipper.write('{"message":"first"}')
    assert shipper.flush(10)
    shipper.write('{"message":"second"}')
    assert shipper.flush(10)
    shipper.close()
    stats = shipper.stats()
    assert stats.gave_up == 1
    assert stats.sent == 1
    assert stats.last_error == "unexpected RuntimeError: bug"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("ftp://x",), {"index": "logs"}, "url must look like http://host:9200"),
        (("http://",), {"index": "logs"}, "url must look like"),
        (("http://h",), {"index": "Logs"}, "invalid index name 'Logs'"),
        (("http://h",), {"index": "_x"}, "invalid index name '_x'"),
        (("http://h",), {"index": "l", "batch_size": 0}, "batch_size must be a whole number >= 1"),
        (("http://h",), {"index": "l", "queue_size": True}, "queue_size must be a whole number"),
        (("http://h",), {"index": "l", "retry": 3}, "retry must be a RetryPolicy"),
        (("http://h",), {"index": "l", "timeout": 0}, "timeout must be a positive number"),
    ],
)
def test_bad_arguments_are_refused(args: tuple[str], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ElasticsearchShipper(*args, **kwargs)


def test_https_urls_speak_tls(es: FakeBulkServer) -> None:
    # The loopback server speaks plain HTTP: a TLS handshake with it must fail.
    shipper = quick(
        es.url.replace("http://", "https://"),
        retry=RetryPolicy(max_attempts=1),
    )
    shipper.write('{"message":"over tls"}')
    assert shipper.flush(10)
    shipper.close()
    stats = shipper.stats()
    assert (stats.sent, stats.gave_up) == (0, 1)
    assert es.documents == []
    assert "SSL" in (stats.last_error or "") or "TLS" in (stats.last_error or "")


def test_bulk_body_pairs_actions_and_documents() -> None:
    body = bulk_body("logs", ['{"a":1}', '{"b":2}']).decode()
    assert body.split("\n") == [
        '{"create":{"_index":"logs"}}',
        '{"a":1}',
        '{"create":{"_index":"logs"}}',
        '{"b":2}',
        "",
    ]


def test_deprecated_retry_arguments_still_work(es: FakeBulkServer) -> None:
    es.statuses = [503]
    with pytest.warns(DeprecationWarning, match="retry=RetryPolicy"):
        shipper = ElasticsearchShipper(
            es.url,
            index="logs-test",
            flush_interval=0.05,
            max_retries=2,
            backoff_initial=0.01,
            backoff_max=0.02,
        )
    assert shipper.retry == RetryPolicy(max_attempts=3, initial=0.01, maximum=0.02)
    shipper.write('{"message":"old spelling"}')
    assert shipper.flush(10)
    shipper.close()
    assert (shipper.stats().sent, shipper.stats().retries) == (1, 1)
    with pytest.raises(ConfigurationError, match="not both"):
        ElasticsearchShipper(es.url, index="l", retry=RetryPolicy(), max_retries=1)
    with (
        pytest.raises(ConfigurationError, match="max_retries must be a whole number"),
        pytest.warns(DeprecationWarning, match="deprecated"),
    ):
        ElasticsearchShipper(es.url, index="l", max_retries=-1)


def test_deprecated_backoff_delay_warns_and_still_answers() -> None:
    with pytest.warns(DeprecationWarning, match="RetryPolicy"):
        backoff_delay = bricolage.logging.backoff_delay
    assert backoff_delay(4, initial=0.5, maximum=30.0, jitter=0.0) == 4.0
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = bricolage.logging.no_such_name


def test_missing_client_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "elasticsearch", None)
    with pytest.raises(ConfigurationError, match=r"bricolage-logging\[elasticsearch\]"):
        ElasticsearchShipper("http://127.0.0.1:9", index="logs")


@given(
    st.integers(min_value=1, max_value=60),
    st.floats(min_value=0, max_value=10),
    st.floats(min_value=0, max_value=100),
    st.floats(min_value=1, max_value=4),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
)
def test_retry_policy_delay_follows_the_shared_formula(
    retry: int, initial: float, extra: float, multiplier: float, jitter: float, draw: float
) -> None:
    policy = RetryPolicy(
        initial=initial, maximum=initial + extra, multiplier=multiplier, jitter=jitter
    )
    delay = policy.delay(retry, draw=draw)
    base = min(policy.maximum, initial * multiplier ** (retry - 1))
    assert base * (1 - jitter) - 1e-9 <= delay <= base + 1e-9
    assert 0 <= policy.delay(retry) <= base + 1e-9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be a whole number >= 1"),
        ({"max_attempts": True}, "max_attempts"),
        ({"initial": -1}, "initial must be >= 0"),
        ({"initial": float("nan")}, "initial must be a finite number"),
        ({"multiplier": 0.5}, "multiplier must be >= 1"),
        ({"jitter": -0.1}, "jitter must be a fraction"),
        ({"initial": 5, "maximum": 1}, "must not be below initial"),
    ],
)
def test_retry_policy_refuses_bad_values(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RetryPolicy(**kwargs)


def test_retry_policy_caps_huge_exponents() -> None:
    assert RetryPolicy(initial=1.0, maximum=7.0, multiplier=4.0, jitter=0).delay(10_000) == 7.0
    assert RetryPolicy(max_attempts=1).retries_left(1) is False


def test_prometheus_collector_reads_the_shipper_at_scrape_time(es: FakeBulkServer) -> None:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from bricolage.logging.prometheus import ShipperCollector

    es.statuses = [503]
    es.item_statuses = [[201, 400, 201]]
    shipper = quick(es.url, batch_size=3, flush_interval=0.5, queue_size=5)
    registry = CollectorRegistry()
    registry.register(ShipperCollector(shipper))

    def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = generate_latest(registry).decode()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    before = scrape()
    assert (
        before[("bricolage_logging_shipper_shipped_lines_total", (("index", "logs-test"),))] == 0
    )
    for n in range(3):
        shipper.write(json.dumps({"n": n}))
    assert shipper.flush(10)
    shipper.close()
    for n in range(2):
        shipper.write(json.dumps({"after": n}))  # closed: given up
    after = scrape()
    index = ("index", "logs-test")
    assert after[("bricolage_logging_shipper_shipped_lines_total", (index,))] == 2
    assert after[("bricolage_logging_shipper_retries_total", (index,))] == 1
    dropped = "bricolage_logging_shipper_dropped_lines_total"
    assert after[(dropped, (index, ("reason", "rejected")))] == 1
    assert after[(dropped, (index, ("reason", "gave_up")))] == 2
    assert after[(dropped, (index, ("reason", "queue_full")))] == 0
    assert after[("bricolage_logging_shipper_queue_lines", (index,))] == 0
    assert after[("bricolage_logging_shipper_queue_capacity_lines", (index,))] == 5
    text = generate_latest(registry).decode()
    assert "# TYPE bricolage_logging_shipper_dropped_lines_total counter" in text
    assert "# TYPE bricolage_logging_shipper_queue_lines gauge" in text
