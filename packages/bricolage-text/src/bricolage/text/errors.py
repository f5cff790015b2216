"""Errors raised by :mod:`bricolage.text`.

Every error derives from :class:`TextError`; each specific error also inherits the
built-in exception it refines, so a generic ``except ValueError`` still catches it::

    TextError (Exception)
    ├── ConfigurationError (TextError, ValueError)
    │       a bad parameter: an n-gram range, a pattern, a length bound
    └── UnknownLanguageError (TextError, LookupError)
            no stemmer or stopword list is registered for that language

>>> from bricolage.text import Stemmer
>>> try:
...     Stemmer("klingon")
... except LookupError as error:
...     print(type(error).__name__)
UnknownLanguageError
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "TextError", "UnknownLanguageError"]


class TextError(Exception):
    """The base of every error raised by :mod:`bricolage.text`.

    >>> from bricolage.text import ConfigurationError, TextError
    >>> issubclass(ConfigurationError, TextError)
    True
    """


class ConfigurationError(TextError, ValueError):
    """A component was given a parameter it cannot work with.

    >>> from bricolage.text import LengthFilter
    >>> LengthFilter(min_length=5, max_length=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.text.errors.ConfigurationError: min_length 5 is greater than max_length 2; ...
    """


class UnknownLanguageError(TextError, LookupError):
    """No stemmer or stopword list is known for the requested language.

    >>> from bricolage.text import stopwords
    >>> stopwords("elvish")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.text.errors.UnknownLanguageError: no stopword list is registered for 'elvish'; ...
    """
