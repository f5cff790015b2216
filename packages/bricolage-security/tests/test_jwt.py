"""JWT: every known pitfall is a named regression test; round trips for every algorithm."""

from __future__ import annotations

import base64
import json
from typing import Any, get_args

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from bricolage.security import Algorithm, JWTIssuer, JWTKey, JWTVerifier, check_time_claims
from bricolage.security.errors import ConfigurationError, JWTError
from bricolage.security.testing import FrozenClock

NOW = 1_700_000_000
ISS, AUD = "https://auth.example", "api"
SECRET = "s" * 32
RSA_KEY = JWTKey.generate("RS256", kid="rsa-1")


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**extra: Any) -> dict[str, Any]:
    return {"iss": ISS, "aud": AUD, "iat": NOW, "exp": NOW + 600, "sub": "alice", **extra}


def verifier(*keys: JWTKey, **options: Any) -> JWTVerifier:
    return JWTVerifier(list(keys), issuer=ISS, audience=AUD, clock=FrozenClock(NOW), **options)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", "NoNe"])
def test_pitfall_alg_none_in_any_casing(alg: str) -> None:
    token = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims())}."
    for v in (verifier(JWTKey.hmac(SECRET)), verifier(RSA_KEY)):
        with pytest.raises(JWTError):
            v.decode(token)
    with pytest.raises(JWTError):
        verifier(JWTKey.hmac(SECRET, kid="a"), JWTKey.hmac("t" * 32, kid="b")).decode(token)


def test_pitfall_alg_none_cannot_be_configured() -> None:
    with pytest.raises(ConfigurationError, match="not supported"):
        JWTKey("none", b"")  # type: ignore[arg-type]
    assert "none" not in {a.lower() for a in get_args(Algorithm)}


def test_pitfall_hs_rs_key_confusion() -> None:
    public_pem = RSA_KEY.public_pem()
    # The attacker signs HS256 with the server's *public* key as the HMAC secret.
    forged = pyjwt.encode(claims(), b"x" * 32, algorithm="HS256")
    header, payload, _ = forged.split(".")
    import hashlib
    import hmac

    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}.{b64(mac)}"
    with pytest.raises(JWTError, match="not allowed"):
        verifier(RSA_KEY).decode(token)
    with pytest.raises(ConfigurationError, match="key-confusion"):
        JWTKey.hmac(public_pem)
    with pytest.raises(ConfigurationError, match="HMAC algorithm"):
        JWTKey.from_pem(public_pem, "HS256")
    with pytest.raises(ConfigurationError, match="needs a secret"):
        JWTKey("HS256", RSA_KEY.key)


def test_pitfall_algorithm_substitution_within_family() -> None:
    key = JWTKey.hmac("x" * 64, "HS256")
    token = pyjwt.encode(claims(), key.key, algorithm="HS512")  # type: ignore[arg-type]
    with pytest.raises(JWTError, match="not allowed"):
        verifier(key).decode(token)
    es = JWTKey.generate("ES256")
    with pytest.raises(JWTError):
        verifier(es).decode(JWTIssuer(RSA_KEY, issuer=ISS, audience=AUD).encode())


def test_pitfall_unknown_crit_header() -> None:
    key = JWTKey.hmac(SECRET)
    token = pyjwt.encode(
        claims(),
        key.key,  # type: ignore[arg-type]
        algorithm="HS256",
        headers={"crit": ["exp-ext"], "exp-ext": 1},
    )
    with pytest.raises(JWTError, match="critical extension"):
        verifier(key).decode(token)


def test_pitfall_oversized_token_is_refused_before_parsing() -> None:
    key = JWTKey.hmac(SECRET)
    token = pyjwt.encode(claims(pad="x" * 10_000), key.key, algorithm="HS256")  # type: ignore[arg-type]
    with pytest.raises(JWTError, match="limit is 8192"):
        verifier(key).decode(token)
    assert verifier(key, max_token_bytes=20_000).decode(token)["pad"] == "x" * 10_000


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u", "x5c"])
def test_pitfall_key_from_the_tokens_own_header(header: str) -> None:
    attacker = JWTKey.generate("ES256", kid="ours")
    values: dict[str, Any] = {
        "jwk": attacker.public_jwk(),
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": ["MIIB"],
    }
    # Signed by the attacker with the key it embeds: our key does not verify it.
    token = pyjwt.encode(
        claims(),
        attacker.key,  # type: ignore[arg-type]
        algorithm="ES256",
        headers={header: values[header], "kid": "ours"},
    )
    ours = JWTKey.generate("ES256", kid="ours")
    with pytest.raises(JWTError):
        verifier(ours).decode(token)
    # Even with a signature that verifies, a key-carrying header is refused.
    with pytest.raises(JWTError, match="key headers"):
        verifier(attacker).decode(token)


def test_pitfall_kid_injection_finds_no_key() -> None:
    a, b = JWTKey.hmac(SECRET, kid="a"), JWTKey.hmac("t" * 32, kid="b")
    token = pyjwt.encode(
        claims(), b"../../dev/null" * 3, algorithm="HS256", headers={"kid": "../../dev/null"}
    )
    with pytest.raises(JWTError, match="no key for kid"):
        verifier(a, b).decode(token)
    token = f"{b64({'alg': 'HS256', 'kid': 7})}.{b64(claims())}.AAAA"
    with pytest.raises(JWTError, match="kid header must be a string"):
        verifier(a, b).decode(token)


def test_pitfall_signature_stripping() -> None:
    key = JWTKey.hmac(SECRET)
    token = JWTIssuer(key, issuer=ISS, audience=AUD, clock=FrozenClock(NOW)).encode()
    head, body, _ = token.split(".")
    for stripped in (f"{head}.{body}.", f"{head}.{body}", f"{head}.{body}.AAAA"):
        with pytest.raises(JWTError):
            verifier(key).decode(stripped)


def test_pitfall_psychic_signature_ecdsa_zero() -> None:
    key = JWTKey.generate("ES256")
    token = JWTIssuer(key, issuer=ISS, audience=AUD, clock=FrozenClock(NOW)).encode()
    head, body, _ = token.split(".")
    with pytest.raises(JWTError):
        verifier(key).decode(f"{head}.{body}.{b64(bytes(64))}")


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud"])
def test_pitfall_required_claim_missing(missing: str) -> None:
    key = JWTKey.hmac(SECRET)
    body = claims()
    del body[missing]
    with pytest.raises(JWTError, match=missing):
        verifier(key).decode(pyjwt.encode(body, key.key, algorithm="HS256"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"iss": "https://evil.example"}, "(?i)issuer"),
        ({"iss": "https://auth.example/"}, "(?i)issuer"),
        ({"aud": "other-api"}, "(?i)audience"),
        ({"aud": ["other-api"]}, "(?i)audience"),
        ({"exp": NOW - 31}, "expired"),
        ({"nbf": NOW + 31}, "not valid before"),
        ({"iat": NOW + 31}, "future"),
        ({"exp": "tomorrow"}, "NumericDate"),
        ({"exp": True}, "NumericDate"),
    ],
)
def test_pitfall_claim_checks(override: dict[str, Any], message: str) -> None:
    key = JWTKey.hmac(SECRET)
    token = pyjwt.encode(claims(**override), key.key, algorithm="HS256")  # type: ignore[arg-type]
    with pytest.raises(JWTError, match=message):
        verifier(key).decode(token)


def test_leeway_admits_small_clock_skew() -> None:
    key = JWTKey.hmac(SECRET)
    for override in ({"exp": NOW - 29}, {"nbf": NOW + 29}, {"iat": NOW + 29}):
        token = pyjwt.encode(claims(**override), key.key, algorithm="HS256")  # type: ignore[arg-type]
        assert verifier(key).decode(token)["sub"] == "alice"
    assert verifier(key).decode(pyjwt.encode(claims(aud=["x", AUD]), key.key, algorithm="HS256"))  # type: ignore[arg-type]
    old = pyjwt.encode(claims(iat=NOW - 4000), key.key, algorithm="HS256")  # type: ignore[arg-type]
    with pytest.raises(JWTError, match="older than max_age"):
        verifier(key, max_age=3600).decode(old)


def test_key_rotation_by_kid_and_wrong_signature() -> None:
    old, new = JWTKey.hmac(SECRET, kid="old"), JWTKey.hmac("n" * 32, kid="new")
    v = verifier(new, old)
    for key in (old, new):
        token = JWTIssuer(key, issuer=ISS, audience=AUD, clock=FrozenClock(NOW)).encode(
            subject="a"
        )
        assert v.decode(token)["sub"] == "a"
    untagged = [JWTKey.hmac(SECRET), JWTKey.hmac("n" * 32)]
    token = JWTIssuer(untagged[1], issuer=ISS, audience=AUD, clock=FrozenClock(NOW)).encode()
    assert verifier(*untagged).decode(token.encode())["iss"] == ISS
    forged = JWTIssuer(
        JWTKey.hmac("z" * 32), issuer=ISS, audience=AUD, clock=FrozenClock(NOW)
    ).encode()
    with pytest.raises(JWTError, match="Signature verification failed"):
        verifier(*untagged).decode(forged)
    with pytest.raises(JWTError):
        verifier(*untagged).decode("not-a-jwt")


def test_key_validation_rules() -> None:
    with pytest.raises(ConfigurationError, match="at least 32"):
        JWTKey.hmac("x" * 31)
    with pytest.raises(ConfigurationError, match="at least 64"):
        JWTKey.hmac("x" * 63, "HS512")
    with pytest.raises(ConfigurationError, match="needs an HS"):
        JWTKey.hmac("x" * 64, "RS256")
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ConfigurationError, match="1024 bits"):
        JWTKey("RS256", weak)
    with pytest.raises(ConfigurationError, match="needs curve secp384r1"):
        JWTKey("ES384", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ConfigurationError, match="needs an RSA key"):
        JWTKey("PS256", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ConfigurationError, match="needs an EC key"):
        JWTKey("ES256", weak)
    with pytest.raises(ConfigurationError, match="Ed25519"):
        JWTKey("EdDSA", weak)
    with pytest.raises(ConfigurationError, match="cannot load PEM"):
        JWTKey.from_pem("-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----", "RS256")
    with pytest.raises(ConfigurationError, match="has no 'alg'"):
        JWTKey.from_jwk({"kty": "EC"})
    with pytest.raises(ConfigurationError, match="not the requested"):
        JWTKey.from_jwk({**RSA_KEY.public_jwk()}, "ES256")
    with pytest.raises(ConfigurationError, match="unsupported alg"):
        JWTKey.from_jwk({"kty": "oct", "alg": "none"})
    with pytest.raises(ConfigurationError, match="cannot read JWK"):
        JWTKey.from_jwk({"kty": "RSA", "alg": "RS256", "n": "!!"})
    with pytest.raises(ConfigurationError, match="no public half"):
        JWTKey.hmac(SECRET).public_jwk()
    with pytest.raises(ConfigurationError, match="no public half"):
        JWTKey.hmac(SECRET).public_pem()
    with pytest.raises(ConfigurationError, match="private key"):
        JWTIssuer(RSA_KEY.public(), issuer=ISS, audience=AUD)
    with pytest.raises(ConfigurationError, match="lifetime"):
        JWTIssuer(RSA_KEY, issuer=ISS, audience=AUD, lifetime=0)
    with pytest.raises(ConfigurationError, match="at least one key"):
        JWTVerifier([], issuer=ISS, audience=AUD)
    with pytest.raises(ConfigurationError, match="non-empty"):
        JWTVerifier([RSA_KEY], issuer="", audience=AUD)
    with pytest.raises(ConfigurationError, match="leeway"):
        JWTVerifier([RSA_KEY], issuer=ISS, audience=AUD, leeway=-1)
    private_pem = RSA_KEY.key.private_bytes(  # type: ignore[union-attr]
        encoding=__import__("cryptography").hazmat.primitives.serialization.Encoding.PEM,
        format=__import__("cryptography").hazmat.primitives.serialization.PrivateFormat.PKCS8,
        encryption_algorithm=__import__(
            "cryptography"
        ).hazmat.primitives.serialization.NoEncryption(),
    )
    assert JWTKey.from_pem(private_pem, "RS256").private
    assert JWTKey.hmac(SECRET).public().private


@pytest.mark.parametrize("alg", sorted(get_args(Algorithm)))
def test_every_algorithm_round_trips_and_rejects_others(alg: Algorithm) -> None:
    key = (
        JWTKey.generate(alg, kid=alg)
        if alg[:2] not in ("RS", "PS")
        else JWTKey(alg, RSA_KEY.key, alg)
    )
    clock = FrozenClock(NOW)
    token = JWTIssuer(key, issuer=ISS, audience=AUD, clock=clock).encode({"n": 1}, subject="s")
    assert pyjwt.get_unverified_header(token)["alg"] == alg
    assert verifier(key).decode(token)["n"] == 1
    if not alg.startswith("HS"):
        assert JWTKey.from_jwk(key.public_jwk()).algorithm == alg
        assert (
            verifier(JWTKey.from_pem(key.public_pem(), alg, kid=alg)).decode(token)["sub"] == "s"
        )
    other = JWTKey.hmac("o" * 64, "HS512") if alg != "HS512" else JWTKey.generate("EdDSA")
    with pytest.raises(JWTError):
        verifier(other).decode(token)


def test_reserved_claims_cannot_be_overridden() -> None:
    issuer = JWTIssuer(JWTKey.hmac(SECRET), issuer=ISS, audience=AUD)
    with pytest.raises(ConfigurationError, match=r"\['aud', 'iss'\]"):
        issuer.encode({"iss": "x", "aud": "y"})


def test_check_time_claims_is_pure() -> None:
    check_time_claims({}, now=0, leeway=0)
    check_time_claims({"exp": 10.5, "nbf": 1, "iat": 1}, now=10.5, leeway=0)
    with pytest.raises(JWTError, match="NumericDate"):
        check_time_claims({"iat": float("nan")}, now=0, leeway=0)


@settings(max_examples=40, deadline=None)
@given(
    extra=st.dictionaries(
        st.text(min_size=1, max_size=10).filter(
            lambda k: k not in {"iss", "aud", "iat", "nbf", "exp", "jti", "sub"}
        ),
        st.one_of(st.integers(-(2**53), 2**53), st.text(max_size=20), st.booleans(), st.none()),
        max_size=5,
    ),
    lifetime=st.integers(min_value=31, max_value=10**6),
)
def test_round_trip(extra: dict[str, Any], lifetime: int) -> None:
    key = JWTKey.hmac(SECRET)
    clock = FrozenClock(NOW)
    token = JWTIssuer(key, issuer=ISS, audience=AUD, lifetime=lifetime, clock=clock).encode(extra)
    decoded = verifier(key).decode(token)
    assert {k: decoded[k] for k in extra} == extra
    assert decoded["exp"] == NOW + lifetime
