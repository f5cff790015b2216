"""The testing helpers and the public surface."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field
from pydantic._internal._utils import deep_update
from settings_support import AppSettings, write

import bricolage.settings
from bricolage.settings import LiveSettings, Settings, SettingsValidationError, testing
from bricolage.settings._layers import Origin, _Merger, decode_text, split_list


def test_from_values_reads_no_environment_and_no_file(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config / "settings.toml", 'name = "file"\n')
    write(config / ".env", "BRT_DEBUG=1\n")
    monkeypatch.setenv("BRT_PORTS", "1,2")
    settings = testing.from_values(AppSettings, hosts=["a", "b"])
    assert (settings.name, settings.debug, settings.ports) == ("app", False, [])
    assert settings.hosts == ["a", "b"]
    assert {row.kind for row in settings.explain()} == {"argument", "default"}


def test_from_values_validates_like_a_load() -> None:
    with pytest.raises(SettingsValidationError) as info:
        testing.from_values(AppSettings, debug="maybe", database={"port": "x"})
    assert {p.field for p in info.value.problems} == {"debug", "database.port"}


def test_override_swaps_in_and_restores_with_notifications(config: Path) -> None:
    write(config / "secrets" / "api_token", "t0ken")
    live = LiveSettings(AppSettings)
    seen: list[tuple[int, int]] = []
    live.subscribe(lambda old, new: seen.append((old.database.port, new.database.port)))
    original = live.current
    with testing.override(live, database={"port": 6000}, debug=True) as changed:
        assert live.current is changed
        assert (changed.database.port, changed.database.host, changed.debug) == (
            6000,
            "localhost",
            True,
        )
        assert changed.api_token.get_secret_value() == "t0ken"  # kept, not masked away
    assert live.current is original
    assert seen == [(5432, 6000), (6000, 5432)]


def test_override_refuses_invalid_changes(config: Path) -> None:
    live = LiveSettings(AppSettings)
    with pytest.raises(SettingsValidationError), testing.override(live, debug="maybe"):
        pass  # pragma: no cover - never entered
    assert live.current.debug is False


def test_public_names_are_documented_with_examples() -> None:
    exported = set(bricolage.settings.__all__)
    assert exported == {
        "ConfigFileError",
        "Explanation",
        "FieldExplanation",
        "LiveSettings",
        "PathLike",
        "Problem",
        "ProfileError",
        "ReloadResult",
        "Settings",
        "SettingsConfigDict",
        "SettingsError",
        "SettingsValidationError",
        "__version__",
    }
    for name in exported - {"__version__"}:
        obj = getattr(bricolage.settings, name)
        assert obj.__module__.startswith("bricolage.settings"), name
        assert ">>>" in (inspect.getdoc(obj) or ""), name
    for name in testing.__all__:
        assert ">>>" in (inspect.getdoc(getattr(testing, name)) or ""), name
    assert bricolage.settings.__version__ == "0.2.0"


def test_errors_inherit_the_builtin_they_refine() -> None:
    from bricolage.settings import ConfigFileError, ProfileError, SettingsError

    for error in (SettingsValidationError, ConfigFileError, ProfileError):
        assert issubclass(error, SettingsError)
        assert issubclass(error, ValueError)


# ----------------------------------------------------------------------------- properties

KEYS = st.sampled_from(["a", "b", "c"])
LEAF = st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2))
TREE = st.recursive(LEAF, lambda inner: st.dictionaries(KEYS, inner, max_size=3), max_leaves=8)
LAYER = st.dictionaries(KEYS, TREE, max_size=3)


@given(layers=st.lists(LAYER, min_size=1, max_size=4))
def test_merging_matches_pydantic_settings_and_keeps_one_origin_per_leaf(
    layers: list[dict[str, Any]],
) -> None:
    merger = _Merger()
    expected: dict[str, Any] = {}

    def origin_in(index: int) -> Callable[[tuple[str, ...]], Origin]:
        return lambda path: Origin("argument", f"{index}:{'.'.join(path)}")

    for index, layer in enumerate(layers):
        merger.add(layer, origin_in(index))
        expected = deep_update(expected, layer)
    assert merger.data == expected
    # Each origin names the last layer that set that exact leaf, and no origin is left
    # for a key that a later layer replaced.
    for path, origin in merger.origins.items():
        node: Any = merger.data
        for part in path:
            node = node[part]
        layer_index = int(origin.name.split(":")[0])
        node_in_layer: Any = layers[layer_index]
        for part in path:
            node_in_layer = node_in_layer[part]
        assert node_in_layer == node
        for later in layers[layer_index + 1 :]:
            cursor: Any = later
            for part in path:
                if not isinstance(cursor, dict) or part not in cursor:
                    break
                cursor = cursor[part]
            else:
                if not (cursor == {} and isinstance(node, dict)):  # merging {} is a no-op
                    raise AssertionError(f"{path} was set again by a later layer")


@given(items=st.lists(st.text(alphabet="abc xyz.:/-_0123456789", min_size=1), max_size=5))
def test_comma_lists_round_trip(items: list[str]) -> None:
    cleaned = [item.strip() for item in items]
    if any(not item for item in cleaned):
        return
    assert split_list(", ".join(cleaned)) == cleaned


def test_split_list_edges() -> None:
    assert split_list("") == []
    assert split_list("  ") == []
    assert split_list("a,,b") == ["a", "", "b"]


class _Lists(Settings):
    items: list[str] = Field(default_factory=list)
    table: dict[str, int] = Field(default_factory=dict)


@given(items=st.lists(st.text(max_size=6), max_size=5))
def test_json_lists_decode_exactly_whatever_they_hold(items: list[str]) -> None:
    text = json.dumps(items)
    info = _Lists.model_fields["items"]
    assert decode_text(info, text, json_decode=lambda: json.loads(text)) == items


@given(text=st.text(max_size=12))
def test_decoding_never_raises_and_keeps_undecodable_text(text: str) -> None:
    info = _Lists.model_fields["table"]
    try:
        expected: object = json.loads(text)
    except ValueError:
        expected = text
    result = decode_text(info, text, json_decode=lambda: json.loads(text))
    # Compared as JSON text: "NaN" decodes to a float that is not equal to itself.
    assert json.dumps(result) == json.dumps(expected)
