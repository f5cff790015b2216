"""Random tokens and signed, time-limited, single-purpose tokens."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import struct
from collections.abc import Callable, Sequence
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bricolage.security._clock import Clock, as_clock, system_clock
from bricolage.security._secrets import KeyMaterial, key_bytes
from bricolage.security.errors import (
    BadSignatureError,
    ConfigurationError,
    InvalidTokenError,
    TokenExpiredError,
    WrongPurposeError,
)

__all__ = ["TokenSigner", "derive_key", "random_token"]

_VERSION: Final = "b1"
_MAX_TOKEN_CHARS: Final = 8192


def random_token(nbytes: int = 32) -> str:
    """A URL-safe random token of ``nbytes`` bytes from ``secrets`` (the OS CSPRNG).

    >>> from bricolage.security import random_token
    >>> len(random_token()) >= 43
    True
    >>> random_token(8)  # doctest: +SKIP
    'V3pT0m5GZkU'
    """
    if nbytes < 16:
        raise ConfigurationError(f"a security token needs at least 16 bytes, got {nbytes!r}")
    return secrets.token_urlsafe(nbytes)


def derive_key(key: KeyMaterial, context: str, *, length: int = 32) -> bytes:
    """Derive an independent subkey for ``context`` with HKDF-SHA256.

    One application secret can then serve several uses without one use's output being
    valid for another.

    >>> from bricolage.security import derive_key
    >>> derive_key("k" * 32, "csrf") != derive_key("k" * 32, "reset")
    True
    """
    material = key_bytes(key, purpose=context)
    return HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=None,
        info=b"bricolage.security:" + context.encode("utf-8"),
    ).derive(material)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Sign and verify time-limited tokens bound to one ``purpose``.

    The token carries a payload (a string, readable by anyone: sign, do not hide), the
    purpose, and the signing time, all authenticated with HMAC-SHA256 under a key derived
    from the first of ``keys``. Every key in ``keys`` verifies, so keys rotate by putting
    the new key first and dropping the old one once ``max_age`` has passed.

    >>> from bricolage.security import TokenSigner
    >>> from bricolage.security.testing import FrozenClock
    >>> clock = FrozenClock(1_700_000_000)
    >>> reset = TokenSigner(["k" * 32], purpose="password-reset", max_age=3600, clock=clock)
    >>> token = reset.sign("user:42")
    >>> reset.verify(token)
    'user:42'
    >>> clock.advance(3601)
    >>> reset.verify(token)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.TokenExpiredError: token for 'password-reset' expired 1 s ago (ma...
    """

    def __init__(
        self,
        keys: Sequence[KeyMaterial],
        *,
        purpose: str,
        max_age: float,
        clock: Clock | Callable[[], float] = system_clock,
        max_clock_skew: float = 60.0,
    ) -> None:
        if isinstance(keys, (str, bytes)) or not keys:
            raise ConfigurationError(
                f"keys must be a non-empty list of keys, newest first; got {type(keys).__name__}"
            )
        if not purpose or "." in purpose:
            raise ConfigurationError(f"purpose must be non-empty and free of '.', got {purpose!r}")
        if max_age <= 0:
            raise ConfigurationError(f"max_age must be positive seconds, got {max_age!r}")
        self.purpose = purpose
        self.max_age = max_age
        self.clock: Clock = as_clock(clock)
        self.max_clock_skew = max_clock_skew
        self._keys = [derive_key(k, "TokenSigner") for k in keys]
        self._purpose_b64 = _b64(purpose.encode("utf-8"))

    def _mac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, "sha256").digest()

    def sign(self, payload: str) -> str:
        """Sign ``payload`` now; return the token (URL-safe ASCII).

        >>> from bricolage.security import TokenSigner
        >>> signer = TokenSigner(["k" * 32], purpose="confirm-email", max_age=60)
        >>> signer.verify(signer.sign("alice@example.com"))
        'alice@example.com'
        """
        stamp = _b64(struct.pack(">Q", int(self.clock.now())))
        body = f"{_VERSION}.{self._purpose_b64}.{_b64(payload.encode('utf-8'))}.{stamp}"
        return f"{body}.{_b64(self._mac(self._keys[0], body.encode('ascii')))}"

    def verify(self, token: str, *, max_age: float | None = None) -> str:
        """Return the payload of a valid token, or raise a specific error.

        Checks, in order: shape, signature (any key), purpose, age (``max_age`` overrides
        the signer's).

        >>> from bricolage.security import TokenSigner
        >>> TokenSigner(["k" * 32], purpose="p", max_age=60).verify("b1.x.y.z.forged")
        Traceback (most recent call last):
        ...
        bricolage.security.errors.BadSignatureError: token signature does not verify with any key
        """
        received: object = token
        if not isinstance(received, str) or len(received) > _MAX_TOKEN_CHARS:
            raise InvalidTokenError(
                f"token must be a str of at most {_MAX_TOKEN_CHARS} characters"
            )
        parts = token.split(".")
        if len(parts) != 5 or parts[0] != _VERSION:
            raise InvalidTokenError(f"malformed token: expected 5 parts of {_VERSION!r} form")
        body, _, signature_text = token.rpartition(".")
        try:
            signature = _unb64(signature_text)
            body_bytes = body.encode("ascii")
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise BadSignatureError("token signature does not verify with any key") from None
        if not any(hmac.compare_digest(self._mac(k, body_bytes), signature) for k in self._keys):
            raise BadSignatureError("token signature does not verify with any key")
        _, purpose_text, payload_text, stamp_text = parts[:4]
        if not hmac.compare_digest(purpose_text, self._purpose_b64):
            raise WrongPurposeError(
                f"token was signed for {_unb64(purpose_text).decode('utf-8', 'replace')!r}, "
                f"not {self.purpose!r}"
            )
        (stamp,) = struct.unpack(">Q", _unb64(stamp_text))
        now = self.clock.now()
        limit = self.max_age if max_age is None else max_age
        if stamp > now + self.max_clock_skew:
            raise InvalidTokenError(f"token is dated {stamp - now:.0f} s in the future")
        if now - stamp > limit:
            raise TokenExpiredError(
                f"token for {self.purpose!r} expired {now - stamp - limit:.0f} s ago "
                f"(max_age={limit:g} s)"
            )
        return _unb64(payload_text).decode("utf-8")

    def timestamp(self, token: str) -> int:
        """The signing time of a valid token, in Unix seconds (verifies it first).

        >>> from bricolage.security import TokenSigner
        >>> from bricolage.security.testing import FrozenClock
        >>> s = TokenSigner(["k" * 32], purpose="p", max_age=60, clock=FrozenClock(100))
        >>> s.timestamp(s.sign("x"))
        100
        """
        self.verify(token, max_age=float("inf"))
        return int(struct.unpack(">Q", _unb64(token.split(".")[3]))[0])
