"""Validators for untrusted input: email addresses, URLs, redirects, file names, paths."""

from __future__ import annotations

import ipaddress
import os
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from bricolage.security.errors import UnsafeInputError

__all__ = [
    "safe_join",
    "safe_redirect",
    "validate_email",
    "validate_filename",
    "validate_url",
]

_LOCAL_PART: Final = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$"
)
_LABEL: Final = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_WINDOWS_RESERVED: Final = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


def _no_controls(what: str, value: str) -> None:
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise UnsafeInputError(f"{what} {value!r} contains control or invisible characters")


def _domain(what: str, value: str, host: str) -> str:
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeInputError(f"{what} {value!r} has an invalid domain {host!r}") from None
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UnsafeInputError(f"{what} {value!r} has an invalid domain {host!r}")
    return ascii_host


def validate_email(address: str) -> str:
    """Return ``address`` with its domain lower-cased and IDNA-encoded, or raise.

    Accepts the dot-atom form that mail providers actually use (no quoted local parts, no
    IP literals, no comments), at most 64 characters before the ``@`` and 254 in all.

    >>> from bricolage.security import validate_email
    >>> validate_email("Alice.Smith+news@Example.COM")
    'Alice.Smith+news@example.com'
    >>> validate_email("alice@bücher.example")
    'alice@xn--bcher-kva.example'
    >>> validate_email("alice@example.com\\nBcc: victim@example.com")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.UnsafeInputError: email address 'alice@example.com\\nBcc: victim@...
    """
    _no_controls("email address", address)
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise UnsafeInputError(f"email address {address!r} must look like name@domain")
    if len(local) > 64 or not _LOCAL_PART.match(local):
        raise UnsafeInputError(f"email address {address!r} has an invalid part before '@'")
    ascii_domain = _domain("email address", address, domain)
    if "." not in ascii_domain.strip(".") or ascii_domain.rsplit(".", 1)[-1].isdigit():
        raise UnsafeInputError(f"email address {address!r} needs a domain with a dot")
    result = f"{local}@{ascii_domain}"
    if len(result) > 254:
        raise UnsafeInputError(f"email address {address[:40]!r}... is longer than 254 characters")
    return result


def validate_url(
    url: str,
    *,
    schemes: Iterable[str] = ("https", "http"),
    allow_private_hosts: bool = True,
    max_length: int = 2048,
) -> str:
    """Return ``url`` if its scheme is allowed and it has a sane host, or raise.

    Refused: schemes outside ``schemes`` (so ``javascript:``, ``data:``, ``vbscript:``
    never pass the default), credentials in the URL, backslashes and control characters
    (parser confusion), a missing host, and, with ``allow_private_hosts=False``,
    loopback, private and link-local IP literals (a first line against SSRF; names that
    resolve to such addresses still need a check at connection time).

    >>> from bricolage.security import validate_url
    >>> validate_url("https://example.com/a?b=c")
    'https://example.com/a?b=c'
    >>> validate_url("JavaScript:alert(1)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.UnsafeInputError: URL 'JavaScript:alert(1)' has scheme 'javascrip...
    """
    allowed = sorted({s.lower() for s in schemes})
    if len(url) > max_length:
        raise UnsafeInputError(f"URL {url[:40]!r}... is longer than {max_length} characters")
    _no_controls("URL", url)
    if url != url.strip() or " " in url or "\\" in url:
        raise UnsafeInputError(f"URL {url!r} contains spaces or backslashes")
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in allowed:
        raise UnsafeInputError(f"URL {url!r} has scheme {scheme!r}; allowed: {allowed}")
    if scheme in ("http", "https", "ws", "wss", "ftp"):
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise UnsafeInputError(f"URL {url!r} carries credentials")
        host = parts.hostname
        if not host:
            raise UnsafeInputError(f"URL {url!r} has no host")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise UnsafeInputError(f"URL {url!r} has an invalid port") from None
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            _domain("URL", url, host)
        else:
            if not allow_private_hosts and not address.is_global:
                raise UnsafeInputError(f"URL {url!r} points to a non-public address {host}")
    return url


def safe_redirect(
    target: str | None, *, allowed_hosts: Iterable[str] = (), default: str = "/"
) -> str:
    """``target`` if it stays on this site (or an allowed host), else ``default``.

    For ``?next=`` parameters after login: relative paths pass; ``//evil.example``,
    ``/\\evil.example``, ``https://evil.example`` and ``javascript:`` do not (open
    redirect).

    >>> from bricolage.security import safe_redirect
    >>> safe_redirect("/account?tab=1"), safe_redirect("//evil.example/x")
    ('/account?tab=1', '/')
    >>> safe_redirect("https://shop.example/cart", allowed_hosts=["shop.example"])
    'https://shop.example/cart'
    """
    if not target:
        return default
    hosts = {h.lower() for h in allowed_hosts}
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in target) or "\\" in target:
        return default
    parts = urllib.parse.urlsplit(target)
    if not parts.scheme and not parts.netloc:
        return target if target.startswith("/") and not target.startswith("//") else default
    if parts.scheme in ("http", "https") and parts.hostname and parts.hostname.lower() in hosts:
        try:
            return validate_url(target)
        except UnsafeInputError:
            return default
    return default


def validate_filename(name: str, *, max_bytes: int = 255) -> str:
    """Return ``name`` if it is a plain, portable file name, or raise.

    Refused: path separators, ``.`` and ``..``, a leading dot or dash, NUL and control
    characters, trailing dots or spaces, Windows device names (``CON``, ``NUL.txt``...),
    and names longer than ``max_bytes`` in UTF-8. The name is NFC-normalised.

    >>> from bricolage.security import validate_filename
    >>> validate_filename("report 2026.pdf")
    'report 2026.pdf'
    >>> validate_filename("../../etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.UnsafeInputError: file name '../../etc/passwd' contains a path se...
    """
    normalized = unicodedata.normalize("NFC", name)
    _no_controls("file name", name)
    if "/" in normalized or "\\" in normalized:
        raise UnsafeInputError(f"file name {name!r} contains a path separator")
    if normalized in ("", ".", "..") or normalized.startswith((".", "-")):
        raise UnsafeInputError(f"file name {name!r} is empty or starts with '.' or '-'")
    if normalized != normalized.rstrip(". "):
        raise UnsafeInputError(f"file name {name!r} ends with a dot or space")
    if normalized.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        raise UnsafeInputError(f"file name {name!r} is a reserved device name")
    if ":" in normalized or any(c in normalized for c in '<>"|?*'):
        raise UnsafeInputError(f"file name {name!r} contains a reserved character")
    if len(normalized.encode("utf-8")) > max_bytes:
        raise UnsafeInputError(f"file name {name[:40]!r}... is longer than {max_bytes} bytes")
    return normalized


def safe_join(base: str | os.PathLike[str], *parts: str) -> Path:
    """Join ``parts`` under ``base`` and refuse any result that escapes it.

    Symbolic links are resolved, so a link pointing outside ``base`` is refused too.
    Absolute parts, ``..`` escapes and NUL bytes raise
    :class:`~bricolage.security.errors.UnsafeInputError`.

    >>> from pathlib import Path
    >>> from bricolage.security import safe_join
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> safe_join(root, "a", "b.txt").relative_to(Path(root).resolve()).as_posix()
    'a/b.txt'
    >>> safe_join(root, "../secret")
    Traceback (most recent call last):
    ...
    bricolage.security.errors.UnsafeInputError: path '../secret' escapes its base directory
    """
    root = Path(base).resolve()
    for part in parts:
        if "\0" in part:
            raise UnsafeInputError(f"path {part!r} contains a NUL byte")
        if os.path.isabs(part) or part.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", part):
            raise UnsafeInputError(f"path {part!r} is absolute")
    candidate = root.joinpath(*parts).resolve()
    if candidate != root and root not in candidate.parents:
        raise UnsafeInputError(f"path {'/'.join(parts)!r} escapes its base directory")
    return candidate
