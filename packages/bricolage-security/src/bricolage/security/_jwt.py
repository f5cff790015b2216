"""JSON Web Tokens through PyJWT, with keys bound to their algorithm."""

from __future__ import annotations

import json
import logging
import math
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

from bricolage.security._clock import Clock, system_clock
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
        >>> private = JWTKey.generate("EdDSA")
        >>> JWTKey.from_pem(private.public_pem(), "EdDSA").private
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
            parsed = jwt.PyJWK(dict(jwk), algorithm=alg)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError) as exc:
            raise ConfigurationError(f"cannot read JWK {jwk.get('kid')!r}: {exc}") from None
        return cls(alg, parsed.key, jwk.get("kid"))

    @classmethod
    def generate(cls, algorithm: Algorithm, *, kid: str | None = None) -> JWTKey:
        """A fresh random key for ``algorithm`` (RSA 3072 bits, EC on its curve, Ed25519).

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
        >>> sorted(JWTKey.generate("EdDSA", kid="a").public_jwk())
        ['alg', 'crv', 'kid', 'kty', 'use', 'x']
        """
        public = self.public().key
        if isinstance(public, bytes):
            raise ConfigurationError("an HMAC key has no public half to publish")
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
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
        self._by_kid = {k.kid: [k] for k in self._keys if k.kid is not None}

    def get_keys(self, kid: str | None) -> Sequence[JWTKey]:
        if kid is not None and kid in self._by_kid:
            return self._by_kid[kid]
        if kid is not None and self._by_kid:
            return []
        return self._keys


def _claims_error(exc: jwt.PyJWTError) -> JWTError:
    return JWTError(f"token rejected: {exc}")


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
        clock: Clock = system_clock,
    ) -> None:
        if not key.private:
            raise ConfigurationError("JWTIssuer needs a private key or an HMAC secret to sign")
        if lifetime <= 0:
            raise ConfigurationError(f"lifetime must be positive seconds, got {lifetime!r}")
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.clock = clock
        self._headers = {"kid": key.kid} if key.kid is not None else None

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
        now = int(self.clock())
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
        signing_key: Any = self.key.key
        return jwt.encode(
            payload, signing_key, algorithm=self.key.algorithm, headers=self._headers
        )


class JWTVerifier:
    """Verify JWTs: signature, algorithm, headers, size, and required claims.

    Rejected, each with :class:`~bricolage.security.errors.JWTError`: ``alg: none`` in any
    casing; an ``alg`` other than the key's (HS/RS confusion); unknown ``crit`` extensions;
    tokens longer than ``max_token_bytes``; tokens carrying ``jwk``, ``jku``, ``x5u`` or
    ``x5c`` (keys come from the verifier, never the token); a missing ``exp``, ``iat``,
    ``iss`` or ``aud``; a wrong ``iss`` or ``aud``; times outside ``leeway``.

    ``keys`` is a list of :class:`JWTKey` (several for rotation, picked by ``kid``) or a
    :class:`KeySource` such as :class:`JWKSClient`.

    >>> from bricolage.security import JWTKey, JWTVerifier
    >>> key = JWTKey.hmac("s" * 32)
    >>> verifier = JWTVerifier([key], issuer="i", audience="a")
    >>> verifier.decode("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    Traceback (most recent call last):
    ...
    bricolage.security.errors.JWTError: token rejected: The specified alg value is not allowed
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
        clock: Clock = system_clock,
    ) -> None:
        if isinstance(keys, Sequence):
            if not keys:
                raise ConfigurationError("JWTVerifier needs at least one key")
            self._source: KeySource = _StaticKeys(keys)
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
        self.required_claims = list(dict.fromkeys(("exp", *required_claims)))
        self.max_token_bytes = max_token_bytes
        self.clock = clock
        self._options: jwt.types.Options = {
            "require": self.required_claims,
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
            "verify_iss": True,
            "verify_aud": True,
        }
        single = self._source.get_keys(None) if isinstance(self._source, _StaticKeys) else []
        self._single: JWTKey | None = single[0] if len(single) == 1 else None

    def _candidates(self, token: str) -> Sequence[JWTKey]:
        if self._single is not None:
            return (self._single,)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _claims_error(exc) from None
        kid = header.get("kid")  # PyJWT has checked that it is a string
        alg = header.get("alg")
        keys = [k for k in self._source.get_keys(kid) if k.algorithm == alg]
        if not keys:
            raise JWTError(f"no key for kid={kid!r} and alg={alg!r}; the token is not ours")
        return keys

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
        text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
        last: jwt.PyJWTError | None = None
        for key in self._candidates(text):
            try:
                decoded = jwt.decode_complete(
                    text,
                    key.key,  # type: ignore[arg-type]
                    algorithms=[key.algorithm],
                    options=self._options,
                    audience=self.audience,
                    issuer=self.issuer,
                )
            except jwt.InvalidSignatureError as exc:
                last = exc
                continue
            except jwt.PyJWTError as exc:
                raise _claims_error(exc) from None
            header = decoded["header"]
            smuggled = sorted(_KEY_HEADERS & header.keys())
            if smuggled:
                raise JWTError(
                    f"token carries key headers {smuggled}; keys come from the verifier only"
                )
            payload: dict[str, Any] = decoded["payload"]
            check_time_claims(payload, now=self.clock(), leeway=self.leeway, max_age=self.max_age)
            return payload
        raise JWTError(f"token rejected: {last}")


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
        clock: Clock = system_clock,
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
        self.algorithms = tuple(algorithms)
        self.cache_ttl = float(cache_ttl)
        self.min_refetch_interval = float(min_refetch_interval)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.clock = clock
        self._fetch = fetch or _default_fetch
        self._lock = threading.Lock()
        self._keys: list[JWTKey] = []
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self.fetch_count = 0

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
        self._attempted_at = self.clock()
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
            now = self.clock()
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
