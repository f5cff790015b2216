"""Secrets from the environment or from files, masked in every repr."""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from bricolage.security.errors import ConfigurationError, SecretNotFoundError

__all__ = ["KeyMaterial", "Secret", "key_bytes", "load_secret"]

_MASK: Final = "**********"


class Secret:
    """A value that never shows itself in ``repr``, ``str``, logs or tracebacks.

    Call :meth:`reveal` at the one place that needs the real value.

    >>> from bricolage.security import Secret
    >>> s = Secret("hunter2")
    >>> s, str(s), f"{s}"
    (Secret('**********'), '**********', '**********')
    >>> s.reveal()
    'hunter2'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret takes a str, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret value itself.

        >>> from bricolage.security import Secret
        >>> Secret("x").reveal()
        'x'
        """
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __len__(self) -> int:
        return len(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled; pickle the name it was loaded from")


#: Key material accepted by the signing and encryption classes.
KeyMaterial = str | bytes | Secret


def key_bytes(key: KeyMaterial, *, purpose: str, minimum: int = 16) -> bytes:
    """The bytes of ``key``, refusing keys shorter than ``minimum`` bytes.

    >>> from bricolage.security._secrets import key_bytes
    >>> key_bytes("k" * 32, purpose="signing")[:4]
    b'kkkk'
    >>> key_bytes("short", purpose="signing")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.ConfigurationError: signing key is 5 bytes long; use at least 16...
    """
    if isinstance(key, Secret):
        key = key.reveal()
    data = key.encode("utf-8") if isinstance(key, str) else key
    if not isinstance(data, bytes):
        raise ConfigurationError(
            f"{purpose} key must be str, bytes or Secret, got {type(key).__name__}"
        )
    if len(data) < minimum:
        raise ConfigurationError(
            f"{purpose} key is {len(data)} bytes long; use at least {minimum} random bytes "
            "(e.g. bricolage.security.random_token())"
        )
    return data


def load_secret(
    name: str,
    *,
    environ: Mapping[str, str] | None = None,
    directory: str | os.PathLike[str] | None = None,
) -> Secret:
    """Load a secret named ``name`` and wrap it in :class:`Secret`.

    Looked up, in order: the variable ``name`` in ``environ`` (default ``os.environ``);
    a file named by the variable ``name + "_FILE"``; the file ``directory/name`` (for
    example Docker's ``/run/secrets``). A trailing newline of a file is dropped. The
    error names where it looked, never a value.

    >>> from bricolage.security import load_secret
    >>> load_secret("API_KEY", environ={"API_KEY": "abc"})
    Secret('**********')
    >>> load_secret("API_KEY", environ={})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.SecretNotFoundError: secret 'API_KEY' not found: set $API_KEY or...
    """
    env = os.environ if environ is None else environ
    if not name or "/" in name or name.startswith("."):
        raise ConfigurationError(f"secret name {name!r} must be a plain, non-empty name")
    if name in env:
        return Secret(env[name])
    file_var = f"{name}_FILE"
    candidates: list[Path] = []
    if file_var in env:
        candidates.append(Path(env[file_var]))
    if directory is not None:
        candidates.append(Path(directory) / name)
    for path in candidates:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            return Secret(text[:-1] if text.endswith("\n") else text)
    where = f"${name} or ${file_var}"
    if directory is not None:
        where += f" or the file {Path(directory) / name}"
    if file_var in env:
        where += f" (${file_var} points to {env[file_var]}, which is not a file)"
    raise SecretNotFoundError(f"secret {name!r} not found: set {where}")
