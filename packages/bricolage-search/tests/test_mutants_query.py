"""Exact checks of the query tree's validation and of the parser's errors and suffixes.

Written for mutation testing (``nox -s "mutation(search._query)"``): each test fails for
mutants of ``bricolage.search._query`` that the behavioural tests let through.
"""

from __future__ import annotations

import pytest

from bricolage.search import (
    And,
    Fuzzy,
    Match,
    Not,
    Or,
    Phrase,
    Prefix,
    QueryError,
    QuerySyntaxError,
    Term,
    parse_query,
)


def _message(error: QueryError) -> str:
    return str(error).split(" (column ")[0]


def test_empty_boolean_nodes_are_refused_by_name() -> None:
    with pytest.raises(QueryError) as caught:
        And()
    assert str(caught.value) == "And() needs at least one clause"
    with pytest.raises(QueryError) as caught:
        Or()
    assert str(caught.value) == "Or() needs at least one clause"


def test_boolean_nodes_keep_their_clauses_and_flatten_their_own_kind_only() -> None:
    a, b, c = Term("a"), Term("b"), Term("c")
    assert Or(a, b).clauses == (a, b)
    assert And(a, Or(b, c)).clauses == (a, Or(b, c))
    assert Or(a, Or(b, c)).clauses == (a, b, c)


@pytest.mark.parametrize("make", [Term, Phrase, Match, Prefix, Fuzzy])
def test_every_leaf_checks_its_field_name(make: type) -> None:
    with pytest.raises(QueryError, match="'bad field' is not a field name"):
        make("x", field="bad field")


def test_prefix_and_fuzzy_limits() -> None:
    with pytest.raises(QueryError) as caught:
        Prefix("")
    assert str(caught.value) == "a prefix query needs at least one character before '*'"
    assert Fuzzy("x", distance=0).distance == 0
    with pytest.raises(QueryError, match="got 3"):
        Fuzzy("x", distance=3)


def test_suffixes_carry_their_boost() -> None:
    assert parse_query("neutr*") == Prefix("neutr")
    assert parse_query("neutr*^2") == Prefix("neutr", boost=2.0)
    assert parse_query("neutorn~2^3") == Fuzzy("neutorn", distance=2, boost=3.0)


def test_a_field_group_applies_to_every_clause() -> None:
    assert parse_query("title:(a AND b)") == And(
        Term("a", field="title"), Term("b", field="title")
    )


def test_negatives_keep_their_order() -> None:
    assert parse_query("NOT a NOT c b") == And(Term("b"), Not(Term("a")), Not(Term("c")))


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("", "the query is empty", 1),
        ("a)", "unexpected ')' without a matching '('", 2),
        ("**", "'*' is only supported at the end of a word (prefix search)", 1),
        ("a*b*c*", "'*' is only supported at the end of a word (prefix search)", 2),
        ("OR a", "expected a term before OR", 1),
        ("AND a", "expected a term before AND", 1),
        ("a AND OR b", "expected a term after AND", 7),
        ("a OR AND b", "expected a term after OR", 6),
        ("a OR ) b", "expected a term after OR", 6),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, message: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(text)
    assert _message(caught.value) == message
    assert caught.value.column == column
