"""Words per second of bricolage.text analyzers against a bare regex, scikit-learn, NLTK and
PyStemmer, on the Vaswani abstracts (``shared/data``; override with ``BRICOLAGE_DATA``).

Run with ``python3 bootstrap.py -s bench -- text`` (its own environment: this folder's
requirements and bricolage-text), or ``python benchmarks/text/run.py [--rounds N]``.

Fairness:
- Contenders are interleaved round by round; each round builds every analyzer afresh (not
  timed), so no stem cache carries over from one round to the next, ours included.
- Stemmers are compared with and without a cache: ours (a bounded dict), NLTK given the same
  kind of dict cache, PyStemmer with its own built-in cache and with it turned off.
- snowballstemmer, which bricolage-text stems with, switches to PyStemmer's C code when
  PyStemmer is importable. PyStemmer is installed here as a peer, so table 1 runs in a child
  process that cannot import it (what a user without PyStemmer gets; NLTK is pure Python
  too), and table 2 compares both on PyStemmer's C stemmer.
- Every stop+stem contender removes the same stop words (bricolage.text's English list).
- Figures: the median over rounds, the spread (min-max over rounds), and ours/peer ratios
  taken round by round (paired), then their median and range; peak memory comes from one
  extra traced run holding the analysed corpus.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

DATA = Path(
    os.environ.get(
        "BRICOLAGE_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
)
Analyze = Callable[[str], list[str]]
# name -> (steps, reference row for the ratio, factory building a fresh analyzer)
Contenders = dict[str, tuple[str, str, Callable[[], Analyze]]]

DIFFERS = (
    "what still differs: ours normalises with NFKC + casefold and tokenises with a Unicode "
    "word pattern that keeps offsets (peers: str.lower() + \\w+ or scikit-learn's pattern); "
    "ours returns terms through a general filter chain, the peers are hand-written loops."
)


def load_corpus() -> list[str]:
    text = (DATA / "ir" / "vaswani" / "doc-text.trec").read_text(encoding="utf-8")
    return [m.group(1).strip() for m in re.finditer(r"</DOCNO>(.*?)</DOC>", text, re.S)]


def pure_python_contenders() -> Contenders:
    from nltk.stem.snowball import SnowballStemmer
    from sklearn.feature_extraction.text import CountVectorizer

    from bricolage.text import (
        ENGLISH_STOPWORDS,
        Analyzer,
        Normalizer,
        Stemmer,
        StopwordFilter,
        simple_analyzer,
        standard_analyzer,
    )

    stop = frozenset(ENGLISH_STOPWORDS)
    word = re.compile(r"\w+")

    def regex() -> Analyze:
        return lambda text: word.findall(text.lower())

    def nltk(cached: bool) -> Callable[[], Analyze]:
        def build() -> Analyze:
            stem = SnowballStemmer("english", ignore_stopwords=False).stem
            if cached:
                cache: dict[str, str] = {}

                def stem_cached(token: str) -> str:
                    found = cache.get(token)
                    if found is None:
                        found = cache[token] = stem(token)
                    return found

                return lambda text: [
                    stem_cached(t) for t in word.findall(text.lower()) if t not in stop
                ]
            return lambda text: [stem(t) for t in word.findall(text.lower()) if t not in stop]

        return build

    def ours_uncached() -> Analyze:
        return Analyzer(
            normalizer=Normalizer(),
            filters=[StopwordFilter("english"), Stemmer("english", cache_size=0)],
        )

    sklearn_stop = sorted(stop)
    return {
        "regex lower+findall": ("tokens", "bricolage simple", regex),
        "bricolage simple": ("tokens", "bricolage simple", simple_analyzer),
        "scikit-learn analyzer": (
            "tokens",
            "bricolage simple",
            lambda: CountVectorizer().build_analyzer(),
        ),
        "bricolage stopwords": (
            "stop",
            "bricolage stopwords",
            lambda: standard_analyzer(stem=False),
        ),
        "scikit-learn stop": (
            "stop",
            "bricolage stopwords",
            lambda: CountVectorizer(stop_words=sklearn_stop).build_analyzer(),
        ),
        "bricolage standard, cache": ("stop+stem", "bricolage standard, cache", standard_analyzer),
        "nltk snowball, cache": ("stop+stem", "bricolage standard, cache", nltk(cached=True)),
        "bricolage standard, no cache": (
            "stop+stem",
            "bricolage standard, no cache",
            ours_uncached,
        ),
        "nltk snowball, no cache": (
            "stop+stem",
            "bricolage standard, no cache",
            nltk(cached=False),
        ),
    }


def pystemmer_contenders() -> Contenders:
    import Stemmer as PyStemmer

    from bricolage.text import (
        ENGLISH_STOPWORDS,
        Analyzer,
        Normalizer,
        Stemmer,
        StopwordFilter,
        standard_analyzer,
    )

    stop = frozenset(ENGLISH_STOPWORDS)
    word = re.compile(r"\w+")

    def pystemmer(cached: bool) -> Callable[[], Analyze]:
        def build() -> Analyze:
            stemmer = PyStemmer.Stemmer("english")
            if not cached:
                stemmer.maxCacheSize = 0
            stem_words = stemmer.stemWords
            return lambda text: stem_words(
                [t for t in word.findall(text.lower()) if t not in stop]
            )

        return build

    def ours_uncached() -> Analyze:
        return Analyzer(
            normalizer=Normalizer(),
            filters=[StopwordFilter("english"), Stemmer("english", cache_size=0)],
        )

    return {
        "bricolage standard, cache": ("stop+stem", "bricolage standard, cache", standard_analyzer),
        "PyStemmer, its cache": ("stop+stem", "bricolage standard, cache", pystemmer(cached=True)),
        "bricolage standard, no cache": (
            "stop+stem",
            "bricolage standard, no cache",
            ours_uncached,
        ),
        "PyStemmer, no cache": (
            "stop+stem",
            "bricolage standard, no cache",
            pystemmer(cached=False),
        ),
    }


def measure(contenders: Contenders, corpus: list[str], rounds: int) -> dict[str, object]:
    """Every contender once per round, in turn; a fresh analyzer each time."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    terms: dict[str, int] = {}
    for factory in (c[2] for c in contenders.values()):  # warm up imports and regexes
        factory()(corpus[0])
    for _ in range(rounds):
        for name, (_, _, factory) in contenders.items():
            analyze = factory()
            gc.collect()
            start = time.perf_counter()
            count = 0
            for doc in corpus:
                count += len(analyze(doc))
            times[name].append(time.perf_counter() - start)
            terms[name] = count
    peaks: dict[str, float] = {}
    for name, (_, _, factory) in contenders.items():
        analyze = factory()
        gc.collect()
        tracemalloc.start()
        kept = [analyze(doc) for doc in corpus]
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        del kept
    return {
        "times": times,
        "terms": terms,
        "peaks": peaks,
        "steps": {name: c[0] for name, c in contenders.items()},
        "reference": {name: c[1] for name, c in contenders.items()},
    }


def report(title: str, result: dict[str, object], words: int) -> None:
    times: dict[str, list[float]] = result["times"]  # type: ignore[assignment]
    terms: dict[str, int] = result["terms"]  # type: ignore[assignment]
    peaks: dict[str, float] = result["peaks"]  # type: ignore[assignment]
    steps: dict[str, str] = result["steps"]  # type: ignore[assignment]
    reference: dict[str, str] = result["reference"]  # type: ignore[assignment]
    print(title)
    header = (
        f"{'analyzer':30} {'steps':9} {'words/s':>11} {'spread (min-max)':>19} "
        f"{'terms out':>10} {'peak MiB':>8} {'ours/peer (range)':>22}"
    )
    print(header)
    print("-" * len(header))
    for name, runs in times.items():
        speeds = [words / t for t in runs]
        ours = times[reference[name]]
        paired = [peer / mine for mine, peer in zip(ours, runs, strict=True)]
        ratio = (
            ""
            if reference[name] == name
            else f"{statistics.median(paired):.2f}x ({min(paired):.2f}-{max(paired):.2f})"
        )
        print(
            f"{name:30} {steps[name]:9} {statistics.median(speeds):11,.0f} "
            f"{min(speeds):9,.0f}-{max(speeds):<9,.0f} {terms[name]:10,d} "
            f"{peaks[name]:8.1f} {ratio:>22}"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--docs", type=int, default=None, help="only the first N documents (default: all)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus = load_corpus()[: args.docs]
    if args.child:
        sys.modules["Stemmer"] = None  # type: ignore[assignment]  # hide PyStemmer
        import snowballstemmer

        assert "Stemmer" not in repr(snowballstemmer.stemmer), "PyStemmer still in use"
        print(json.dumps(measure(pure_python_contenders(), corpus, args.rounds)))
        return
    words = sum(len(re.findall(r"\w+", doc)) for doc in corpus)
    print(
        f"corpus: Vaswani, {len(corpus):,} documents, {words:,} words; python "
        f"{platform.python_version()}; {args.rounds} interleaved rounds; load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} on a shared machine\n"
    )
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--rounds", str(args.rounds)]
        + ([] if args.docs is None else ["--docs", str(args.docs)]),
        capture_output=True,
        text=True,
        check=True,
    )
    report(
        "1. pure Python: PyStemmer hidden, so snowballstemmer (ours) and NLTK both stem in Python",
        json.loads(child.stdout.strip().splitlines()[-1]),
        words,
    )
    import snowballstemmer

    assert "Stemmer" in repr(snowballstemmer.stemmer), "PyStemmer is not installed"
    report(
        "2. on PyStemmer's C stemmer: ours through snowballstemmer, and PyStemmer called directly",
        measure(pystemmer_contenders(), corpus, args.rounds),
        words,
    )
    print(
        "ours/peer = our time / the peer's time in the same round (the median and range over "
        "rounds); above 1 means we are faster. Rows of one steps column compare with the "
        "bricolage row of the same cache setting."
    )
    print(DIFFERS)


if __name__ == "__main__":
    main()
