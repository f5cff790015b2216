"""Snowball stemming with a per-stemmer cache."""

from __future__ import annotations

import threading
from collections.abc import Callable

import snowballstemmer  # type: ignore[import-untyped]

from bricolage.text.errors import ConfigurationError, UnknownLanguageError

__all__ = ["Stemmer", "stemmer_languages"]


def stemmer_languages() -> list[str]:
    """The languages Snowball can stem, sorted.

    >>> "english" in stemmer_languages() and "french" in stemmer_languages()
    True
    """
    return sorted(snowballstemmer.algorithms())


class Stemmer:
    """A Snowball stemmer used as an analyzer step (a term filter).

    Called with a list of terms, it returns their stems; empty strings (tokens removed by
    an earlier step) stay empty. Stems are cached, so a word is stemmed once; the cache
    is bounded by ``cache_size`` entries and the stemmer is safe to share between threads.

    Args:
        language: a Snowball language (see :func:`stemmer_languages`).
        cache_size: how many distinct words to remember (``0`` disables the cache).

    >>> stem = Stemmer("english")
    >>> stem(["running", "", "connections"])
    ['run', '', 'connect']
    >>> stem.stem("generously")
    'generous'
    """

    __slots__ = ("_cache", "_cache_size", "_language", "_lock", "_lookup", "_stemmer")

    def __init__(self, language: str = "english", *, cache_size: int = 200_000) -> None:
        if cache_size < 0:
            raise ConfigurationError(f"cache_size must be 0 or more, got {cache_size}")
        key = language.strip().lower()
        if key not in snowballstemmer.algorithms():
            raise UnknownLanguageError(
                f"Snowball has no stemmer for {language!r}; "
                f"choose one of: {', '.join(stemmer_languages())}"
            )
        self._language = key
        self._stemmer = snowballstemmer.stemmer(key)
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._cache: _StemCache = _StemCache(self._stem_uncached, cache_size)
        self._lookup = self._cache.__getitem__

    @property
    def language(self) -> str:
        """The Snowball language.

        >>> Stemmer("French").language
        'french'
        """
        return self._language

    def _stem_uncached(self, word: str) -> str:
        with self._lock:  # a Snowball stemmer keeps state while it works
            stem: str = self._stemmer.stemWord(word)
        return stem

    def stem(self, word: str) -> str:
        """The stem of one word.

        >>> Stemmer("english").stem("ponies")
        'poni'
        """
        return self._lookup(word)

    def __call__(self, terms: list[str]) -> list[str]:
        """Stem every term; empty strings stay empty.

        >>> Stemmer("english")(["cats", "", "dogs"])
        ['cat', '', 'dog']
        """
        return list(map(self._lookup, terms))

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description (see :meth:`bricolage.text.Analyzer.to_dict`).

        >>> Stemmer("english").to_dict()
        {'type': 'stemmer', 'language': 'english'}
        """
        return {"type": "stemmer", "language": self._language}

    def __reduce__(self) -> tuple[object, tuple[str, int]]:
        return (_rebuild, (self._language, self._cache_size))

    def __repr__(self) -> str:
        return f"Stemmer({self._language!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stemmer):
            return NotImplemented
        return self._language == other._language

    def __hash__(self) -> int:
        return hash(("stemmer", self._language))


class _StemCache(dict[str, str]):
    """word -> stem; a miss stems the word and, within the size bound, remembers it."""

    __slots__ = ("_size", "_stem")

    def __init__(self, stem: Callable[[str], str], size: int) -> None:
        super().__init__()
        self._stem = stem
        self._size = size
        self[""] = ""

    def __missing__(self, word: str) -> str:
        stem = self._stem(word)
        if self._size:
            if len(self) >= self._size:
                self.clear()
                self[""] = ""
            self[word] = stem
        return stem


def _rebuild(language: str, cache_size: int) -> Stemmer:
    return Stemmer(language, cache_size=cache_size)
