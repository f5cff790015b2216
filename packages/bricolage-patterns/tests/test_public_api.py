"""The public surface: what ``__all__`` exports is documented, with a runnable example."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import bricolage.patterns as patterns
from bricolage.patterns import errors

REFERENCE = Path(__file__).parents[3] / "docs" / "packages" / "patterns" / "reference.md"
ALIASES = {"ANY_STATE", "Guard", "Hook", "Lifetime", "Middleware", "NextHandler", "__version__"}


@pytest.mark.parametrize("name", sorted(set(patterns.__all__) - ALIASES))
def test_every_public_name_has_an_example(name: str) -> None:
    obj = getattr(patterns, name)
    assert inspect.isclass(obj) or callable(obj)
    assert ">>>" in (obj.__doc__ or ""), f"{name} has no doctest example"


@pytest.mark.parametrize("name", sorted(set(patterns.__all__) - {"__version__"}))
def test_every_public_name_is_in_the_reference(name: str) -> None:
    assert f"bricolage.patterns.{name}" in REFERENCE.read_text()


def test_errors_are_exported_once_and_share_the_base() -> None:
    for name in errors.__all__:
        assert getattr(patterns, name) is getattr(errors, name)
        assert issubclass(getattr(errors, name), errors.PatternsError)


def test_nothing_private_leaks() -> None:
    assert all(not name.startswith("_") or name == "__version__" for name in patterns.__all__)
    assert sorted(patterns.__all__) == patterns.__all__
