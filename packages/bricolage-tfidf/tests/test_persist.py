"""The model file: round trips, and clear errors for wrong, damaged or newer files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bricolage.tfidf import (
    FORMAT_VERSION,
    ConfigurationError,
    ModelFileError,
    SimilarityIndex,
    TfidfVectorizer,
    UnsupportedVersionError,
    load_model,
    read_model,
    save_model,
)

DOCS = ["red apple pie", "green apple", "red wine and cheese", "cheese cake"]


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    return TfidfVectorizer(ngram_range=(1, 2)).fit(DOCS).save(tmp_path / "model.btfidf")


def _rewrite(path: Path, change: dict[str, Any] | None = None, **members: Any) -> None:
    """Rewrite the archive with manifest fields changed and members replaced or dropped."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(contents["manifest.json"])
    manifest.update(change or {})
    contents["manifest.json"] = json.dumps(manifest).encode()
    for name, data in members.items():
        member = name.replace("__", "/") + ".npy" if name != "manifest" else "manifest.json"
        if data is None:
            contents.pop(member, None)
        else:
            contents[member] = data
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def _npy(array: Any, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_the_file_is_a_documented_zip_of_json_and_npy(model_file: Path) -> None:
    with zipfile.ZipFile(model_file) as archive:
        assert sorted(archive.namelist()) == [
            "document_frequency.npy",
            "idf.npy",
            "manifest.json",
        ]
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "bricolage-tfidf-model"
    assert manifest["version"] == FORMAT_VERSION == 1
    assert manifest["parameters"]["ngram_range"] == [1, 2]
    assert manifest["n_documents"] == 4
    assert "red apple" in manifest["features"]


def test_round_trip_keeps_results_and_settings(model_file: Path) -> None:
    original = TfidfVectorizer(ngram_range=(1, 2)).fit(DOCS)
    loaded = load_model(model_file)
    difference = loaded.transform(DOCS) - original.transform(DOCS)
    assert difference.nnz == 0 or abs(difference).max() == 0
    assert loaded.get_params() == original.get_params()
    with pytest.raises(ConfigurationError, match="keeps no counts"):
        loaded.partial_fit(["more"])
    loaded.fit(["fresh start"])  # a loaded model can be refitted from scratch
    assert loaded.get_feature_names_out().tolist() == ["fresh", "fresh start", "start"]


def test_no_idf_float32_fixed_vocabulary_and_stop_list(tmp_path: Path) -> None:
    vectorizer = TfidfVectorizer(
        use_idf=False, dtype=np.float32, vocabulary=["wine", "red"], stop_words=["and"]
    ).fit(DOCS)
    loaded = load_model(vectorizer.save(tmp_path / "m"))
    assert loaded.fixed_vocabulary_
    assert loaded.get_feature_names_out().tolist() == ["wine", "red"]
    assert loaded.transform(["red wine"]).dtype == np.float32
    assert loaded.get_params()["stop_words"] == ["and"]


def test_callables_are_named_and_must_be_given_back(tmp_path: Path) -> None:
    def words(text: str) -> list[str]:
        return text.split()

    path = TfidfVectorizer(analyzer=words).fit(DOCS).save(tmp_path / "m")
    with pytest.raises(ConfigurationError, match="analyzer=my_function"):
        load_model(path)
    with pytest.raises(ConfigurationError, match="not fitted with a function"):
        load_model(path, analyzer=words, tokenizer=str.split)
    assert load_model(path, analyzer=words).transform(["red"]).nnz == 1


def test_a_failed_save_leaves_the_old_file_intact(model_file: Path) -> None:
    before = model_file.read_bytes()
    with pytest.raises(FileNotFoundError):
        save_model(TfidfVectorizer().fit(DOCS), model_file.parent / "missing" / "m")

    class Broken(TfidfVectorizer):
        def get_feature_names_out(self) -> Any:
            raise RuntimeError("disk full")

    broken = Broken().fit(DOCS)
    with pytest.raises(RuntimeError):
        save_model(broken, model_file)
    assert model_file.read_bytes() == before
    assert [p.name for p in model_file.parent.iterdir()] == [model_file.name]


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ModelFileError, match="not a ZIP archive"):
        load_model(path)


def test_truncated_file(model_file: Path) -> None:
    data = model_file.read_bytes()
    model_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="not a ZIP archive"):
        load_model(model_file)


def test_corrupt_member_fails_its_checksum(tmp_path: Path) -> None:
    path = tmp_path / "m"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", json.dumps({"format": "bricolage-tfidf-model"}))
    data = bytearray(path.read_bytes())
    offset = data.index(b"bricolage-tfidf-model")
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupt"):
        load_model(path)


def test_other_zip_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match=r"no manifest\.json"):
        load_model(path)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"format": "something-else"}, "expected 'bricolage-tfidf-model'"),
        ({"version": "1"}, "not a positive int"),
        ({"version": 0}, "not a positive int"),
        ({"features": "abc"}, "list of strings"),
        ({"features": ["a", "a"]}, "twice"),
        ({"n_documents": -3}, "positive int"),
        ({"parameters": []}, "must be an object"),
        ({"parameters": {"colour": "blue"}}, "unknown parameters"),
        ({"parameters": {"norm": "l7"}}, "parameters are invalid"),
        ({"parameters": {"dtype": "int8"}}, "dtype 'int8'"),
        ({"callables": "analyzer"}, "must be a list"),
        ({"features": ["only", "two"]}, "document_frequency must hold 2"),
    ],
)
def test_bad_manifest_fields_are_named(
    model_file: Path, change: dict[str, Any], fragment: str
) -> None:
    _rewrite(model_file, change)
    with pytest.raises(ModelFileError, match=fragment):
        load_model(model_file)


def test_manifest_that_is_not_json(model_file: Path) -> None:
    _rewrite(model_file, manifest=b"{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(model_file)


def test_newer_version_says_to_upgrade(model_file: Path) -> None:
    _rewrite(model_file, {"version": FORMAT_VERSION + 1, "writer": "bricolage-tfidf 9.0"})
    with pytest.raises(UnsupportedVersionError, match="upgrade bricolage-tfidf") as caught:
        load_model(model_file)
    assert "version 2" in str(caught.value)
    assert isinstance(caught.value, ModelFileError)


def test_pickled_arrays_are_never_loaded(model_file: Path) -> None:
    _rewrite(model_file, idf=_npy(np.array([object()] * 3, dtype=object), allow_pickle=True))
    with pytest.raises(ModelFileError, match=r"not a plain \.npy array"):
        load_model(model_file)


@pytest.mark.parametrize(
    ("members", "fragment"),
    [
        ({"idf": None}, "'idf.npy' is missing"),
        ({"document_frequency": None}, "'document_frequency.npy' is missing"),
        ({"idf": _npy(np.zeros((2, 2)))}, "one-dimensional"),
        ({"idf": _npy(np.zeros(3, dtype=np.int64))}, "idf must hold"),
        ({"document_frequency": _npy(np.full(9, -1))}, "document_frequency must hold"),
    ],
)
def test_bad_arrays_are_named(model_file: Path, members: dict[str, Any], fragment: str) -> None:
    _rewrite(model_file, **members)
    with pytest.raises(ModelFileError, match=fragment):
        load_model(model_file)


def test_index_round_trip_and_damage(tmp_path: Path) -> None:
    index = SimilarityIndex.from_documents(DOCS, ["a", "b", "c", "d"])
    path = index.save(tmp_path / "index.btfidf")
    vectorizer, part = read_model(path)
    assert part is not None
    assert part[1] == ["a", "b", "c", "d"]
    loaded = SimilarityIndex.load(path)
    assert loaded.search("apple") == index.search("apple")
    with pytest.raises(ConfigurationError, match="no indexed documents"):
        SimilarityIndex.load(vectorizer.save(tmp_path / "plain"))
    _rewrite(path, index__indptr=_npy(np.array([0, 5, 1, 2, 3])))
    with pytest.raises(ModelFileError, match="inconsistent"):
        SimilarityIndex.load(path)
    _rewrite(path, {"index": {"document_ids": [1, 2]}})
    with pytest.raises(ModelFileError, match="list of strings"):
        SimilarityIndex.load(path)
    _rewrite(path, {"index": "yes"})
    with pytest.raises(ModelFileError, match="must be an object"):
        SimilarityIndex.load(path)


def test_saved_files_get_the_usual_permissions(model_file: Path) -> None:
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    assert model_file.stat().st_mode & 0o777 == 0o666 & ~mask
