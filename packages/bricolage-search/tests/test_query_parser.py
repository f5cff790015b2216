from __future__ import annotations

import pytest

from bricolage.search import (
    And,
    Fuzzy,
    Match,
    MatchAll,
    Not,
    Or,
    Phrase,
    Prefix,
    QueryError,
    QuerySyntaxError,
    Term,
    parse_query,
)


def test_terms_default_to_or_and_and_binds_tighter() -> None:
    assert parse_query("a b") == Or(Term("a"), Term("b"))
    assert parse_query("a OR b AND c") == Or(Term("a"), And(Term("b"), Term("c")))
    assert parse_query("a b", default_operator="AND") == And(Term("a"), Term("b"))
    assert parse_query("a AND b OR c", default_operator="AND") == Or(
        And(Term("a"), Term("b")), Term("c")
    )


def test_not_filters_the_group_like_lucene() -> None:
    assert parse_query("a NOT b") == And(Term("a"), Not(Term("b")))
    assert parse_query("NOT b a") == And(Term("a"), Not(Term("b")))
    assert parse_query("NOT b") == Not(Term("b"))
    assert parse_query("a OR NOT b") == Or(Term("a"), Not(Term("b")))
    assert parse_query("a AND NOT b") == And(Term("a"), Not(Term("b")))
    assert parse_query("NOT NOT b") == Not(Not(Term("b")))


def test_fields_phrases_groups_and_suffixes() -> None:
    assert parse_query('title:"neutron star"^2') == Phrase("neutron star", "title", 2.0)
    assert parse_query('"a b"') == Phrase("a b")
    assert parse_query("title:(a OR b) c") == Or(Term("a", "title"), Term("b", "title"), Term("c"))
    assert parse_query("body:neutr*") == Prefix("neutr", "body")
    assert parse_query("colour~2 size~") == Or(Fuzzy("colour", None, 2), Fuzzy("size"))
    assert parse_query("x^1.5 y^.5") == Or(Term("x", boost=1.5), Term("y", boost=0.5))
    assert parse_query("((a))") == Term("a")
    assert parse_query("10:30") == Term("10:30")  # not a field name


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("", 1, "empty"),
        ("   ", 1, "empty"),
        ('a "open', 3, "unterminated phrase"),
        ("a AND", 6, "after AND"),
        ("a OR ) b", 6, "after OR"),
        ("AND a", 1, "before AND"),
        ("(a OR b", 8, "missing ')'"),
        ("a)", 2, "without a matching"),
        ("()", 2, "empty parentheses"),
        ("(", 2, "missing ')'"),
        ("title: a", 7, "after 'title:'"),
        ("a NOT", 6, "after NOT"),
        ("ab*cd", 3, "only supported at the end"),
        ("colour~3", 7, "too large"),
        ("a~b", 2, "unexpected '~'"),
        ('"a b"x', 6, "after a phrase"),
        ("*", 1, "before the operator"),
        ("x^0", 1, "greater than 0"),
        ("a NOT )", 7, "after NOT"),
        ("a ( )", 5, "empty parentheses"),
        ("a )", 3, "unexpected ')'"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(text)
    assert caught.value.column == column
    assert fragment in str(caught.value)
    assert caught.value.query == text
    assert str(caught.value).splitlines()[-1].index("^") == column + 1


def test_unknown_fields_are_syntax_errors_when_fields_are_known() -> None:
    with pytest.raises(QuerySyntaxError, match="unknown field 'titel'") as caught:
        parse_query("a titel:b", fields={"title"})
    assert caught.value.column == 3
    with pytest.raises(QuerySyntaxError, match="fields: none"):
        parse_query("x:b", fields=set())


def test_bad_options_and_values() -> None:
    with pytest.raises(QueryError, match="default_operator"):
        parse_query("a", default_operator="XOR")  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="boost"):
        Term("a", boost=0)
    with pytest.raises(QueryError, match="not a field name"):
        Term("a", field="no spaces")
    with pytest.raises(QueryError, match="at least one character"):
        Prefix("")
    with pytest.raises(QueryError, match="0, 1 or 2"):
        Fuzzy("a", distance=3)
    with pytest.raises(QueryError, match="at least one clause"):
        And()
    with pytest.raises(QueryError, match="at least one clause"):
        Or()
    with pytest.raises(QueryError, match="not a query"):
        And(Term("a"), "b")  # type: ignore[arg-type]


def test_operators_build_trees() -> None:
    query = (Term("a") | Term("b")) & ~Phrase("c d") & MatchAll()
    assert query == And(Or(Term("a"), Term("b")), Not(Phrase("c d")), MatchAll())
    assert Match("x y", field="body").field == "body"
