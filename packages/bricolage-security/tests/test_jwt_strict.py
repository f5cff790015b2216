"""Strict JOSE parsing: the named regressions of 0.2 and an attack suite.

Most attack tokens below are signed with the *real* key: none is a forgery, each is a
parser disagreement (a duplicate member, a padded segment, a ``kid`` naming no key) that a
second service reading the same token could resolve differently. Every one must be refused
with :class:`JWTError`, and the untouched tokens must still verify, so the suite can fail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt as pyjwt
import pytest

from bricolage.security import JWKSClient, JWTIssuer, JWTKey, JWTVerifier
from bricolage.security.errors import ConfigurationError, JWTError
from bricolage.security.testing import FrozenClock

NOW = 1_700_000_000
ISS, AUD = "https://auth.example", "api"
KEYS: dict[str, JWTKey] = {
    "HS256": JWTKey.hmac("s" * 32, kid="hs"),
    "ES256": JWTKey.generate("ES256", kid="es"),
    "Ed25519": JWTKey.generate("Ed25519", kid="ed"),
    "RS256": JWTKey.generate("RS256", kid="rs"),
}
OTHER = {name: JWTKey.generate(key.algorithm, kid=key.kid) for name, key in KEYS.items()}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**extra: Any) -> dict[str, Any]:
    return {"iss": ISS, "aud": AUD, "iat": NOW, "exp": NOW + 600, "sub": "alice", **extra}


def raw_sign(key: JWTKey, signing_input: bytes) -> bytes:
    if isinstance(key.key, bytes):
        return hmac.digest(key.key, signing_input, hashlib.sha256)
    name = "EdDSA" if key.algorithm == "Ed25519" else key.algorithm
    signed: bytes = pyjwt.get_algorithm_by_name(name).sign(signing_input, key.key)
    return signed


def signed(key: JWTKey, header: bytes | dict[str, Any], payload: bytes | dict[str, Any]) -> str:
    """A compact token over raw JSON bytes (so duplicates survive), signed with ``key``."""
    head = header if isinstance(header, bytes) else json.dumps(header).encode()
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = f"{b64(head)}.{b64(body)}"
    return f"{signing_input}.{b64(raw_sign(key, signing_input.encode()))}"


def header_of(key: JWTKey, **extra: Any) -> dict[str, Any]:
    return {"alg": key.algorithm, "typ": "JWT", "kid": key.kid, **extra}


def verifier_for(key: JWTKey) -> JWTVerifier:
    return JWTVerifier([key], issuer=ISS, audience=AUD, clock=FrozenClock(NOW))


def good_token(key: JWTKey) -> str:
    return JWTIssuer(key, issuer=ISS, audience=AUD, clock=FrozenClock(NOW)).encode(subject="a")


# --- the named regressions of issue 20 ----------------------------------------------------


def test_regression_kid_naming_no_key_is_refused_with_a_single_key() -> None:
    key = KEYS["HS256"]
    token = signed(key, header_of(key, kid="nope"), claims())
    with pytest.raises(JWTError, match="no key for kid='nope'"):
        verifier_for(key).decode(token)
    two = JWTVerifier(
        [key, JWTKey.hmac("t" * 32, kid="other")], issuer=ISS, audience=AUD, clock=FrozenClock(NOW)
    )
    with pytest.raises(JWTError, match="no key for kid='nope'"):
        two.decode(token)
    unnamed = JWTKey.hmac("s" * 32)
    with pytest.raises(JWTError, match="no key for kid='nope'"):
        verifier_for(unnamed).decode(token)
    # A key without a kid still accepts a token without one.
    untagged = signed(unnamed, {"alg": "HS256", "typ": "JWT"}, claims())
    assert verifier_for(unnamed).decode(untagged)["sub"] == "alice"


def test_regression_duplicate_alg_in_header_is_refused() -> None:
    key = KEYS["HS256"]
    header = b'{"alg":"none","alg":"HS256","kid":"hs"}'
    with pytest.raises(JWTError, match="member 'alg' more than once"):
        verifier_for(key).decode(signed(key, header, claims()))


def test_regression_duplicate_iss_in_payload_is_refused() -> None:
    key = KEYS["HS256"]
    body = claims()
    del body["iss"]
    payload = (
        b'{"iss":"https://evil.example","iss":"'
        + ISS.encode()
        + b'",'
        + (json.dumps(body).encode()[1:])
    )
    with pytest.raises(JWTError, match="payload has the member 'iss' more than once"):
        verifier_for(key).decode(signed(key, header_of(key), payload))


@pytest.mark.parametrize("alg", ["ES256", "Ed25519"])
@pytest.mark.parametrize("segment", [0, 1, 2])
def test_regression_padded_segment_is_refused(alg: str, segment: int) -> None:
    key = KEYS[alg]
    token = good_token(key)
    assert verifier_for(key).decode(token)["sub"] == "a"
    parts = token.split(".")
    parts[segment] += "=="
    with pytest.raises(JWTError, match="padding"):
        verifier_for(key).decode(".".join(parts))


def test_regression_eddsa_token_with_padding_is_refused() -> None:
    key = JWTKey.generate("EdDSA", kid="legacy")
    token = good_token(key) + "=="
    with pytest.raises(JWTError, match="padding"):
        verifier_for(key).decode(token)


def test_regression_unused_bits_set_are_refused() -> None:
    key = KEYS["ES256"]
    token = good_token(key)
    head, body, signature = token.split(".")
    assert len(signature) % 4 == 2  # 64 bytes: the last character carries 4 unused bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = signature[:-1] + alphabet[alphabet.index(signature[-1]) | 1]
    assert base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(signature + "==")
    with pytest.raises(JWTError, match="not canonical base64url"):
        verifier_for(key).decode(f"{head}.{body}.{twin}")


def test_regression_ed25519_is_emitted_and_eddsa_still_read() -> None:
    key = KEYS["Ed25519"]
    token = good_token(key)
    assert pyjwt.get_unverified_header(token)["alg"] == "Ed25519"
    assert key.public_jwk()["alg"] == "Ed25519"
    assert key.public_jwk()["crv"] == "Ed25519"
    # A token from an issuer still writing the polymorphic name.
    legacy = signed(key, header_of(key, alg="EdDSA"), claims())
    assert verifier_for(key).decode(legacy)["sub"] == "alice"
    # An old key bound to EdDSA reads the new name too, and PyJWT reads ours as EdDSA.
    old = JWTKey("EdDSA", key.key, "ed")
    assert verifier_for(old).decode(token)["sub"] == "a"
    assert verifier_for(JWTKey.from_jwk(key.public_jwk())).decode(legacy)["sub"] == "alice"
    ed448 = JWTKey(
        "EdDSA",
        __import__("cryptography").hazmat.primitives.asymmetric.ed448.Ed448PrivateKey.generate(),
    )
    with pytest.raises(JWTError, match="not allowed"):
        verifier_for(ed448).decode(signed(ed448, {"alg": "Ed25519"}, claims()))
    with pytest.raises(ConfigurationError, match="Ed25519 needs an Ed25519 key"):
        JWTKey("Ed25519", ed448.key)


def test_jwks_serves_ed25519_keys() -> None:
    key = KEYS["Ed25519"]
    document = json.dumps({"keys": [key.public_jwk()]}).encode()
    client = JWKSClient(
        "https://x.example/jwks",
        algorithms=["Ed25519"],
        fetch=lambda url, timeout, limit: document,
        clock=FrozenClock(NOW),
    )
    verifier = JWTVerifier(client, issuer=ISS, audience=AUD, clock=FrozenClock(NOW))
    assert verifier.decode(good_token(key))["sub"] == "a"
    with pytest.raises(JWTError, match="no key for kid='nope'"):
        verifier.decode(signed(key, header_of(key, kid="nope"), claims()))


# --- the attack suite ---------------------------------------------------------------------


def _attacks(name: str, key: JWTKey) -> list[tuple[str, str | bytes, str]]:
    """(case id, token, what the refusal must mention) for one key."""
    cases: list[tuple[str, str | bytes, str]] = []
    token = good_token(key)
    parts = token.split(".")
    segment_names = ("header", "payload", "signature")

    def add(case: str, bad: str | bytes, why: str = "") -> None:
        cases.append((f"{name}-{case}", bad, why))

    for i, part in enumerate(segment_names):
        for padding in ("=", "=="):
            mutated = list(parts)
            mutated[i] += padding
            add(f"padding-{part}-{len(padding)}", ".".join(mutated), "padding|base64url")
        if len(parts[i]) % 4:
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            mutated = list(parts)
            mutated[i] = parts[i][:-1] + alphabet[alphabet.index(parts[i][-1]) | 1]
            add(f"unused-bits-{part}", ".".join(mutated), "canonical")
        for char in ("+", "/", " ", "\n", "\t", "!", "%", "\u00e9"):
            for where, at in (("start", 0), ("middle", len(parts[i]) // 2), ("end", None)):
                mutated = list(parts)
                cut = len(parts[i]) if at is None else at
                mutated[i] = parts[i][:cut] + char + parts[i][cut:]
                add(f"char-{ord(char)}-{part}-{where}", ".".join(mutated), "base64url")
    real = header_of(key)
    duplicates = {
        "alg-none-first": b'{"alg":"none","alg":"%s","kid":"%s"}',
        "alg-none-last": b'{"alg":"%s","kid":"%s","alg":"none"}',
        "kid-evil-first": b'{"kid":"evil","alg":"%s","kid":"%s"}',
        "typ-twice": b'{"typ":"JWT","alg":"%s","kid":"%s","typ":"JOSE"}',
    }
    for case, template in duplicates.items():
        header = template % (key.algorithm.encode(), str(key.kid).encode())
        add(f"duplicate-header-{case}", signed(key, header, claims()), "more than once")
    for member, evil in (
        ("iss", '"https://evil.example"'),
        ("aud", '"evil"'),
        ("exp", "1"),
        ("sub", '"admin"'),
        ("iat", "0"),
    ):
        body = json.dumps(claims())[:-1] + f', "{member}": {evil}}}'
        add(f"duplicate-payload-{member}", signed(key, real, body.encode()), "more than once")
    nested = json.dumps(claims(ctx={"role": "user"}))[:-2] + ', "role": "admin"}}'
    add("duplicate-payload-nested", signed(key, real, nested.encode()), "more than once")
    for case, kid in (("unknown", "nope"), ("empty", ""), ("int", 7), ("null", None)):
        add(f"kid-{case}", signed(key, {**real, "kid": kid}, claims()), "kid")
    add("kid-list", signed(key, {**real, "kid": [key.kid]}, claims()), "kid")
    add("kid-object", signed(key, {**real, "kid": {"k": key.kid}}, claims()), "kid")
    add("kid-traversal", signed(key, {**real, "kid": "../../dev/null"}, claims()), "kid")
    for alg in ("none", "None", "NONE", "nOnE", "", None, 256, [key.algorithm]):
        add(f"alg-{alg!r}", signed(key, {**real, "alg": alg}, claims()), "alg")
    for alg in ("HS256", "HS512", "RS256", "PS256", "ES256", "ES384", "ES256K", "EdDSA"):
        if alg == key.algorithm or (key.algorithm == "Ed25519" and alg == "EdDSA"):
            continue
        add(f"alg-swap-{alg}", signed(key, {**real, "alg": alg}, claims()), "alg")
    add("alg-missing", signed(key, {"typ": "JWT", "kid": key.kid}, claims()), "alg")
    for case, extra in (
        ("crit-unknown", {"crit": ["exp-ext"], "exp-ext": 1}),
        ("crit-empty", {"crit": []}),
        ("crit-string", {"crit": "b64"}),
        ("crit-b64", {"crit": ["b64"], "b64": False}),
        ("b64-false", {"b64": False}),
        ("b64-string", {"b64": "false"}),
    ):
        add(case, signed(key, {**real, **extra}, claims()), "crit|b64")
    for header_name in ("jwk", "jku", "x5u", "x5c"):
        add(f"key-header-{header_name}", signed(key, {**real, header_name: "x"}, claims()), "key")
    for case, value in (("array", []), ("string", "x"), ("number", 1), ("null", None)):
        raw = json.dumps(value).encode()
        add(f"header-not-object-{case}", signed(key, raw, claims()), "JSON object")
        add(f"payload-not-object-{case}", signed(key, real, raw), "JSON object")
    for case, raw_header, raw_body in (
        ("header-truncated-json", b'{"alg":"' + key.algorithm.encode(), b"{}"),
        ("header-trailing-garbage", json.dumps(real).encode() + b"x", b"{}"),
        ("header-not-utf8", b'{"alg":"\xff"}', b"{}"),
        ("header-bom", b"\xef\xbb\xbf" + json.dumps(real).encode(), b"{}"),
        ("payload-nan", json.dumps(real).encode(), b'{"exp": NaN}'),
        ("payload-infinity", json.dumps(real).encode(), b'{"exp": Infinity}'),
        ("payload-neg-infinity", json.dumps(real).encode(), b'{"exp": -Infinity}'),
        ("payload-not-utf8", json.dumps(real).encode(), b'{"sub": "\xff"}'),
        ("payload-truncated", json.dumps(real).encode(), b'{"sub": "a"'),
        ("payload-deep", json.dumps(real).encode(), b"[" * 100_000 + b"]" * 100_000),
    ):
        add(case, signed(key, raw_header, raw_body), "JSON|long")
    for missing in ("exp", "iat", "iss", "aud"):
        without = claims()
        del without[missing]
        add(f"claim-missing-{missing}", signed(key, real, without), missing)
    for case, override, why in (
        ("iss-evil", {"iss": "https://evil.example"}, "issuer"),
        ("iss-slash", {"iss": ISS + "/"}, "issuer"),
        ("iss-list", {"iss": [ISS]}, "issuer"),
        ("iss-int", {"iss": 1}, "issuer"),
        ("iss-case", {"iss": ISS.upper()}, "issuer"),
        ("aud-evil", {"aud": "evil"}, "audience"),
        ("aud-list-without-ours", {"aud": ["evil", "x"]}, "audience"),
        ("aud-int", {"aud": 1}, "audience"),
        ("aud-list-with-int", {"aud": [AUD, 1]}, "audience"),
        ("aud-object", {"aud": {AUD: True}}, "audience"),
        ("aud-prefix", {"aud": AUD + "x"}, "audience"),
        ("sub-int", {"sub": 1}, "sub"),
        ("jti-list", {"jti": ["a"]}, "jti"),
        ("exp-string", {"exp": "tomorrow"}, "NumericDate"),
        ("exp-bool", {"exp": True}, "NumericDate"),
        ("exp-past", {"exp": NOW - 31}, "expired"),
        ("exp-huge-float", {"exp": 1e400}, "NumericDate|JSON"),
        ("nbf-future", {"nbf": NOW + 31}, "not valid before"),
        ("iat-future", {"iat": NOW + 31}, "future"),
        ("iat-string", {"iat": "now"}, "NumericDate"),
    ):
        add(f"claim-{case}", signed(key, real, claims(**override)), why)
    signature = parts[2]
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    other = good_token(OTHER[name]).split(".")[2]
    for case, bad_signature in (
        ("empty", ""),
        ("truncated", signature[:-4]),
        ("flipped", flipped),
        ("other-key", other),
        ("zeros", b64(bytes(len(base64.urlsafe_b64decode(signature + "==="))))),
        ("extended", b64(base64.urlsafe_b64decode(signature + "===") + b"\0")),
    ):
        add(f"signature-{case}", f"{parts[0]}.{parts[1]}.{bad_signature}", "")
    for case, bad in (
        ("two-segments", f"{parts[0]}.{parts[1]}"),
        ("four-segments", token + ".AAAA"),
        ("empty", ""),
        ("dots", ".."),
        ("leading-dot", "." + token),
        ("bytes-non-ascii", token.encode() + b"\xff"),
        ("oversized", token + "A" * 9000),
    ):
        add(f"shape-{case}", bad, "")
    return cases


ATTACKS = [case for name, key in KEYS.items() for case in _attacks(name, key)]


def test_attack_suite_size_and_controls() -> None:
    assert len(ATTACKS) >= 600
    assert len({case for case, _, _ in ATTACKS}) == len(ATTACKS)
    for key in KEYS.values():
        assert verifier_for(key).decode(good_token(key))["sub"] == "a"
        assert verifier_for(key).decode(signed(key, header_of(key), claims()))["sub"] == "alice"


@pytest.mark.parametrize(("case", "token", "why"), ATTACKS, ids=[c[0] for c in ATTACKS])
def test_attack_token_is_refused(case: str, token: str | bytes, why: str) -> None:
    key = KEYS[case.split("-", 1)[0]]
    with pytest.raises(JWTError, match=f"(?i){why}"):
        verifier_for(key).decode(token)
