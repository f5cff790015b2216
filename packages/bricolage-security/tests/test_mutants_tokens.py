"""The signed-token format and its refusals, pinned exactly.

Written for mutation testing (``nox -s "mutation(security._tokens)"``): each test fails for
mutants of ``bricolage.security._tokens`` that the behavioural tests let through. The token
format is a stored format (tokens outlive deployments), so it is pinned byte for byte.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bricolage.security import TokenSigner, derive_key, random_token
from bricolage.security.errors import (
    BadSignatureError,
    ConfigurationError,
    InvalidTokenError,
    TokenExpiredError,
)
from bricolage.security.testing import FrozenClock

KEY = "k" * 32
NOW = 1_700_000_000
# Signed by 0.1 for purpose "reset", payload "user:42", at NOW: it must keep verifying.
PINNED = "b1.cmVzZXQ.dXNlcjo0Mg.AAAAAGVT8QA.is9jUXk5UO6A2JlrFh6gaANIRz4jaazD4dWnsaSawV0"


def _signer(clock: FrozenClock) -> TokenSigner:
    return TokenSigner([KEY], purpose="reset", max_age=60, clock=clock)


def test_the_token_format_is_stable() -> None:
    signer = _signer(FrozenClock(NOW))
    assert signer.sign("user:42") == PINNED
    assert signer.verify(PINNED) == "user:42"


def test_derive_key_is_hkdf_sha256_with_our_info_prefix() -> None:
    expected = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"bricolage.security:csrf"
    ).derive(KEY.encode())
    assert derive_key(KEY, "csrf") == expected
    assert len(derive_key(KEY, "csrf", length=16)) == 16


def test_derive_key_names_the_context_of_a_short_key() -> None:
    with pytest.raises(ConfigurationError, match=r"^csrf key is 5 bytes long"):
        derive_key("short", "csrf")


def test_random_token_sizes() -> None:
    assert len(random_token()) == 43  # 32 bytes, base64 without padding
    assert len(random_token(16)) == 22
    with pytest.raises(ConfigurationError) as caught:
        random_token(15)
    assert str(caught.value) == "a security token needs at least 16 bytes, got 15"


def test_keys_must_be_a_list() -> None:
    with pytest.raises(ConfigurationError) as caught:
        TokenSigner(KEY, purpose="reset", max_age=60)
    assert str(caught.value) == "keys must be a non-empty list of keys, newest first; got str"


def test_shape_errors_are_not_signature_errors() -> None:
    signer = _signer(FrozenClock(NOW))
    for token in ("b2.cmVzZXQ.dXNlcjo0Mg.AAAAAGVT8QA.sig", "b1.a.b.c", "b1." + "x" * 8189):
        with pytest.raises(InvalidTokenError) as caught:
            signer.verify(token)
        assert type(caught.value) is InvalidTokenError
        assert str(caught.value) == "malformed token: expected 5 parts of 'b1' form"
    with pytest.raises(InvalidTokenError) as caught:
        signer.verify("b1." + "x" * 8190)  # one character too long
    assert str(caught.value) == "token must be a str of at most 8192 characters"


def test_bad_signatures_say_so() -> None:
    signer = _signer(FrozenClock(NOW))
    message = "token signature does not verify with any key"
    with pytest.raises(BadSignatureError) as caught:
        signer.verify(PINNED[:-2] + "AA")
    assert str(caught.value) == message
    with pytest.raises(BadSignatureError) as caught:
        signer.verify(PINNED[:-2] + "é!")  # not base64, not ASCII
    assert str(caught.value) == message


def test_clock_skew_boundary_and_message() -> None:
    clock = FrozenClock(NOW)
    signer = _signer(clock)
    token = signer.sign("user:42")
    clock.set(NOW - 60)  # the token is dated exactly the allowed skew ahead
    assert signer.verify(token) == "user:42"
    clock.set(NOW - 61)
    with pytest.raises(InvalidTokenError) as caught:
        signer.verify(token)
    assert str(caught.value) == "token is dated 61 s in the future"


def test_expiry_message_and_timestamp_of_an_expired_token() -> None:
    clock = FrozenClock(NOW)
    signer = _signer(clock)
    token = signer.sign("user:42")
    clock.advance(65)
    with pytest.raises(TokenExpiredError) as caught:
        signer.verify(token)
    assert str(caught.value) == "token for 'reset' expired 5 s ago (max_age=60 s)"
    assert signer.timestamp(token) == NOW  # the signing time, even once expired
