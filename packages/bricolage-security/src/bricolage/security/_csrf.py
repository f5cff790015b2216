"""CSRF protection: tokens bound to the session, plus Origin and Sec-Fetch-Site checks."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import urllib.parse
from collections.abc import Iterable
from typing import Final, Protocol, runtime_checkable

from bricolage.security._secrets import KeyMaterial
from bricolage.security._tokens import derive_key
from bricolage.security.errors import ConfigurationError, CSRFError

__all__ = ["CSRFProtection", "HeaderSource", "normalize_origin"]

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@runtime_checkable
class HeaderSource(Protocol):
    """Anything with ``items()`` of header pairs: a dict, Werkzeug or Starlette headers.

    >>> from bricolage.security import HeaderSource
    >>> isinstance({"Origin": "https://app.example"}, HeaderSource)
    True
    """

    def items(self) -> Iterable[tuple[str, str]]:
        """The (name, value) pairs."""
        ...


def normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, default ports dropped.

    >>> from bricolage.security._csrf import normalize_origin
    >>> normalize_origin("HTTPS://Example.COM:443")
    'https://example.com'
    """
    parts = urllib.parse.urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"origin {origin!r} must look like https://host[:port]")
    default = {"http": 80, "https": 443}[parts.scheme]
    port = parts.port
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class CSRFProtection:
    """Defend state-changing requests against cross-site request forgery.

    Three checks, all of which must pass for a non-safe method (not GET, HEAD, OPTIONS,
    TRACE):

    1. ``Sec-Fetch-Site``, when the browser sends it, must be ``same-origin`` (or
       ``none``, a user-typed navigation); ``same-site`` is refused unless
       ``allow_same_site`` is set, ``cross-site`` always.
    2. ``Origin``, when sent, must be one of ``trusted_origins``; ``Origin: null`` is
       refused. (Old browsers send neither header; then the token alone decides.)
    3. The token, sent in a form field or header, must be an HMAC of the session id made
       with this key: a token stolen from one session is worthless in another. Each call
       to :meth:`token` gives a new random token (no BREACH-style compression oracle).

    >>> from bricolage.security import CSRFProtection
    >>> csrf = CSRFProtection("k" * 32, trusted_origins=["https://app.example"])
    >>> token = csrf.token("session-1")
    >>> csrf.check(method="POST", session_id="session-1", token=token,
    ...            headers={"Origin": "https://app.example", "Sec-Fetch-Site": "same-origin"})
    >>> csrf.check(method="POST", session_id="session-2", token=token, headers={})
    Traceback (most recent call last):
    ...
    bricolage.security.errors.CSRFError: CSRF token does not belong to this session
    """

    def __init__(
        self,
        key: KeyMaterial,
        *,
        trusted_origins: Iterable[str],
        allow_same_site: bool = False,
    ) -> None:
        self._key = derive_key(key, "CSRFProtection")
        self.trusted_origins: frozenset[str] = frozenset(
            normalize_origin(o) for o in trusted_origins
        )
        if not self.trusted_origins:
            raise ConfigurationError("trusted_origins must name the site's own origin(s)")
        self.allow_same_site = allow_same_site

    def _mac(self, session_id: str, nonce: bytes) -> bytes:
        return hmac.new(self._key, session_id.encode("utf-8") + b"\0" + nonce, "sha256").digest()

    def token(self, session_id: str) -> str:
        """A fresh token for the session ``session_id`` (embed it in forms or a meta tag).

        >>> from bricolage.security import CSRFProtection
        >>> csrf = CSRFProtection("k" * 32, trusted_origins=["https://a.example"])
        >>> csrf.token("s") != csrf.token("s")
        True
        """
        if not session_id:
            raise CSRFError("cannot make a CSRF token without a session id")
        nonce = secrets.token_bytes(16)
        return f"{_b64(nonce)}.{_b64(self._mac(session_id, nonce))}"

    def check(
        self,
        *,
        method: str,
        session_id: str | None,
        token: str | None,
        headers: HeaderSource,
    ) -> None:
        """Raise :class:`~bricolage.security.errors.CSRFError` unless the request is safe.

        ``headers`` is anything with ``items()``: a dict, Werkzeug's or Starlette's headers.

        >>> from bricolage.security import CSRFProtection
        >>> csrf = CSRFProtection("k" * 32, trusted_origins=["https://app.example"])
        >>> csrf.check(method="GET", session_id=None, token=None, headers={})
        >>> csrf.check(method="POST", session_id="s", token=csrf.token("s"),
        ...            headers={"Origin": "https://evil.example"})
        Traceback (most recent call last):
        ...
        bricolage.security.errors.CSRFError: Origin 'https://evil.example' is not trusted
        """
        if method.upper() in SAFE_METHODS:
            return
        lowered = {k.lower(): v for k, v in headers.items()}
        site = lowered.get("sec-fetch-site", "").strip().lower()
        if site == "cross-site" or (site == "same-site" and not self.allow_same_site):
            raise CSRFError(f"Sec-Fetch-Site {site!r} is not allowed for {method.upper()}")
        origin = lowered.get("origin")
        if origin is not None:
            try:
                normalized = normalize_origin(origin)
            except ConfigurationError:
                raise CSRFError(f"Origin {origin!r} is not trusted") from None
            if normalized not in self.trusted_origins:
                raise CSRFError(f"Origin {origin!r} is not trusted")
        if not session_id:
            raise CSRFError("no session: a state-changing request needs a session")
        if not token:
            raise CSRFError("CSRF token missing from the form or header")
        nonce_text, _, mac_text = token.partition(".")
        try:
            nonce = base64.urlsafe_b64decode(nonce_text + "=" * (-len(nonce_text) % 4))
            mac = base64.urlsafe_b64decode(mac_text + "=" * (-len(mac_text) % 4))
        except (binascii.Error, ValueError):
            raise CSRFError("CSRF token is malformed") from None
        if len(nonce) != 16 or not hmac.compare_digest(self._mac(session_id, nonce), mac):
            raise CSRFError("CSRF token does not belong to this session")
