"""Analyzers: a tokenizer, a normaliser and term filters composed into one callable."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from bricolage.text._filters import LengthFilter, StopwordFilter, TermFilter
from bricolage.text._ngrams import check_ngram_range, ngrams
from bricolage.text._normalize import Normalizer
from bricolage.text._stem import Stemmer
from bricolage.text._tokenize import Token, Tokenizer
from bricolage.text.errors import ConfigurationError

__all__ = ["Analyzer", "simple_analyzer", "standard_analyzer"]


class Analyzer:
    """Text in, terms out: tokenize, normalise each token, then run the term filters.

    Calling an analyzer returns the terms of a text (``str -> list[str]``), the shape
    scikit-learn's ``analyzer=`` parameter and most indexers expect. :meth:`tokens`
    returns the same terms as :class:`Token` objects with their positions and character
    offsets in the original text, for phrase search and highlighting.

    Args:
        tokenizer: splits the text (default: :class:`Tokenizer` with its Unicode word
            pattern).
        normalizer: applied to every token (default: :class:`Normalizer`, i.e. NFKC and
            case folding). Any ``str -> str`` callable fits.
        filters: :class:`TermFilter` steps run in order (stopwords, stemming, ...).
        ngram_range: ``(min_n, max_n)``: also emit word n-grams of the kept terms, in
            scikit-learn's order. ``(1, 1)``, the default, emits single terms only.

    >>> analyzer = Analyzer(filters=[StopwordFilter("english"), Stemmer("english")])
    >>> analyzer("The Runners were running quickly")
    ['runner', 'run', 'quick']
    >>> [tuple(t) for t in analyzer.tokens("The Runners")]
    [('runner', 1, 4, 11)]
    """

    __slots__ = (
        "_ascii_regex",
        "_fast",
        "_filters",
        "_ngram_range",
        "_normalizer",
        "_regex",
        "_tokenizer",
    )

    def __init__(
        self,
        *,
        tokenizer: Tokenizer | None = None,
        normalizer: Callable[[str], str] | None = None,
        filters: Iterable[TermFilter] = (),
        ngram_range: tuple[int, int] = (1, 1),
    ) -> None:
        self._tokenizer = tokenizer if tokenizer is not None else Tokenizer()
        self._normalizer: Callable[[str], str] = (
            normalizer if normalizer is not None else Normalizer()
        )
        self._filters: tuple[TermFilter, ...] = tuple(filters)
        for step in self._filters:
            if not callable(step):
                raise ConfigurationError(
                    f"analyzer filter {step!r} is not callable; a filter maps a list of "
                    "terms to a list of the same length"
                )
        min_n, max_n = ngram_range
        check_ngram_range(min_n, max_n)
        self._ngram_range = (min_n, max_n)
        self._regex = self._tokenizer.regex
        self._ascii_regex = self._tokenizer.ascii_regex
        # ASCII fast path: lower-case the whole text once, then match. Valid when the
        # normaliser is ours (NFKC and accent folding are the identity on ASCII).
        norm = self._normalizer
        self._fast: bool | None = None
        if isinstance(norm, Normalizer):
            if not norm.casefold:
                self._fast = False  # match the text as it is
            elif self._tokenizer.case_insensitive:
                self._fast = True  # match the lower-cased text

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer.

        >>> Analyzer().tokenizer
        Tokenizer()
        """
        return self._tokenizer

    @property
    def normalizer(self) -> Callable[[str], str]:
        """The normaliser applied to every token.

        >>> Analyzer().normalizer
        Normalizer(form='NFKC', casefold=True, fold_accents=False)
        """
        return self._normalizer

    @property
    def filters(self) -> tuple[TermFilter, ...]:
        """The term filters, in the order they run.

        >>> Analyzer(filters=[Stemmer()]).filters
        (Stemmer('english'),)
        """
        return self._filters

    @property
    def ngram_range(self) -> tuple[int, int]:
        """The word n-gram range ``(min_n, max_n)``.

        >>> Analyzer(ngram_range=(1, 2)).ngram_range
        (1, 2)
        """
        return self._ngram_range

    def _normalized(self, text: str) -> list[str]:
        fast = self._fast
        if text.isascii():
            if fast is not None:
                return self._ascii_regex.findall(text.lower() if fast else text)
            words = self._ascii_regex.findall(text)
        else:
            words = self._regex.findall(text)
        norm = self._normalizer
        return [norm(word) for word in words]

    def positional_terms(self, text: str) -> list[str]:
        """The term at each token position, ``""`` where a filter removed the token.

        Entry ``i`` belongs to the ``i``-th token the tokenizer found. This is the
        cheapest way to get terms with positions (an indexer's hot path); n-grams are
        not included.

        >>> standard_analyzer().positional_terms("the cats of Rome")
        ['', 'cat', '', 'rome']
        """
        terms = self._normalized(text)
        for step in self._filters:
            terms = step(terms)
        return terms

    def __call__(self, text: str) -> list[str]:
        """The terms of ``text``, in order (and its n-grams, if configured).

        >>> Analyzer()("Hello, World")
        ['hello', 'world']
        >>> Analyzer(ngram_range=(1, 2))("New York City")
        ['new', 'york', 'city', 'new york', 'york city']
        """
        terms = self._normalized(text)
        for step in self._filters:
            terms = step(terms)
        kept = [term for term in terms if term]
        min_n, max_n = self._ngram_range
        if max_n == 1:
            return kept
        return ngrams(kept, min_n, max_n)

    def tokens(self, text: str) -> Iterator[Token]:
        """Yield the kept terms as :class:`Token` objects with positions and offsets.

        ``start``/``end`` point into ``text`` itself, whatever normalisation changed;
        positions count every token the tokenizer found, so removed tokens leave gaps.
        With an n-gram range, n-grams follow the single terms: an n-gram's position is
        its first word's, and its span runs from its first word's start to its last
        word's end.

        >>> [tuple(t) for t in standard_analyzer().tokens("\\uff21ll the Cats")]
        [('cat', 2, 8, 12)]
        """
        regex = self._ascii_regex if text.isascii() else self._regex
        matches = list(regex.finditer(text))
        norm = self._normalizer
        terms = [norm(match.group()) for match in matches]
        for step in self._filters:
            terms = step(terms)
        kept = [
            Token(term, position, *matches[position].span())
            for position, term in enumerate(terms)
            if term
        ]
        min_n, max_n = self._ngram_range
        if min_n == 1:
            yield from kept
        for n in range(max(min_n, 2), min(max_n, len(kept)) + 1):
            for i in range(len(kept) - n + 1):
                first, last = kept[i], kept[i + n - 1]
                joined = " ".join(token.text for token in kept[i : i + n])
                yield Token(joined, first.position, first.start, last.end)

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description of this analyzer, read back by :meth:`from_dict`.

        Only the built-in parts can be described; a custom normaliser or filter raises
        :class:`~bricolage.text.ConfigurationError`.

        >>> Analyzer(filters=[Stemmer()]).to_dict()["filters"]
        [{'type': 'stemmer', 'language': 'english'}]
        """
        norm = self._normalizer
        if not isinstance(norm, Normalizer):
            raise ConfigurationError(
                f"cannot describe the custom normaliser {norm!r}; only Normalizer can be saved"
            )
        described: list[dict[str, object]] = []
        for step in self._filters:
            if not isinstance(step, StopwordFilter | LengthFilter | Stemmer):
                raise ConfigurationError(
                    f"cannot describe the custom filter {step!r}; only StopwordFilter, "
                    "LengthFilter and Stemmer can be saved"
                )
            described.append(step.to_dict())
        return {
            "tokenizer": self._tokenizer.to_dict(),
            "normalizer": norm.to_dict(),
            "filters": described,
            "ngram_range": list(self._ngram_range),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Analyzer:
        """Rebuild an analyzer from :meth:`to_dict`'s output.

        >>> analyzer = standard_analyzer()
        >>> Analyzer.from_dict(analyzer.to_dict()) == analyzer
        True
        """
        tokenizer = data.get("tokenizer", {})
        normalizer = data.get("normalizer", {})
        filters = data.get("filters", [])
        ngram_range = data.get("ngram_range", [1, 1])
        if not (
            isinstance(tokenizer, dict)
            and isinstance(normalizer, dict)
            and isinstance(filters, list)
            and isinstance(ngram_range, list | tuple)
            and len(ngram_range) == 2
        ):
            raise ConfigurationError(f"not an analyzer description: {data!r}")
        steps: list[TermFilter] = []
        for item in filters:
            steps.append(_filter_from_dict(item))
        return cls(
            tokenizer=Tokenizer.from_dict(tokenizer),
            normalizer=Normalizer.from_dict(normalizer),
            filters=steps,
            ngram_range=(int(ngram_range[0]), int(ngram_range[1])),
        )

    def __repr__(self) -> str:
        return (
            f"Analyzer(tokenizer={self._tokenizer!r}, normalizer={self._normalizer!r}, "
            f"filters={list(self._filters)!r}, ngram_range={self._ngram_range!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Analyzer):
            return NotImplemented
        return (
            self._tokenizer == other._tokenizer
            and self._normalizer == other._normalizer
            and self._filters == other._filters
            and self._ngram_range == other._ngram_range
        )

    def __hash__(self) -> int:
        return hash((self._tokenizer, self._filters, self._ngram_range))


def _filter_from_dict(item: object) -> TermFilter:
    if not isinstance(item, dict):
        raise ConfigurationError(f"not a filter description: {item!r}")
    kind = item.get("type")
    if kind == "stopwords":
        words = item.get("words", [])
        if not isinstance(words, list):
            raise ConfigurationError(f"a stopwords filter needs a list of words: {item!r}")
        return StopwordFilter(str(word) for word in words)
    if kind == "length":
        max_length = item.get("max_length")
        return LengthFilter(
            int(item.get("min_length", 1)), None if max_length is None else int(max_length)
        )
    if kind == "stemmer":
        return Stemmer(str(item.get("language", "english")))
    raise ConfigurationError(
        f"unknown filter type {kind!r} in {item!r}; expected stopwords, length or stemmer"
    )


def standard_analyzer(
    language: str = "english",
    *,
    stopwords: bool | Iterable[str] = True,
    stem: bool = True,
    fold_accents: bool = False,
    min_length: int = 1,
    max_length: int | None = None,
    ngram_range: tuple[int, int] = (1, 1),
) -> Analyzer:
    """The usual analyzer for prose: words, NFKC + case folding, stopwords, Snowball stems.

    Args:
        language: the stopword list and Snowball stemmer to use.
        stopwords: ``True`` for the language's registered list, ``False`` for none, or
            your own words.
        stem: apply the Snowball stemmer for ``language``.
        fold_accents: also remove diacritics (``café`` matches ``cafe``).
        min_length: drop terms shorter than this.
        max_length: drop terms longer than this.
        ngram_range: also emit word n-grams (see :class:`Analyzer`).

    >>> standard_analyzer()("The quick brown foxes jumped over the lazy dogs")
    ['quick', 'brown', 'fox', 'jump', 'lazi', 'dog']
    >>> standard_analyzer(stem=False, stopwords=False)("Les Misérables")
    ['les', 'misérables']
    """
    steps: list[TermFilter] = []
    if min_length > 1 or max_length is not None:
        steps.append(LengthFilter(min_length, max_length))
    if stopwords is True:
        steps.append(StopwordFilter(language))
    elif stopwords is not False:
        steps.append(StopwordFilter(_words(stopwords)))
    if stem:
        steps.append(Stemmer(language))
    return Analyzer(
        normalizer=Normalizer(fold_accents=fold_accents),
        filters=steps,
        ngram_range=ngram_range,
    )


def _words(words: Iterable[str]) -> Sequence[str]:
    if isinstance(words, str):
        raise ConfigurationError(
            f"stopwords must be True, False or an iterable of words, not the string {words!r}"
        )
    return list(words)


def simple_analyzer(*, fold_accents: bool = False) -> Analyzer:
    """Words, NFKC and case folding; nothing removed, nothing stemmed.

    >>> simple_analyzer()("The Quick fox")
    ['the', 'quick', 'fox']
    """
    return Analyzer(normalizer=Normalizer(fold_accents=fold_accents))
