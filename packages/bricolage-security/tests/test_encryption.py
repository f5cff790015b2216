"""Encryption: Fernet vectors, interoperability with cryptography, rotation, tampering."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from _vectors import fernet
from cryptography.fernet import Fernet, MultiFernet
from hypothesis import given, settings
from hypothesis import strategies as st

from bricolage.security import Encryptor, Secret
from bricolage.security.errors import ConfigurationError, DecryptionError
from bricolage.security.testing import FrozenClock


def _at(entry: dict[str, Any]) -> FrozenClock:
    return FrozenClock(dt.datetime.fromisoformat(entry["now"]).timestamp())


@pytest.mark.parametrize("entry", fernet("verify"), ids=lambda e: e["src"])
def test_fernet_verify_vectors(entry: dict[str, Any]) -> None:
    box = Encryptor([entry["secret"]], clock=_at(entry))
    assert box.decrypt(entry["token"], max_age=entry["ttl_sec"]) == entry["src"].encode()


@pytest.mark.parametrize("entry", fernet("invalid"), ids=lambda e: e["desc"])
def test_fernet_invalid_vectors_are_rejected(entry: dict[str, Any]) -> None:
    box = Encryptor([entry["secret"]], clock=_at(entry))
    with pytest.raises(DecryptionError):
        box.decrypt(entry["token"], max_age=entry["ttl_sec"])


@pytest.mark.parametrize("entry", fernet("generate"), ids=lambda e: e["src"])
def test_fernet_generate_vectors(entry: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(os, "urandom", lambda n: bytes(entry["iv"]))
    box = Encryptor([entry["secret"]], clock=_at(entry))
    assert box.encrypt(entry["src"].encode()) == entry["token"]


def test_vector_counts() -> None:
    assert len(fernet("verify")) >= 1
    assert len(fernet("invalid")) >= 8
    assert len(fernet("generate")) >= 1


def test_interoperates_with_cryptography_fernet_both_ways() -> None:
    key = Encryptor.generate_key()
    box = Encryptor([Secret(key)])
    assert Fernet(key).decrypt(box.encrypt(b"ours")) == b"ours"
    assert box.decrypt(Fernet(key).encrypt(b"theirs")) == b"theirs"
    old, new = Fernet.generate_key(), Encryptor.generate_key()
    multi = MultiFernet([Fernet(new), Fernet(old)])
    assert Encryptor([new, old]).decrypt(multi.encrypt(b"m")) == b"m"
    assert multi.decrypt(Encryptor([new, old]).encrypt(b"n")) == b"n"


def test_rotation_keeps_timestamp_and_drops_old_key() -> None:
    old, new = Encryptor.generate_key(), Encryptor.generate_key()
    token = Encryptor([old], clock=FrozenClock(1000)).encrypt(b"secret")
    rotated = Encryptor([new, old]).rotate(token)
    only_new = Encryptor([new])
    assert only_new.decrypt(rotated) == b"secret"
    assert only_new.timestamp(rotated) == 1000
    with pytest.raises(DecryptionError):
        only_new.decrypt(token)
    with pytest.raises(DecryptionError):
        only_new.rotate(token)
    with pytest.raises(DecryptionError):
        only_new.timestamp("not a token")


def test_tampered_byte_anywhere_is_rejected() -> None:
    box = Encryptor([Encryptor.generate_key()])
    token = bytearray(box.encrypt(b"x" * 40).encode())
    import base64

    raw = bytearray(base64.urlsafe_b64decode(bytes(token)))
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x01
        with pytest.raises(DecryptionError):
            box.decrypt(base64.urlsafe_b64encode(bytes(bad)))


def test_expired_and_future_tokens() -> None:
    clock = FrozenClock(10_000)
    box = Encryptor([Encryptor.generate_key()], clock=clock)
    token = box.encrypt(b"x")
    clock.advance(30)
    assert box.decrypt(token, max_age=60) == b"x"
    clock.advance(31)
    with pytest.raises(DecryptionError, match="max_age=60"):
        box.decrypt(token, max_age=60)
    future = Encryptor(box_keys := [Encryptor.generate_key()], clock=FrozenClock(20_000)).encrypt(
        b"f"
    )
    with pytest.raises(DecryptionError):
        Encryptor(box_keys, clock=FrozenClock(10_000)).decrypt(future, max_age=60)


def test_bad_keys_and_inputs() -> None:
    with pytest.raises(ConfigurationError, match="key #1 is not a Fernet key"):
        Encryptor([Encryptor.generate_key(), "short"])
    with pytest.raises(ConfigurationError, match="non-empty list"):
        Encryptor(Encryptor.generate_key())
    with pytest.raises(ConfigurationError):
        Encryptor([])
    with pytest.raises(TypeError, match="encode text first"):
        Encryptor([Encryptor.generate_key()]).encrypt("text")  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=512), now=st.integers(min_value=0, max_value=2**40))
def test_round_trip(data: bytes, now: int) -> None:
    key = Encryptor.generate_key()
    box = Encryptor([key], clock=FrozenClock(now))
    token = box.encrypt(data)
    assert box.decrypt(token) == data
    assert box.decrypt(token, max_age=1) == data
    assert Fernet(key).decrypt(token) == data
    assert box.timestamp(token) == now
