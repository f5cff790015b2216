"""Signed tokens: purpose, expiry, rotation, tampering and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bricolage.security import Secret, TokenSigner, derive_key, random_token
from bricolage.security.errors import (
    BadSignatureError,
    ConfigurationError,
    InvalidTokenError,
    TokenExpiredError,
    WrongPurposeError,
)
from bricolage.security.testing import FrozenClock

KEY = "k" * 32
OTHER = "o" * 32


def test_random_tokens_are_unique_and_long() -> None:
    tokens = {random_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) >= 43 for t in tokens)
    with pytest.raises(ConfigurationError, match="at least 16 bytes"):
        random_token(8)


def test_pitfall_token_for_one_purpose_is_refused_for_another() -> None:
    confirm = TokenSigner([KEY], purpose="confirm-email", max_age=60)
    reset = TokenSigner([KEY], purpose="password-reset", max_age=60)
    with pytest.raises(WrongPurposeError, match="'confirm-email', not 'password-reset'"):
        reset.verify(confirm.sign("user:1"))


def test_pitfall_expired_token_is_refused() -> None:
    clock = FrozenClock(1000)
    signer = TokenSigner([KEY], purpose="p", max_age=60, clock=clock)
    token = signer.sign("x")
    clock.advance(60)
    assert signer.verify(token) == "x"
    clock.advance(1)
    with pytest.raises(TokenExpiredError):
        signer.verify(token)
    assert signer.verify(token, max_age=3600) == "x"


def test_pitfall_future_dated_token_is_refused() -> None:
    token = TokenSigner([KEY], purpose="p", max_age=60, clock=FrozenClock(10_000)).sign("x")
    with pytest.raises(InvalidTokenError, match="in the future"):
        TokenSigner([KEY], purpose="p", max_age=60, clock=FrozenClock(1_000)).verify(token)


def test_key_rotation_old_key_verifies_new_key_signs() -> None:
    old = TokenSigner([OTHER], purpose="p", max_age=60)
    rotated = TokenSigner([KEY, OTHER], purpose="p", max_age=60)
    assert rotated.verify(old.sign("x")) == "x"
    new_token = rotated.sign("y")
    assert TokenSigner([KEY], purpose="p", max_age=60).verify(new_token) == "y"
    with pytest.raises(BadSignatureError):
        old.verify(new_token)


def test_pitfall_tampered_payload_or_timestamp_is_refused() -> None:
    signer = TokenSigner([KEY], purpose="p", max_age=60)
    token = signer.sign("user:1")
    version, purpose, payload, stamp, mac = token.split(".")
    forged_payload = TokenSigner([OTHER], purpose="p", max_age=60).sign("user:2").split(".")[2]
    for forged in (
        ".".join([version, purpose, forged_payload, stamp, mac]),
        ".".join([version, purpose, payload, "AAAAAAAAAAA", mac]),
        ".".join([version, purpose, payload, stamp, mac[:-2] + "AA"]),
        ".".join([version, purpose, payload, stamp, "!!!"]),
        ".".join([version, purpose, payload, stamp, "é"]),
    ):
        with pytest.raises(BadSignatureError):
            signer.verify(forged)


def test_malformed_tokens_are_invalid() -> None:
    signer = TokenSigner([KEY], purpose="p", max_age=60)
    for bad in ("", "a.b", "x1.a.b.c.d", "b1." * 10, "b1.a.b.c.d" + "x" * 9000):
        with pytest.raises(InvalidTokenError):
            signer.verify(bad)
    with pytest.raises(InvalidTokenError):
        signer.verify(b"bytes")  # type: ignore[arg-type]


def test_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="non-empty list"):
        TokenSigner(KEY, purpose="p", max_age=1)
    with pytest.raises(ConfigurationError, match="purpose"):
        TokenSigner([KEY], purpose="a.b", max_age=1)
    with pytest.raises(ConfigurationError, match="max_age"):
        TokenSigner([KEY], purpose="p", max_age=0)
    with pytest.raises(ConfigurationError, match="5 bytes long"):
        TokenSigner(["short"], purpose="p", max_age=1)
    with pytest.raises(ConfigurationError, match="must be str, bytes or Secret"):
        TokenSigner([123], purpose="p", max_age=1)  # type: ignore[list-item]


def test_derive_key_separates_contexts_and_accepts_secrets() -> None:
    assert derive_key(Secret(KEY), "a") == derive_key(KEY.encode(), "a")
    assert derive_key(KEY, "a") != derive_key(KEY, "b")
    assert len(derive_key(KEY, "a", length=64)) == 64


@settings(max_examples=100, deadline=None)
@given(
    payload=st.text(max_size=200),
    purpose=st.text(min_size=1, max_size=20).filter(lambda p: "." not in p),
    now=st.integers(min_value=0, max_value=2**40),
    age=st.integers(min_value=0, max_value=100),
)
def test_round_trip(payload: str, purpose: str, now: int, age: int) -> None:
    clock = FrozenClock(now)
    signer = TokenSigner([KEY, OTHER], purpose=purpose, max_age=100, clock=clock)
    token = signer.sign(payload)
    clock.advance(age)
    assert signer.verify(token) == payload
    assert signer.timestamp(token) == now
    assert token.isascii()
    assert " " not in token
