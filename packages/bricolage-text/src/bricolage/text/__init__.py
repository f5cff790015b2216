"""Text analysis: normalisation, tokens with positions and offsets, stopwords, stemming.

The building blocks compose into an :class:`Analyzer`, a ``str -> list[str]`` callable
that also yields :class:`Token` objects with positions and character offsets:

>>> from bricolage.text import standard_analyzer
>>> analyzer = standard_analyzer("english")
>>> analyzer("Searching the Archives")
['search', 'archiv']
>>> [tuple(token) for token in analyzer.tokens("Searching the Archives")]
[('search', 0, 0, 9), ('archiv', 2, 14, 22)]
"""

from __future__ import annotations

from importlib.metadata import version as _version

from bricolage.text._analyzer import Analyzer, simple_analyzer, standard_analyzer
from bricolage.text._filters import LengthFilter, StopwordFilter, TermFilter
from bricolage.text._ngrams import char_ngrams, ngrams
from bricolage.text._normalize import Normalizer, fold_accents
from bricolage.text._stem import Stemmer, stemmer_languages
from bricolage.text._stopwords import (
    ENGLISH_STOPWORDS,
    register_stopwords,
    stopword_languages,
    stopwords,
)
from bricolage.text._tokenize import DEFAULT_TOKEN_PATTERN, Token, Tokenizer
from bricolage.text.errors import ConfigurationError, TextError, UnknownLanguageError

__version__ = _version("bricolage-text")

__all__ = [
    "DEFAULT_TOKEN_PATTERN",
    "ENGLISH_STOPWORDS",
    "Analyzer",
    "ConfigurationError",
    "LengthFilter",
    "Normalizer",
    "Stemmer",
    "StopwordFilter",
    "TermFilter",
    "TextError",
    "Token",
    "Tokenizer",
    "UnknownLanguageError",
    "__version__",
    "char_ngrams",
    "fold_accents",
    "ngrams",
    "register_stopwords",
    "simple_analyzer",
    "standard_analyzer",
    "stemmer_languages",
    "stopword_languages",
    "stopwords",
]
