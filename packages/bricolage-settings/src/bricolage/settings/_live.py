"""Settings that reload: on demand or when a file changes, swapped in atomically.

File changes are noticed through watchfiles (the extra ``bricolage-settings[watch]``),
which the operating system tells of each change; where that is not possible (watchfiles
missing, failing to start, a folder that does not exist yet, or a network filesystem that
sends no events, chosen with ``watcher="poll"``) a thread compares digests of the watched
files every ``interval`` seconds instead.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import (  # noqa: UP035 - typing's names resolve in the offline docs build
    Any,
    Callable,
    Generic,
    Literal,
    Self,
)

from bricolage.settings import _base, _layers
from bricolage.settings._base import PathLike, SettingsT
from bricolage.settings.errors import SettingsError

__all__ = ["LiveSettings", "ReloadResult"]


logger = logging.getLogger("bricolage.settings")

Fingerprint = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ReloadResult(Generic[SettingsT]):
    """What one reload did.

    Attributes:
        old: The settings before the reload.
        new: The settings after it: a new object when the reload changed something, else
            ``old`` itself (an invalid edit keeps the old settings).
        changed: Whether ``new`` replaced ``old``.
        error: Why the reload was refused (a :class:`~bricolage.settings.SettingsError`
            whose message masks secrets), or ``None``.

    >>> from bricolage.settings import Settings
    >>> class Demo(Settings):
    ...     port: int = 1
    >>> live = LiveSettings(Demo, config_dir="/nonexistent")
    >>> result = live.reload()
    >>> result.ok, result.changed, result.new is result.old
    (True, False, True)
    """

    old: SettingsT
    new: SettingsT
    changed: bool
    error: SettingsError | None = None

    @property
    def ok(self) -> bool:
        """Whether the reload succeeded (changed or not)."""
        return self.error is None


def _digest(path: Path) -> str:
    """A digest of a file, or of a folder's entries, or ``"-"`` when it does not exist."""
    try:
        if path.is_dir():
            hasher = hashlib.blake2b(digest_size=16)
            for entry in sorted(path.iterdir()):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                hasher.update(entry.name.encode("utf-8", "surrogateescape") + b"\0")
                hasher.update(entry.read_bytes() + b"\0")
            return "dir:" + hasher.hexdigest()
        return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except FileNotFoundError:
        return "-"
    except OSError as exc:
        return f"error:{exc.errno}"


class LiveSettings(Generic[SettingsT]):
    """Settings that can be reloaded while the program runs.

    ``current`` is always a complete, valid settings object. :meth:`reload` builds and
    validates a new one from the same sources and swaps it in atomically; subscribers are
    then called with the old and the new object. An invalid edit keeps the old settings:
    :meth:`reload` returns the reason, ``last_error`` holds it, ``on_error`` is called with
    it and a warning is logged on the ``bricolage.settings`` logger (secrets masked).

    :meth:`poll` reloads only when a watched file (``settings.toml``, the profile file, the
    ``.env`` file, the secrets directory) changed since the last load; with ``settle``, only
    once the files have stayed unchanged for that many seconds. :meth:`start` runs a
    background thread that calls :meth:`poll` whenever watchfiles reports a change in the
    folders holding those files (extra ``bricolage-settings[watch]``), or every
    ``interval`` seconds when watchfiles is missing or fails, or with ``watcher="poll"``
    (network filesystems send no change events). :meth:`stop` ends it (``with live:`` does
    both); :attr:`watcher` says which mechanism runs.

    Reading ``current`` takes no lock and is safe from any thread or task: it is one
    attribute read of an immutable object.

    Args:
        settings_cls: The :class:`Settings` subclass to load.
        profile: The profile to load (default: the one the environment picks).
        config_dir: The folder of the settings files (default: the class's ``config_dir``).
        on_error: Called with the error when a reload is refused.
        settle: Seconds the watched files must stay unchanged before :meth:`poll` reloads
            (default 0: at the first poll that sees a change).
        clock: The monotonic clock ``settle`` is measured with (injectable for tests).
        **values: Explicit values passed to every load.

    Raises:
        SettingsError: When the first load fails (there are no old settings to keep).

    >>> from bricolage.settings import Settings
    >>> class Demo(Settings):
    ...     port: int = 1
    >>> live = LiveSettings(Demo, config_dir="/nonexistent")
    >>> seen = []
    >>> unsubscribe = live.subscribe(lambda old, new: seen.append((old.port, new.port)))
    >>> live.current.port
    1
    """

    def __init__(
        self,
        settings_cls: type[SettingsT],
        *,
        profile: str | None = None,
        config_dir: str | PathLike | None = None,
        on_error: Callable[[SettingsError], object] | None = None,
        settle: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        **values: Any,
    ) -> None:
        if settle < 0:
            raise ValueError(f"settle must be zero or positive, got {settle!r}")
        self._settle = settle
        self._clock = clock
        self._pending: tuple[Fingerprint, float] | None = None
        self._cls = settings_cls
        self._profile = profile
        self._config_dir = config_dir
        self._values = values
        self._on_error = on_error
        self._lock = threading.RLock()
        self._subscribers: list[Callable[[SettingsT, SettingsT], object]] = []
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._mechanism: Literal["watchfiles", "poll"] | None = None
        self.last_error: SettingsError | None = None
        self._fingerprint: Fingerprint = ()
        self._current: SettingsT = self._load()

    @property
    def current(self) -> SettingsT:
        """The settings in force, always complete and valid."""
        return self._current

    @property
    def watcher(self) -> Literal["watchfiles", "poll"] | None:
        """The mechanism the running watcher uses, or ``None`` when none runs.

        >>> from bricolage.settings import Settings
        >>> class Demo(Settings):
        ...     port: int = 1
        >>> live = LiveSettings(Demo, config_dir="/nonexistent")
        >>> live.watcher is None
        True
        >>> live.start(interval=0.05)
        >>> live.watcher  # the folder does not exist: nothing to subscribe to
        'poll'
        >>> live.stop()
        """
        return self._mechanism

    @property
    def watched_paths(self) -> tuple[str, ...]:
        """The files and folders whose change triggers a reload in :meth:`poll`."""
        return tuple(path for path, _ in self._fingerprint)

    def _load(self) -> SettingsT:
        # The fingerprint is taken before reading: an edit made during the read shows as a
        # change on the next poll instead of being lost. It is kept even when the load
        # fails, so a broken file is reported once, not at every poll.
        lay = _layers.layout(
            self._cls, profile=self._profile, config_dir=self._config_dir, environ=os.environ
        )
        self._fingerprint = tuple((str(p), _digest(p)) for p in lay.watched())
        return _base.build(
            self._cls, self._values, profile=self._profile, config_dir=self._config_dir
        )

    def subscribe(self, callback: Callable[[SettingsT, SettingsT], object]) -> Callable[[], None]:
        """Call ``callback(old, new)`` after each change; returns a function that unsubscribes.

        Callbacks run on the thread that reloaded, in subscription order, after the swap.
        One that raises is logged and does not stop the others.

        >>> from bricolage.settings import Settings
        >>> class Demo(Settings):
        ...     port: int = 1
        >>> live = LiveSettings(Demo, config_dir="/nonexistent")
        >>> unsubscribe = live.subscribe(print)
        >>> unsubscribe()
        """
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def reload(self) -> ReloadResult[SettingsT]:
        """Read every source again, validate, and swap the result in if it differs.

        Never raises for bad settings: the result carries the error and the old settings
        stay in force.

        >>> from bricolage.settings import Settings
        >>> class Demo(Settings):
        ...     port: int = 1
        >>> LiveSettings(Demo, config_dir="/nonexistent").reload().changed
        False
        """
        with self._lock:
            old = self._current
            try:
                new = self._load()
            except SettingsError as exc:
                self.last_error = exc
                logger.warning("settings reload refused, keeping the previous settings: %s", exc)
                if self._on_error is not None:
                    self._notify_error(exc)
                return ReloadResult(old=old, new=old, changed=False, error=exc)
            self.last_error = None
            # Values, not provenance: a value that moved from one source to another with
            # the same content is no change for the program.
            if new.model_dump() == old.model_dump():
                return ReloadResult(old=old, new=old, changed=False)
            self._swap(new)
            return ReloadResult(old=old, new=new, changed=True)

    def _notify_error(self, error: SettingsError) -> None:
        assert self._on_error is not None
        try:
            self._on_error(error)
        except Exception:
            logger.exception("settings on_error callback failed")

    def _swap(self, new: SettingsT) -> None:
        """Install ``new`` and tell the subscribers (the lock is held)."""
        with self._lock:
            old = self._current
            self._current = new
            for callback in list(self._subscribers):
                try:
                    callback(old, new)
                except Exception:
                    logger.exception("settings subscriber %r failed", callback)

    def poll(self) -> ReloadResult[SettingsT] | None:
        """Reload if a watched file changed since the last load; else return ``None``.

        >>> from bricolage.settings import Settings
        >>> class Demo(Settings):
        ...     port: int = 1
        >>> LiveSettings(Demo, config_dir="/nonexistent").poll() is None
        True
        """
        with self._lock:
            now = tuple((path, _digest(Path(path))) for path, _ in self._fingerprint)
            if now == self._fingerprint:
                self._pending = None
                return None
            if self._settle > 0:
                # Wait until the files stop changing: an editor or a deploy tool that writes
                # in several steps is read once, when it is done.
                at = self._clock()
                if self._pending is None or self._pending[0] != now:
                    self._pending = (now, at)
                    return None
                if at - self._pending[1] < self._settle:
                    return None
            self._pending = None
            return self.reload()

    def start(
        self,
        interval: float = 1.0,
        *,
        watcher: Literal["auto", "watchfiles", "poll"] = "auto",
    ) -> None:
        """Watch the settings files on a daemon thread until :meth:`stop`.

        With ``watcher="auto"`` (the default) changes are taken from watchfiles when it is
        installed and can watch the folders, else from polling every ``interval``
        seconds; ``"watchfiles"`` refuses to start without it; ``"poll"`` always polls
        (use it on network filesystems, which send no change events). A watchfiles
        watcher that fails while running falls back to polling, with a warning.

        >>> from bricolage.settings import Settings
        >>> class Demo(Settings):
        ...     port: int = 1
        >>> live = LiveSettings(Demo, config_dir="/nonexistent")
        >>> live.start(interval=0.05, watcher="poll")
        >>> live.watcher
        'poll'
        >>> live.stop()
        """
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        if watcher not in ("auto", "watchfiles", "poll"):
            raise ValueError(f"watcher must be 'auto', 'watchfiles' or 'poll', got {watcher!r}")
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("the watcher is already running; call stop() first")
            watch = None if watcher == "poll" else _watchfiles(required=watcher == "watchfiles")
            folders = self._folders()
            if watch is not None and not folders:
                if watcher == "watchfiles":
                    raise SettingsError(
                        "watcher='watchfiles' needs an existing folder to watch; none of "
                        f"{list(self.watched_paths)} is in one"
                    )
                watch = None
            self._mechanism = "watchfiles" if watch is not None else "poll"
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._watch,
                args=(interval, watch, folders),
                name="bricolage-settings-watcher",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the watcher thread (if running) and wait for it to end.

        >>> from bricolage.settings import Settings
        >>> class Demo(Settings):
        ...     port: int = 1
        >>> LiveSettings(Demo, config_dir="/nonexistent").stop()  # not running: nothing to do
        """
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join()
        self._mechanism = None

    def _folders(self) -> tuple[Path, ...]:
        """The existing folders that hold (or are) the watched paths."""
        folders: list[Path] = []
        for text in self.watched_paths:
            path = Path(os.path.abspath(text))
            folder = path if path.is_dir() else path.parent
            if folder.is_dir() and folder not in folders:
                folders.append(folder)
        return tuple(folders)

    def _relevant(self, changed: str, watched: set[str]) -> bool:
        path = os.path.abspath(changed)
        return path in watched or os.path.dirname(path) in watched

    def _watch(
        self, interval: float, watch: Callable[..., Any] | None, folders: tuple[Path, ...]
    ) -> None:
        if watch is not None:
            try:
                self._watch_events(interval, watch, folders)
            except Exception as exc:  # noqa: BLE001 - any failure: fall back, never die
                if self._stopping.is_set():
                    return
                logger.warning(
                    "watchfiles stopped (%s: %s); polling the settings files every %g s instead",
                    type(exc).__name__,
                    exc,
                    interval,
                )
                self._mechanism = "poll"
            else:
                return
        while not self._stopping.wait(interval):
            try:
                self.poll()
            except Exception:  # pragma: no cover - poll does not raise; kept for safety
                logger.exception("settings watcher poll failed")

    def _watch_events(
        self, interval: float, watch: Callable[..., Any], folders: tuple[Path, ...]
    ) -> None:
        # A change may land between the load and the subscription: look once first.
        self.poll()
        for changes in watch(
            *folders,
            watch_filter=None,
            stop_event=self._stopping,
            debounce=50,
            step=50,
            rust_timeout=max(1, int(interval * 1000)),
            yield_on_timeout=True,
            recursive=False,
            raise_interrupt=False,
        ):
            if self._stopping.is_set():
                return
            watched = {os.path.abspath(p) for p in self.watched_paths}
            relevant = any(self._relevant(path, watched) for _, path in changes)
            if relevant or self._pending is not None:
                self.poll()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _watchfiles(*, required: bool) -> Callable[..., Any] | None:
    """``watchfiles.watch``, or ``None`` (or an error when ``required``) without it."""
    try:
        from watchfiles import watch
    except ImportError:
        if required:
            raise SettingsError(
                "watcher='watchfiles' needs watchfiles: pip install \"bricolage-settings[watch]\""
            ) from None
        logger.info("watchfiles is not installed; settings files are polled instead")
        return None
    return watch
