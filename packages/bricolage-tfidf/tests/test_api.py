"""The public surface: what __all__ promises exists, is documented and runs an example."""

from __future__ import annotations

import inspect

import bricolage.tfidf as tfidf


def test_every_public_name_exists_and_has_an_example() -> None:
    for name in tfidf.__all__:
        obj = getattr(tfidf, name)
        if name.isupper() or name == "__version__":
            continue
        doc = inspect.getdoc(obj) or ""
        assert ">>>" in doc, f"{name} has no example"


def test_nothing_private_is_exported() -> None:
    assert all(not name.startswith("_") or name == "__version__" for name in tfidf.__all__)
    assert sorted(tfidf.__all__) == sorted(set(tfidf.__all__))


def test_version_comes_from_the_metadata() -> None:
    assert tfidf.__version__ == "0.2.0"
