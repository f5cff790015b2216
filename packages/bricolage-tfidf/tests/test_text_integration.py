"""bricolage-text analyzers plugged into the vectorizer, the index and the model file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bricolage.text import Analyzer as TextAnalyzer
from bricolage.text import LengthFilter, StopwordFilter, simple_analyzer, standard_analyzer
from bricolage.tfidf import (
    Analyzer,
    ConfigurationError,
    ModelFileError,
    SimilarityIndex,
    TfidfVectorizer,
    load_model,
)


def test_a_text_analyzer_is_an_analyzer() -> None:
    assert isinstance(standard_analyzer("english"), Analyzer)


def test_counts_follow_the_text_analyzer(cranfield_docs: tuple[str, ...]) -> None:
    analyzer = standard_analyzer("english")
    vectorizer = TfidfVectorizer(analyzer=analyzer, use_idf=False, norm=None)
    matrix = vectorizer.fit_transform(cranfield_docs[:200])
    names = vectorizer.get_feature_names_out().tolist()
    for row in (0, 57, 199):
        expected = Counter(analyzer(cranfield_docs[row]))
        got = {names[c]: v for c, v in zip(matrix[row].indices, matrix[row].data, strict=True)}
        assert got == expected
    assert "slipstream" in names
    assert "experiment" in names  # stemmed: "experimental", "experiments"


def test_stemming_lets_search_match_other_word_forms(cranfield_docs: tuple[str, ...]) -> None:
    stemmed = SimilarityIndex.from_documents(
        cranfield_docs[:100], vectorizer=TfidfVectorizer(analyzer=standard_analyzer("english"))
    )
    plain = SimilarityIndex.from_documents(cranfield_docs[:100])
    assert plain.search("slipstreams") == []
    assert stemmed.search("slipstreams")[0].document == "0"


def test_text_analyzers_are_saved_as_descriptions(tmp_path: Path) -> None:
    docs = ["Runners were running", "The runner runs fast"]
    vectorizer = TfidfVectorizer(analyzer=standard_analyzer("english")).fit(docs)
    loaded = load_model(vectorizer.save(tmp_path / "model"))
    assert loaded.get_params()["analyzer"] == standard_analyzer("english")
    difference = abs(loaded.transform(docs) - vectorizer.transform(docs))
    assert difference.nnz == 0 or difference.max() == 0


def test_text_analyzers_with_custom_parts_must_be_given_back(tmp_path: Path) -> None:
    analyzer = TextAnalyzer(filters=[StopwordFilter("english"), LengthFilter(min_length=3)])
    custom = TextAnalyzer(normalizer=str.upper)
    path = TfidfVectorizer(analyzer=custom).fit(["Red apple"]).save(tmp_path / "custom")
    with pytest.raises(ConfigurationError, match="analyzer=my_function"):
        load_model(path)
    assert load_model(path, analyzer=custom).get_feature_names_out().tolist() == ["APPLE", "RED"]
    simple = TfidfVectorizer(analyzer=simple_analyzer()).fit(["a bb"]).save(tmp_path / "simple")
    assert load_model(simple).get_feature_names_out().tolist() == ["a", "bb"]
    assert TfidfVectorizer(analyzer=analyzer).fit(["the big dog"]).vocabulary_ == {
        "big": 0,
        "dog": 1,
    }


def test_a_damaged_analyzer_description_is_named(tmp_path: Path) -> None:
    import json
    import zipfile

    path = TfidfVectorizer(analyzer=standard_analyzer()).fit(["a bb"]).save(tmp_path / "m")
    broken_descriptions: list[dict[str, object]] = [
        {"bricolage.text.Analyzer": {"tokenizer": 5}},
        {"other": {}},
    ]
    for broken in broken_descriptions:
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        manifest = json.loads(members["manifest.json"])
        manifest["parameters"]["analyzer"] = broken
        members["manifest.json"] = json.dumps(manifest).encode()
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        with pytest.raises(ModelFileError, match="analyzer"):
            load_model(path)
