"""The model file: a ZIP archive holding ``manifest.json`` and ``.npy`` arrays, no pickle.

Layout of format version 1::

    manifest.json               {"format": "bricolage-tfidf-model", "version": 1, ...}
    document_frequency.npy      int64[n_features]
    idf.npy                     float[n_features]       (only with use_idf=True)
    index/data.npy              float64[nnz]            (only for a SimilarityIndex)
    index/indices.npy           int[nnz]
    index/indptr.npy            int[n_documents + 1]

The manifest holds the writer, the parameters (callables are named, not stored; an
analyzer from ``bricolage.text`` is stored as its own JSON description), the
number of fitted documents, the feature names in column order and, for an index, the
document ids. Arrays are read with ``allow_pickle=False``: loading a file never runs code.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from bricolage.text import Analyzer as TextAnalyzer
from bricolage.text import TextError
from bricolage.tfidf._report import write_atomic
from bricolage.tfidf._vectorizer import _PARAMETERS, TfidfVectorizer
from bricolage.tfidf.errors import (
    ConfigurationError,
    ModelFileError,
    TfidfError,
    UnsupportedVersionError,
)

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load_model", "read_model", "save_model"]

FORMAT_NAME = "bricolage-tfidf-model"
FORMAT_VERSION = 1
_CALLABLE_PARAMETERS = ("preprocessor", "tokenizer", "analyzer")
_TEXT_ANALYZER = "bricolage.text.Analyzer"

IndexPart = tuple[sp.csr_matrix, list[str]]


def _parameters(vectorizer: TfidfVectorizer) -> tuple[dict[str, Any], list[str]]:
    params = vectorizer.get_params()
    callables = []
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name == "vocabulary":
            continue
        if name == "analyzer" and isinstance(value, TextAnalyzer):
            try:
                out[name] = {_TEXT_ANALYZER: value.to_dict()}
            except TextError:  # custom parts: the caller passes the analyzer back at load
                callables.append(name)
                out[name] = None
        elif name in _CALLABLE_PARAMETERS and callable(value):
            callables.append(name)
            out[name] = None
        elif name == "stop_words" and value is not None and not isinstance(value, str):
            out[name] = sorted(value)
        elif name == "dtype":
            out[name] = np.dtype(value).name
        elif name == "ngram_range":
            out[name] = list(value)
        else:
            out[name] = value
    return out, callables


def _npy(array: npt.NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def save_model(
    vectorizer: TfidfVectorizer,
    path: str | os.PathLike[str],
    *,
    index: IndexPart | None = None,
) -> Path:
    """Write a fitted ``vectorizer`` (and optionally indexed vectors) to ``path``.

    The file is written next to its target and moved into place, so a failure never
    leaves a half-written model where a good one was.

    >>> from bricolage.tfidf import TfidfVectorizer, load_model, save_model
    >>> import pathlib, tempfile
    >>> vectorizer = TfidfVectorizer().fit(["red apple", "green apple"])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_model(vectorizer, pathlib.Path(folder, "model.btfidf"))
    ...     load_model(path).vocabulary_ == vectorizer.vocabulary_
    True
    """
    names = vectorizer.get_feature_names_out().tolist()
    parameters, callables = _parameters(vectorizer)
    manifest: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "writer": f"bricolage-tfidf {version('bricolage-tfidf')}",
        "parameters": parameters,
        "callables": callables,
        "fixed_vocabulary": vectorizer.fixed_vocabulary_,
        "n_documents": vectorizer.n_documents_,
        "features": names,
        "index": None,
    }
    members: dict[str, bytes] = {
        "document_frequency.npy": _npy(vectorizer.document_frequency_.astype(np.int64)),
    }
    if vectorizer.use_idf:
        members["idf.npy"] = _npy(vectorizer.idf_)
    if index is not None:
        matrix, ids = index
        manifest["index"] = {"n_documents": matrix.shape[0], "document_ids": list(ids)}
        members["index/data.npy"] = _npy(np.asarray(matrix.data, dtype=np.float64))
        members["index/indices.npy"] = _npy(np.asarray(matrix.indices))
        members["index/indptr.npy"] = _npy(np.asarray(matrix.indptr))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False))
        for name, data in members.items():
            archive.writestr(name, data)
    target = Path(path)
    write_atomic(target, buffer.getvalue())
    return target


def _fail(path: Path, problem: str) -> ModelFileError:
    return ModelFileError(f"{str(path)!r} is not a readable bricolage-tfidf model: {problem}")


def _array(archive: zipfile.ZipFile, name: str, path: Path) -> npt.NDArray[Any]:
    try:
        data = archive.read(name)
    except KeyError:
        raise _fail(path, f"the member {name!r} is missing") from None
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise _fail(path, f"the member {name!r} is not a plain .npy array ({error})") from error
    if not isinstance(array, np.ndarray) or array.ndim != 1:
        raise _fail(path, f"the member {name!r} must be a one-dimensional array")
    return array


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        raw = archive.read("manifest.json")
    except KeyError:
        raise _fail(path, "it has no manifest.json") from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _fail(path, f"manifest.json is not valid JSON ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise _fail(path, f"the format is {found!r}, expected {FORMAT_NAME!r}")
    file_version = manifest.get("version")
    if not isinstance(file_version, int) or isinstance(file_version, bool) or file_version < 1:
        raise _fail(path, f"the format version {file_version!r} is not a positive int")
    if file_version > FORMAT_VERSION:
        raise UnsupportedVersionError(
            f"{str(path)!r} uses model format version {file_version}, written by "
            f"{manifest.get('writer', 'a newer release')!s}; this release reads versions up to "
            f"{FORMAT_VERSION}: upgrade bricolage-tfidf to load it"
        )
    return manifest


def _check_manifest(manifest: dict[str, Any], path: Path) -> tuple[list[str], int]:
    features = manifest.get("features")
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise _fail(path, "'features' must be a list of strings")
    if len(set(features)) != len(features):
        raise _fail(path, "'features' holds a term twice")
    n_documents = manifest.get("n_documents")
    if not isinstance(n_documents, int) or isinstance(n_documents, bool) or n_documents < 1:
        raise _fail(path, f"'n_documents' must be a positive int, got {n_documents!r}")
    if not isinstance(manifest.get("parameters"), dict):
        raise _fail(path, "'parameters' must be an object")
    return features, n_documents


def read_model(
    path: str | os.PathLike[str], **callables: Callable[..., Any]
) -> tuple[TfidfVectorizer, IndexPart | None]:
    """Read a model file: the vectorizer and, if the file holds one, the indexed vectors.

    ``callables`` supplies the analyzer, tokenizer or preprocessor the model was fitted
    with when they were functions (a file never stores code).

    >>> from bricolage.tfidf import TfidfVectorizer, read_model, save_model
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_model(TfidfVectorizer().fit(["aa bb"]), pathlib.Path(folder, "m"))
    ...     vectorizer, index = read_model(path)
    >>> vectorizer.get_feature_names_out().tolist(), index
    (['aa', 'bb'], None)
    """
    source = Path(path)
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as error:
        raise _fail(
            source, "it is not a ZIP archive (truncated, or another kind of file)"
        ) from error
    try:
        with archive:
            manifest = _manifest(archive, source)
            features, n_documents = _check_manifest(manifest, source)
            df = _array(archive, "document_frequency.npy", source)
            idf = _array(archive, "idf.npy", source) if "idf.npy" in archive.namelist() else None
            index_arrays = None
            if manifest.get("index") is not None:
                index_arrays = tuple(
                    _array(archive, f"index/{name}.npy", source)
                    for name in ("data", "indices", "indptr")
                )
    except zipfile.BadZipFile as error:
        raise _fail(source, f"the archive is corrupt ({error})") from error
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError) as error:
        raise _fail(source, f"the archive cannot be read ({error})") from error

    vectorizer = _restore(source, manifest, features, n_documents, df, idf, callables)
    if index_arrays is None:
        return vectorizer, None
    return vectorizer, _restore_index(source, manifest["index"], index_arrays, len(features))


def _restore(
    source: Path,
    manifest: dict[str, Any],
    features: list[str],
    n_documents: int,
    df: npt.NDArray[Any],
    idf: npt.NDArray[Any] | None,
    callables: dict[str, Callable[..., Any]],
) -> TfidfVectorizer:
    parameters = dict(manifest["parameters"])
    unknown = sorted(set(parameters) - set(_PARAMETERS))
    if unknown:
        raise _fail(source, f"unknown parameters {unknown}")
    needed = manifest.get("callables", [])
    if not isinstance(needed, list):
        raise _fail(source, "'callables' must be a list")
    missing = [name for name in needed if name not in callables]
    if missing:
        raise ConfigurationError(
            f"{str(source)!r} was fitted with a function as {', '.join(missing)}; pass the same "
            f"function(s) to load it, e.g. load_model(path, {missing[0]}=my_function)"
        )
    extra = sorted(set(callables) - set(needed))
    if extra:
        raise ConfigurationError(f"{str(source)!r} was not fitted with a function as {extra}")
    parameters.update(callables)
    described = parameters.get("analyzer")
    if isinstance(described, dict):
        spec = described.get(_TEXT_ANALYZER)
        if not isinstance(spec, dict):
            raise _fail(source, f"the analyzer description {described!r} is not understood")
        try:
            parameters["analyzer"] = TextAnalyzer.from_dict(spec)
        except (TextError, TypeError, KeyError, ValueError) as error:
            raise _fail(source, f"its analyzer cannot be rebuilt ({error})") from error
    if "ngram_range" in parameters and isinstance(parameters["ngram_range"], list):
        parameters["ngram_range"] = tuple(parameters["ngram_range"])
    if "dtype" in parameters:
        if parameters["dtype"] not in ("float64", "float32"):
            raise _fail(source, f"dtype {parameters['dtype']!r} is not float64 or float32")
        parameters["dtype"] = getattr(np, parameters["dtype"])
    if manifest.get("fixed_vocabulary"):
        parameters["vocabulary"] = features
    try:
        vectorizer = TfidfVectorizer(**parameters)
    except (TfidfError, TypeError) as error:
        raise _fail(source, f"its parameters are invalid ({error})") from error
    width = len(features)
    if df.shape != (width,) or not np.issubdtype(df.dtype, np.integer) or (df < 0).any():
        raise _fail(source, f"document_frequency must hold {width} non-negative ints")
    if vectorizer.use_idf:
        if idf is None:
            raise _fail(source, "the member 'idf.npy' is missing")
        if idf.shape != (width,) or not np.issubdtype(idf.dtype, np.floating):
            raise _fail(source, f"idf must hold {width} floats")
    vectorizer._restore(features, df.astype(np.int64), n_documents, idf)
    return vectorizer


def _restore_index(
    source: Path, index: object, arrays: tuple[npt.NDArray[Any], ...], width: int
) -> IndexPart:
    if not isinstance(index, dict):
        raise _fail(source, "'index' must be an object")
    ids = index.get("document_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _fail(source, "'index.document_ids' must be a list of strings")
    data, indices, indptr = arrays
    try:
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(ids), width))
        matrix.check_format(full_check=True)
    except (ValueError, TypeError) as error:
        raise _fail(source, f"the indexed vectors are inconsistent ({error})") from error
    if not np.issubdtype(matrix.dtype, np.floating):
        raise _fail(source, "the indexed vectors must be floats")
    return matrix, ids


def load_model(path: str | os.PathLike[str], **callables: Callable[..., Any]) -> TfidfVectorizer:
    """Load the fitted vectorizer saved in ``path`` (see :func:`save_model`).

    Raises :class:`ModelFileError` for a file that is not a model or is damaged,
    :class:`UnsupportedVersionError` for a file from a newer format version.

    >>> from bricolage.tfidf import ModelFileError, load_model
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "notes.txt")
    ...     _ = path.write_text("not a model")
    ...     try:
    ...         load_model(path)
    ...     except ModelFileError as error:
    ...         print("not a ZIP archive" in str(error))
    True
    """
    vectorizer, _ = read_model(path, **callables)
    return vectorizer
