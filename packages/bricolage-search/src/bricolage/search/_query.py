"""The query language: a typed query tree and a parser for the text syntax."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal

from bricolage.search.errors import QueryError, QuerySyntaxError

__all__ = [
    "And",
    "Fuzzy",
    "Match",
    "MatchAll",
    "Not",
    "Or",
    "Phrase",
    "Prefix",
    "Query",
    "Term",
    "parse_query",
]

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Query:
    """The base of every query node. Combine queries with ``&``, ``|`` and ``~``.

    >>> query = Term("neutron") & ~Term("star")
    >>> query == And(Term("neutron"), Not(Term("star")))
    True
    >>> Term("a") | Phrase("b c") == Or(Term("a"), Phrase("b c"))
    True
    """

    __slots__ = ()

    def __and__(self, other: Query) -> And:
        return And(self, other)

    def __or__(self, other: Query) -> Or:
        return Or(self, other)

    def __invert__(self) -> Not:
        return Not(self)


def _check_boost(boost: float) -> None:
    if not boost > 0:
        raise QueryError(f"a boost must be a positive number, got {boost!r}")


def _check_field(name: str | None) -> None:
    if name is not None and not _FIELD_NAME.fullmatch(name):
        raise QueryError(f"{name!r} is not a field name (letters, digits and _ only)")


@dataclass(frozen=True, slots=True)
class Term(Query):
    """A word, analysed by each searched field's analyzer.

    Without ``field``, every text field is searched and the field scores combine by
    BM25F. A word that analyses to several terms (``e-mail``) matches any of them; one
    that analyses to none (a stopword) is left out of the query.

    >>> Term("Running", field="title")
    Term(text='Running', field='title', boost=1.0)
    """

    text: str
    field: str | None = None
    boost: float = 1.0

    def __post_init__(self) -> None:
        _check_field(self.field)
        _check_boost(self.boost)


@dataclass(frozen=True, slots=True)
class Phrase(Query):
    """Words that must appear in this order at these distances.

    The phrase is analysed like a document, so a removed stopword keeps its place:
    ``"king of spain"`` matches "king of spain" and "king in spain" but not
    "king spain". Scored as BM25 with the phrase frequency as the term frequency and
    the sum of the words' IDFs.

    >>> Phrase("neutron star", field="body")
    Phrase(text='neutron star', field='body', boost=1.0)
    """

    text: str
    field: str | None = None
    boost: float = 1.0

    def __post_init__(self) -> None:
        _check_field(self.field)
        _check_boost(self.boost)


@dataclass(frozen=True, slots=True)
class Prefix(Query):
    """Every index term starting with ``prefix`` (normalised, not stemmed).

    >>> Prefix("neutr")
    Prefix(prefix='neutr', field=None, boost=1.0)
    """

    prefix: str
    field: str | None = None
    boost: float = 1.0

    def __post_init__(self) -> None:
        _check_field(self.field)
        _check_boost(self.boost)
        if not self.prefix:
            raise QueryError("a prefix query needs at least one character before '*'")


@dataclass(frozen=True, slots=True)
class Fuzzy(Query):
    """Index terms within ``distance`` edits (Levenshtein: insert, delete, substitute).

    The word is analysed first (so ``runing~1`` is compared as its stem).

    >>> Fuzzy("neutorn", distance=2)
    Fuzzy(text='neutorn', field=None, distance=2, boost=1.0)
    """

    text: str
    field: str | None = None
    distance: int = 1
    boost: float = 1.0

    def __post_init__(self) -> None:
        _check_field(self.field)
        _check_boost(self.boost)
        if self.distance not in (0, 1, 2):
            raise QueryError(f"a fuzzy distance must be 0, 1 or 2, got {self.distance!r}")


@dataclass(frozen=True, slots=True)
class Match(Query):
    """Free text: every term of the analysed text, combined with OR (a bag of words).

    This is what a ranking benchmark asks for: no operators are interpreted, so
    ``"AND"`` in the text is just a word.

    >>> Match("measurement of dielectric constant")
    Match(text='measurement of dielectric constant', field=None, boost=1.0)
    """

    text: str
    field: str | None = None
    boost: float = 1.0

    def __post_init__(self) -> None:
        _check_field(self.field)
        _check_boost(self.boost)


@dataclass(frozen=True, slots=True)
class MatchAll(Query):
    """Every document, with a score of zero.

    >>> MatchAll() & ~Term("draft")
    And(clauses=(MatchAll(), Not(clause=Term(text='draft', field=None, boost=1.0))))
    """


@dataclass(frozen=True, slots=True, init=False)
class And(Query):
    """Documents matching every clause; the score is the sum of the clauses' scores.

    ``Not`` clauses exclude documents.

    >>> And(Term("a"), Term("b")).clauses
    (Term(text='a', field=None, boost=1.0), Term(text='b', field=None, boost=1.0))
    """

    clauses: tuple[Query, ...]

    def __init__(self, *clauses: Query) -> None:
        if not clauses:
            raise QueryError("And() needs at least one clause")
        object.__setattr__(self, "clauses", _flatten(And, clauses))


@dataclass(frozen=True, slots=True, init=False)
class Or(Query):
    """Documents matching any clause; the score is the sum of the matching clauses'.

    >>> len(Or(Term("a"), Or(Term("b"), Term("c"))).clauses)  # nested ORs flatten
    3
    """

    clauses: tuple[Query, ...]

    def __init__(self, *clauses: Query) -> None:
        if not clauses:
            raise QueryError("Or() needs at least one clause")
        object.__setattr__(self, "clauses", _flatten(Or, clauses))


@dataclass(frozen=True, slots=True)
class Not(Query):
    """Documents not matching ``clause`` (inside an ``And``: excluded from it).

    >>> Not(Term("draft"))
    Not(clause=Term(text='draft', field=None, boost=1.0))
    """

    clause: Query


def _flatten(kind: type[And] | type[Or], clauses: tuple[Query, ...]) -> tuple[Query, ...]:
    out: list[Query] = []
    for clause in clauses:
        if not isinstance(clause, Query):
            raise QueryError(f"{clause!r} is not a query; build clauses with Term, Phrase, ...")
        if isinstance(clause, kind):
            out.extend(clause.clauses)
        else:
            out.append(clause)
    return tuple(out)


# --------------------------------------------------------------------------- parser

_OPERATORS = {"AND", "OR", "NOT"}
_SPECIAL = set('()"')
_BOOST = re.compile(r"\^(\d+(?:\.\d*)?|\.\d+)$")
_FUZZY = re.compile(r"~(\d*)$")


@dataclass(slots=True)
class _Token:
    kind: Literal["(", ")", "AND", "OR", "NOT", "word", "phrase"]
    text: str
    column: int  # 1-based
    field: str | None = None
    extra: dict[str, object] = dataclass_field(default_factory=dict)


class _Parser:
    def __init__(self, text: str, fields: Collection[str] | None, default_and: bool) -> None:
        self.text = text
        self.fields = fields
        self.default_and = default_and
        self.tokens = self._lex()
        self.index = 0

    # -- lexing

    def error(self, message: str, column: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.text, column)

    def _lex(self) -> list[_Token]:
        text = self.text
        tokens: list[_Token] = []
        i = 0
        n = len(text)
        while i < n:
            char = text[i]
            if char.isspace():
                i += 1
                continue
            if char in "()":
                tokens.append(_Token(char, char, i + 1))  # type: ignore[arg-type]
                i += 1
                continue
            start = i
            field_name: str | None = None
            match = _FIELD_NAME.match(text, i)
            if match and match.end() < n and text[match.end()] == ":":
                field_name = match.group()
                if self.fields is not None and field_name not in self.fields:
                    known = ", ".join(sorted(self.fields)) or "none"
                    raise self.error(f"unknown field {field_name!r} (fields: {known})", i + 1)
                i = match.end() + 1
                if i >= n or text[i].isspace() or text[i] == ")":
                    raise self.error(f"expected a term after '{field_name}:'", i + 1)
                if text[i] == "(":
                    tokens.append(_Token("(", "(", i + 1, field_name))
                    i += 1
                    continue
            if text[i] == '"':
                close = text.find('"', i + 1)
                if close < 0:
                    raise self.error("unterminated phrase: missing closing '\"'", i + 1)
                phrase = text[i + 1 : close]
                token = _Token("phrase", phrase, start + 1, field_name)
                i = close + 1
                end = i
                while end < n and not text[end].isspace() and text[end] not in _SPECIAL:
                    end += 1
                suffix = text[i:end]
                if suffix:
                    boost = _BOOST.fullmatch(suffix)
                    if boost is None:
                        raise self.error(
                            f"unexpected {suffix!r} after a phrase (only ^boost may follow)",
                            i + 1,
                        )
                    token.extra["boost"] = float(boost.group(1))
                i = end
                tokens.append(token)
                continue
            end = i
            while end < n and not text[end].isspace() and text[end] not in _SPECIAL:
                end += 1
            if end == i:  # a quote right after the field was handled above
                raise self.error(f"unexpected {text[i]!r}", i + 1)  # pragma: no cover
            word = text[i:end]
            if field_name is None and word in _OPERATORS:
                tokens.append(_Token(word, word, start + 1))  # type: ignore[arg-type]
            else:
                tokens.append(self._word(word, field_name, start + 1, i + 1))
            i = end
        return tokens

    def _word(self, word: str, field_name: str | None, column: int, word_column: int) -> _Token:
        token = _Token("word", word, column, field_name)
        boost = _BOOST.search(word)
        if boost is not None:
            token.extra["boost"] = float(boost.group(1))
            word = word[: boost.start()]
        fuzzy = _FUZZY.search(word)
        if fuzzy is not None:
            distance = int(fuzzy.group(1)) if fuzzy.group(1) else 1
            if distance > 2:
                raise self.error(
                    f"fuzzy distance {distance} is too large (use ~0, ~1 or ~2)",
                    word_column + fuzzy.start(),
                )
            token.extra["fuzzy"] = distance
            word = word[: fuzzy.start()]
        elif word.endswith("*"):
            token.extra["prefix"] = True
            word = word[:-1]
        star = word.find("*")
        if star >= 0:
            raise self.error(
                "'*' is only supported at the end of a word (prefix search)", word_column + star
            )
        if "~" in word or "^" in word:
            bad = min(p for p in (word.find("~"), word.find("^")) if p >= 0)
            raise self.error(f"unexpected {word[bad]!r} inside {word!r}", word_column + bad)
        if not word:
            raise self.error("expected a word before the operator suffix", word_column)
        token.text = word
        return token

    # -- parsing

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse(self) -> Query:
        if not self.tokens:
            raise self.error("the query is empty", 1)
        query = self.or_expr(None)
        token = self.peek()
        if token is not None:
            if token.kind == ")":
                raise self.error("unexpected ')' without a matching '('", token.column)
            raise self.error(f"unexpected {token.text!r}", token.column)  # pragma: no cover
        return query

    def or_expr(self, default_field: str | None) -> Query:
        # "a b NOT c" means (a OR b) AND NOT c, as in Lucene: a NOT clause joined without
        # an explicit OR filters the whole group instead of adding "everything but c".
        clauses = [self.and_expr(default_field)]
        negatives: list[Query] = []
        while True:
            token = self.peek()
            if token is None or token.kind == ")":
                break
            explicit = token.kind == "OR"
            if explicit:
                self.index += 1
                self.expect_operand(token)
            clause = self.and_expr(default_field)
            if isinstance(clause, Not) and not explicit:
                negatives.append(clause)
            else:
                clauses.append(clause)
        if isinstance(clauses[0], Not) and len(clauses) > 1:
            negatives.insert(0, clauses.pop(0))
        query = clauses[0] if len(clauses) == 1 else Or(*clauses)
        return And(query, *negatives) if negatives else query

    def and_expr(self, default_field: str | None) -> Query:
        clauses = [self.unary(default_field)]
        while True:
            token = self.peek()
            if token is None or token.kind in (")", "OR"):
                break
            if token.kind == "AND":
                self.index += 1
                self.expect_operand(token)
            elif not self.default_and:
                break
            clauses.append(self.unary(default_field))
        return clauses[0] if len(clauses) == 1 else And(*clauses)

    def expect_operand(self, operator: _Token) -> None:
        token = self.peek()
        if token is None or token.kind in (")", "AND", "OR"):
            column = token.column if token is not None else len(self.text) + 1
            raise self.error(f"expected a term after {operator.text}", column)

    def unary(self, default_field: str | None) -> Query:
        token = self.peek()
        if token is not None and token.kind == "NOT":
            self.index += 1
            self.expect_operand(token)
            return Not(self.unary(default_field))
        return self.primary(default_field)

    def primary(self, default_field: str | None) -> Query:
        token = self.peek()
        if token is None:  # pragma: no cover - guarded by expect_operand
            raise self.error("expected a term", len(self.text) + 1)
        if token.kind in ("AND", "OR"):
            raise self.error(f"expected a term before {token.text}", token.column)
        if token.kind == ")":
            raise self.error("unexpected ')'", token.column)
        self.index += 1
        field_name = token.field or default_field
        if token.kind == "(":
            inner = self.peek()
            if inner is None:
                raise self.error(
                    f"missing ')' to close the '(' at column {token.column}", len(self.text) + 1
                )
            if inner.kind == ")":
                raise self.error("empty parentheses", inner.column)
            query = self.or_expr(field_name)
            close = self.peek()
            if close is None or close.kind != ")":
                raise self.error(
                    f"missing ')' to close the '(' at column {token.column}", len(self.text) + 1
                )
            self.index += 1
            return query
        boost = float(token.extra.get("boost", 1.0))  # type: ignore[arg-type]
        if boost <= 0:
            raise self.error("a boost must be greater than 0", token.column)
        if token.kind == "phrase":
            return Phrase(token.text, field_name, boost)
        if "fuzzy" in token.extra:
            return Fuzzy(token.text, field_name, int(token.extra["fuzzy"]), boost)  # type: ignore[call-overload]
        if "prefix" in token.extra:
            return Prefix(token.text, field_name, boost)
        return Term(token.text, field_name, boost)


def parse_query(
    text: str,
    *,
    fields: Collection[str] | None = None,
    default_operator: Literal["OR", "AND"] = "OR",
) -> Query:
    """Parse the query syntax into a :class:`Query` tree.

    The syntax: ``word``, ``"a phrase"``, ``field:word``, ``field:"a phrase"``,
    ``field:(a OR b)``, ``AND``, ``OR``, ``NOT`` (upper case), parentheses, ``prefix*``,
    ``fuzzy~1`` (or ``~2``; ``~`` alone means 1) and ``^2.5`` boosts. Words next to each
    other are joined by ``default_operator``. ``NOT`` binds tightest, then ``AND``, then
    ``OR``; a ``NOT`` clause next to others (``a b NOT c``) excludes its matches from the
    whole group, as in Lucene.

    Args:
        text: the query.
        fields: if given, the field names allowed in ``field:`` (others are errors).
        default_operator: how adjacent clauses combine.

    Raises:
        QuerySyntaxError: with the 1-based column of the problem.

    >>> parse_query('title:"neutron star" AND (mass OR radius)') == And(
    ...     Phrase("neutron star", field="title"), Or(Term("mass"), Term("radius")))
    True
    >>> parse_query("pulsar quasar NOT draft*")  # NOT filters the whole group
    ... # doctest: +NORMALIZE_WHITESPACE
    And(clauses=(Or(clauses=(Term(text='pulsar', field=None, boost=1.0),
                             Term(text='quasar', field=None, boost=1.0))),
                 Not(clause=Prefix(prefix='draft', field=None, boost=1.0))))
    >>> parse_query("a b", default_operator="AND") == And(Term("a"), Term("b"))
    True
    >>> parse_query("colour~ size^2") == Or(Fuzzy("colour"), Term("size", boost=2.0))
    True
    """
    if default_operator not in ("OR", "AND"):
        raise QueryError(f"default_operator must be 'OR' or 'AND', got {default_operator!r}")
    return _Parser(text, fields, default_operator == "AND").parse()
