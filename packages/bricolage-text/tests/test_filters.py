from __future__ import annotations

import pickle
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.text import (
    ENGLISH_STOPWORDS,
    ConfigurationError,
    LengthFilter,
    Stemmer,
    StopwordFilter,
    TermFilter,
    UnknownLanguageError,
    char_ngrams,
    ngrams,
    register_stopwords,
    stemmer_languages,
    stopword_languages,
    stopwords,
)


def test_english_stopwords() -> None:
    assert {"the", "and", "of", "is"} <= ENGLISH_STOPWORDS
    assert "physics" not in ENGLISH_STOPWORDS
    assert stopwords("EN") is ENGLISH_STOPWORDS


def test_register_stopwords() -> None:
    register_stopwords("testlang", ["le", "la"], replace=True)
    assert stopwords("testlang") == frozenset({"le", "la"})
    assert "testlang" in stopword_languages()
    with pytest.raises(ConfigurationError, match="already registered"):
        register_stopwords("testlang", ["x"])
    with pytest.raises(ConfigurationError, match="one string"):
        register_stopwords("other", "le la")
    with pytest.raises(ConfigurationError, match="needs a name"):
        register_stopwords("  ", ["x"])
    with pytest.raises(UnknownLanguageError, match="'nowhere'"):
        stopwords("nowhere")


def test_stopword_filter_keeps_length() -> None:
    f = StopwordFilter(["a"])
    assert f(["a", "b", "a"]) == ["", "b", ""]
    assert f.words == frozenset({"a"})
    assert repr(f) == "StopwordFilter(<1 words>)"
    assert repr(StopwordFilter()) == "StopwordFilter('english')"
    assert StopwordFilter() == StopwordFilter(ENGLISH_STOPWORDS)
    assert StopwordFilter() != 1
    assert hash(StopwordFilter(["a"])) == hash(StopwordFilter(["a"]))
    assert isinstance(f, TermFilter)


def test_length_filter() -> None:
    assert LengthFilter(2)(["a", "bb"]) == ["", "bb"]
    assert LengthFilter(1, 2)(["a", "bbb"]) == ["a", ""]
    assert repr(LengthFilter(1, 2)) == "LengthFilter(min_length=1, max_length=2)"
    assert LengthFilter(1, 2) == LengthFilter(1, 2)
    assert LengthFilter(1, 2) != LengthFilter(1)
    assert LengthFilter() != "x"
    assert hash(LengthFilter(3)) == hash(LengthFilter(3))
    with pytest.raises(ConfigurationError, match="-1"):
        LengthFilter(-1)


def test_stemmer() -> None:
    stem = Stemmer("English")
    assert stem(["running", "", "runs"]) == ["run", "", "run"]
    assert stem(["running"]) == ["run"]  # from the cache
    assert stem.language == "english"
    assert "german" in stemmer_languages()
    assert Stemmer("german").stem("häuser") == "haus"
    assert repr(stem) == "Stemmer('english')"
    assert stem == Stemmer()
    assert stem != Stemmer("french")
    assert stem != "x"
    assert hash(stem) == hash(Stemmer())
    with pytest.raises(UnknownLanguageError, match="'klingon'"):
        Stemmer("klingon")
    with pytest.raises(ConfigurationError, match="cache_size"):
        Stemmer(cache_size=-1)


def test_stemmer_cache_is_bounded_and_optional() -> None:
    stem = Stemmer(cache_size=2)
    assert stem(["cats", "dogs", "birds", "cats"]) == ["cat", "dog", "bird", "cat"]
    assert len(stem._cache) <= 2
    uncached = Stemmer(cache_size=0)
    assert uncached(["cats", "cats"]) == ["cat", "cat"]
    assert uncached._cache == {"": ""}


def test_stemmer_pickles_and_is_thread_safe() -> None:
    stem = pickle.loads(pickle.dumps(Stemmer("english")))
    words = [f"connection{i}s" for i in range(300)] + ["generously", "connections"] * 100
    expected = [Stemmer("english", cache_size=0).stem(w) for w in words]
    results: list[list[str]] = []

    def work() -> None:
        results.append(stem(list(words)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_ngrams() -> None:
    assert ngrams(["a", "b"], 2, 2) == ["a b"]
    assert ngrams(["a", "b"], 3, 4) == []
    assert ngrams(["a", "b"], 1, 1, sep="_") == ["a", "b"]
    assert ngrams(["a", "b", "c"], 1, 3, sep="_") == ["a", "b", "c", "a_b", "b_c", "a_b_c"]
    assert char_ngrams("ab", 1, 5) == ["a", "b", "ab"]
    with pytest.raises(ConfigurationError, match=r"\(2, 1\)"):
        ngrams(["a"], 2, 1)
    with pytest.raises(ConfigurationError, match=r"\(0, 1\)"):
        char_ngrams("a", 0, 1)


@given(st.lists(st.sampled_from("abcde"), max_size=8), st.integers(1, 4), st.integers(0, 3))
def test_ngrams_match_a_naive_definition(terms: list[str], min_n: int, extra: int) -> None:
    max_n = min_n + extra
    naive = [
        " ".join(terms[i : i + n])
        for n in range(min_n, max_n + 1)
        for i in range(len(terms))
        if i + n <= len(terms)
    ]
    assert ngrams(terms, min_n, max_n) == naive
