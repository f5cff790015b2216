"""Tokens per second of bricolage.text analyzers against a bare regex, scikit-learn and NLTK.

Run with ``nox -s bench -- text`` (or ``python benchmarks/text/run.py``). The corpus is
the Vaswani abstracts from ``shared/data`` (override with ``BRICOLAGE_DATA``); every
analyzer runs over the whole corpus ``--repeats`` times, the median time counts.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bricolage.text import simple_analyzer, standard_analyzer

DATA = Path(
    os.environ.get(
        "BRICOLAGE_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
)


def load_corpus() -> list[str]:
    text = (DATA / "ir" / "vaswani" / "doc-text.trec").read_text(encoding="utf-8")
    return [m.group(1).strip() for m in re.finditer(r"</DOCNO>(.*?)</DOC>", text, re.S)]


def candidates() -> dict[str, tuple[str, Callable[[str], list[str]]]]:
    """name -> (what it does, analyzer)."""
    out: dict[str, tuple[str, Callable[[str], list[str]]]] = {}
    word = re.compile(r"\w+")
    out["regex lower+findall"] = ("tokens only", lambda text: word.findall(text.lower()))
    out["bricolage simple"] = ("tokens only", simple_analyzer())
    out["bricolage stopwords"] = ("stop only", standard_analyzer(stem=False))
    out["bricolage standard"] = ("stop+stem", standard_analyzer())
    try:
        from sklearn.feature_extraction.text import CountVectorizer

        out["sklearn analyzer"] = ("tokens only", CountVectorizer().build_analyzer())
        out["sklearn analyzer stop"] = (
            "stop only",
            CountVectorizer(stop_words="english").build_analyzer(),
        )
    except ImportError:
        print("scikit-learn not installed: skipped")
    try:
        from nltk.stem.snowball import SnowballStemmer
        from nltk.tokenize import RegexpTokenizer

        tokenizer = RegexpTokenizer(r"\w+")
        stemmer = SnowballStemmer("english", ignore_stopwords=False)
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        def nltk_standard(text: str) -> list[str]:
            return [
                stemmer.stem(t)
                for t in tokenizer.tokenize(text.lower())
                if t not in ENGLISH_STOP_WORDS
            ]

        out["nltk regexp+snowball"] = ("stop+stem", nltk_standard)
    except ImportError:
        print("nltk not installed: skipped")
    return out


def measure(
    analyze: Callable[[str], list[str]], corpus: list[str], repeats: int
) -> tuple[float, int, float]:
    times = []
    count = 0
    for _ in range(repeats):
        start = time.perf_counter()
        count = sum(len(analyze(doc)) for doc in corpus)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    kept = [analyze(doc) for doc in corpus]  # peak: the analysed corpus held in memory
    del kept
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), count, peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    corpus = load_corpus()
    words = sum(len(re.findall(r"\w+", doc)) for doc in corpus)
    version = platform.python_version()
    print(f"corpus: Vaswani, {len(corpus)} documents, {words} words; python {version}")
    print(f"median of {args.repeats} runs; the machine is shared, so figures vary run to run\n")
    results = {}
    for name, (kind, analyze) in candidates().items():
        seconds, count, peak = measure(analyze, corpus, args.repeats)
        results[name] = (kind, seconds, count, peak)
    ours = {
        kind: seconds for name, (kind, seconds, _, _) in results.items() if "bricolage" in name
    }
    header = (
        f"{'analyzer':24} {'steps':12} {'words/s':>12} {'terms out':>10} "
        f"{'peak MB':>8} {'ours/peer':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, (kind, seconds, count, peak) in results.items():
        reference = ours[kind]
        print(
            f"{name:24} {kind:12} {words / seconds:12,.0f} {count:10,d} {peak:8.1f} "
            f"{seconds / reference:9.2f}x"
        )
    print(
        "\nours/peer = the speed of the bricolage analyzer doing the same steps / the "
        "peer's speed; above 1 means we are faster."
    )


if __name__ == "__main__":
    main()
