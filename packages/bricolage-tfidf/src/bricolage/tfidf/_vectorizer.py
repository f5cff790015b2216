"""The vectorizer: counts, document frequencies, TF and IDF variants, CSR output."""

import logging
import numbers
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from bricolage.tfidf._analysis import (
    DEFAULT_TOKEN_PATTERN,
    AccentMode,
    char_ngrams,
    char_wb_ngrams,
    check_document,
    compile_token_pattern,
    resolve_stop_words,
    strip_accents_ascii,
    strip_accents_unicode,
    word_ngrams,
)
from bricolage.tfidf._counting import Lexicon, WordAnalysis
from bricolage.tfidf._weighting import (
    IDF_KINDS,
    TF_KINDS,
    IdfKind,
    NormKind,
    TfKind,
    apply_tf,
    as_csr,
    idf_weights,
    normalize_rows,
)
from bricolage.tfidf.errors import ConfigurationError, EmptyVocabularyError, NotFittedError

__all__ = ["TfidfVectorizer"]

_log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.floating]


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_df(name: str, value: object) -> float | int:
    if _is_int(value):
        assert isinstance(value, numbers.Integral)
        if int(value) < 0:
            raise ConfigurationError(f"{name}={value!r} must be >= 0 (a document count)")
        return int(value)
    if isinstance(value, float) and 0.0 <= value <= 1.0:
        return value
    raise ConfigurationError(
        f"{name}={value!r} must be an int (a number of documents) or a float in [0.0, 1.0] "
        "(a proportion of documents)"
    )


def _batches(documents: Iterable[object], size: int) -> Iterator[list[object]]:
    if isinstance(documents, str | bytes):
        raise ConfigurationError(
            "expected an iterable of documents, got a single "
            f"{type(documents).__name__}: wrap it in a list, e.g. [text]"
        )
    iterator = iter(documents)
    while batch := list(islice(iterator, size)):
        yield batch


class _Model:
    """What a fitted vectorizer knows: names, document frequencies, idf, column map."""

    __slots__ = ("column_of", "df", "idf", "n_documents", "names")

    def __init__(
        self,
        names: list[str],
        df: IntArray,
        n_documents: int,
        idf: FloatArray | None,
        column_of: IntArray,
    ) -> None:
        self.names = names
        self.df = df
        self.n_documents = n_documents
        self.idf = idf
        self.column_of = column_of


class TfidfVectorizer:
    """Turn documents into a sparse matrix of TF-IDF weights.

    The parameters and their meaning are scikit-learn's ``TfidfVectorizer``'s, and with
    the same parameters the result agrees with it (same columns, same values to 1e-12,
    CSR with the same dtype). Beyond it, ``tf`` and ``idf`` choose other weighting
    schemes, ``partial_fit`` learns from a stream in pieces, and ``transform_batches``
    transforms a stream without holding its matrix.

    Args:
        lowercase: Lower-case documents before tokenizing (word and char analysis).
        strip_accents: ``"ascii"``, ``"unicode"`` or ``None``.
        preprocessor: Replaces lower-casing and accent stripping when given.
        tokenizer: Replaces ``token_pattern`` when given: ``str -> list[str]``.
        analyzer: ``"word"``, ``"char"``, ``"char_wb"`` or any callable ``str -> list[str]``
            (an :class:`~bricolage.tfidf.Analyzer`). A callable receives the raw document
            and does all the analysis itself.
        stop_words: ``"english"`` (the 318-word list scikit-learn uses), an iterable of
            words, or ``None``. Stop words are removed before n-grams are formed.
        token_pattern: The regular expression of a token; with one capturing group, the
            group is the token. ``None`` is allowed with a ``tokenizer``.
        ngram_range: ``(min_n, max_n)``: word n-grams (or character n-grams for
            ``"char"``/``"char_wb"``) of these lengths.
        max_df: Drop terms found in more documents than this: an int (documents) or a
            float in [0, 1] (a proportion of the documents).
        min_df: Drop terms found in fewer documents than this, same units.
        max_features: Keep only this many terms, those with the highest total count.
        vocabulary: A fixed vocabulary: a mapping term -> column, or an iterable of terms
            (columns in order). ``min_df``, ``max_df`` and ``max_features`` are then
            ignored.
        binary: Count every present term once (before the TF weighting).
        dtype: ``numpy.float64`` or ``numpy.float32``, the dtype of the output.
        norm: ``"l2"``, ``"l1"`` or ``None``: each output row scaled to unit norm.
        use_idf: Multiply by the inverse document frequency.
        smooth_idf: ``ln((1 + n) / (1 + df)) + 1`` instead of ``ln(n / df) + 1``.
        sublinear_tf: ``1 + ln(tf)`` instead of ``tf``.
        tf: A TF variant by name (``"raw"``, ``"frequency"``, ``"log"``, ``"boolean"``,
            ``"augmented"``); overrides ``sublinear_tf`` (which must then stay ``False``
            unless ``tf="log"``).
        idf: An IDF variant by name (``"plain"``, ``"smooth"``, ``"probabilistic"``);
            overrides ``smooth_idf``. Needs ``use_idf=True``.
        batch_size: How many documents are analysed together; memory, not results,
            depends on it.

    >>> vectorizer = TfidfVectorizer()
    >>> matrix = vectorizer.fit_transform(["the cat sat", "the dog sat down"])
    >>> vectorizer.get_feature_names_out().tolist()
    ['cat', 'dog', 'down', 'sat', 'the']
    >>> matrix.shape, matrix.dtype.name
    ((2, 5), 'float64')
    >>> round(float(matrix[0, 0]), 4)
    0.7049
    """

    def __init__(
        self,
        *,
        lowercase: bool = True,
        strip_accents: AccentMode | None = None,
        preprocessor: Callable[[str], str] | None = None,
        tokenizer: Callable[[str], list[str]] | None = None,
        analyzer: Literal["word", "char", "char_wb"] | Callable[[str], list[str]] = "word",
        stop_words: str | Iterable[str] | None = None,
        token_pattern: str | None = DEFAULT_TOKEN_PATTERN,
        ngram_range: tuple[int, int] = (1, 1),
        max_df: float | int = 1.0,
        min_df: float | int = 1,
        max_features: int | None = None,
        vocabulary: Mapping[str, int] | Iterable[str] | None = None,
        binary: bool = False,
        dtype: type[np.floating] = np.float64,
        norm: NormKind | None = "l2",
        use_idf: bool = True,
        smooth_idf: bool = True,
        sublinear_tf: bool = False,
        tf: TfKind | None = None,
        idf: IdfKind | None = None,
        batch_size: int = 2048,
    ) -> None:
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.analyzer = analyzer
        self.stop_words = stop_words
        self.token_pattern = token_pattern
        self.ngram_range = ngram_range
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf
        self.tf = tf
        self.idf = idf
        self.batch_size = batch_size
        self._validate()
        self._reset()

    # -- parameters ------------------------------------------------------------------------

    def _validate(self) -> None:
        if self.norm not in ("l1", "l2", None):
            raise ConfigurationError(f"norm={self.norm!r} must be 'l1', 'l2' or None")
        if self.strip_accents not in ("ascii", "unicode", None):
            raise ConfigurationError(
                f"strip_accents={self.strip_accents!r} must be 'ascii', 'unicode' or None"
            )
        if not callable(self.analyzer) and self.analyzer not in ("word", "char", "char_wb"):
            raise ConfigurationError(
                f"analyzer={self.analyzer!r} must be 'word', 'char', 'char_wb' or a callable "
                "str -> list[str]"
            )
        low_high: object = self.ngram_range
        if (
            not isinstance(low_high, tuple)
            or len(low_high) != 2
            or not all(_is_int(n) for n in low_high)
            or not 1 <= int(low_high[0]) <= int(low_high[1])
        ):
            raise ConfigurationError(
                f"ngram_range={low_high!r} must be a tuple (min_n, max_n) of ints with "
                "1 <= min_n <= max_n"
            )
        self._max_df = _check_df("max_df", self.max_df)
        self._min_df = _check_df("min_df", self.min_df)
        if self.max_features is not None and (
            not _is_int(self.max_features) or self.max_features < 1
        ):
            raise ConfigurationError(
                f"max_features={self.max_features!r} must be a positive int or None"
            )
        if self.dtype not in (np.float64, np.float32):
            raise ConfigurationError(
                f"dtype={self.dtype!r} must be numpy.float64 or numpy.float32"
            )
        if self.tf is not None and self.tf not in TF_KINDS:
            raise ConfigurationError(f"tf={self.tf!r} must be one of {', '.join(TF_KINDS)}")
        if self.tf is not None and self.sublinear_tf and self.tf != "log":
            raise ConfigurationError(
                f"tf={self.tf!r} contradicts sublinear_tf=True (which means tf='log'); "
                "set only one of them"
            )
        if self.idf is not None and self.idf not in IDF_KINDS:
            raise ConfigurationError(f"idf={self.idf!r} must be one of {', '.join(IDF_KINDS)}")
        if self.idf is not None and not self.use_idf:
            raise ConfigurationError(f"idf={self.idf!r} needs use_idf=True")
        if not _is_int(self.batch_size) or self.batch_size < 1:
            raise ConfigurationError(f"batch_size={self.batch_size!r} must be a positive int")
        if self.token_pattern is None:
            if self.analyzer == "word" and self.tokenizer is None:
                raise ConfigurationError(
                    "token_pattern=None needs a tokenizer (or a non-word analyzer)"
                )
        elif not isinstance(self.token_pattern, str):
            raise ConfigurationError(f"token_pattern={self.token_pattern!r} must be a str")
        self._stop = resolve_stop_words(self.stop_words)
        self._fixed = self._check_vocabulary(self.vocabulary)
        self._analysis = self._make_analysis()

    @staticmethod
    def _check_vocabulary(
        vocabulary: Mapping[str, int] | Iterable[str] | None,
    ) -> dict[str, int] | None:
        if vocabulary is None:
            return None
        if isinstance(vocabulary, str):
            raise ConfigurationError(
                "vocabulary must be a mapping or an iterable of terms, not a single str"
            )
        if isinstance(vocabulary, Mapping):
            fixed = {str(term): int(index) for term, index in vocabulary.items()}
            indices = sorted(fixed.values())
            if len(set(indices)) != len(indices):
                raise ConfigurationError("vocabulary maps two terms to the same column")
            for expected, index in enumerate(indices):
                if index != expected:
                    raise ConfigurationError(
                        f"vocabulary of size {len(indices)} does not contain column {expected}; "
                        "columns must be 0..n-1"
                    )
        else:
            fixed = {}
            for term in vocabulary:
                if term in fixed:
                    raise ConfigurationError(f"vocabulary holds the term {term!r} twice")
                fixed[term] = len(fixed)
        if not fixed:
            raise ConfigurationError("vocabulary is empty; give at least one term or None")
        return fixed

    def _preprocess(self) -> Callable[[str], str] | None:
        if self.preprocessor is not None:
            return self.preprocessor
        strip: Callable[[str], str] | None = None
        if self.strip_accents == "ascii":
            strip = strip_accents_ascii
        elif self.strip_accents == "unicode":
            strip = strip_accents_unicode
        if strip is None:
            return str.lower if self.lowercase else None
        if not self.lowercase:
            return strip
        accents = strip
        return lambda text: accents(text.lower())

    def _make_analysis(self) -> WordAnalysis | Callable[[str], list[str]]:
        analyzer = self.analyzer
        if callable(analyzer):
            return analyzer
        preprocess = self._preprocess()
        low_high = self.ngram_range
        if analyzer == "word":
            tokenize = self.tokenizer or compile_token_pattern(self.token_pattern or "")
            if preprocess is not None:
                split, prepare = tokenize, preprocess
                tokenize = lambda text: split(prepare(text))  # noqa: E731
            return WordAnalysis(tokenize, self._stop, low_high)
        grams = char_ngrams if analyzer == "char" else char_wb_ngrams
        if preprocess is None:
            return lambda text: grams(text, low_high)
        prep = preprocess
        return lambda text: grams(prep(text), low_high)

    @property
    def tf_kind(self) -> TfKind:
        """The TF variant in force (``tf``, or what ``sublinear_tf`` implies).

        >>> TfidfVectorizer(sublinear_tf=True).tf_kind
        'log'
        """
        if self.tf is not None:
            return self.tf
        return "log" if self.sublinear_tf else "raw"

    @property
    def idf_kind(self) -> IdfKind | None:
        """The IDF variant in force, or ``None`` without IDF.

        >>> TfidfVectorizer(smooth_idf=False).idf_kind
        'plain'
        """
        if not self.use_idf:
            return None
        if self.idf is not None:
            return self.idf
        return "smooth" if self.smooth_idf else "plain"

    def build_analyzer(self) -> Callable[[str], list[str]]:
        """The whole analysis of one document, as a function ``str -> list[str]``.

        >>> TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()("Hello big World")
        ['hello', 'big', 'world', 'hello big', 'big world']
        """
        analysis = self._analysis
        if not isinstance(analysis, WordAnalysis):
            inner = analysis
            return lambda text: list(inner(check_document(text)))
        tokenize, stop, low_high = analysis.tokenize, analysis.stop_words, analysis.ngram_range
        return lambda text: word_ngrams(tokenize(check_document(text)), low_high, stop)

    # -- state --------------------------------------------------------------------------------

    def _reset(self) -> None:
        self._lexicon = Lexicon(self._analysis, self._fixed)
        self._df: IntArray = np.zeros(0, dtype=np.int64)
        self._totals: IntArray = np.zeros(0, dtype=np.int64)
        self._n_documents = 0
        self._model: _Model | None = None
        self._restored: _Model | None = None

    def _observe(self, counts: sp.csr_matrix) -> None:
        width = counts.shape[1]
        if len(self._df) < width:
            extra = width - len(self._df)
            self._df = np.concatenate([self._df, np.zeros(extra, dtype=np.int64)])
            self._totals = np.concatenate([self._totals, np.zeros(extra, dtype=np.int64)])
        present = np.bincount(counts.indices, minlength=width)
        self._df[:width] += present
        if self.binary:
            self._totals[:width] += present
        else:
            self._totals[:width] += np.bincount(
                counts.indices, weights=counts.data, minlength=width
            ).astype(np.int64)
        self._n_documents += counts.shape[0]
        self._model = None

    def _fitted(self) -> _Model:
        if self._restored is not None:
            return self._restored
        if self._model is None:
            if self._n_documents == 0:
                raise NotFittedError(
                    "this TfidfVectorizer is not fitted yet; call fit(), fit_transform() or "
                    "partial_fit() with documents first"
                )
            self._model = self._finalize()
        return self._model

    def _check_not_empty(self, method: str) -> None:
        if self._n_documents == 0 and self._restored is None:
            raise EmptyVocabularyError(
                f"the corpus is empty: {method}() got no document, so there is nothing to "
                "learn a vocabulary from; pass at least one document"
            )

    def _finalize(self) -> _Model:
        lexicon = self._lexicon
        width = lexicon.n_columns
        df = np.zeros(width, dtype=np.int64)
        df[: min(width, len(self._df))] = self._df[:width]
        n = self._n_documents
        if self._fixed is not None:
            kept = np.arange(width, dtype=np.int64)
        else:
            if width == 0:
                raise EmptyVocabularyError(
                    "empty vocabulary: the documents hold no term (perhaps only stop words, "
                    "or tokens shorter than the token_pattern allows)"
                )
            names = lexicon.names
            order = np.asarray(sorted(range(width), key=names.__getitem__), dtype=np.int64)
            high = self._max_df if _is_int(self._max_df) else self._max_df * n
            low = self._min_df if _is_int(self._min_df) else self._min_df * n
            if high < low and _is_int(self._max_df) == _is_int(self._min_df):
                # Both in documents or both fractions: no corpus can satisfy them.
                raise ConfigurationError(
                    f"max_df={self.max_df!r} corresponds to fewer documents than "
                    f"min_df={self.min_df!r} for {n} documents"
                )
            dfs = df[order]
            mask = (dfs <= high) & (dfs >= low)
            if not mask.any():
                raise EmptyVocabularyError(_pruned_everything(self.min_df, self.max_df, dfs, n))
            limit = self.max_features
            if limit is not None and int(mask.sum()) > limit:
                totals = np.zeros(width, dtype=np.int64)
                totals[: min(width, len(self._totals))] = self._totals[:width]
                ranked = (-totals[order][mask]).argsort()[:limit]
                chosen = np.zeros(width, dtype=bool)
                chosen[np.flatnonzero(mask)[ranked]] = True
                mask = chosen
            kept = order[mask]
        names_out = list(map(lexicon.names.__getitem__, kept.tolist()))
        column_of = np.full(width, -1, dtype=np.int64)
        column_of[kept] = np.arange(len(kept), dtype=np.int64)
        kind = self.idf_kind
        idf = None if kind is None else idf_weights(df[kept], n, kind, self.dtype)
        return _Model(names_out, df[kept], n, idf, column_of)

    # -- fitting and transforming ---------------------------------------------------------------

    def fit(self, documents: Iterable[str]) -> "TfidfVectorizer":
        """Learn the vocabulary and the IDF from ``documents`` (any iterable, read once).

        Only the vocabulary statistics are kept, never the documents: a generator over a
        large corpus is fine. An empty vocabulary (after stop words or pruning) is an error
        here; :meth:`partial_fit` reports it only when the model is used.

        >>> TfidfVectorizer().fit(iter(["a bb cc", "bb dd"])).vocabulary_
        {'bb': 0, 'cc': 1, 'dd': 2}
        """
        self._reset()
        self.partial_fit(documents)
        self._check_not_empty("fit")
        self._fitted()  # surface pruning errors now, as scikit-learn does
        return self

    def partial_fit(self, documents: Iterable[str]) -> "TfidfVectorizer":
        """Add ``documents`` to what the vectorizer has learnt, without forgetting it.

        ``fit(a + b)`` equals ``fit(a)`` followed by ``partial_fit(b)``; so does any split
        of a stream into pieces.

        >>> vectorizer = TfidfVectorizer().partial_fit(["red apple"]).partial_fit(["green"])
        >>> vectorizer.n_documents_, vectorizer.get_feature_names_out().tolist()
        (2, ['apple', 'green', 'red'])
        """
        if self._restored is not None:
            raise ConfigurationError(
                "a loaded model keeps no counts to update; fit a new vectorizer instead"
            )
        for batch in _batches(documents, self.batch_size):
            counts, _ = self._lexicon.count(batch, grow=True)
            self._observe(counts)
        _log.debug("learnt from %d documents", self._n_documents)
        return self

    def fit_transform(self, documents: Iterable[str]) -> sp.csr_matrix:
        """``fit`` then ``transform`` in one pass over ``documents`` (any iterable).

        >>> TfidfVectorizer(norm=None).fit_transform(["a bb bb"]).toarray().tolist()
        [[2.0]]
        """
        self._reset()
        parts: list[tuple[sp.csr_matrix, IntArray]] = []
        for batch in _batches(documents, self.batch_size):
            counts, lengths = self._lexicon.count(batch, grow=True)
            self._observe(counts)
            parts.append((counts, lengths))
        self._check_not_empty("fit_transform")
        model = self._fitted()
        # Weigh batch by batch straight into the output arrays, freeing each batch's counts.
        n_rows = sum(counts.shape[0] for counts, _ in parts)
        n_values = sum(int((model.column_of[counts.indices] >= 0).sum()) for counts, _ in parts)
        index = np.int32 if max(n_values, len(model.names)) < 2**31 else np.int64
        data = np.empty(n_values, dtype=self.dtype)
        indices = np.empty(n_values, dtype=index)
        indptr = np.zeros(n_rows + 1, dtype=index)
        row = value = 0
        parts.reverse()
        while parts:
            counts, lengths = parts.pop()
            block = self._weigh(counts, lengths, model)
            del counts
            rows, size = block.shape[0], block.nnz
            data[value : value + size] = block.data
            indices[value : value + size] = block.indices
            indptr[row + 1 : row + rows + 1] = block.indptr[1:] + value
            row, value = row + rows, value + size
        shape = (n_rows, len(model.names))
        return as_csr((data, indices, indptr), shape=shape)

    def transform(self, documents: Iterable[str]) -> sp.csr_matrix:
        """The TF-IDF matrix of ``documents`` over the learnt vocabulary.

        Terms outside the vocabulary are ignored; a document without any known term gives
        an empty row.

        >>> vectorizer = TfidfVectorizer().fit(["red apple", "green apple"])
        >>> vectorizer.transform(["apple pie"]).toarray().round(3).tolist()
        [[1.0, 0.0, 0.0]]
        """
        blocks = list(self.transform_batches(documents))
        if not blocks:
            return sp.csr_matrix((0, len(self._fitted().names)), dtype=self.dtype)
        if len(blocks) == 1:
            return blocks[0]
        return sp.csr_matrix(sp.vstack(blocks, format="csr"))

    def transform_batches(
        self, documents: Iterable[str], batch_size: int | None = None
    ) -> Iterator[sp.csr_matrix]:
        """Transform a stream lazily: one CSR block per ``batch_size`` documents.

        >>> vectorizer = TfidfVectorizer().fit(["a bb", "cc dd"])
        >>> [block.shape for block in vectorizer.transform_batches(["bb", "cc", "dd"], 2)]
        [(2, 3), (1, 3)]
        """
        model = self._fitted()
        size = self.batch_size if batch_size is None else batch_size
        if not _is_int(size) or size < 1:
            raise ConfigurationError(f"batch_size={size!r} must be a positive int")
        lexicon = self._lexicon
        for batch in _batches(documents, size):
            counts, lengths = lexicon.count(batch, grow=False)
            yield self._weigh(counts, lengths, model)

    def _weigh(self, counts: sp.csr_matrix, lengths: IntArray, model: _Model) -> sp.csr_matrix:
        """Map lexicon columns to output columns, then TF, IDF and the row norm."""
        n_rows, n_out = counts.shape[0], len(model.names)
        columns = model.column_of[counts.indices]
        keep = columns >= 0
        indptr = counts.indptr
        values = counts.data
        if not keep.all():
            indptr = np.concatenate(([0], np.cumsum(keep)))[indptr]
            columns = columns[keep]
            values = values[keep]
        index = np.int32 if max(n_out, len(values)) < 2**31 else np.int64
        weights = sp.csr_matrix(
            (values.astype(self.dtype), columns.astype(index), indptr.astype(index)),
            shape=(n_rows, n_out),
        )
        del columns, keep, values
        weights.sort_indices()
        if self.binary:
            weights.data[:] = 1.0
        apply_tf(weights, self.tf_kind, lengths)
        if model.idf is not None:
            weights.data *= model.idf[weights.indices]
        return normalize_rows(weights, self.norm)

    # -- fitted attributes ------------------------------------------------------------------

    @property
    def vocabulary_(self) -> dict[str, int]:
        """Each term of the learnt (or given) vocabulary, mapped to its column.

        >>> TfidfVectorizer().fit(["bb aa"]).vocabulary_
        {'aa': 0, 'bb': 1}
        """
        return {name: i for i, name in enumerate(self._fitted().names)}

    @property
    def idf_(self) -> FloatArray:
        """The inverse document frequency of each column (needs ``use_idf=True``).

        >>> TfidfVectorizer().fit(["aa bb", "aa"]).idf_.round(4).tolist()
        [1.0, 1.4055]
        """
        idf = self._fitted().idf
        if idf is None:
            raise NotFittedError("idf_ is only defined with use_idf=True")
        return idf.copy()

    @property
    def document_frequency_(self) -> IntArray:
        """How many fitted documents hold each column's term.

        >>> TfidfVectorizer().fit(["aa bb", "aa"]).document_frequency_.tolist()
        [2, 1]
        """
        return self._fitted().df.copy()

    @property
    def n_documents_(self) -> int:
        """How many documents the vectorizer has learnt from.

        >>> TfidfVectorizer().fit(["aa", "bb", "cc"]).n_documents_
        3
        """
        return self._fitted().n_documents

    @property
    def fixed_vocabulary_(self) -> bool:
        """Whether the vocabulary was given rather than learnt.

        >>> TfidfVectorizer(vocabulary=["aa"]).fixed_vocabulary_
        True
        """
        return self._fixed is not None

    def get_feature_names_out(self) -> npt.NDArray[np.object_]:
        """The term of each column, in column order (an array of ``str`` objects).

        >>> TfidfVectorizer().fit(["bb aa"]).get_feature_names_out().tolist()
        ['aa', 'bb']
        """
        return np.asarray(self._fitted().names, dtype=object)

    def _restore(
        self,
        names: list[str],
        df: IntArray,
        n_documents: int,
        idf: FloatArray | None,
    ) -> None:
        """Take the fitted state read from a model file."""
        self._reset()
        self._lexicon = Lexicon(self._analysis, {name: i for i, name in enumerate(names)})
        column_of = np.arange(len(names), dtype=np.int64)
        weights = None if idf is None else idf.astype(self.dtype)
        self._restored = _Model(list(names), df, n_documents, weights, column_of)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted vectorizer to ``path`` (a versioned ZIP of JSON and ``.npy``).

        >>> from bricolage.tfidf import TfidfVectorizer
        >>> import pathlib, tempfile
        >>> vectorizer = TfidfVectorizer(ngram_range=(1, 2)).fit(["big red apple"])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = vectorizer.save(pathlib.Path(folder, "model.btfidf"))
        ...     loaded = TfidfVectorizer.load(path)
        >>> (loaded.transform(["red apple"]) != vectorizer.transform(["red apple"])).nnz
        0
        """
        from bricolage.tfidf._persist import save_model

        return save_model(self, path)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], **callables: Callable[..., Any]
    ) -> "TfidfVectorizer":
        """Load a vectorizer saved with :meth:`save` (see :func:`~bricolage.tfidf.load_model`)."""
        from bricolage.tfidf._persist import load_model

        return load_model(path, **callables)

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters, as given.

        >>> TfidfVectorizer(norm="l1").get_params()["norm"]
        'l1'
        """
        return {name: getattr(self, name) for name in _PARAMETERS}

    def __repr__(self) -> str:
        defaults = TfidfVectorizer.__init__.__kwdefaults__ or {}
        shown = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if name != "vocabulary" and defaults.get(name, object()) != value
        ]
        return f"TfidfVectorizer({', '.join(shown)})"


_PARAMETERS = (
    "lowercase",
    "strip_accents",
    "preprocessor",
    "tokenizer",
    "analyzer",
    "stop_words",
    "token_pattern",
    "ngram_range",
    "max_df",
    "min_df",
    "max_features",
    "vocabulary",
    "binary",
    "dtype",
    "norm",
    "use_idf",
    "smooth_idf",
    "sublinear_tf",
    "tf",
    "idf",
    "batch_size",
)


def _pruned_everything(min_df: float, max_df: float, dfs: IntArray, n: int) -> str:
    """Why pruning by document frequency left no term, with the numbers that decided it."""
    low = min_df if _is_int(min_df) else min_df * n
    high = max_df if _is_int(max_df) else max_df * n
    found = f"the {len(dfs)} terms found are in {int(dfs.min())} to {int(dfs.max())} documents"
    if low > n:
        reason = (
            f"min_df={min_df!r} keeps only terms found in at least {low:g} documents, but the "
            f"corpus has {n}; lower min_df"
        )
    elif high < low:
        reason = (
            f"min_df={min_df!r} (at least {low:g} documents) and max_df={max_df!r} (at most "
            f"{high:g} of these {n} documents) leave no room for any term; lower min_df or "
            "raise max_df"
        )
    else:
        reason = (
            f"min_df={min_df!r} and max_df={max_df!r} keep terms found in {low:g} to "
            f"{high:g} of the {n} documents; lower min_df or raise max_df"
        )
    return f"pruning by document frequency removed every term: {reason} ({found})"
