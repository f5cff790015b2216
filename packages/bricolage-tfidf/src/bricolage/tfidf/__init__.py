"""TF and TF-IDF that agree with scikit-learn, stream, explain themselves and search.

>>> from bricolage.tfidf import TfidfVectorizer
>>> vectorizer = TfidfVectorizer(stop_words="english")
>>> matrix = vectorizer.fit_transform(["The cat sat on the mat.", "A dog ate the cat food."])
>>> vectorizer.get_feature_names_out().tolist()
['ate', 'cat', 'dog', 'food', 'mat', 'sat']
"""

from __future__ import annotations

from importlib.metadata import version as _version

from bricolage.tfidf._analysis import DEFAULT_TOKEN_PATTERN, Analyzer
from bricolage.tfidf._cli import main, run_repl
from bricolage.tfidf._explain import CorpusSummary, TermStat, TermWeight, summarize, top_terms
from bricolage.tfidf._persist import FORMAT_VERSION, load_model, read_model, save_model
from bricolage.tfidf._report import DocumentTerms, Report
from bricolage.tfidf._search import Hit, SimilarityIndex
from bricolage.tfidf._stopwords import ENGLISH_STOP_WORDS
from bricolage.tfidf._vectorizer import TfidfVectorizer
from bricolage.tfidf._weighting import idf_weights, normalize_rows, weigh_tf
from bricolage.tfidf.errors import (
    ConfigurationError,
    DocumentError,
    EmptyVocabularyError,
    ModelFileError,
    NotFittedError,
    TfidfError,
    UnsupportedVersionError,
)

__version__ = _version("bricolage-tfidf")

__all__ = [
    "DEFAULT_TOKEN_PATTERN",
    "ENGLISH_STOP_WORDS",
    "FORMAT_VERSION",
    "Analyzer",
    "ConfigurationError",
    "CorpusSummary",
    "DocumentError",
    "DocumentTerms",
    "EmptyVocabularyError",
    "Hit",
    "ModelFileError",
    "NotFittedError",
    "Report",
    "SimilarityIndex",
    "TermStat",
    "TermWeight",
    "TfidfError",
    "TfidfVectorizer",
    "UnsupportedVersionError",
    "__version__",
    "idf_weights",
    "load_model",
    "main",
    "normalize_rows",
    "read_model",
    "run_repl",
    "save_model",
    "summarize",
    "top_terms",
    "weigh_tf",
]
