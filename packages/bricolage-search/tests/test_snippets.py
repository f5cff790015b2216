from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.search import (
    Index,
    Schema,
    SchemaError,
    Snippet,
    StoredField,
    TextField,
)
from bricolage.search.scoring import make_snippet
from bricolage.text import simple_analyzer, standard_analyzer


def test_highlights_cover_the_words_as_written() -> None:
    index = Index.in_memory(Schema(TextField("body")))
    text = "He was RUNNING; the runners ran. Straße!"
    with index.writer() as writer:
        writer.add("d", body=text)
    snippet = index.search("run OR runner")[0].snippet("body")
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["RUNNING", "runners"]
    assert snippet.format() == "He was **RUNNING**; the **runners** ran. Straße!"


def test_window_prefers_more_distinct_terms() -> None:
    filler = "lorem ipsum " * 40
    text = f"alpha {filler} alpha beta gamma {filler} alpha"
    snippet = make_snippet(text, simple_analyzer(), {"alpha", "beta", "gamma"}, max_chars=60)
    marked = {snippet.text[s:e] for s, e in snippet.highlights}
    assert marked == {"alpha", "beta", "gamma"}
    assert snippet.cut_before
    assert snippet.cut_after
    assert len(snippet.text) <= 60
    assert text[snippet.start : snippet.end] == snippet.text


def test_no_match_gives_the_opening() -> None:
    text = "word " * 100
    snippet = make_snippet(text, simple_analyzer(), {"absent"}, max_chars=22)
    assert snippet.highlights == ()
    assert snippet.text == "word word word word"
    assert snippet.cut_after
    short = make_snippet("tiny", simple_analyzer(), set(), max_chars=50)
    assert (short.text, short.cut_after) == ("tiny", False)
    unbroken = make_snippet("x" * 30, simple_analyzer(), set(), max_chars=10)
    assert unbroken.text == "x" * 10


def test_html_escapes_text_and_matches() -> None:
    snippet = make_snippet("<b>bold</b> & <i>x</i>", simple_analyzer(), {"b"}, max_chars=100)
    assert (
        snippet.html()
        == "&lt;<mark>b</mark>&gt;bold&lt;/<mark>b</mark>&gt; &amp; &lt;i&gt;x&lt;/i&gt;"
    )
    assert str(snippet).startswith("<**b**>")
    cut = Snippet("a b", ((0, 1),), 3, 6, True, True)
    assert cut.html("em") == "…<em>a</em> b…"


def test_overlapping_ngram_matches_merge() -> None:
    from bricolage.text import Analyzer

    analyzer = Analyzer(ngram_range=(1, 2))
    snippet = make_snippet("new york city", analyzer, {"new york", "york"}, max_chars=100)
    assert snippet.highlights == ((0, 8),)


def test_snippet_field_choice_and_errors() -> None:
    schema = Schema(
        TextField("title"), TextField("body"), TextField("hidden", stored=False), StoredField("n")
    )
    index = Index.in_memory(schema)
    with index.writer() as writer:
        writer.add("d", title="Comets", body="Comets and asteroids", hidden="asteroids", n=1)
    hit = index.search("asteroids")[0]
    assert hit.snippet().format() == "Comets and **asteroids**"
    assert hit.snippet("title").format() == "Comets"
    with pytest.raises(SchemaError, match="not a stored text field"):
        hit.snippet("hidden")
    with pytest.raises(SchemaError, match="not a stored text field"):
        hit.snippet("n")
    bare = Index.in_memory(Schema(TextField("x", stored=False)))
    with bare.writer() as writer:
        writer.add("d", x="word")
    with pytest.raises(SchemaError, match="no stored text field"):
        bare.search("word")[0].snippet()


def test_negated_terms_are_not_highlighted() -> None:
    index = Index.in_memory(Schema(TextField("body")))
    with index.writer() as writer:
        writer.add("d", body="stars and planets")
    hit = index.search("stars NOT comets")[0]
    assert hit.snippet().format() == "**stars** and planets"


@given(
    st.lists(st.sampled_from(["alpha", "beta", "gamma", "x", "yy", ",", "  ", "\n"]), max_size=80),
    st.integers(5, 80),
)
def test_snippets_always_slice_the_original(parts: list[str], max_chars: int) -> None:
    text = " ".join(parts)
    snippet = make_snippet(text, standard_analyzer(), {"alpha", "beta"}, max_chars=max_chars)
    assert text[snippet.start : snippet.end] == snippet.text
    for start, end in snippet.highlights:
        assert snippet.text[start:end] in {"alpha", "beta"}
