"""Stopword lists: English built in, other languages registered by the user."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from bricolage.text.errors import ConfigurationError, UnknownLanguageError

__all__ = ["ENGLISH_STOPWORDS", "register_stopwords", "stopword_languages", "stopwords"]

#: Frequent English function words: articles, pronouns, auxiliaries, prepositions,
#: conjunctions and a few adverbs. Content words ("computer", "new", "first") are kept.
ENGLISH_STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    either else ever few for from further had has have having he her here hers herself him
    himself his how however i if in into is it its itself just may me might more most must
    my myself neither no nor not of off on once only onto or other our ours ourselves out
    over own per same shall she should so some such than that the their theirs them
    themselves then there these they this those through thus to too under until up upon us
    very via was we were what when where whether which while who whom whose why will with
    within without would yet you your yours yourself yourselves
    """.split()  # noqa: SIM905 - a word list reads best as words
)

_lock = threading.Lock()
_registry: dict[str, frozenset[str]] = {"english": ENGLISH_STOPWORDS}
_ALIASES = {"en": "english"}


def _key(language: str) -> str:
    key = language.strip().lower()
    return _ALIASES.get(key, key)


def stopwords(language: str = "english") -> frozenset[str]:
    """The stopword list registered for ``language`` (``"english"`` or ``"en"`` built in).

    >>> "the" in stopwords("english"), "physics" in stopwords("en")
    (True, False)
    """
    key = _key(language)
    with _lock:
        found = _registry.get(key)
        known = sorted(_registry)
    if found is None:
        raise UnknownLanguageError(
            f"no stopword list is registered for {language!r}; known: {', '.join(known)}; "
            "add one with register_stopwords(language, words)"
        )
    return found


def register_stopwords(language: str, words: Iterable[str], *, replace: bool = False) -> None:
    """Register (or, with ``replace=True``, replace) the stopword list for ``language``.

    The words are stored as given; normalise them the way your analyzer normalises
    tokens (lower case, usually).

    >>> register_stopwords("pirate", ["arr", "ye", "matey"], replace=True)
    >>> sorted(stopwords("pirate"))
    ['arr', 'matey', 'ye']
    """
    key = _key(language)
    if not key:
        raise ConfigurationError(f"a stopword language needs a name, got {language!r}")
    if isinstance(words, str):
        raise ConfigurationError(
            f"stopwords must be an iterable of words, not one string ({words[:30]!r}); "
            "split it first"
        )
    frozen = frozenset(words)
    with _lock:
        if key in _registry and not replace:
            raise ConfigurationError(
                f"a stopword list for {language!r} is already registered; "
                "pass replace=True to replace it"
            )
        _registry[key] = frozen


def stopword_languages() -> list[str]:
    """The languages that have a stopword list, sorted.

    >>> "english" in stopword_languages()
    True
    """
    with _lock:
        return sorted(_registry)
