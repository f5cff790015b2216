"""Plugins: typed extension points, discovery, hooks, enable/disable and hot reload."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar

from bricolage.patterns.errors import PluginError

__all__ = ["PluginRegistry", "ReloadReport"]

logger = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """What :meth:`PluginRegistry.reload` did, plugin name by plugin name.

    >>> ReloadReport(loaded=("csv",), failed={"pdf": "SyntaxError: ..."}).failed["pdf"]
    'SyntaxError: ...'
    """

    loaded: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)


def _members(extension: type) -> list[str]:
    names: list[str] = []
    for klass in reversed(extension.__mro__):
        if klass in (object, Generic) or klass.__name__ == "Protocol":
            continue
        for name in (*vars(klass), *getattr(klass, "__annotations__", {})):
            if not name.startswith("_") and name not in names:
                names.append(name)
    return names


class PluginRegistry(Generic[P]):
    """Plugins that implement one extension point, found in entry points or a folder.

    The extension point is a class (usually a :class:`typing.Protocol`) whose public
    members every plugin must have. Hooks are called through typed lambdas, so mypy checks
    them: :meth:`call_all` collects every enabled plugin's result, :meth:`call_first`
    stops at the first that is not ``None``; :meth:`acall_all` and :meth:`acall_first`
    also await async results. Plugins are called in the order they were added.

    Args:
        extension: The extension point class.

    >>> from typing import Protocol
    >>> class Exporter(Protocol):
    ...     def export(self, rows: list[str]) -> str | None: ...
    >>> class Csv:
    ...     def export(self, rows: list[str]) -> str:
    ...         return ",".join(rows)
    >>> registry = PluginRegistry(Exporter)
    >>> registry.add("csv", Csv())
    >>> registry.call_all(lambda plugin: plugin.export(["a", "b"]))
    ['a,b']
    """

    def __init__(self, extension: type) -> None:
        self.extension = extension
        self._members = _members(extension)
        self._plugins: dict[str, P] = {}
        self._disabled: set[str] = set()
        self._folder_files: dict[str, tuple[Path, str]] = {}  # name -> (file, digest)

    # -- adding plugins -----------------------------------------------------------------

    def add(self, name: str, plugin: P) -> None:
        """Add (or replace) the plugin ``name``, after checking it fits the extension point.

        Raises:
            PluginError: The plugin lacks a member the extension point declares.

        >>> from typing import Protocol
        >>> class Greeter(Protocol):
        ...     def greet(self) -> str: ...
        >>> try:
        ...     PluginRegistry(Greeter).add("mute", object())
        ... except PluginError as exc:
        ...     print(exc)
        plugin 'mute' lacks greet, required by Greeter
        """
        self._check(name, plugin)
        self._plugins[name] = plugin

    def _check(self, name: str, plugin: object) -> None:
        missing = [member for member in self._members if not hasattr(plugin, member)]
        if missing:
            raise PluginError(
                f"plugin {name!r} lacks {', '.join(missing)}, required by "
                f"{self.extension.__qualname__}"
            )

    def load_entry_points(self, group: str) -> list[str]:
        """Add the plugins advertised under the entry-point ``group``; return their names.

        An entry point may name a class (instantiated without arguments) or an object.

        Raises:
            PluginError: One cannot be imported or does not fit; the ones before it stay.

        >>> PluginRegistry(object).load_entry_points("no.such.group")
        []
        """
        names = []
        for entry in importlib.metadata.entry_points(group=group):
            try:
                loaded = entry.load()
            except Exception as exc:
                raise PluginError(
                    f"entry point {entry.name!r} ({entry.value}) of group {group!r} failed "
                    f"to import: {type(exc).__name__}: {exc}"
                ) from exc
            self.add(entry.name, typing.cast(P, loaded() if inspect.isclass(loaded) else loaded))
            names.append(entry.name)
        return names

    def load_folder(self, folder: str | PathLike[str]) -> ReloadReport:
        """Import every ``*.py`` module of ``folder`` (not ``_*.py``) as a plugin.

        A module provides its plugin as a module-level ``plugin`` object. The plugin's
        name is the file's stem. Calling it again reloads the folder: see :meth:`reload`.

        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "hello.py").write_text("plugin = 'hi'")
        >>> PluginRegistry(object).load_folder(folder).loaded
        ('hello',)
        """
        self._folder = Path(folder)
        return self.reload()

    def reload(self) -> ReloadReport:
        """Import the changed, new and removed modules of the plugin folder again.

        A module whose content changed is imported afresh; if the import fails or the new
        plugin does not fit the extension point, the old plugin stays in place and the
        error is reported (and logged). A removed file removes its plugin.

        Raises:
            PluginError: No folder was loaded.

        >>> try:
        ...     PluginRegistry(object).reload()
        ... except PluginError as exc:
        ...     print(exc)
        no plugin folder to reload: call load_folder() first
        """
        folder: Path | None = getattr(self, "_folder", None)
        if folder is None:
            raise PluginError("no plugin folder to reload: call load_folder() first")
        loaded: list[str] = []
        unchanged: list[str] = []
        failed: dict[str, str] = {}
        present = {}
        for file in sorted(folder.glob("*.py")):
            if not file.name.startswith("_"):
                present[file.stem] = file
        for name, file in present.items():
            source = file.read_bytes()
            digest = hashlib.sha256(source).hexdigest()
            known = self._folder_files.get(name)
            if known is not None and known[1] == digest:
                unchanged.append(name)
                continue
            try:
                module = _import_file(file, folder)
                plugin = getattr(module, "plugin", None)
                if plugin is None:
                    raise PluginError(f"{file} defines no module-level 'plugin'")
                self._check(name, plugin)
            except Exception as exc:  # noqa: BLE001 - a plugin may raise anything; old one stays
                failed[name] = f"{type(exc).__name__}: {exc}"
                logger.warning(
                    "plugin %r from %s failed to load; %s: %s",
                    name,
                    file,
                    "keeping the previous version" if name in self._plugins else "not added",
                    failed[name],
                )
                continue
            self._plugins[name] = plugin
            self._folder_files[name] = (file, digest)
            loaded.append(name)
        removed = [name for name in self._folder_files if name not in present]
        for name in removed:
            del self._folder_files[name]
            self._plugins.pop(name, None)
        return ReloadReport(tuple(loaded), tuple(removed), tuple(unchanged), failed)

    # -- state --------------------------------------------------------------------------

    def __getitem__(self, name: str) -> P:
        """The plugin ``name``, enabled or not.

        >>> registry = PluginRegistry(object)
        >>> registry.add("x", 42)
        >>> registry["x"]
        42
        """
        return self._plugins[name]

    @property
    def names(self) -> tuple[str, ...]:
        """Every plugin's name, enabled or not, in call order.

        >>> PluginRegistry(object).names
        ()
        """
        return tuple(self._plugins)

    def enabled(self) -> list[P]:
        """The enabled plugins, in call order.

        >>> registry = PluginRegistry(object)
        >>> registry.add("a", 1); registry.add("b", 2)
        >>> registry.disable("a")
        >>> registry.enabled()
        [2]
        """
        return [p for name, p in self._plugins.items() if name not in self._disabled]

    def disable(self, name: str) -> None:
        """Stop calling the plugin ``name`` (it stays registered).

        Raises:
            KeyError: No plugin has this name.

        >>> PluginRegistry(object).disable("ghost")
        Traceback (most recent call last):
        ...
        KeyError: "no plugin named 'ghost'; the plugins are []"
        """
        self._known(name)
        self._disabled.add(name)

    def enable(self, name: str) -> None:
        """Call the plugin ``name`` again.

        >>> registry = PluginRegistry(object)
        >>> registry.add("a", 1); registry.disable("a"); registry.enable("a")
        >>> registry.enabled()
        [1]
        """
        self._known(name)
        self._disabled.discard(name)

    def _known(self, name: str) -> None:
        if name not in self._plugins:
            raise KeyError(f"no plugin named {name!r}; the plugins are {sorted(self._plugins)}")

    # -- hooks --------------------------------------------------------------------------

    def call_all(self, hook: Callable[[P], R]) -> list[R]:
        """Call ``hook`` on every enabled plugin; return the results in order.

        >>> registry = PluginRegistry(object)
        >>> registry.add("a", 1); registry.add("b", 2)
        >>> registry.call_all(lambda plugin: plugin * 10)
        [10, 20]
        """
        return [hook(plugin) for plugin in self.enabled()]

    def call_first(self, hook: Callable[[P], R | None]) -> R | None:
        """Call ``hook`` on the enabled plugins until one returns something but ``None``.

        >>> registry = PluginRegistry(object)
        >>> registry.add("a", 1); registry.add("b", 2)
        >>> registry.call_first(lambda plugin: plugin if plugin > 1 else None)
        2
        """
        for plugin in self.enabled():
            result = hook(plugin)
            if result is not None:
                return result
        return None

    async def acall_all(self, hook: Callable[[P], Awaitable[R] | R]) -> list[R]:
        """Like :meth:`call_all`, awaiting the results that are awaitable, one at a time.

        >>> import anyio
        >>> registry = PluginRegistry(object)
        >>> registry.add("a", 1)
        >>> async def double(plugin):
        ...     return plugin * 2
        >>> anyio.run(registry.acall_all, double)
        [2]
        """
        results: list[R] = []
        for plugin in self.enabled():
            result = hook(plugin)
            results.append(await result if inspect.isawaitable(result) else result)
        return results

    async def acall_first(self, hook: Callable[[P], Awaitable[R | None] | R | None]) -> R | None:
        """Like :meth:`call_first`, awaiting the results that are awaitable.

        >>> import anyio
        >>> registry = PluginRegistry(object)
        >>> registry.add("a", 1)
        >>> async def nothing(plugin):
        ...     return None
        >>> anyio.run(registry.acall_first, nothing) is None
        True
        """
        for plugin in self.enabled():
            result: Any = hook(plugin)
            if inspect.isawaitable(result):
                result = await result
            if result is not None:
                return result  # type: ignore[no-any-return]
        return None


def _import_file(file: Path, folder: Path) -> ModuleType:
    """Import ``file`` afresh under a private module name tied to its folder."""
    tag = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    name = f"_bricolage_plugins_{tag}.{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
        raise PluginError(f"cannot import {file}")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
        raise
    return module
