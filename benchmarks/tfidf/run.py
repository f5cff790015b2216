"""fit_transform throughput and peak memory: bricolage-tfidf vs scikit-learn vs gensim.

Every contender runs in this one process, on the same documents already in memory (reading
is not timed, except in the streaming row, which reads the file itself). Contenders are
interleaved round by round (``BENCH_REPEATS`` rounds, default 5, after one warm-up run
each); the table gives the median time, its spread (min-max over rounds) and the
ours/peer speed ratio taken round by round (paired), as a median and a range. Peak memory
is measured in one extra run under tracemalloc (Python and NumPy allocations). A speed
ratio above 1 means bricolage-tfidf processes more documents per second; a memory ratio
above 1 means it peaks higher.

    python3 bootstrap.py -s bench -- tfidf    # its own environment: this folder's peers
    BRICOLAGE_DATA=/path/to/shared/data BENCH_REPEATS=3 python benchmarks/tfidf/run.py
"""

from __future__ import annotations

import gc
import os
import platform
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

from gensim.corpora import Dictionary
from gensim.models import TfidfModel
from sklearn.feature_extraction.text import TfidfVectorizer as SkTfidf

from bricolage.tfidf import TfidfVectorizer

DATA = Path(
    os.environ.get("BRICOLAGE_DATA")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
DIFFERS = (
    "what still differs: scikit-learn and bricolage-tfidf build the same CSR matrix with the "
    "same token pattern and parameters (checked by agreement.py); gensim tokenises with the "
    "same pattern but returns its own per-document lists, not CSR, and has no n-grams; "
    "nothing here uses more than one thread."
)
TOKEN = re.compile(r"(?u)\b\w\w+\b")


def vaswani_file() -> Path:
    return DATA / "ir" / "vaswani" / "doc-text.trec"


def iter_vaswani() -> Iterator[str]:
    """Stream the Vaswani documents from the file, one at a time."""
    lines: list[str] = []
    inside = False
    with vaswani_file().open(encoding="utf-8") as stream:
        for line in stream:
            if line.startswith("<DOCNO>"):
                inside, lines = True, []
            elif line.startswith("</DOC>"):
                inside = False
                yield "".join(lines)
            elif inside:
                lines.append(line)


def cranfield() -> list[str]:
    text = (DATA / "ir" / "cranfield" / "cran.all.1400").read_text(encoding="utf-8")
    return [record.partition(".W\n")[2] for record in text.split("\n.I ")]


def ours(docs: list[str], **params: Any) -> Callable[[], object]:
    return lambda: TfidfVectorizer(**params).fit_transform(docs)


def sklearn(docs: list[str], **params: Any) -> Callable[[], object]:
    return lambda: SkTfidf(**params).fit_transform(docs)


def gensim(docs: list[str]) -> Callable[[], object]:
    def run() -> object:
        texts = [TOKEN.findall(doc.lower()) for doc in docs]
        dictionary = Dictionary(texts)
        bows = [dictionary.doc2bow(text) for text in texts]
        model = TfidfModel(bows, id2word=dictionary)
        return [model[bow] for bow in bows]

    return run


def ours_streaming() -> Callable[[], object]:
    def run() -> object:
        vectorizer = TfidfVectorizer().fit(iter_vaswani())
        return sum(block.nnz for block in vectorizer.transform_batches(iter_vaswani()))

    return run


def measure(
    contenders: list[tuple[str, Callable[[], object]]],
) -> list[tuple[str, list[float], float]]:
    """(label, seconds per round, peak MiB in one traced run) per contender.

    The rounds are interleaved (ours, peer, peer, ours, ...) so that a burst of load on the
    shared machine hits every contender alike.
    """
    for _, run in contenders:
        run()  # warm up: imports, caches, regex compilation
    times: dict[str, list[float]] = {label: [] for label, _ in contenders}
    for _ in range(REPEATS):
        for label, run in contenders:
            gc.collect()
            start = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - start)
    results = []
    for label, run in contenders:
        gc.collect()
        tracemalloc.start()
        run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results.append((label, times[label], peak / 2**20))
    return results


def main() -> int:
    if not vaswani_file().is_file():
        print(f"data not found under {DATA}; set BRICOLAGE_DATA", file=sys.stderr)
        return 2
    vaswani = list(iter_vaswani())
    corpora = {"vaswani": vaswani, "cranfield": cranfield()}
    print("bricolage-tfidf benchmark: fit_transform (documents already in memory)")
    print(
        f"python {platform.python_version()}, numpy {version('numpy')}, scipy {version('scipy')}, "
        f"bricolage-tfidf {version('bricolage-tfidf')}, scikit-learn {version('scikit-learn')}, "
        f"gensim {version('gensim')}"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load} (a shared machine); {REPEATS} repeats\n")

    header = (
        f"{'corpus':<10} {'setting':<22} {'library':<16} {'median s':>9} {'spread s':>13} "
        f"{'docs/s':>8} {'peak MiB':>9} {'speed ours/peer (range)':>24} {'memory':>7}"
    )
    print(header)
    print("-" * len(header))
    cases: list[tuple[str, str, list[tuple[str, Callable[[], object]]]]] = []
    for name, docs in corpora.items():
        cases.append(
            (
                name,
                "unigrams (defaults)",
                [
                    ("bricolage-tfidf", ours(docs)),
                    ("scikit-learn", sklearn(docs)),
                    ("gensim", gensim(docs)),
                ],
            )
        )
        bigrams = {"ngram_range": (1, 2), "stop_words": "english"}
        cases.append(
            (
                name,
                "1-2 grams, stop words",
                [
                    ("bricolage-tfidf", ours(docs, **bigrams)),
                    ("scikit-learn", sklearn(docs, **bigrams)),
                ],
            )
        )
    cases.append(("vaswani", "streamed from the file", [("bricolage-tfidf", ours_streaming())]))
    for corpus, setting, contenders in cases:
        n_docs = len(corpora[corpus])
        results = measure(contenders)
        base_times, base_peak = results[0][1], results[0][2]
        for label, runs, peak in results:
            seconds = statistics.median(runs)
            if label == "bricolage-tfidf":
                speed, memory = "", ""
            else:
                paired = [theirs / ours for ours, theirs in zip(base_times, runs, strict=True)]
                speed = f"{statistics.median(paired):.2f}x ({min(paired):.2f}-{max(paired):.2f})"
                memory = f"{base_peak / peak:.2f}x"
            spread = f"{min(runs):.3f}-{max(runs):.3f}"
            print(
                f"{corpus:<10} {setting:<22} {label:<16} {seconds:>9.3f} {spread:>13} "
                f"{n_docs / seconds:>8,.0f} {peak:>9.1f} {speed:>24} {memory:>7}"
            )
    print(
        "\nspeed ours/peer = our docs/s divided by the peer's (above 1: faster); "
        "memory ours/peer = our peak divided by the peer's (below 1: lighter).\n"
        "gensim: same lower-casing and token pattern, Dictionary + doc2bow + TfidfModel, "
        "vectors as gensim's own lists (no CSR conversion); it has no n-gram setting."
    )
    print(DIFFERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
