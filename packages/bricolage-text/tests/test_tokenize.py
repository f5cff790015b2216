from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.text import DEFAULT_TOKEN_PATTERN, ConfigurationError, Token, Tokenizer


def test_default_tokenizer_splits_on_non_word_characters() -> None:
    assert Tokenizer().words("e-mail: a_b, 42 km/h") == ["e", "mail", "a_b", "42", "km", "h"]


def test_combining_marks_stay_with_their_word() -> None:
    decomposed = "nai\u0308ve cafe\u0301"
    assert Tokenizer().words(decomposed) == ["nai\u0308ve", "cafe\u0301"]
    assert Tokenizer().words("हिन्दी भाषा") == ["हिन्दी", "भाषा"]


def test_tokens_carry_positions_and_offsets() -> None:
    text = "  Hello,  wide\tworld "
    tokens = list(Tokenizer().tokens(text))
    assert [t.position for t in tokens] == [0, 1, 2]
    assert [text[t.start : t.end] for t in tokens] == ["Hello", "wide", "world"]
    assert tokens[0] == Token("Hello", 0, 2, 7)


def test_custom_patterns_compiled_or_not() -> None:
    assert Tokenizer(r"\d+").words("a1 b22") == ["1", "22"]
    assert Tokenizer(re.compile(r"[a-z]+", re.IGNORECASE)).case_insensitive
    assert not Tokenizer(r"[a-z]+").case_insensitive
    assert Tokenizer().case_insensitive


def test_bad_patterns_are_refused_with_the_pattern_named() -> None:
    with pytest.raises(ConfigurationError, match=r"'\[a-'"):
        Tokenizer("[a-")
    with pytest.raises(ConfigurationError, match="empty string"):
        Tokenizer(r"\w*")


def test_tokenizer_description_round_trip_and_errors() -> None:
    tokenizer = Tokenizer(r"[a-z]+")
    assert Tokenizer.from_dict(tokenizer.to_dict()) == tokenizer
    assert Tokenizer.from_dict({}) == Tokenizer()
    assert Tokenizer.from_dict({"pattern": DEFAULT_TOKEN_PATTERN, "flags": 32}) == Tokenizer()
    with pytest.raises(ConfigurationError, match="pattern string"):
        Tokenizer.from_dict({"pattern": 3})
    with pytest.raises(ConfigurationError, match="not a valid"):
        Tokenizer.from_dict({"pattern": "(", "flags": 0})
    assert repr(Tokenizer()) == "Tokenizer()"
    assert repr(tokenizer) == "Tokenizer('[a-z]+')"
    assert tokenizer != "x"
    assert hash(tokenizer) == hash(Tokenizer(r"[a-z]+"))


@given(st.text())
def test_offsets_slice_the_original_text(text: str) -> None:
    tokens = list(Tokenizer().tokens(text))
    assert [t.position for t in tokens] == list(range(len(tokens)))
    for token in tokens:
        assert text[token.start : token.end] == token.text
        assert token.text
    assert [t.text for t in tokens] == Tokenizer().words(text)
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)
