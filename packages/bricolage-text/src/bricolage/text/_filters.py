"""Term filters: steps that map a list of terms to a list of the same length."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from bricolage.text._stopwords import stopwords as _stopwords
from bricolage.text.errors import ConfigurationError

__all__ = ["LengthFilter", "StopwordFilter", "TermFilter"]


@runtime_checkable
class TermFilter(Protocol):
    """One analysis step after normalisation.

    A filter receives the terms of a text, one per token position, and returns a list of
    the *same length*: a term may be changed (stemmed, say) or removed by replacing it with
    the empty string. Keeping the length keeps every other term's position, so phrase
    queries still see the gap a removed stopword left.

    Any callable with this signature fits:

    >>> def no_digits(terms: list[str]) -> list[str]:
    ...     return ["" if term.isdigit() else term for term in terms]
    >>> isinstance(no_digits, TermFilter)
    True
    >>> no_digits(["route", "66"])
    ['route', '']
    """

    def __call__(self, terms: list[str], /) -> list[str]:
        """Map ``terms`` to a list of the same length; ``""`` removes a term."""
        ...


class StopwordFilter:
    """Remove stopwords (replace them with ``""``).

    Args:
        words: the words to remove, or a language name whose registered list to use
            (see :func:`bricolage.text.stopwords`).

    >>> StopwordFilter("english")(["the", "cat", "sat", "on", "the", "mat"])
    ['', 'cat', 'sat', '', '', 'mat']
    >>> StopwordFilter({"cat"})(["the", "cat"])
    ['the', '']
    """

    __slots__ = ("_language", "_words")

    def __init__(self, words: str | Iterable[str] = "english") -> None:
        if isinstance(words, str):
            self._language: str | None = words
            self._words = _stopwords(words)
        else:
            self._language = None
            self._words = frozenset(words)

    @property
    def words(self) -> frozenset[str]:
        """The words this filter removes.

        >>> "the" in StopwordFilter().words
        True
        """
        return self._words

    def __call__(self, terms: list[str]) -> list[str]:
        """Replace the stopwords in ``terms`` by ``""``.

        >>> StopwordFilter()(["a", "b"])
        ['', 'b']
        """
        words = self._words
        return ["" if term in words else term for term in terms]

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description (see :meth:`bricolage.text.Analyzer.to_dict`).

        >>> StopwordFilter({"b", "a"}).to_dict()
        {'type': 'stopwords', 'words': ['a', 'b']}
        """
        return {"type": "stopwords", "words": sorted(self._words)}

    def __repr__(self) -> str:
        if self._language is not None:
            return f"StopwordFilter({self._language!r})"
        return f"StopwordFilter(<{len(self._words)} words>)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StopwordFilter):
            return NotImplemented
        return self._words == other._words

    def __hash__(self) -> int:
        return hash(self._words)


class LengthFilter:
    """Remove terms shorter than ``min_length`` or longer than ``max_length`` characters.

    >>> LengthFilter(min_length=2, max_length=5)(["a", "ab", "abcdef"])
    ['', 'ab', '']
    """

    __slots__ = ("_max", "_min")

    def __init__(self, min_length: int = 1, max_length: int | None = None) -> None:
        if min_length < 0:
            raise ConfigurationError(f"min_length must be 0 or more, got {min_length}")
        if max_length is not None and max_length < min_length:
            raise ConfigurationError(
                f"min_length {min_length} is greater than max_length {max_length}; "
                "no term could pass"
            )
        self._min = min_length
        self._max = max_length

    def __call__(self, terms: list[str]) -> list[str]:
        """Replace the terms outside the bounds by ``""``.

        >>> LengthFilter(3)(["to", "too"])
        ['', 'too']
        """
        low, high = self._min, self._max
        if high is None:
            return [term if len(term) >= low else "" for term in terms]
        return [term if low <= len(term) <= high else "" for term in terms]

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description (see :meth:`bricolage.text.Analyzer.to_dict`).

        >>> LengthFilter(2).to_dict()
        {'type': 'length', 'min_length': 2, 'max_length': None}
        """
        return {"type": "length", "min_length": self._min, "max_length": self._max}

    def __repr__(self) -> str:
        return f"LengthFilter(min_length={self._min}, max_length={self._max})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LengthFilter):
            return NotImplemented
        return (self._min, self._max) == (other._min, other._max)

    def __hash__(self) -> int:
        return hash(("length", self._min, self._max))
