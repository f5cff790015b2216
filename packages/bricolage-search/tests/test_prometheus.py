from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from bricolage.search import Index, Schema, TextField
from bricolage.search.prometheus import SearchCollector


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


@pytest.fixture
def served() -> Iterator[tuple[CollectorRegistry, str]]:
    registry = CollectorRegistry()
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield registry, f"http://127.0.0.1:{server.server_port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return samples(response.read().decode())


def test_an_on_disk_index_scraped_over_http(
    tmp_path: Path, served: tuple[CollectorRegistry, str]
) -> None:
    registry, url = served
    index = Index.create(tmp_path / "idx", Schema(TextField("title"), TextField("body")))
    registry.register(SearchCollector(index))
    before = scrape(url)
    assert before[("bricolage_search_documents", ())] == 0
    assert before[("bricolage_search_commits_total", ())] == 0
    assert before[("bricolage_search_generation", ())] == 1
    with index.writer() as writer:
        writer.add("a", title="Pulsars", body="red fish blue fish")
        writer.add("b", title="Quasars", body="one fish")
    with index.writer() as writer:
        writer.delete("b")
    for query in ("fish", "pulsars", "nothing"):
        index.search(query)
    after = scrape(url)
    assert after[("bricolage_search_documents", ())] == 1
    assert after[("bricolage_search_generation", ())] == 3
    assert after[("bricolage_search_commits_total", ())] == 2
    assert after[("bricolage_search_queries_total", ())] == 3
    assert after[("bricolage_search_query_seconds_total", ())] > 0
    assert after[("bricolage_search_terms", (("field", "body"),))] == 3
    assert after[("bricolage_search_postings", (("field", "title"),))] == 1
    # the current segment and the previous one, kept for readers that may still load it
    assert after[("bricolage_search_segments", ())] == 2
    on_disk = sum(p.stat().st_size for p in (tmp_path / "idx").glob("segment-*.npz"))
    assert after[("bricolage_search_index_size_bytes", ())] == on_disk > 0


def test_several_indexes_carry_an_index_label(served: tuple[CollectorRegistry, str]) -> None:
    registry, url = served
    books, papers = (Index.in_memory(Schema(TextField("body"))) for _ in range(2))
    with books.writer() as writer:
        writer.add("1", body="a book")
    papers.search("x")
    registry.register(SearchCollector({"books": books, "papers": papers}))
    found = scrape(url)
    assert found[("bricolage_search_documents", (("index", "books"),))] == 1
    assert found[("bricolage_search_documents", (("index", "papers"),))] == 0
    assert found[("bricolage_search_queries_total", (("index", "papers"),))] == 1
    assert found[("bricolage_search_segments", (("index", "books"),))] == 1
    # in memory there is no size on disk to report
    assert not any(name == "bricolage_search_index_size_bytes" for name, _ in found)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="mapping of non-empty names"):
        SearchCollector({"": Index.in_memory(Schema(TextField("body")))})
    with pytest.raises(TypeError, match="got 'nope'"):
        SearchCollector("nope")  # type: ignore[arg-type]


def test_without_the_extra_the_error_names_it() -> None:
    code = (
        "import sys; sys.modules['prometheus_client'] = None\n"
        "try:\n"
        "    import bricolage.search.prometheus\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "MissingExtraError" in done.stdout
    assert 'pip install "bricolage-search[prometheus]"' in done.stdout
