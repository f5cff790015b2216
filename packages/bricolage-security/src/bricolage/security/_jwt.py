"""JSON Web Tokens with keys bound to their algorithm, parsed strictly.

Compact tokens are parsed here, not by PyJWT: every segment must be canonical base64url
(no padding, no stray characters, no unused bits set), header and payload must be JSON
objects without duplicate members, and a header ``kid`` must name a key. PyJWT's
algorithm objects and JWK readers do the cryptography.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import math
import re
import secrets
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, Protocol, TypeAlias, get_args, runtime_checkable

import attrs
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from bricolage.security._clock import Clock, as_clock, system_clock
from bricolage.security._secrets import KeyMaterial, key_bytes
from bricolage.security.errors import ConfigurationError, JWKSError, JWTError

__all__ = [
    "Algorithm",
    "JWKSClient",
    "JWTIssuer",
    "JWTKey",
    "JWTVerifier",
    "KeySource",
]

_log = logging.getLogger(__name__)

#: The algorithms a :class:`JWTKey` can be bound to; ``none`` is not one of them.
Algorithm: TypeAlias = Literal[
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "Ed25519",
    "EdDSA",
]
_ALGORITHMS: Final[frozenset[str]] = frozenset(get_args(Algorithm))
_HMAC_MIN_BYTES: Final = {"HS256": 32, "HS384": 48, "HS512": 64}
_EC_CURVES: Final[dict[str, type[ec.EllipticCurve]]] = {
    "ES256": ec.SECP256R1,
    "ES384": ec.SECP384R1,
    "ES512": ec.SECP521R1,
}
#: Header parameters that would let a token choose its own verification key.
_KEY_HEADERS: Final = frozenset({"jwk", "jku", "x5u", "x5c"})
_RESERVED_CLAIMS: Final = frozenset({"iss", "aud", "iat", "nbf", "exp"})
#: Ed25519 (RFC 9864) and the polymorphic EdDSA name it replaces.
_EDDSA_NAMES: Final = frozenset({"Ed25519", "EdDSA"})
#: The names PyJWT knows each algorithm by (it predates RFC 9864).
_PYJWT_NAME: Final = {"Ed25519": "EdDSA"}
_HMAC_HASH: Final = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
_PEM_MARKERS: Final = (b"-----BEGIN", b"ssh-rsa", b"ssh-ed25519", b"ecdsa-sha2-")

_AsymmetricPrivate: TypeAlias = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
_AsymmetricPublic: TypeAlias = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)


def _check_asymmetric(algorithm: str, key: object) -> None:
    family = algorithm[:2]
    if family in ("RS", "PS"):
        if not isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
            raise ConfigurationError(f"{algorithm} needs an RSA key, got {type(key).__name__}")
        if key.key_size < 2048:
            raise ConfigurationError(
                f"{algorithm} key has {key.key_size} bits; at least 2048 are required"
            )
    elif family == "ES":
        if not isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
            raise ConfigurationError(f"{algorithm} needs an EC key, got {type(key).__name__}")
        if not isinstance(key.curve, _EC_CURVES[algorithm]):
            raise ConfigurationError(
                f"{algorithm} needs curve {_EC_CURVES[algorithm].name}, got {key.curve.name}"
            )
    elif algorithm == "Ed25519":
        if not isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
            raise ConfigurationError(f"Ed25519 needs an Ed25519 key, got {type(key).__name__}")
    elif not isinstance(
        key,
        (
            ed25519.Ed25519PrivateKey,
            ed25519.Ed25519PublicKey,
            ed448.Ed448PrivateKey,
            ed448.Ed448PublicKey,
        ),
    ):
        raise ConfigurationError(f"EdDSA needs an Ed25519 or Ed448 key, got {type(key).__name__}")


@attrs.frozen(slots=True, repr=False)
class JWTKey:
    """A key bound to exactly one JWT algorithm.

    Build one with :meth:`hmac`, :meth:`from_pem`, :meth:`from_jwk` or :meth:`generate`:
    each checks that the key fits its algorithm (an RSA key cannot be used for HS256, an
    HMAC secret must be as long as the hash). A verifier only ever accepts a token whose
    ``alg`` header equals its key's algorithm, so "any algorithm" cannot be expressed.

    >>> from bricolage.security import JWTKey
    >>> key = JWTKey.hmac("s" * 32, kid="2026-01")
    >>> key
    JWTKey(algorithm='HS256', kid='2026-01', private=True)
    >>> JWTKey.hmac("short")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.ConfigurationError: HS256 key is 5 bytes long; use at least 32 ra...
    """

    algorithm: Algorithm
    key: bytes | _AsymmetricPrivate | _AsymmetricPublic
    kid: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.algorithm not in _ALGORITHMS:
            raise ConfigurationError(
                f"algorithm {self.algorithm!r} is not supported; use one of {sorted(_ALGORITHMS)}"
            )
        if self.algorithm.startswith("HS"):
            if not isinstance(self.key, bytes):
                raise ConfigurationError(
                    f"{self.algorithm} needs a secret (bytes), got {type(self.key).__name__}: "
                    "an asymmetric key must never be used as an HMAC secret"
                )
            key_bytes(self.key, purpose=self.algorithm, minimum=_HMAC_MIN_BYTES[self.algorithm])
            if self.key.lstrip().startswith(_PEM_MARKERS):
                raise ConfigurationError(
                    f"{self.algorithm} secret looks like a PEM or SSH public key; "
                    "that is the HS/RS key-confusion attack, use JWTKey.from_pem instead"
                )
        else:
            _check_asymmetric(self.algorithm, self.key)

    def __repr__(self) -> str:
        return f"JWTKey(algorithm={self.algorithm!r}, kid={self.kid!r}, private={self.private})"

    @property
    def private(self) -> bool:
        """True when this key can sign (an HMAC secret or a private key).

        >>> from bricolage.security import JWTKey
        >>> JWTKey.generate("ES256").public().private
        False
        """
        return isinstance(self.key, bytes) or not hasattr(self.key, "verify")

    @classmethod
    def hmac(
        cls, secret: KeyMaterial, algorithm: Algorithm = "HS256", *, kid: str | None = None
    ) -> JWTKey:
        """An HMAC key; the secret must be at least as long as the hash output.

        >>> from bricolage.security import JWTKey
        >>> JWTKey.hmac("x" * 64, "HS512").algorithm
        'HS512'
        """
        if not algorithm.startswith("HS"):
            raise ConfigurationError(f"JWTKey.hmac needs an HS algorithm, got {algorithm!r}")
        return cls(algorithm, key_bytes(secret, purpose=algorithm, minimum=1), kid)

    @classmethod
    def from_pem(cls, pem: str | bytes, algorithm: Algorithm, *, kid: str | None = None) -> JWTKey:
        """A private or public asymmetric key from PEM text.

        >>> from bricolage.security import JWTKey
        >>> private = JWTKey.generate("Ed25519")
        >>> JWTKey.from_pem(private.public_pem(), "Ed25519").private
        False
        """
        data = pem.encode("ascii") if isinstance(pem, str) else pem
        if algorithm.startswith("HS"):
            raise ConfigurationError(
                f"{algorithm} is an HMAC algorithm; a PEM key cannot be bound to it"
            )
        loaded: object
        try:
            if b"PRIVATE KEY" in data:
                loaded = serialization.load_pem_private_key(data, password=None)
            else:
                loaded = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"cannot load PEM key for {algorithm}: {exc}") from None
        _check_asymmetric(algorithm, loaded)
        return cls(algorithm, loaded, kid)  # type: ignore[arg-type]

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], algorithm: Algorithm | None = None) -> JWTKey:
        """A key from a JSON Web Key; the algorithm comes from ``alg`` or the argument.

        >>> from bricolage.security import JWTKey
        >>> key = JWTKey.generate("ES256", kid="k1")
        >>> JWTKey.from_jwk(key.public_jwk())
        JWTKey(algorithm='ES256', kid='k1', private=False)
        """
        alg = jwk.get("alg", algorithm)
        if alg is None:
            raise ConfigurationError(
                f"JWK {jwk.get('kid')!r} has no 'alg'; pass the algorithm to bind it to"
            )
        if algorithm is not None and alg != algorithm:
            raise ConfigurationError(
                f"JWK {jwk.get('kid')!r} is for {alg!r}, not the requested {algorithm!r}"
            )
        if alg not in _ALGORITHMS:
            raise ConfigurationError(f"JWK {jwk.get('kid')!r} has unsupported alg {alg!r}")
        try:
            parsed = jwt.PyJWK(dict(jwk), algorithm=_PYJWT_NAME.get(alg, alg))
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError) as exc:
            raise ConfigurationError(f"cannot read JWK {jwk.get('kid')!r}: {exc}") from None
        return cls(alg, parsed.key, jwk.get("kid"))

    @classmethod
    def generate(cls, algorithm: Algorithm, *, kid: str | None = None) -> JWTKey:
        """A fresh random key for ``algorithm`` (RSA 3072 bits, EC on its curve, Ed25519).

        ``Ed25519`` is RFC 9864's fully-specified name; ``EdDSA`` still works and makes an
        Ed25519 key too.

        >>> from bricolage.security import JWTKey
        >>> JWTKey.generate("HS256").algorithm
        'HS256'
        """
        key: bytes | _AsymmetricPrivate
        if algorithm.startswith("HS"):
            key = secrets.token_bytes(_HMAC_MIN_BYTES[algorithm])
        elif algorithm[:2] in ("RS", "PS"):
            key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        elif algorithm.startswith("ES"):
            key = ec.generate_private_key(_EC_CURVES[algorithm]())
        else:
            key = ed25519.Ed25519PrivateKey.generate()
        return cls(algorithm, key, kid)

    def public(self) -> JWTKey:
        """The verifying half of an asymmetric key (an HMAC key is returned unchanged).

        >>> from bricolage.security import JWTKey
        >>> JWTKey.generate("ES256").public().private
        False
        """
        if isinstance(self.key, bytes) or not self.private:
            return self
        return JWTKey(self.algorithm, self.key.public_key(), self.kid)  # type: ignore[union-attr]

    def public_pem(self) -> bytes:
        """The public key as PEM (asymmetric keys only).

        >>> from bricolage.security import JWTKey
        >>> JWTKey.generate("ES256").public_pem().startswith(b"-----BEGIN PUBLIC KEY")
        True
        """
        public = self.public().key
        if isinstance(public, bytes):
            raise ConfigurationError("an HMAC key has no public half to export")
        return public.public_bytes(  # type: ignore[union-attr]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with ``alg``, ``use`` and ``kid`` (asymmetric keys only).

        >>> from bricolage.security import JWTKey
        >>> sorted(JWTKey.generate("Ed25519", kid="a").public_jwk())
        ['alg', 'crv', 'kid', 'kty', 'use', 'x']
        """
        public = self.public().key
        if isinstance(public, bytes):
            raise ConfigurationError("an HMAC key has no public half to publish")
        algorithm = jwt.get_algorithm_by_name(_PYJWT_NAME.get(self.algorithm, self.algorithm))
        data: dict[str, Any] = algorithm.to_jwk(public, as_dict=True)
        data.update({"alg": self.algorithm, "use": "sig"})
        if self.kid is not None:
            data["kid"] = self.kid
        return data


@runtime_checkable
class KeySource(Protocol):
    """Where a verifier finds its keys: a static list or a :class:`JWKSClient`.

    >>> from bricolage.security import JWKSClient, KeySource
    >>> isinstance(JWKSClient("https://issuer.example/jwks.json", algorithms=["RS256"]), KeySource)
    True
    """

    def get_keys(self, kid: str | None) -> Sequence[JWTKey]:
        """The candidate keys for a token with key id ``kid``."""
        ...


class _StaticKeys:
    def __init__(self, keys: Sequence[JWTKey]) -> None:
        self._keys = [k.public() for k in keys]
        self._by_kid: dict[str, list[JWTKey]] = {}
        for key in self._keys:
            if key.kid is not None:
                self._by_kid.setdefault(key.kid, []).append(key)

    def get_keys(self, kid: str | None) -> Sequence[JWTKey]:
        if kid is None:
            return self._keys
        return self._by_kid.get(kid, [])


# --- strict compact serialisation -------------------------------------------------------

_COMPACT: Final = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
_B64_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_VALUE: Final = {c: i for i, c in enumerate(_B64_ALPHABET)}
_URLSAFE_TO_STD: Final = str.maketrans("-_", "+/")
#: For a segment of length 4k+2 the last character carries 4 unused bits; 4k+3: 2.
_UNUSED_BITS: Final = {2: ("==", 0x0F), 3: ("=", 0x03)}


class _DuplicateMember(ValueError):
    pass


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _DuplicateMember(name)
            seen.add(name)
    return members


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_JSON_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_unique_members, parse_constant=_no_constants
)
_JSON_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _b64decode(segment: str, part: str) -> bytes:
    """Decode one base64url segment, refusing every non-canonical spelling."""
    remainder = len(segment) & 3
    if remainder:
        if remainder == 1:
            raise JWTError(
                f"token rejected: the {part} segment is {len(segment)} characters long, "
                "which no base64url encoding produces"
            )
        padding, unused = _UNUSED_BITS[remainder]
        if _B64_VALUE[segment[-1]] & unused:
            raise JWTError(
                f"token rejected: the {part} segment is not canonical base64url (its last "
                f"character {segment[-1]!r} sets unused bits); tokens must not be malleable"
            )
        segment += padding
    return binascii.a2b_base64(segment.translate(_URLSAFE_TO_STD))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_object(data: bytes, part: str) -> dict[str, Any]:
    try:
        value = _JSON_DECODER.decode(data.decode("utf-8"))
    except _DuplicateMember as exc:
        raise JWTError(
            f"token rejected: the {part} has the member {exc.args[0]!r} more than once; "
            "duplicate members are refused (readers disagree on which one wins)"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise JWTError(f"token rejected: the {part} is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(value, dict):
        raise JWTError(
            f"token rejected: the {part} must be a JSON object, got {type(value).__name__}"
        )
    return value


def _malformed(token: str) -> JWTError:
    """Say what is wrong with a token the compact-form pattern did not match."""
    segments = token.split(".")
    if len(segments) != 3:
        return JWTError(
            f"token rejected: a JWT has 3 segments separated by '.', this one has {len(segments)}"
        )
    for part, segment in zip(("header", "payload", "signature"), segments, strict=True):
        if not segment:
            return JWTError(f"token rejected: the {part} segment is empty")
        for position, char in enumerate(segment):
            if char not in _B64_VALUE:
                what = "padding" if char == "=" else f"character {char!r}"
                return JWTError(
                    f"token rejected: {what} at position {position} of the {part} segment "
                    "is not base64url (unpadded, alphabet A-Z a-z 0-9 - _)"
                )
    return JWTError("token rejected: not a compact JWS")  # pragma: no cover - unreachable


def _accepted_names(key: JWTKey) -> frozenset[str]:
    """The ``alg`` header values a key verifies: its own, and both EdDSA names for Ed25519."""
    if key.algorithm in _EDDSA_NAMES and isinstance(
        key.key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)
    ):
        return _EDDSA_NAMES
    return frozenset({key.algorithm})


_Verify: TypeAlias = Callable[[bytes, bytes], bool]


def _verify_function(key: JWTKey) -> _Verify:
    raw = key.key
    if isinstance(raw, bytes):
        digest = _HMAC_HASH[key.algorithm]

        def verify_hmac(message: bytes, signature: bytes) -> bool:
            return hmac.compare_digest(hmac.digest(raw, message, digest), signature)

        return verify_hmac
    algorithm = jwt.get_algorithm_by_name(_PYJWT_NAME.get(key.algorithm, key.algorithm))
    prepared: Any = raw

    def verify_asymmetric(message: bytes, signature: bytes) -> bool:
        return bool(algorithm.verify(message, prepared, signature))

    return verify_asymmetric


def _sign_function(key: JWTKey) -> Callable[[bytes], bytes]:
    raw = key.key
    if isinstance(raw, bytes):
        digest = _HMAC_HASH[key.algorithm]
        return lambda message: hmac.digest(raw, message, digest)
    algorithm = jwt.get_algorithm_by_name(_PYJWT_NAME.get(key.algorithm, key.algorithm))
    prepared: Any = raw
    return lambda message: bytes(algorithm.sign(message, prepared))


@attrs.frozen(slots=True)
class _Candidate:
    names: frozenset[str]
    verify: _Verify


def _candidate(key: JWTKey) -> _Candidate:
    return _Candidate(_accepted_names(key), _verify_function(key))


def _number(payload: Mapping[str, Any], claim: str) -> float | None:
    value = payload.get(claim)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise JWTError(f"claim {claim!r} must be a NumericDate (seconds), got {value!r}")
    return float(value)


def check_time_claims(
    payload: Mapping[str, Any], *, now: float, leeway: float, max_age: float | None = None
) -> None:
    """Validate ``exp``, ``nbf`` and ``iat`` against ``now`` with ``leeway`` (pure).

    >>> from bricolage.security import check_time_claims
    >>> check_time_claims({"exp": 100, "iat": 50}, now=120, leeway=30)
    >>> check_time_claims({"exp": 100, "iat": 50}, now=131, leeway=30)
    Traceback (most recent call last):
    ...
    bricolage.security.errors.JWTError: token expired at 100 (now 131, leeway 30 s)
    """
    exp = _number(payload, "exp")
    if exp is not None and now > exp + leeway:
        raise JWTError(f"token expired at {exp:.0f} (now {now:.0f}, leeway {leeway:g} s)")
    nbf = _number(payload, "nbf")
    if nbf is not None and now + leeway < nbf:
        raise JWTError(f"token not valid before {nbf:.0f} (now {now:.0f}, leeway {leeway:g} s)")
    iat = _number(payload, "iat")
    if iat is not None:
        if now + leeway < iat:
            raise JWTError(f"token issued in the future at {iat:.0f} (now {now:.0f})")
        if max_age is not None and now - iat > max_age + leeway:
            raise JWTError(f"token issued at {iat:.0f} is older than max_age={max_age:g} s")


class JWTIssuer:
    """Sign JWTs with one key, stamping ``iss``, ``aud``, ``iat``, ``exp`` and ``jti``.

    The header names the key's algorithm (``Ed25519`` for Ed25519 keys, per RFC 9864),
    ``typ: JWT`` and the key's ``kid`` when it has one.

    >>> from bricolage.security import JWTIssuer, JWTKey, JWTVerifier
    >>> from bricolage.security.testing import FrozenClock
    >>> key = JWTKey.hmac("s" * 32)
    >>> clock = FrozenClock(1_700_000_000)
    >>> issuer = JWTIssuer(key, issuer="https://auth.example", audience="api", clock=clock)
    >>> token = issuer.encode({"scope": "read"}, subject="alice")
    >>> verifier = JWTVerifier([key], issuer="https://auth.example", audience="api", clock=clock)
    >>> claims = verifier.decode(token)
    >>> claims["sub"], claims["scope"], claims["exp"] - claims["iat"]
    ('alice', 'read', 900)
    """

    def __init__(
        self,
        key: JWTKey,
        *,
        issuer: str,
        audience: str,
        lifetime: float = 900,
        clock: Clock | Callable[[], float] = system_clock,
    ) -> None:
        if not key.private:
            raise ConfigurationError("JWTIssuer needs a private key or an HMAC secret to sign")
        if lifetime <= 0:
            raise ConfigurationError(f"lifetime must be positive seconds, got {lifetime!r}")
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.clock: Clock = as_clock(clock)
        header: dict[str, str] = {"alg": key.algorithm, "typ": "JWT"}
        if key.kid is not None:
            header["kid"] = key.kid
        self._header = _b64encode(_JSON_ENCODER.encode(header).encode("utf-8"))
        self._sign = _sign_function(key)

    def encode(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        subject: str | None = None,
        lifetime: float | None = None,
    ) -> str:
        """Sign ``claims`` plus the registered claims; return the compact JWT.

        >>> from bricolage.security import JWTIssuer, JWTKey
        >>> issuer = JWTIssuer(JWTKey.hmac("s" * 32), issuer="i", audience="a")
        >>> issuer.encode({"exp": 1})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bricolage.security.errors.ConfigurationError: claims ['exp'] are set by the issuer; pas...
        """
        now = int(self.clock.now())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + int(self.lifetime if lifetime is None else lifetime),
            "jti": None,
        }
        if claims:
            if not _RESERVED_CLAIMS.isdisjoint(claims):
                clash = sorted(_RESERVED_CLAIMS.intersection(claims))
                raise ConfigurationError(
                    f"claims {clash} are set by the issuer; pass lifetime= instead"
                )
            payload.update(claims)
        if not payload["jti"]:
            payload["jti"] = secrets.token_urlsafe(16)
        if subject is not None:
            payload["sub"] = subject
        signing_input = f"{self._header}.{_b64encode(_JSON_ENCODER.encode(payload).encode())}"
        signature = self._sign(signing_input.encode("ascii"))
        return f"{signing_input}.{_b64encode(signature)}"


class JWTVerifier:
    """Verify JWTs: encoding, headers, signature, algorithm, size, and required claims.

    Rejected, each with :class:`~bricolage.security.errors.JWTError`: ``alg: none`` in any
    casing; an ``alg`` other than the key's (HS/RS confusion); any ``crit`` extension;
    tokens longer than ``max_token_bytes``; tokens carrying ``jwk``, ``jku``, ``x5u`` or
    ``x5c`` (keys come from the verifier, never the token); a ``kid`` that names none of
    the keys (however many there are); a header or payload with a duplicate member, or that
    is not a JSON object; a segment that is not canonical base64url (padding, characters
    outside the alphabet, unused bits set); a missing ``exp``, ``iat``, ``iss`` or ``aud``;
    a wrong ``iss`` or ``aud``; a ``sub`` or ``jti`` that is not a string; times outside
    ``leeway``. A key bound to ``Ed25519`` also reads tokens signed as ``EdDSA``.

    ``keys`` is a list of :class:`JWTKey` (several for rotation, picked by ``kid``) or a
    :class:`KeySource` such as :class:`JWKSClient`.

    >>> from bricolage.security import JWTKey, JWTVerifier
    >>> key = JWTKey.hmac("s" * 32)
    >>> verifier = JWTVerifier([key], issuer="i", audience="a")
    >>> verifier.decode("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    Traceback (most recent call last):
    ...
    bricolage.security.errors.JWTError: token rejected: the signature segment is empty
    """

    def __init__(
        self,
        keys: Sequence[JWTKey] | KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30.0,
        max_age: float | None = None,
        required_claims: Sequence[str] = ("exp", "iat", "iss", "aud"),
        max_token_bytes: int = 8192,
        clock: Clock | Callable[[], float] = system_clock,
    ) -> None:
        self._static: dict[str | None, list[_Candidate]] | None = None
        if isinstance(keys, Sequence):
            if not keys:
                raise ConfigurationError("JWTVerifier needs at least one key")
            source = _StaticKeys(keys)
            self._source: KeySource = source
            self._static = {None: [_candidate(k) for k in source.get_keys(None)]}
            for kid, kid_keys in source._by_kid.items():
                self._static[kid] = [_candidate(k) for k in kid_keys]
        else:
            self._source = keys
        if not issuer or not audience:
            raise ConfigurationError(
                f"issuer and audience must be non-empty, got {issuer!r} and {audience!r}"
            )
        if leeway < 0:
            raise ConfigurationError(f"leeway must be >= 0 seconds, got {leeway!r}")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.max_age = max_age
        self.required_claims: list[str] = list(dict.fromkeys(("exp", *required_claims)))
        self.max_token_bytes = max_token_bytes
        self.clock: Clock = as_clock(clock)

    def _candidates(self, kid: object, alg: str) -> list[_Candidate]:
        if kid is not None and not isinstance(kid, str):
            raise JWTError(f"token rejected: the kid header must be a string, got {kid!r}")
        if self._static is not None:
            found = self._static.get(kid)
            if found is None:
                raise JWTError(f"no key for kid={kid!r}; the token is not ours")
        else:
            found = [_candidate(k) for k in self._source.get_keys(kid) if kid in (None, k.kid)]
        matching = [c for c in found if alg in c.names]
        if not matching:
            if not found:
                raise JWTError(f"no key for kid={kid!r}; the token is not ours")
            names = sorted(set().union(*(c.names for c in found)))
            raise JWTError(
                f"token rejected: the alg {alg!r} is not allowed for kid={kid!r}; "
                f"the keys are for {names}"
            )
        return matching

    def decode(self, token: str | bytes) -> dict[str, Any]:
        """Verify ``token`` and return its claims.

        Raises :class:`~bricolage.security.errors.JWTError` on any failed check.

        >>> from bricolage.security import JWTKey, JWTVerifier
        >>> key = JWTKey.hmac("s" * 32)
        >>> verifier = JWTVerifier([key], issuer="i", audience="a", max_token_bytes=10)
        >>> verifier.decode("a" * 11)
        Traceback (most recent call last):
        ...
        bricolage.security.errors.JWTError: token is 11 bytes long; the limit is 10
        """
        if len(token) > self.max_token_bytes:
            raise JWTError(
                f"token is {len(token)} bytes long; the limit is {self.max_token_bytes}"
            )
        if isinstance(token, bytes):
            try:
                token = token.decode("ascii")
            except UnicodeDecodeError:
                raise JWTError("token rejected: a JWT is ASCII text") from None
        match = _COMPACT.fullmatch(token)
        if match is None:
            raise _malformed(token)
        header_segment, payload_segment, signature_segment = match.groups()
        header = _json_object(_b64decode(header_segment, "header"), "header")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in _ALGORITHMS:
            raise JWTError(f"token rejected: the alg {alg!r} is not allowed")
        if "crit" in header:
            raise JWTError(
                f"token rejected: critical extension {header['crit']!r} is not supported"
            )
        if header.get("b64", True) is not True:
            raise JWTError("token rejected: unencoded payloads (b64) are not supported")
        if not _KEY_HEADERS.isdisjoint(header):
            smuggled = sorted(_KEY_HEADERS.intersection(header))
            raise JWTError(
                f"token carries key headers {smuggled}; keys come from the verifier only"
            )
        kid = header.get("kid")
        if kid is None and "kid" in header:
            raise JWTError("token rejected: the kid header must be a string, got None")
        candidates = self._candidates(kid, alg)
        signature = _b64decode(signature_segment, "signature")
        signing_input = token[: match.end(2)].encode("ascii")
        for candidate in candidates:
            if candidate.verify(signing_input, signature):
                break
        else:
            raise JWTError("token rejected: Signature verification failed")
        payload = _json_object(_b64decode(payload_segment, "payload"), "payload")
        self._check_claims(payload)
        return payload

    def _check_claims(self, payload: dict[str, Any]) -> None:
        for claim in self.required_claims:
            if payload.get(claim) is None:
                raise JWTError(f"token rejected: the required claim {claim!r} is missing")
        iss = payload.get("iss")
        if iss != self.issuer:
            raise JWTError(f"token rejected: issuer {iss!r} is not {self.issuer!r}")
        aud = payload.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud
        if (
            not isinstance(audiences, list)
            or not all(isinstance(a, str) for a in audiences)
            or self.audience not in audiences
        ):
            raise JWTError(f"token rejected: audience {aud!r} does not include {self.audience!r}")
        for claim in ("sub", "jti"):
            value = payload.get(claim)
            if value is not None and not isinstance(value, str):
                raise JWTError(f"token rejected: claim {claim!r} must be a string, got {value!r}")
        check_time_claims(payload, now=self.clock.now(), leeway=self.leeway, max_age=self.max_age)


def _default_fetch(url: str, timeout: float, max_bytes: int) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        data: bytes = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise JWKSError(f"JWKS at {url} is larger than {max_bytes} bytes")
    return data


class JWKSClient:
    """Keys from a JSON Web Key Set URL, cached, with bounded refetching.

    Keys are cached for ``cache_ttl`` seconds. A token naming an unknown ``kid`` triggers a
    refetch (the issuer may have rotated), but at most once per ``min_refetch_interval``
    seconds, so forged ``kid`` values cannot turn the verifier into a request flood. When a
    refetch fails, the cached keys keep serving. Only keys whose ``alg`` (or, if absent,
    whose type) fits ``algorithms`` are used; symmetric (``oct``) keys are never taken
    from a JWKS. The URL must be https unless ``allow_insecure_http`` is set (tests).

    >>> from bricolage.security import JWKSClient
    >>> client = JWKSClient("https://issuer.example/.well-known/jwks.json", algorithms=["RS256"])
    >>> client.cache_ttl, client.min_refetch_interval
    (300.0, 30.0)
    """

    def __init__(
        self,
        url: str,
        *,
        algorithms: Sequence[Algorithm],
        cache_ttl: float = 300.0,
        min_refetch_interval: float = 30.0,
        timeout: float = 5.0,
        max_bytes: int = 512 * 1024,
        allow_insecure_http: bool = False,
        clock: Clock | Callable[[], float] = system_clock,
        fetch: Callable[[str, float, int], bytes] | None = None,
    ) -> None:
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme != "https" and not (allow_insecure_http and scheme == "http"):
            raise ConfigurationError(
                f"JWKS URL {url!r} must use https (allow_insecure_http=True for local tests)"
            )
        bad = [a for a in algorithms if a not in _ALGORITHMS or a.startswith("HS")]
        if not algorithms or bad:
            raise ConfigurationError(
                f"algorithms must be asymmetric algorithms, got {list(algorithms)!r}"
            )
        self.url = url
        self.algorithms: tuple[Algorithm, ...] = tuple(algorithms)
        self.cache_ttl: float = float(cache_ttl)
        self.min_refetch_interval: float = float(min_refetch_interval)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.clock: Clock = as_clock(clock)
        self._fetch = fetch or _default_fetch
        self._lock = threading.Lock()
        self._keys: list[JWTKey] = []
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self.fetch_count: int = 0

    def _parse(self, data: bytes) -> list[JWTKey]:
        try:
            document = json.loads(data)
            entries = document["keys"]
            if not isinstance(entries, list):
                raise TypeError("'keys' is not a list")
        except (ValueError, TypeError, KeyError) as exc:
            raise JWKSError(f"JWKS at {self.url} is not a JWK Set: {exc}") from None
        keys: list[JWTKey] = []
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("kty") == "oct":
                continue
            if entry.get("use", "sig") != "sig":
                continue
            wanted = [entry["alg"]] if "alg" in entry else list(self.algorithms)
            for alg in wanted:
                if alg not in self.algorithms:
                    continue
                try:
                    keys.append(JWTKey.from_jwk({**entry, "alg": alg}))
                except ConfigurationError:
                    continue
                break
        return keys

    def refresh(self) -> list[JWTKey]:
        """Fetch the JWKS now (ignoring the cache) and return its usable keys.

        >>> from bricolage.security import JWKSClient
        >>> JWKSClient("https://x.example/jwks", algorithms=["ES256"],
        ...            fetch=lambda url, timeout, limit: b'{"keys": []}').refresh()
        []
        """
        with self._lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> list[JWTKey]:
        self._attempted_at = self.clock.now()
        self.fetch_count += 1
        try:
            data = self._fetch(self.url, self.timeout, self.max_bytes)
        except JWKSError:
            raise
        except (OSError, ValueError) as exc:
            raise JWKSError(f"cannot fetch JWKS from {self.url}: {exc}") from None
        self._keys = self._parse(data)
        self._fetched_at = self._attempted_at
        return list(self._keys)

    def get_keys(self, kid: str | None) -> Sequence[JWTKey]:
        """The keys matching ``kid`` (all keys when ``kid`` is None), refetching if due.

        >>> from bricolage.security import JWKSClient
        >>> client = JWKSClient("https://x.example/jwks", algorithms=["ES256"],
        ...                     fetch=lambda url, timeout, limit: b'{"keys": []}')
        >>> client.get_keys("unknown"), client.fetch_count
        ([], 1)
        >>> client.get_keys("unknown"), client.fetch_count  # no refetch within 30 s
        ([], 1)
        """
        with self._lock:
            now = self.clock.now()
            stale = self._fetched_at is None or now - self._fetched_at >= self.cache_ttl
            matching = [k for k in self._keys if kid is None or k.kid == kid]
            may_refetch = (
                self._attempted_at is None or now - self._attempted_at >= self.min_refetch_interval
            )
            if (stale or not matching) and may_refetch:
                try:
                    self._refresh_locked()
                except JWKSError:
                    if not self._keys:
                        raise
                    _log.warning("JWKS refetch from %s failed; serving cached keys", self.url)
                matching = [k for k in self._keys if kid is None or k.kid == kid]
            return matching
