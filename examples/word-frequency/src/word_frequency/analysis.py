"""Reading a folder and computing TF and TF-IDF with their top terms."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import scipy.sparse as sp

from bricolage.tfidf import (
    Report,
    SimilarityIndex,
    TermWeight,
    TfidfVectorizer,
    top_terms,
)

T = TypeVar("T")
Progress = Callable[[Iterable[T], str, int], Iterable[T]]


def no_progress(items: Iterable[T], label: str, total: int) -> Iterable[T]:
    """A progress hook that shows nothing."""
    del label, total
    return items


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """One document: its path, how many terms it has and its top terms by TF and TF-IDF."""

    document: str
    n_tokens: int
    top_tf: tuple[TermWeight, ...]
    top_tfidf: tuple[TermWeight, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    """The result of analysing a folder."""

    documents: tuple[DocumentResult, ...]
    vectorizer: TfidfVectorizer
    tfidf: sp.csr_matrix
    document_ids: tuple[str, ...]

    def report(self, k: int, title: str) -> Report:
        """The TF-IDF report of the analysed folder."""
        return Report.from_matrix(
            self.tfidf,
            self.vectorizer.get_feature_names_out(),
            list(self.document_ids),
            k=k,
            title=title,
            settings=self.vectorizer.get_params()
            | {"preprocessor": None, "tokenizer": None, "analyzer": "word"},
        )

    def index(self) -> SimilarityIndex:
        """A similarity index over the analysed documents."""
        return SimilarityIndex(self.vectorizer, self.tfidf, list(self.document_ids))


def read_folder(folder: Path, pattern: str = "**/*.txt") -> list[Path]:
    """The files below ``folder`` matching ``pattern``, sorted; an error if there are none."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{str(folder)!r} is not a folder")
    paths = sorted(p for p in folder.glob(pattern) if p.is_file())
    if not paths:
        raise FileNotFoundError(f"no file in {str(folder)!r} matches {pattern!r}")
    return paths


def _texts(paths: list[Path], progress: Progress[Path], label: str) -> Iterator[str]:
    for path in progress(paths, label, len(paths)):
        yield path.read_text(encoding="utf-8", errors="replace")


def analyze(
    folder: Path,
    *,
    pattern: str = "**/*.txt",
    k: int = 10,
    tf: str = "raw",
    idf: str | None = "smooth",
    stop_words: str | None = "english",
    ngram_range: tuple[int, int] = (1, 1),
    min_df: int = 1,
    progress: Progress[Path] = no_progress,
) -> Analysis:
    """Read every matching file (streamed, never all held as text), weigh and rank terms."""
    paths = read_folder(folder, pattern)
    ids = tuple(p.relative_to(folder).as_posix() for p in paths)
    common = {"stop_words": stop_words, "ngram_range": ngram_range, "min_df": min_df}
    counts_model = TfidfVectorizer(use_idf=False, norm=None, **common)  # type: ignore[arg-type]
    counts = counts_model.fit_transform(_texts(paths, progress, "counting"))
    vectorizer = TfidfVectorizer(
        tf=tf,  # type: ignore[arg-type]
        use_idf=idf is not None,
        idf=idf,  # type: ignore[arg-type]
        **common,  # type: ignore[arg-type]
    )
    tfidf = vectorizer.fit_transform(_texts(paths, progress, "weighting"))
    tf_names = counts_model.get_feature_names_out()
    tops_tf = top_terms(counts, tf_names, k)
    tops_tfidf = top_terms(tfidf, vectorizer.get_feature_names_out(), k)
    sizes = counts.sum(axis=1).A1.tolist()
    documents = tuple(
        DocumentResult(doc, int(size), tuple(a), tuple(b))
        for doc, size, a, b in zip(ids, sizes, tops_tf, tops_tfidf, strict=True)
    )
    return Analysis(documents, vectorizer, tfidf, ids)
