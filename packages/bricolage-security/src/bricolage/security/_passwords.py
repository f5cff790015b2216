"""Password hashing: argon2id by default; scrypt, PBKDF2 and bcrypt read for migration."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any, Final

import argon2
import attrs
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bricolage.security.errors import (
    ConfigurationError,
    MissingExtraError,
    PasswordTooLongError,
    UnknownHashFormatError,
)

__all__ = ["Argon2Parameters", "PasswordHasher", "VerifyResult"]

_log = logging.getLogger(__name__)

#: The largest scrypt memory (128 * n * r bytes) a stored hash may ask for.
_MAX_SCRYPT_MEMORY: Final = 256 * 1024 * 1024
#: The largest argon2 memory (KiB) and pass count a stored hash may ask for.
_MAX_ARGON2_MEMORY_KIB: Final = 1024 * 1024
_MAX_ARGON2_TIME_COST: Final = 64
#: The largest PBKDF2 iteration count a stored hash may ask for.
_MAX_PBKDF2_ITERATIONS: Final = 5_000_000
#: The largest bcrypt cost (log2 of the rounds) a stored hash may ask for.
_MAX_BCRYPT_COST: Final = 16
#: bcrypt reads at most this many bytes of a password; longer ones were truncated.
_BCRYPT_MAX_BYTES: Final = 72
_BCRYPT_PREFIXES: Final = ("$2a$", "$2b$", "$2y$")
_PBKDF2_HASHES: Final[dict[str, Callable[[], hashes.HashAlgorithm]]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha512": hashes.SHA512,
}


def _positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ConfigurationError(f"{attribute.name} must be at least 1, got {value!r}")


@attrs.frozen(slots=True)
class Argon2Parameters:
    """Cost parameters of argon2id; the defaults are RFC 9106's low-memory profile.

    ``memory_cost`` is in KiB. :meth:`owasp_minimum` gives OWASP's smallest recommended
    setting (19 MiB, two passes); :meth:`for_tests` gives a cheap setting for test suites
    only.

    >>> from bricolage.security import Argon2Parameters
    >>> Argon2Parameters()
    Argon2Parameters(time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, salt_len=16)
    >>> Argon2Parameters.owasp_minimum().memory_cost
    19456
    """

    time_cost: int = attrs.field(default=3, validator=_positive)
    memory_cost: int = attrs.field(default=65536, validator=_positive)
    parallelism: int = attrs.field(default=4, validator=_positive)
    hash_len: int = attrs.field(default=32, validator=_positive)
    salt_len: int = attrs.field(default=16, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if self.memory_cost < 8 * self.parallelism:
            raise ConfigurationError(
                f"memory_cost must be at least 8 * parallelism = {8 * self.parallelism} KiB, "
                f"got {self.memory_cost!r}"
            )
        if self.salt_len < 8 or self.hash_len < 16:
            raise ConfigurationError(
                f"salt_len must be >= 8 and hash_len >= 16 bytes, got "
                f"salt_len={self.salt_len!r}, hash_len={self.hash_len!r}"
            )

    @classmethod
    def rfc9106_low_memory(cls) -> Argon2Parameters:
        """RFC 9106's second recommended option: 64 MiB, three passes, four lanes.

        >>> from bricolage.security import Argon2Parameters
        >>> Argon2Parameters.rfc9106_low_memory() == Argon2Parameters()
        True
        """
        return cls(time_cost=3, memory_cost=65536, parallelism=4)

    @classmethod
    def owasp_minimum(cls) -> Argon2Parameters:
        """OWASP's first listed argon2id setting: 19 MiB, two passes, one lane.

        >>> from bricolage.security import Argon2Parameters
        >>> Argon2Parameters.owasp_minimum().time_cost
        2
        """
        return cls(time_cost=2, memory_cost=19456, parallelism=1)

    @classmethod
    def for_tests(cls) -> Argon2Parameters:
        """A cheap setting that keeps test suites fast; never use it in production.

        >>> from bricolage.security import Argon2Parameters
        >>> Argon2Parameters.for_tests().memory_cost
        64
        """
        return cls(time_cost=1, memory_cost=64, parallelism=1)


@attrs.frozen(slots=True)
class VerifyResult:
    """The outcome of :meth:`PasswordHasher.verify_and_update`.

    ``valid`` says whether the password matched; ``new_hash`` is set when it matched and
    the stored hash should be replaced (legacy scheme or outdated parameters).

    >>> from bricolage.security import VerifyResult
    >>> VerifyResult(valid=True, new_hash=None).needs_update
    False
    """

    valid: bool
    new_hash: str | None = None

    @property
    def needs_update(self) -> bool:
        """True when the caller should store ``new_hash``.

        >>> from bricolage.security import VerifyResult
        >>> VerifyResult(valid=True, new_hash="$argon2id$...").needs_update
        True
        """
        return self.new_hash is not None


def _ab64_decode(text: str) -> bytes:
    """passlib's "adapted base64": ``.`` for ``+`` and no padding."""
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _b64_decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _pbkdf2(algorithm: str, password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    if algorithm not in _PBKDF2_HASHES:
        raise UnknownHashFormatError(f"unsupported PBKDF2 digest {algorithm!r}")
    if not 1 <= iterations <= _MAX_PBKDF2_ITERATIONS:
        raise UnknownHashFormatError(
            f"PBKDF2 iteration count {iterations!r} is outside 1..{_MAX_PBKDF2_ITERATIONS}"
        )
    kdf = PBKDF2HMAC(
        algorithm=_PBKDF2_HASHES[algorithm](), length=length, salt=salt, iterations=iterations
    )
    return kdf.derive(password)


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        raise UnknownHashFormatError(f"invalid scrypt parameters n={n!r}, r={r!r}, p={p!r}")
    if 128 * n * r > _MAX_SCRYPT_MEMORY:
        raise UnknownHashFormatError(
            f"scrypt parameters n={n!r}, r={r!r} need more than "
            f"{_MAX_SCRYPT_MEMORY // (1024 * 1024)} MiB; refusing to verify"
        )
    return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(password)


def _require_bcrypt() -> Any:
    try:
        import bcrypt
    except ImportError:  # pragma: no cover - exercised in an environment without bcrypt
        raise MissingExtraError(
            "verifying bcrypt hashes needs the bcrypt package: "
            "pip install 'bricolage-security[bcrypt]'"
        ) from None
    return bcrypt


def _bcrypt_matches(stored: str, password: bytes) -> bool:
    """Check a bcrypt hash: passlib/raw ``$2b$``, Django ``bcrypt$`` and ``bcrypt_sha256$``."""
    if stored.startswith("bcrypt_sha256$"):
        data = stored.removeprefix("bcrypt_sha256$")
        password = binascii.hexlify(hashlib.sha256(password).digest())
    else:
        data = stored.removeprefix("bcrypt$")
    parts = data.split("$")
    if (
        not data.startswith(_BCRYPT_PREFIXES)
        or len(parts) != 4
        or not parts[2].isdigit()
        or len(parts[3]) != 53
    ):
        raise UnknownHashFormatError(f"stored hash {_redact(stored)!r} is not a valid bcrypt hash")
    cost = int(parts[2])
    if not 4 <= cost <= _MAX_BCRYPT_COST:
        raise UnknownHashFormatError(
            f"stored bcrypt hash asks for cost {cost}; the bounds are 4..{_MAX_BCRYPT_COST}"
        )
    bcrypt = _require_bcrypt()
    try:
        # bcrypt only ever read the first 72 bytes: hashes made from longer passwords
        # were made from their first 72 bytes.
        return bool(bcrypt.checkpw(password[:_BCRYPT_MAX_BYTES], data.encode("ascii")))
    except ValueError as exc:
        raise UnknownHashFormatError(
            f"stored hash {_redact(stored)!r} is not a valid bcrypt hash: {exc}"
        ) from None


def _legacy_digest(stored: str, password: bytes) -> tuple[bytes, bytes]:
    """Recompute a legacy (scrypt or PBKDF2) hash: returns (expected, computed)."""
    try:
        # Django: "scrypt$n$salt$r$p$base64" (the key is 64 bytes long)
        if stored.startswith("scrypt$"):
            _, n_text, salt_text, r_text, p_text, b64_hash = stored.split("$")
            expected = base64.b64decode(b64_hash, validate=True)
            return expected, _scrypt(
                password,
                salt_text.encode(),
                int(n_text),
                int(r_text),
                int(p_text),
                len(expected),
            )
        # werkzeug: "pbkdf2:sha256:600000$salt$hex", "scrypt:32768:8:1$salt$hex"
        if stored.startswith(("pbkdf2:", "scrypt:")):
            method, salt_text, hex_hash = stored.split("$", 2)
            expected = binascii.unhexlify(hex_hash)
            salt = salt_text.encode()
            name, *args = method.split(":")
            if name == "pbkdf2":
                digest = args[0]
                iterations = int(args[1]) if len(args) > 1 else 260000
                return expected, _pbkdf2(digest, password, salt, iterations, len(expected))
            n, r, p = (int(a) for a in args) if args else (32768, 8, 1)
            return expected, _scrypt(password, salt, n, r, p, len(expected))
        # Django: "pbkdf2_sha256$iterations$salt$base64"
        if stored.startswith(("pbkdf2_sha256$", "pbkdf2_sha1$")):
            method, iterations_text, salt_text, b64_hash = stored.split("$")
            expected = base64.b64decode(b64_hash, validate=True)
            digest = method.removeprefix("pbkdf2_")
            return expected, _pbkdf2(
                digest, password, salt_text.encode(), int(iterations_text), len(expected)
            )
        # passlib: "$pbkdf2-sha256$rounds$salt$checksum", "$scrypt$ln=16,r=8,p=1$salt$checksum"
        if stored.startswith(("$pbkdf2$", "$pbkdf2-sha256$", "$pbkdf2-sha512$")):
            _, method, rounds, salt_text, checksum = stored.split("$")
            digest = method.partition("-")[2] or "sha1"
            expected = _ab64_decode(checksum)
            return expected, _pbkdf2(
                digest, password, _ab64_decode(salt_text), int(rounds), len(expected)
            )
        if stored.startswith("$scrypt$"):
            _, _, settings, salt_text, checksum = stored.split("$")
            values = dict(item.split("=", 1) for item in settings.split(","))
            expected = _b64_decode(checksum)
            return expected, _scrypt(
                password,
                _b64_decode(salt_text),
                2 ** int(values["ln"]),
                int(values["r"]),
                int(values["p"]),
                len(expected),
            )
    except UnknownHashFormatError:
        raise
    except (ValueError, KeyError, binascii.Error) as exc:
        raise UnknownHashFormatError(
            f"cannot read stored hash {_redact(stored)!r}: {exc}"
        ) from None
    raise UnknownHashFormatError(
        f"stored hash {_redact(stored)!r} is in no known format "
        "(argon2, scrypt, PBKDF2 and bcrypt in PHC, passlib, Django or werkzeug form)"
    )


def _check_argon2_bounds(stored: str) -> None:
    """Refuse stored argon2 hashes whose parameters would exhaust the server."""
    try:
        params = argon2.extract_parameters(stored)
    except InvalidHashError:
        raise UnknownHashFormatError(
            f"stored hash {_redact(stored)!r} is not a valid argon2 hash"
        ) from None
    if params.memory_cost > _MAX_ARGON2_MEMORY_KIB or params.time_cost > _MAX_ARGON2_TIME_COST:
        raise UnknownHashFormatError(
            f"stored argon2 hash asks for m={params.memory_cost} KiB, t={params.time_cost}; "
            f"the bounds are {_MAX_ARGON2_MEMORY_KIB} KiB and {_MAX_ARGON2_TIME_COST} passes"
        )


def _redact(stored: str) -> str:
    """Enough of a stored hash to recognise its scheme, not enough to attack it."""
    return stored[:16] + ("..." if len(stored) > 16 else "")


class PasswordHasher:
    """Hash new passwords with argon2id; verify argon2, scrypt, PBKDF2 and bcrypt hashes.

    Stored hashes are read in PHC form (argon2-cffi, passlib), werkzeug's
    (``pbkdf2:``, ``scrypt:``), Django's (``pbkdf2_sha256$``, ``scrypt$``,
    ``argon2$argon2id$``, ``bcrypt_sha256$``, ``bcrypt$``) and passlib's (``$pbkdf2-sha256$``,
    ``$scrypt$``, ``$2b$``). bcrypt needs the extra ``bricolage-security[bcrypt]``.
    Every format but our own argon2id PHC is migrated on a successful login.

    * :meth:`verify_and_update` returns a fresh argon2id hash to store when the stored one
      uses a legacy scheme or outdated parameters (rehash on verify).
    * ``stored_hash=None`` (an unknown user) runs a dummy verification of the same cost, so
      response time does not reveal which accounts exist.
    * Passwords longer than ``max_password_bytes`` (UTF-8) are refused before any hashing,
      so a huge password cannot be used to exhaust the server.

    >>> from bricolage.security import Argon2Parameters, PasswordHasher
    >>> hasher = PasswordHasher(Argon2Parameters.for_tests())
    >>> stored = hasher.hash("correct horse")
    >>> stored.startswith("$argon2id$")
    True
    >>> hasher.verify(stored, "correct horse"), hasher.verify(stored, "wrong")
    (True, False)
    >>> hasher.verify(None, "anything")
    False
    """

    def __init__(
        self,
        parameters: Argon2Parameters | None = None,
        *,
        max_password_bytes: int = 4096,
    ) -> None:
        self.parameters: Argon2Parameters = (
            parameters if parameters is not None else Argon2Parameters()
        )
        if max_password_bytes < 64:
            raise ConfigurationError(
                f"max_password_bytes must be at least 64, got {max_password_bytes!r}"
            )
        self.max_password_bytes = max_password_bytes
        p = self.parameters
        self._argon2 = argon2.PasswordHasher(
            time_cost=p.time_cost,
            memory_cost=p.memory_cost,
            parallelism=p.parallelism,
            hash_len=p.hash_len,
            salt_len=p.salt_len,
            type=argon2.Type.ID,
        )
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    def _encode(self, password: str | bytes) -> bytes:
        data = password.encode("utf-8") if isinstance(password, str) else password
        if len(data) > self.max_password_bytes:
            raise PasswordTooLongError(
                f"password is {len(data)} bytes long; the limit is {self.max_password_bytes} "
                "bytes (UTF-8)"
            )
        return data

    def hash(self, password: str | bytes) -> str:
        """Hash ``password`` with argon2id and a fresh random salt.

        Raises :class:`~bricolage.security.errors.PasswordTooLongError` past the bound.

        >>> from bricolage.security import Argon2Parameters, PasswordHasher
        >>> h = PasswordHasher(Argon2Parameters.for_tests(), max_password_bytes=64)
        >>> h.hash("x" * 65)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bricolage.security.errors.PasswordTooLongError: password is 65 bytes long; the limit is...
        """
        return self._argon2.hash(self._encode(password))

    def verify(self, stored_hash: str | None, password: str | bytes) -> bool:
        """True when ``password`` matches ``stored_hash``.

        ``None`` runs a dummy verification and returns False. A password past the bound
        returns False without hashing. A hash in no known format raises
        :class:`~bricolage.security.errors.UnknownHashFormatError`.

        >>> from bricolage.security import Argon2Parameters, PasswordHasher
        >>> PasswordHasher(Argon2Parameters.for_tests()).verify(None, "pw")
        False
        """
        return self.verify_and_update(stored_hash, password).valid

    def verify_and_update(self, stored_hash: str | None, password: str | bytes) -> VerifyResult:
        """Verify, and when the password matches an outdated hash, return its replacement.

        >>> from bricolage.security import Argon2Parameters, PasswordHasher
        >>> old = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost=32, parallelism=1))
        >>> new = PasswordHasher(Argon2Parameters.for_tests())
        >>> result = new.verify_and_update(old.hash("pw"), "pw")
        >>> result.valid, result.needs_update
        (True, True)
        """
        try:
            data = self._encode(password)
        except PasswordTooLongError:
            return VerifyResult(valid=False)
        if stored_hash is None:
            self.dummy_verify(data)
            return VerifyResult(valid=False)
        django_argon2 = stored_hash.startswith("argon2$argon2")
        if stored_hash.startswith("$argon2") or django_argon2:
            phc = stored_hash.removeprefix("argon2") if django_argon2 else stored_hash
            _check_argon2_bounds(phc)
            try:
                self._argon2.verify(phc, data)
            except VerifyMismatchError:
                return VerifyResult(valid=False)
            except (VerificationError, InvalidHashError):
                raise UnknownHashFormatError(
                    f"stored hash {_redact(stored_hash)!r} is not a valid argon2 hash"
                ) from None
            if django_argon2 or self._argon2.check_needs_rehash(phc):
                return VerifyResult(valid=True, new_hash=self._argon2.hash(data))
            return VerifyResult(valid=True)
        if stored_hash.startswith(("bcrypt$", "bcrypt_sha256$", *_BCRYPT_PREFIXES)):
            if not _bcrypt_matches(stored_hash, data):
                return VerifyResult(valid=False)
        else:
            expected, computed = _legacy_digest(stored_hash, data)
            if not hmac.compare_digest(expected, computed):
                return VerifyResult(valid=False)
        _log.debug("password verified against a legacy %s hash", stored_hash.split("$")[0][:16])
        return VerifyResult(valid=True, new_hash=self._argon2.hash(data))

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when ``stored_hash`` is not argon2id with this hasher's parameters.

        >>> from bricolage.security import Argon2Parameters, PasswordHasher
        >>> h = PasswordHasher(Argon2Parameters.for_tests())
        >>> h.needs_rehash(h.hash("pw")), h.needs_rehash("pbkdf2:sha256:600000$s$00")
        (False, True)
        """
        if not stored_hash.startswith("$argon2id$"):
            return True
        try:
            return self._argon2.check_needs_rehash(stored_hash)
        except InvalidHashError:  # pragma: no cover - argon2-cffi parses leniently
            return True

    def dummy_verify(self, password: str | bytes = b"") -> bool:
        """Spend the time of a real verification against a throw-away hash; always False.

        Call it when the user does not exist, so the response takes as long as for a
        real user.

        >>> from bricolage.security import Argon2Parameters, PasswordHasher
        >>> PasswordHasher(Argon2Parameters.for_tests()).dummy_verify("pw")
        False
        """
        if self._dummy_hash is None:
            with self._dummy_lock:
                if self._dummy_hash is None:
                    self._dummy_hash = self._argon2.hash(secrets.token_bytes(32))
        data = password.encode("utf-8") if isinstance(password, str) else password
        try:
            self._argon2.verify(self._dummy_hash, data[: self.max_password_bytes])
        except VerificationError:
            return False
        return False  # pragma: no cover - a random 32-byte secret is never guessed
