"""Plugins: contracts, entry points, folders, hooks, enable/disable, hot reload."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Protocol

import anyio
import pytest

from bricolage.patterns import PluginError, PluginRegistry


class Formatter(Protocol):
    name: str

    def format(self, text: str) -> str | Awaitable[str | None] | None: ...


class Upper:
    name = "upper"

    def format(self, text: str) -> str:
        return text.upper()


class Shy:
    name = "shy"

    def format(self, text: str) -> str | None:
        return None


class AsyncReverse:
    name = "reverse"

    async def format(self, text: str) -> str:
        await anyio.sleep(0)
        return text[::-1]


def plugin_source(body: str) -> str:
    return textwrap.dedent(
        f"""
        class Plugin:
            name = "from file"

            def format(self, text):
                return {body}

        plugin = Plugin()
        """
    )


def test_plugins_must_fit_the_extension_point() -> None:
    registry: PluginRegistry[Formatter] = PluginRegistry(Formatter)
    registry.add("upper", Upper())

    class NoName:
        def format(self, text: str) -> str:
            return text

    with pytest.raises(PluginError, match="plugin 'bad' lacks name, required by Formatter"):
        registry.add("bad", NoName())  # type: ignore[arg-type]
    assert registry.names == ("upper",)


def test_hooks_first_result_and_collect_all_in_order() -> None:
    registry: PluginRegistry[Formatter] = PluginRegistry(Formatter)
    registry.add("shy", Shy())
    registry.add("upper", Upper())
    assert registry.call_all(lambda p: p.format("hi")) == [None, "HI"]
    assert registry.call_first(lambda p: p.format("hi")) == "HI"
    registry.disable("upper")
    assert registry.call_first(lambda p: p.format("hi")) is None
    assert [p.name for p in registry.enabled()] == ["shy"]
    registry.enable("upper")
    assert registry.call_first(lambda p: p.format("hi")) == "HI"
    assert registry["upper"].name == "upper"
    with pytest.raises(
        KeyError, match="no plugin named 'nope'; the plugins are \\['shy', 'upper'\\]"
    ):
        registry.enable("nope")


@pytest.mark.anyio
async def test_async_hooks_mix_sync_and_async_plugins() -> None:
    registry: PluginRegistry[Formatter] = PluginRegistry(Formatter)
    registry.add("shy", Shy())
    registry.add("reverse", AsyncReverse())
    registry.add("upper", Upper())
    assert await registry.acall_all(lambda p: p.format("ab")) == [None, "ba", "AB"]
    assert await registry.acall_first(lambda p: p.format("ab")) == "ba"
    registry.disable("reverse")
    registry.disable("upper")
    assert await registry.acall_first(lambda p: p.format("ab")) is None


@pytest.fixture
def installed_entry_points(tmp_path: Path) -> Iterator[Path]:
    """A real distribution on sys.path advertising entry points, found by importlib.metadata."""
    site = tmp_path / "site"
    pkg = site / "textplugins"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "class Title:\n    name = 'title'\n    def format(self, text):\n"
        "        return text.title()\n\nshared = Title()\n"
    )
    (pkg / "broken.py").write_text("raise RuntimeError('missing native library')\n")
    info = site / "textplugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: textplugins\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[bricolage.test.formatters]\ntitle = textplugins:Title\nshared = textplugins:shared\n"
        "\n[bricolage.test.broken]\nbroken = textplugins.broken:Thing\n"
    )
    sys.path.insert(0, str(site))
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        for name in [m for m in sys.modules if m.startswith("textplugins")]:
            del sys.modules[name]


def test_entry_points_are_discovered(installed_entry_points: Path) -> None:
    registry: PluginRegistry[Formatter] = PluginRegistry(Formatter)
    assert sorted(registry.load_entry_points("bricolage.test.formatters")) == ["shared", "title"]
    assert registry.call_all(lambda p: p.format("hello world")) == ["Hello World"] * 2
    with pytest.raises(PluginError, match=r"entry point 'broken' .* missing native library"):
        registry.load_entry_points("bricolage.test.broken")


def test_a_folder_of_modules_and_hot_reload(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "shout.py").write_text(plugin_source("text.upper() + '!'"))
    (folder / "_helpers.py").write_text("raise RuntimeError('never imported')")
    (folder / "notes.txt").write_text("not python")
    registry: PluginRegistry[Formatter] = PluginRegistry(Formatter)
    report = registry.load_folder(folder)
    assert report.loaded == ("shout",)
    assert registry.call_all(lambda p: p.format("hi")) == ["HI!"]

    # The application keeps running; the plugin file is edited.
    (folder / "shout.py").write_text(plugin_source("text.upper() + '!!!'"))
    (folder / "whisper.py").write_text(plugin_source("text.lower()"))
    report = registry.reload()
    assert (report.loaded, report.unchanged, report.failed) == (("shout", "whisper"), (), {})
    assert registry.call_all(lambda p: p.format("Hi")) == ["HI!!!", "hi"]

    # A broken edit keeps the old plugin and says why.
    (folder / "shout.py").write_text("def broken(:\n")
    (folder / "nameless.py").write_text("x = 1\n")
    (folder / "unfit.py").write_text("plugin = object()\n")
    with caplog.at_level(logging.WARNING, logger="bricolage.patterns._plugins"):
        report = registry.reload()
    assert report.unchanged == ("whisper",)
    assert report.failed["shout"].startswith("SyntaxError")
    assert "defines no module-level 'plugin'" in report.failed["nameless"]
    assert "lacks format, name" in report.failed["unfit"]
    assert "keeping the previous version" in caplog.text
    assert registry.names == ("shout", "whisper")
    assert registry.call_all(lambda p: p.format("Hi")) == ["HI!!!", "hi"]

    # A fixed file loads; a removed file removes its plugin.
    (folder / "shout.py").write_text(plugin_source("'fixed'"))
    (folder / "whisper.py").unlink()
    report = registry.reload()
    assert report.loaded == ("shout",)
    assert report.removed == ("whisper",)
    assert registry.call_all(lambda p: p.format("x")) == ["fixed"]


def test_reload_needs_a_folder() -> None:
    with pytest.raises(PluginError, match="call load_folder\\(\\) first"):
        PluginRegistry(Formatter).reload()
