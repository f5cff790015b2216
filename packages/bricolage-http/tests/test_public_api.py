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


MOVED = sorted(bricolage.http._MOVED)


def test_public_name_count_is_small() -> None:
    # 0.1 exported 51 names; the RFC 9111 helpers now live in bricolage.http.rfc9111.
    assert len(bricolage.http.__all__) == 37


@pytest.mark.parametrize("name", MOVED)
def test_moved_names_still_resolve_with_a_warning(name: str) -> None:
    import bricolage.http.rfc9111 as rfc9111

    new = bricolage.http._MOVED[name]
    with pytest.warns(DeprecationWarning, match=rf"use bricolage\.http\.rfc9111\.{new}\b"):
        obj = getattr(bricolage.http, name)
    assert obj is getattr(rfc9111, new)
    assert name not in bricolage.http.__all__


def test_vague_names_are_gone_from_the_top_level() -> None:
    for name in ("decide", "Action", "Lookup"):
        assert name not in bricolage.http.__all__
        assert name not in dir(bricolage.http)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        bricolage.http.nonsense  # noqa: B018


def test_rfc9111_names_have_examples() -> None:
    import bricolage.http.rfc9111 as rfc9111

    for name in rfc9111.__all__:
        obj = getattr(rfc9111, name)
        if callable(obj):
            assert ">>>" in (inspect.getdoc(obj) or ""), name


def test_frozen_clock_follows_the_shared_api() -> None:
    from bricolage.http import Clock
    from bricolage.http.testing import FrozenClock

    clock = FrozenClock()
    assert isinstance(clock, Clock)
    assert (clock.now(), clock.monotonic(), clock()) == (1_700_000_000.0, 0.0, 1_700_000_000.0)
    clock.advance(5)
    assert (clock.now(), clock.monotonic()) == (1_700_000_005.0, 5.0)
    clock.set(10.0)
    assert (clock.now(), clock.monotonic()) == (10.0, 5.0)
    clock.sleep(2)
    assert (clock.now(), clock.monotonic(), clock.sleeps) == (12.0, 7.0, [2])


def test_a_bare_function_as_the_cache_clock_is_deprecated() -> None:
    import httpx

    from bricolage.http import CacheTransport

    with pytest.warns(DeprecationWarning, match=r"CacheTransport\(clock=<function>\)"):
        transport = CacheTransport(
            httpx.MockTransport(lambda r: httpx.Response(200)), clock=lambda: 5.0
        )
    assert transport.clock.now() == 5.0
    assert transport.clock.monotonic() >= 0.0
    transport.close()
