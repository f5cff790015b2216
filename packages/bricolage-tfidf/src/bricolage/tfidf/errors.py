"""The exceptions of bricolage.tfidf.

Every error raised on purpose by this package derives from :class:`TfidfError`; each
specific error also inherits the built-in exception it refines, so a generic
``except ValueError`` keeps working::

    TfidfError(Exception)
    ├── ConfigurationError(TfidfError, ValueError)      a parameter has a wrong value
    ├── NotFittedError(TfidfError, AttributeError)      the model has not seen any document
    ├── EmptyVocabularyError(TfidfError, ValueError)    no term survives analysis or pruning
    ├── DocumentError(TfidfError, TypeError)            a document is not a ``str``
    └── ModelFileError(TfidfError, ValueError)          a saved model cannot be read
        └── UnsupportedVersionError(ModelFileError)     it was written by a newer format

>>> from bricolage.tfidf import TfidfVectorizer
>>> try:
...     TfidfVectorizer(norm="l3")
... except ValueError as error:
...     print(type(error).__name__)
ConfigurationError
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DocumentError",
    "EmptyVocabularyError",
    "ModelFileError",
    "NotFittedError",
    "TfidfError",
    "UnsupportedVersionError",
]


class TfidfError(Exception):
    """The base of every error this package raises on purpose.

    >>> from bricolage.tfidf import ConfigurationError, TfidfError
    >>> issubclass(ConfigurationError, TfidfError)
    True
    """


class ConfigurationError(TfidfError, ValueError):
    """A parameter has a value the vectorizer cannot use; the message names it.

    >>> from bricolage.tfidf import ConfigurationError
    >>> issubclass(ConfigurationError, ValueError)
    True
    """


class NotFittedError(TfidfError, AttributeError):
    """A fitted attribute or ``transform`` was used before ``fit``.

    >>> from bricolage.tfidf import NotFittedError
    >>> issubclass(NotFittedError, AttributeError)
    True
    """


class EmptyVocabularyError(TfidfError, ValueError):
    """No term is left: the documents hold no token, or pruning removed every term.

    >>> from bricolage.tfidf import EmptyVocabularyError
    >>> issubclass(EmptyVocabularyError, ValueError)
    True
    """


class DocumentError(TfidfError, TypeError):
    """A document is not a ``str`` (for example ``bytes`` or ``None``).

    >>> from bricolage.tfidf import DocumentError
    >>> issubclass(DocumentError, TypeError)
    True
    """


class ModelFileError(TfidfError, ValueError):
    """A saved model cannot be read: not a model file, truncated or corrupt.

    >>> from bricolage.tfidf import ModelFileError
    >>> issubclass(ModelFileError, ValueError)
    True
    """


class UnsupportedVersionError(ModelFileError):
    """A saved model was written in a newer format version than this release reads.

    >>> from bricolage.tfidf import ModelFileError, UnsupportedVersionError
    >>> issubclass(UnsupportedVersionError, ModelFileError)
    True
    """
