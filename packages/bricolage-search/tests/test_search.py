from __future__ import annotations

import math

import pytest

from bricolage.search import (
    BM25,
    And,
    Fuzzy,
    Index,
    IndexLockedError,
    IndexStateError,
    KeywordField,
    Match,
    MatchAll,
    Not,
    Phrase,
    Prefix,
    QueryError,
    QueryTooBroadError,
    Schema,
    SchemaError,
    SearchError,
    StoredField,
    Term,
    TextField,
)
from bricolage.search._search import within_distance
from bricolage.search.scoring import bm25_idf, bm25_term_score
from bricolage.text import simple_analyzer


def test_ranked_search_with_fields(small_index: Index) -> None:
    results = small_index.search("neutron")
    assert results.ids == ["pulsars", "dwarfs"]
    assert results.total == 2
    assert results[0].score > results[1].score > 0
    assert results[0].rank == 1
    assert results[0].fields["year"] == 1967
    assert results[0].fields["tag"] == ["Astro", "stars"]
    assert list(results) == list(results.hits)


def test_phrases_respect_order_and_stopword_gaps(small_index: Index) -> None:
    assert small_index.search('"neutron stars"').ids == ["pulsars", "dwarfs"]
    assert small_index.search('"stars neutron"').ids == []
    # "remnant of a star": the stopwords keep their places
    assert small_index.search('"remnant of a star"').ids == ["dwarfs"]
    assert small_index.search('"remnant star"').ids == []
    assert small_index.search('"the"').ids == []  # analyses to nothing


def test_boolean_operators(small_index: Index) -> None:
    assert small_index.search("neutron AND white").ids == ["dwarfs"]
    assert small_index.search("neutron NOT white").ids == ["pulsars"]
    assert sorted(small_index.search("NOT neutron").ids) == ["engines"]
    assert sorted(small_index.search("turbines OR pulsars").ids) == ["engines", "pulsars"]
    assert small_index.search("the AND pulsars").ids == ["pulsars"]  # stopword clause dropped
    assert small_index.search("NOT the").ids == []


def test_keyword_fields_filter_without_scoring(small_index: Index) -> None:
    found = small_index.search("tag:astro")
    assert sorted(found.ids) == ["dwarfs", "pulsars"]
    assert all(hit.score == 0 for hit in found)
    assert small_index.search("neutron AND tag:STARS").ids == ["pulsars"]
    assert small_index.search('tag:"engineering"').ids == ["engines"]
    assert small_index.search("tag:eng*").ids == ["engines"]
    assert small_index.search("tag:engineerin~1").ids == ["engines"]
    assert small_index.search("tag:missing").ids == []


def test_prefix_and_fuzzy(small_index: Index) -> None:
    assert small_index.search("puls*").ids == ["pulsars"]
    assert small_index.search("turbnes~1").ids == ["engines"]
    assert small_index.search("turbnes~0").ids == []
    assert small_index.search("title:whi*").ids == ["dwarfs"]
    with pytest.raises(QueryTooBroadError, match="max_expansions=1"):
        small_index.search("t*", max_expansions=1)
    assert small_index.search(Prefix("zzz")).ids == []
    assert small_index.search(Fuzzy("the")).ids == []  # analyses to nothing: not searched


def test_fielded_terms_and_field_weights(small_index: Index) -> None:
    assert small_index.search("title:neutron").ids == []
    assert small_index.search("body:pulsars").ids == ["pulsars"]
    title_heavy = small_index.search("white", field_weights={"title": 5.0, "body": 1.0})
    assert title_heavy.ids == ["dwarfs"]
    assert small_index.search("pulsars", field_weights={"title": 1.0}).ids == ["pulsars"]
    with pytest.raises(SchemaError, match="not a text field"):
        small_index.search("x", field_weights={"tag": 1.0})
    with pytest.raises(SchemaError, match="positive"):
        small_index.search("x", field_weights={"title": 0})
    with pytest.raises(SchemaError, match="unknown field"):
        small_index.search(Term("x", field="nope"))
    with pytest.raises(SchemaError, match="stored only"):
        small_index.search(Term("x", field="year"))


def test_typed_queries(small_index: Index) -> None:
    query = And(Phrase("neutron star"), Not(Term("white")))
    assert small_index.search(query).ids == ["pulsars"]
    assert small_index.search(Match("AND neutron OR")).ids == ["pulsars", "dwarfs"]
    assert sorted(small_index.search(MatchAll()).ids) == ["dwarfs", "engines", "pulsars"]
    boosted = small_index.search(Term("neutron", boost=2.0))
    plain = small_index.search(Term("neutron"))
    assert boosted[0].score == pytest.approx(2 * plain[0].score)
    with pytest.raises(QueryError, match="string or a Query"):
        small_index.search(3)  # type: ignore[arg-type]


def test_limits_and_parameters(small_index: Index) -> None:
    assert small_index.search("neutron", limit=1).ids == ["pulsars"]
    assert small_index.search("neutron", limit=0).ids == []
    assert small_index.search("neutron", limit=None).total == 2
    with pytest.raises(QueryError, match="limit"):
        small_index.search("x", limit=-1)
    with pytest.raises(QueryError, match="max_expansions"):
        small_index.search("x", max_expansions=0)
    with pytest.raises(QueryError, match="k1"):
        small_index.search("x", k1=-1)
    with pytest.raises(QueryError, match="b must be"):
        small_index.search("x", b=2)
    with pytest.raises(QueryError, match="k1"):
        BM25(k1=float("nan"))
    no_norm = small_index.search("neutron", b=0.0)
    assert no_norm.ids[0] == "pulsars"


def test_ties_break_by_insertion_order() -> None:
    index = Index.in_memory(Schema(TextField("body")))
    with index.writer() as writer:
        for i in range(10):
            writer.add(f"d{i}", body="identical words here")
    assert index.search("identical", limit=3).ids == ["d0", "d1", "d2"]
    assert index.search("identical", limit=None).ids == [f"d{i}" for i in range(10)]


def test_bm25_formula_functions() -> None:
    assert bm25_idf(100, 10) == pytest.approx(math.log(1 + 90.5 / 10.5))
    score = bm25_term_score(3, 20, 10, 1.5, BM25(k1=2.0, b=0.5))
    assert score == pytest.approx(1.5 * 3 / (3 + 2.0 * (0.5 + 0.5 * 2)))


def test_writer_add_update_delete(schema: Schema) -> None:
    index = Index.in_memory(schema)
    with index.writer() as writer:
        writer.add("a", title="one", body="alpha")
        writer.add("b", body="beta")
        assert writer.delete("a")
        writer.add("a", body="alpha again")
        assert writer.pending == 2
    assert len(index) == 2
    assert "a" in index
    assert 3 not in index
    with index.writer() as writer:
        writer.update("b", body="gamma")
        writer.delete("a")
        assert not writer.delete("zzz")
        writer.update("c", body="new")
        writer.delete("c")
    assert index.ids() == ["b"]
    assert index.search("gamma").ids == ["b"]
    assert index.search("beta").ids == []
    assert index.get("b") == {"body": "gamma"}


def test_writer_errors_lose_nothing(schema: Schema) -> None:
    index = Index.in_memory(schema)
    with index.writer() as writer:
        writer.add("a", body="kept")

    def failing_batch() -> None:
        with index.writer() as writer:
            writer.add("b", body="dropped on error")
            writer.add("a", body="duplicate")

    with pytest.raises(SchemaError, match="already exists"):
        failing_batch()
    assert index.ids() == ["a"]
    writer = index.writer()
    with pytest.raises(SchemaError, match="'nope'"):
        writer.add("x", nope="field")
    with pytest.raises(SchemaError, match="needs a string"):
        writer.add("x", body=3)
    with pytest.raises(SchemaError, match="list of strings"):
        writer.add("x", tag=[1])
    with pytest.raises(SchemaError, match="JSON"):
        writer.add("x", year={1, 2})  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="non-empty string"):
        writer.add("", body="x")
    with pytest.raises(SchemaError, match="keyword field"):
        writer.delete_by("body", "x")
    writer.add("x", body=None)
    writer.rollback()
    assert writer.pending == 0
    with pytest.raises(IndexLockedError):
        index.writer()
    writer.close()
    writer.close()
    with pytest.raises(IndexStateError, match="closed"):
        writer.commit()
    assert index.ids() == ["a"]


def test_in_memory_writer_waits_for_the_lock(schema: Schema) -> None:
    index = Index.in_memory(schema)
    first = index.writer()
    with pytest.raises(IndexLockedError):
        index.writer(timeout=0.05)
    first.close()
    index.writer(timeout=0.05).close()


def test_delete_by_keyword_including_pending(schema: Schema) -> None:
    index = Index.in_memory(schema)
    with index.writer() as writer:
        writer.add("a", body="x", tag="Red")
        writer.add("b", body="y", tag="blue")
    with index.writer() as writer:
        writer.add("c", body="z", tag="red")
        assert writer.delete_by("tag", "RED") == 2
    assert index.ids() == ["b"]


def test_closed_index(schema: Schema) -> None:
    with Index.in_memory(schema) as index:
        pass
    with pytest.raises(IndexStateError):
        index.search("x")
    with pytest.raises(IndexStateError):
        index.writer()


def test_commit_after_the_index_was_closed(schema: Schema) -> None:
    index = Index.in_memory(schema)
    writer = index.writer()
    index.close()
    writer.add("a", body="x")
    assert writer.commit() == 1
    writer.close()


def test_schema_rules() -> None:
    with pytest.raises(SchemaError, match="at least one field"):
        Schema()
    with pytest.raises(SchemaError, match="reserved"):
        Schema(TextField("id"))
    with pytest.raises(SchemaError, match="invalid"):
        Schema(TextField("2x"))
    with pytest.raises(SchemaError, match="weight"):
        TextField("a", weight=0)
    with pytest.raises(SchemaError, match="Analyzer"):
        TextField("a", analyzer=str.split)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="not a field"):
        Schema("body")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="to search"):
        Schema(StoredField("a"))
    schema = Schema(TextField("a", simple_analyzer()), KeywordField("k"), StoredField("s"))
    assert "a" in schema
    assert schema != "schema"
    assert hash(schema) == hash(Schema.from_dict(schema.to_dict()))
    assert "TextField" in repr(schema)
    with pytest.raises(SchemaError, match="unknown field"):
        schema["nope"]
    for bad in ({}, {"fields": ["x"]}, {"fields": [{"type": "vector", "name": "v"}]}):
        with pytest.raises(SchemaError):
            Schema.from_dict(bad)
    broken = {"fields": [{"type": "text", "name": "a", "analyzer": {"filters": [{"type": "?"}]}}]}
    with pytest.raises(SchemaError, match="bad analyzer"):
        Schema.from_dict(broken)


def test_custom_analyzer_cannot_be_saved(tmp_path: object) -> None:
    from bricolage.text import Analyzer

    def shout(terms: list[str]) -> list[str]:
        return [t.upper() for t in terms]

    schema = Schema(TextField("a", Analyzer(filters=[shout])))
    with pytest.raises(SchemaError, match="cannot be saved"):
        schema.to_dict()
    index = Index.in_memory(schema)
    with index.writer() as writer:
        writer.add("x", a="hello")
    assert index.search("hello").ids == ["x"]


def test_stats(small_index: Index) -> None:
    stats = small_index.stats()
    assert stats.documents == 3
    assert stats.terms["tag"] == 3  # astro, stars, engineering (lower-cased)
    assert stats.average_length["title"] == pytest.approx(5 / 3)
    assert stats.path is None


def test_levenshtein_helper() -> None:
    assert within_distance("kitten", "sitten", 1)
    assert not within_distance("kitten", "sitting", 2)
    assert within_distance("kitten", "sittin", 2)
    assert not within_distance("abc", "abcdef", 2)
    assert not within_distance("abcd", "wxyz", 2)
    assert within_distance("same", "same", 0)
    assert not within_distance("same", "sane", 0)


def test_error_hierarchy() -> None:
    assert issubclass(QueryTooBroadError, SearchError)
    assert issubclass(IndexLockedError, BlockingIOError)


def test_or_with_filters_and_void_clauses(small_index: Index) -> None:
    from bricolage.search import Or

    assert small_index.search(Or(Term("the"), Term("pulsars"))).ids == ["pulsars"]
    assert small_index.search(Or(Term("the"), Term("of"))).ids == []
    mixed = small_index.search(Or(Term("pulsars"), Not(Term("neutron"))), limit=None)
    assert mixed.ids == ["pulsars", "engines"]
    assert small_index.search(Or(Term("turbines"), Term("tag", field="tag"))).ids == ["engines"]


@pytest.mark.parametrize("name", ["bm25_idf", "bm25_term_score", "make_snippet"])
def test_scoring_helpers_moved_to_the_scoring_module_and_warn_at_the_old_path(name: str) -> None:
    import bricolage.search
    from bricolage.search import scoring

    assert name not in bricolage.search.__all__
    assert name in scoring.__all__
    with pytest.warns(DeprecationWarning, match=rf"bricolage\.search\.scoring\.{name}"):
        old = getattr(bricolage.search, name)
    assert old is getattr(scoring, name)


def test_an_unknown_top_level_name_is_an_attribute_error() -> None:
    import bricolage.search

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        bricolage.search.nope  # noqa: B018
