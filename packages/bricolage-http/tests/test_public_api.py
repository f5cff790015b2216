"""The public surface is what the docs say, and every public name shows an example."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import bricolage.http
import bricolage.http.errors
import bricolage.http.testing

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "packages" / "http" / "reference.md"
PUBLIC = sorted(set(bricolage.http.__all__) - {"__version__"})


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_has_a_docstring_with_an_example(name: str) -> None:
    obj = getattr(bricolage.http, name)
    doc = inspect.getdoc(obj) or ""
    assert ">>>" in doc, f"{name} has no example in its docstring"


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_is_in_the_reference(name: str) -> None:
    if not REFERENCE.is_file():  # the installed package without the docs tree
        pytest.skip("docs/ is not next to this checkout")
    text = REFERENCE.read_text(encoding="utf-8")
    if name in bricolage.http.errors.__all__:
        assert ".. automodule:: bricolage.http.errors" in text
    else:
        assert f"bricolage.http.{name}" in text


def test_nothing_private_leaks() -> None:
    for name in bricolage.http.__all__:
        assert not name.startswith("_") or name == "__version__"
        obj = getattr(bricolage.http, name)
        module = getattr(obj, "__module__", "bricolage.http")
        assert module is None or module.startswith("bricolage.http")
    assert bricolage.http.__version__


def test_errors_inherit_the_builtins_they_refine() -> None:
    errors = bricolage.http.errors
    assert issubclass(errors.PolicyError, ValueError)
    assert issubclass(errors.StorageError, OSError)
    assert issubclass(errors.CorruptEntryError, ValueError)
    assert issubclass(errors.MissingExtraError, ImportError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.BricolageHTTPError)


def test_frozen_clock_refuses_to_go_back() -> None:
    with pytest.raises(ValueError, match="cannot go back"):
        bricolage.http.testing.FrozenClock().advance(-1)
