"""Password hashing: vectors from cryptography-vectors and the named pitfalls."""

from __future__ import annotations

import base64
import hashlib
import time

import argon2
import pytest
from _vectors import nist_blocks
from hypothesis import given, settings
from hypothesis import strategies as st

from bricolage.security import Argon2Parameters, PasswordHasher, VerifyResult
from bricolage.security.errors import (
    ConfigurationError,
    PasswordTooLongError,
    UnknownHashFormatError,
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _ab64(data: bytes) -> str:
    return _b64(data).replace("+", ".")


# --- vectors: every hash we can read is checked against cryptography-vectors -------------


def _argon2_cases() -> list[tuple[str, str, bytes]]:
    cases = []
    for variant in ("argon2id", "argon2i", "argon2d"):
        for i, block in enumerate(nist_blocks(f"KDF/{variant}.txt")):
            if "secret" in block or "ad" in block:
                continue  # argon2-cffi's public API has no secret key / associated data
            version = int(block.get("version", "19"), 0) if "version" in block else 19
            phc = (
                f"${variant}$v={version}$m={block['memcost']},t={block['iter']},"
                f"p={block['lanes']}${_b64(bytes.fromhex(block['salt']))}"
                f"${_b64(bytes.fromhex(block['output']))}"
            )
            cases.append((f"{variant}-{i}", phc, bytes.fromhex(block.get("pass", ""))))
    return cases


ARGON2_CASES = _argon2_cases()


@pytest.mark.parametrize(
    ("name", "phc", "password"), ARGON2_CASES, ids=[c[0] for c in ARGON2_CASES]
)
def test_argon2_vectors_verify(
    name: str, phc: str, password: bytes, hasher: PasswordHasher
) -> None:
    assert hasher.verify(phc, password)
    assert not hasher.verify(phc, password + b"x")


def _pbkdf2_cases() -> list[tuple[str, str, bytes]]:
    cases = []
    for i, block in enumerate(nist_blocks("KDF/rfc-6070-PBKDF2-SHA1.txt")):
        iterations = int(block["iterations"])
        if iterations > 100_000:
            continue  # 16,777,216 iterations takes seconds; the bound is tested separately
        password = block["password"].replace("\\0", "\0")
        salt = block["salt"].replace("\\0", "\0")
        digest = bytes.fromhex(block["derived_key"])
        cases.append(
            (f"werkzeug-{i}", f"pbkdf2:sha1:{iterations}${salt}${digest.hex()}", password.encode())
        )
        if "\0" not in salt and "$" not in salt:
            cases.append(
                (
                    f"django-{i}",
                    f"pbkdf2_sha1${iterations}${salt}${base64.b64encode(digest).decode()}",
                    password.encode(),
                )
            )
            cases.append(
                (
                    f"passlib-{i}",
                    f"$pbkdf2${iterations}${_ab64(salt.encode())}${_ab64(digest)}",
                    password.encode(),
                )
            )
    return cases


PBKDF2_CASES = _pbkdf2_cases()


@pytest.mark.parametrize(
    ("name", "stored", "password"), PBKDF2_CASES, ids=[c[0] for c in PBKDF2_CASES]
)
def test_pbkdf2_vectors_verify_and_migrate(
    name: str, stored: str, password: bytes, hasher: PasswordHasher
) -> None:
    result = hasher.verify_and_update(stored, password)
    assert result.valid
    assert result.new_hash is not None
    assert result.new_hash.startswith("$argon2id$")
    assert hasher.verify(result.new_hash, password)
    assert not hasher.verify(stored, password + b"!")


def _scrypt_cases() -> list[tuple[str, str, bytes]]:
    cases = []
    for i, block in enumerate(nist_blocks("KDF/scrypt.txt")):
        n, r, p = int(block["n"]), int(block["r"]), int(block["p"])
        if 128 * n * r > 64 * 1024 * 1024:
            continue  # the 1 GiB vector is beyond the verification bound (tested below)
        salt, password = block["salt"], block["password"]
        digest = bytes.fromhex(block["derived_key"])
        cases.append(
            (f"werkzeug-{i}", f"scrypt:{n}:{r}:{p}${salt}${digest.hex()}", password.encode())
        )
        ln = n.bit_length() - 1
        cases.append(
            (
                f"passlib-{i}",
                f"$scrypt$ln={ln},r={r},p={p}${_b64(salt.encode())}${_b64(digest)}",
                password.encode(),
            )
        )
    return cases


SCRYPT_CASES = _scrypt_cases()


@pytest.mark.parametrize(
    ("name", "stored", "password"), SCRYPT_CASES, ids=[c[0] for c in SCRYPT_CASES]
)
def test_scrypt_vectors_verify_and_migrate(
    name: str, stored: str, password: bytes, hasher: PasswordHasher
) -> None:
    result = hasher.verify_and_update(stored, password)
    assert result.valid
    assert result.needs_update
    assert not hasher.verify(stored, password + b"!")


def test_vector_counts() -> None:
    assert len(ARGON2_CASES) >= 9
    assert len(PBKDF2_CASES) >= 10
    assert len(SCRYPT_CASES) == 6


# --- pitfalls, one named test each -------------------------------------------------------


def test_pitfall_default_is_argon2id_with_rfc9106_parameters() -> None:
    stored = PasswordHasher().hash("pw")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert Argon2Parameters.owasp_minimum() == Argon2Parameters(2, 19456, 1)


def test_pitfall_salt_is_random_per_hash(hasher: PasswordHasher) -> None:
    assert hasher.hash("same") != hasher.hash("same")


def test_pitfall_huge_password_is_refused_before_hashing() -> None:
    hasher = PasswordHasher(Argon2Parameters.for_tests(), max_password_bytes=1024)
    with pytest.raises(PasswordTooLongError, match="1048576 bytes"):
        hasher.hash("a" * 1024 * 1024)
    stored = hasher.hash("a" * 1024)
    start = time.perf_counter()
    assert not hasher.verify(stored, "a" * 10_000_000)
    assert time.perf_counter() - start < 1.0
    assert hasher.verify(stored, "a" * 1024)


def test_pitfall_length_bound_counts_utf8_bytes() -> None:
    hasher = PasswordHasher(Argon2Parameters.for_tests(), max_password_bytes=64)
    with pytest.raises(PasswordTooLongError):
        hasher.hash("é" * 33)  # 66 bytes, 33 characters
    assert hasher.verify(hasher.hash("é" * 32), "é" * 32)


def test_pitfall_unknown_user_still_pays_for_a_verification(hasher: PasswordHasher) -> None:
    slow = PasswordHasher(Argon2Parameters(time_cost=3, memory_cost=8192, parallelism=1))
    slow.dummy_verify("warm-up")
    stored = slow.hash("pw")
    start = time.perf_counter()
    for _ in range(3):
        slow.verify(stored, "wrong")
    real = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(3):
        assert slow.verify(None, "wrong") is False
    dummy = time.perf_counter() - start
    assert dummy > real * 0.3  # same order of magnitude; not a fast path


def test_pitfall_rehash_on_parameter_change() -> None:
    old = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost=32, parallelism=1))
    new = PasswordHasher(Argon2Parameters.for_tests())
    stored = old.hash("pw")
    assert new.needs_rehash(stored)
    result = new.verify_and_update(stored, "pw")
    assert result.valid
    assert result.new_hash is not None
    assert not new.needs_rehash(result.new_hash)
    assert new.verify_and_update(result.new_hash, "pw") == VerifyResult(valid=True)
    assert new.verify_and_update(stored, "nope") == VerifyResult(valid=False)


def test_pitfall_argon2i_hash_is_migrated_to_argon2id(hasher: PasswordHasher) -> None:
    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=argon2.Type.I)
    result = hasher.verify_and_update(legacy.hash("pw"), "pw")
    assert result.valid
    assert result.new_hash is not None
    assert result.new_hash.startswith("$argon2id$")


def test_pitfall_scrypt_memory_bomb_in_stored_hash_is_refused(hasher: PasswordHasher) -> None:
    with pytest.raises(UnknownHashFormatError, match="MiB"):
        hasher.verify("scrypt:1048576:8:1$salt$00", "pw")
    with pytest.raises(UnknownHashFormatError, match="iteration count"):
        hasher.verify("pbkdf2:sha256:999999999$salt$00", "pw")
    with pytest.raises(UnknownHashFormatError, match="the bounds are"):
        hasher.verify("$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo", "pw")
    with pytest.raises(UnknownHashFormatError, match="the bounds are"):
        hasher.verify("$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo", "pw")
    with pytest.raises(UnknownHashFormatError, match="invalid scrypt"):
        hasher.verify("$scrypt$ln=0,r=8,p=1$c2FsdA$AA", "pw")


def test_pitfall_unknown_format_is_a_clear_error_without_the_hash(hasher: PasswordHasher) -> None:
    with pytest.raises(UnknownHashFormatError, match="no known format") as info:
        hasher.verify("$1$saltsalt$ABCDEFGHIJKLMNOPQRSTUV", "pw")  # md5-crypt
    assert "ABCDEFGHIJ" not in str(info.value)
    with pytest.raises(UnknownHashFormatError, match="not a valid argon2"):
        hasher.verify("$argon2id$garbage", "pw")
    with pytest.raises(UnknownHashFormatError, match="not a valid argon2"):
        hasher.verify("$argon2id$v=19$m=64,t=1,p=1$!!!!$!!!!", "pw")
    with pytest.raises(UnknownHashFormatError, match="cannot read"):
        hasher.verify("pbkdf2:sha256:1000$salt$zz-not-hex", "pw")
    with pytest.raises(UnknownHashFormatError, match="unsupported PBKDF2 digest"):
        hasher.verify("pbkdf2:md5:1000$salt$00", "pw")
    assert hasher.needs_rehash("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g")


def test_werkzeug_defaults_and_sha256_and_sha512(hasher: PasswordHasher) -> None:
    salt = "NaCl"
    dk = hashlib.pbkdf2_hmac("sha256", b"pw", salt.encode(), 1000)
    assert hasher.verify(f"pbkdf2:sha256:1000${salt}${dk.hex()}", "pw")
    dk512 = hashlib.pbkdf2_hmac("sha512", b"pw", b"salt", 1000)
    assert hasher.verify(f"$pbkdf2-sha512$1000${_ab64(b'salt')}${_ab64(dk512)}", "pw")
    dk256 = hashlib.pbkdf2_hmac("sha256", b"pw", b"djsalt", 1000)
    assert hasher.verify(f"pbkdf2_sha256$1000$djsalt${base64.b64encode(dk256).decode()}", "pw")
    dflt = hashlib.scrypt(b"pw", salt=b"s", n=32768, r=8, p=1, dklen=64, maxmem=64 * 1024 * 1024)
    assert hasher.verify(f"scrypt$s${dflt.hex()}".replace("scrypt$", "scrypt:32768:8:1$"), "pw")


def test_bad_parameters_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="time_cost must be at least 1, got 0"):
        Argon2Parameters(time_cost=0)
    with pytest.raises(ConfigurationError, match="memory_cost"):
        Argon2Parameters(memory_cost=8, parallelism=4)
    with pytest.raises(ConfigurationError, match="salt_len"):
        Argon2Parameters(salt_len=4)
    with pytest.raises(ConfigurationError, match="max_password_bytes"):
        PasswordHasher(max_password_bytes=10)


@settings(max_examples=25, deadline=None)
@given(password=st.text(max_size=64))
def test_hash_verify_round_trip(password: str) -> None:
    hasher = PasswordHasher(Argon2Parameters.for_tests())
    stored = hasher.hash(password)
    assert hasher.verify(stored, password)
    assert not hasher.verify(stored, password + "x")
    assert hasher.verify(stored, password.encode())
