from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.text import (
    Analyzer,
    ConfigurationError,
    LengthFilter,
    Normalizer,
    Stemmer,
    StopwordFilter,
    Token,
    Tokenizer,
    simple_analyzer,
    standard_analyzer,
)

TEXTS = st.lists(
    st.sampled_from([*"abcXYZ  ,.-'éÉßﬁ\u0301Σς1", "the ", "The ", "of "]), max_size=30
).map("".join)


def test_standard_analyzer() -> None:
    analyzer = standard_analyzer()
    assert analyzer("The connections were CONNECTED") == ["connect", "connect"]
    tokens = list(analyzer.tokens("The connections"))
    assert tokens == [Token("connect", 1, 4, 15)]


def test_standard_analyzer_options() -> None:
    assert standard_analyzer(stopwords=False, stem=False)("The A") == ["the", "a"]
    assert standard_analyzer(stopwords=["cat"], stem=False)("the cat") == ["the"]
    assert standard_analyzer(fold_accents=True, stem=False)("Café") == ["cafe"]
    assert standard_analyzer(min_length=3, stem=False)("ab abc") == ["abc"]
    assert standard_analyzer(max_length=2, stem=False, stopwords=False)("ab abc") == ["ab"]
    with pytest.raises(ConfigurationError, match="not the string"):
        standard_analyzer(stopwords="the a")


def test_non_english_standard_analyzer_needs_a_stopword_list() -> None:
    from bricolage.text import UnknownLanguageError

    with pytest.raises(UnknownLanguageError):
        standard_analyzer("french")
    assert standard_analyzer("french", stopwords=["les"])("les chevaux") == ["cheval"]


def test_simple_analyzer() -> None:
    assert simple_analyzer()("The  Quick") == ["the", "quick"]
    assert simple_analyzer(fold_accents=True)("Éte") == ["ete"]


def test_positions_leave_gaps_for_removed_terms() -> None:
    analyzer = standard_analyzer()
    assert analyzer.positional_terms("the king of the hill") == ["", "king", "", "", "hill"]
    assert [t.position for t in analyzer.tokens("the king of the hill")] == [1, 4]


def test_offsets_point_into_the_original_text() -> None:
    text = "\uff24\uff21\uff34\uff21 Straße\u0301"  # full-width DATA
    tokens = list(simple_analyzer().tokens(text))
    assert [t.text for t in tokens] == ["data", "strass\u00e9"]  # NFKC composes e + accent
    assert [text[t.start : t.end] for t in tokens] == [text[:4], "Straße\u0301"]


def test_ngrams_in_analyzer() -> None:
    analyzer = Analyzer(filters=[StopwordFilter()], ngram_range=(1, 2))
    assert analyzer("new york of city") == ["new", "york", "city", "new york", "york city"]
    tokens = list(analyzer.tokens("new york of city"))
    assert tokens[-1] == Token("york city", 1, 4, 16)
    only_bigrams = Analyzer(ngram_range=(2, 2))
    assert only_bigrams("a b c") == ["a b", "b c"]
    assert [t.text for t in only_bigrams.tokens("a b c")] == ["a b", "b c"]
    with pytest.raises(ConfigurationError):
        Analyzer(ngram_range=(0, 1))


def test_custom_parts() -> None:
    def drop_digits(terms: list[str]) -> list[str]:
        return ["" if t.isdigit() else t for t in terms]

    analyzer = Analyzer(
        tokenizer=Tokenizer(r"[A-Za-z0-9]+"), normalizer=str.upper, filters=[drop_digits]
    )
    assert analyzer("abc 123 Def") == ["ABC", "DEF"]
    with pytest.raises(ConfigurationError, match="custom filter"):
        Analyzer(filters=[drop_digits]).to_dict()
    with pytest.raises(ConfigurationError, match="custom normaliser"):
        analyzer.to_dict()
    with pytest.raises(ConfigurationError, match="not callable"):
        Analyzer(filters=["nope"])  # type: ignore[list-item]
    case_sensitive = Analyzer(tokenizer=Tokenizer(r"[a-z]+"))
    assert case_sensitive("abc DEF") == ["abc"]
    keep_case = Analyzer(normalizer=Normalizer(casefold=False))
    assert keep_case("Abc Déf") == ["Abc", "Déf"]


def test_description_round_trip() -> None:
    analyzer = Analyzer(
        tokenizer=Tokenizer(r"\w+"),
        normalizer=Normalizer(fold_accents=True),
        filters=[LengthFilter(2, 20), StopwordFilter(["x"]), Stemmer("english")],
        ngram_range=(1, 3),
    )
    again = Analyzer.from_dict(analyzer.to_dict())
    assert again == analyzer
    assert hash(again) == hash(analyzer)
    assert again("Runs fast, x y") == analyzer("Runs fast, x y")
    assert analyzer != "analyzer"
    assert "ngram_range=(1, 3)" in repr(analyzer)
    assert Analyzer.from_dict({}) == Analyzer()


@pytest.mark.parametrize(
    "data",
    [
        {"filters": "x"},
        {"ngram_range": [1]},
        {"filters": ["x"]},
        {"filters": [{"type": "stopwords", "words": "abc"}]},
        {"filters": [{"type": "soundex"}]},
    ],
)
def test_bad_descriptions_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        Analyzer.from_dict(data)


def test_analyzer_pickles() -> None:
    analyzer = standard_analyzer()
    again = pickle.loads(pickle.dumps(analyzer))
    assert again == analyzer
    assert again("running dogs") == ["run", "dog"]


@given(TEXTS)
def test_call_tokens_and_positional_terms_agree(text: str) -> None:
    for analyzer in (standard_analyzer(), simple_analyzer(), Analyzer(ngram_range=(1, 2))):
        tokens = list(analyzer.tokens(text))
        assert [t.text for t in tokens] == analyzer(text)
    analyzer = standard_analyzer()
    slots = analyzer.positional_terms(text)
    assert [(t.text, t.position) for t in analyzer.tokens(text)] == [
        (term, i) for i, term in enumerate(slots) if term
    ]


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=80))
def test_ascii_fast_path_equals_the_general_path(text: str) -> None:
    fast = standard_analyzer()
    general = Analyzer(normalizer=lambda word: Normalizer()(word), filters=fast.filters)
    assert fast(text) == general(text)


@given(st.text(max_size=60))
def test_token_spans_normalise_to_the_token_text(text: str) -> None:
    analyzer = simple_analyzer()
    for token in analyzer.tokens(text):
        assert Normalizer()(text[token.start : token.end]) == token.text
