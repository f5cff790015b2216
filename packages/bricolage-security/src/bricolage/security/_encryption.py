"""Fernet-compatible authenticated encryption with key rotation."""

from __future__ import annotations

import binascii
from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bricolage.security._clock import Clock, as_clock, system_clock
from bricolage.security._secrets import KeyMaterial, Secret
from bricolage.security.errors import ConfigurationError, DecryptionError

__all__ = ["Encryptor"]


def _fernet(key: KeyMaterial, index: int) -> Fernet:
    raw = key.reveal() if isinstance(key, Secret) else key
    try:
        return Fernet(raw)
    except (ValueError, TypeError, binascii.Error):
        raise ConfigurationError(
            f"key #{index} is not a Fernet key (32 url-safe base64-encoded bytes); "
            "make one with Encryptor.generate_key()"
        ) from None


class Encryptor:
    """Encrypt with the first key, decrypt with any: Fernet tokens, rotation included.

    Tokens are exactly cryptography's Fernet tokens (AES-128-CBC with HMAC-SHA256), so
    ``cryptography.fernet.Fernet`` and ``MultiFernet`` read
    ours and we read theirs. The clock is injected for the token's timestamp and the
    ``max_age`` check.

    >>> from bricolage.security import Encryptor
    >>> key = Encryptor.generate_key()
    >>> box = Encryptor([key])
    >>> box.decrypt(box.encrypt(b"card 4242"))
    b'card 4242'
    >>> box.decrypt("gAAAAA-forged")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.DecryptionError: token is forged, corrupt, or encrypted with an u...
    """

    def __init__(
        self, keys: Sequence[KeyMaterial], *, clock: Clock | Callable[[], float] = system_clock
    ) -> None:
        if isinstance(keys, (str, bytes)) or not keys:
            raise ConfigurationError(
                "keys must be a non-empty list of Fernet keys, newest first; got "
                f"{type(keys).__name__}"
            )
        self._fernets = [_fernet(k, i) for i, k in enumerate(keys)]
        self._multi = MultiFernet(self._fernets)
        self.clock: Clock = as_clock(clock)

    @staticmethod
    def generate_key() -> str:
        """A fresh random Fernet key, as text.

        >>> from bricolage.security import Encryptor
        >>> import base64
        >>> len(base64.urlsafe_b64decode(Encryptor.generate_key()))
        32
        """
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, data: bytes) -> str:
        """Encrypt ``data`` with the newest key; the token is URL-safe ASCII.

        >>> from bricolage.security import Encryptor
        >>> Encryptor([Encryptor.generate_key()]).encrypt(b"x").startswith("gAAAAA")
        True
        """
        if not isinstance(data, bytes):
            raise TypeError(f"encrypt takes bytes, got {type(data).__name__}; encode text first")
        return self._fernets[0].encrypt_at_time(data, int(self.clock.now())).decode("ascii")

    def decrypt(self, token: str | bytes, *, max_age: int | None = None) -> bytes:
        """Decrypt a token made with any of the keys; refuse it past ``max_age`` seconds.

        >>> from bricolage.security import Encryptor
        >>> from bricolage.security.testing import FrozenClock
        >>> clock = FrozenClock(1_000)
        >>> box = Encryptor([Encryptor.generate_key()], clock=clock)
        >>> token = box.encrypt(b"x")
        >>> clock.advance(61)
        >>> box.decrypt(token, max_age=60)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bricolage.security.errors.DecryptionError: token is forged, corrupt, or encrypted with...
        """
        try:
            if max_age is None:
                return self._multi.decrypt(token)
            return self._multi.decrypt_at_time(token, max_age, int(self.clock.now()))
        except (InvalidToken, TypeError, ValueError):
            suffix = "" if max_age is None else f" (or older than max_age={max_age} s)"
            raise DecryptionError(
                f"token is forged, corrupt, or encrypted with an unknown key{suffix}"
            ) from None

    def rotate(self, token: str | bytes) -> str:
        """Re-encrypt a token under the newest key, keeping its original timestamp.

        >>> from bricolage.security import Encryptor
        >>> old, new = Encryptor.generate_key(), Encryptor.generate_key()
        >>> token = Encryptor([old]).encrypt(b"x")
        >>> Encryptor([new]).decrypt(Encryptor([new, old]).rotate(token))
        b'x'
        """
        try:
            return self._multi.rotate(token).decode("ascii")
        except (InvalidToken, TypeError, ValueError):
            raise DecryptionError(
                "token is forged, corrupt, or encrypted with an unknown key"
            ) from None

    def timestamp(self, token: str | bytes) -> int:
        """The time a valid token was made, in Unix seconds.

        >>> from bricolage.security import Encryptor
        >>> from bricolage.security.testing import FrozenClock
        >>> box = Encryptor([Encryptor.generate_key()], clock=FrozenClock(1234))
        >>> box.timestamp(box.encrypt(b"x"))
        1234
        """
        try:
            return self._multi.extract_timestamp(token)
        except (InvalidToken, TypeError, ValueError):
            raise DecryptionError(
                "token is forged, corrupt, or encrypted with an unknown key"
            ) from None
