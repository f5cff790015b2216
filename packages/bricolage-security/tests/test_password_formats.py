"""Every password format the docs promise, made by the libraries that write them.

Django's ``make_password`` writes the Django hashes (``scrypt$``, ``argon2$argon2id$``,
``bcrypt_sha256$``, ``bcrypt$``); the ``bcrypt`` package writes the ``$2b$`` hashes that
passlib and most legacy user tables hold. Each is read and migrated to argon2id on login.
"""

from __future__ import annotations

import importlib
from typing import Any

import bcrypt
import pytest

from bricolage.security import Argon2Parameters, PasswordHasher
from bricolage.security.errors import UnknownHashFormatError

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def make_password() -> Any:
    settings: Any = importlib.import_module("django.conf").settings
    if not settings.configured:
        settings.configure()  # Django's default PASSWORD_HASHERS, nothing else
    return importlib.import_module("django.contrib.auth.hashers").make_password


def _assert_read_and_migrated(hasher: PasswordHasher, stored: str) -> None:
    result = hasher.verify_and_update(stored, PASSWORD)
    assert result.valid
    assert result.new_hash is not None
    assert result.new_hash.startswith("$argon2id$")
    assert hasher.verify(result.new_hash, PASSWORD)
    assert hasher.needs_rehash(stored)
    assert not hasher.verify(stored, PASSWORD + "!")


def test_regression_django_scrypt_hash_is_read_and_migrated(
    hasher: PasswordHasher, make_password: Any
) -> None:
    stored = make_password(PASSWORD, hasher="scrypt")
    assert stored.startswith("scrypt$")
    _assert_read_and_migrated(hasher, stored)


def test_regression_django_argon2id_hash_is_read_and_migrated(
    hasher: PasswordHasher, make_password: Any
) -> None:
    stored = make_password(PASSWORD, hasher="argon2")
    assert stored.startswith("argon2$argon2id$")
    _assert_read_and_migrated(hasher, stored)


def test_django_argon2_with_our_parameters_is_still_migrated_to_phc() -> None:
    ours = PasswordHasher(Argon2Parameters.for_tests())
    django_form = "argon2" + ours.hash(PASSWORD)
    result = ours.verify_and_update(django_form, PASSWORD)
    assert result.valid
    assert result.new_hash is not None
    assert result.new_hash.startswith("$argon2id$")


def test_regression_django_bcrypt_sha256_hash_is_read_and_migrated(
    hasher: PasswordHasher, make_password: Any
) -> None:
    stored = make_password(PASSWORD, hasher="bcrypt_sha256")
    assert stored.startswith("bcrypt_sha256$$2b$")
    _assert_read_and_migrated(hasher, stored)


def test_django_plain_bcrypt_hash_is_read_and_migrated(hasher: PasswordHasher) -> None:
    stored = "bcrypt$" + bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    _assert_read_and_migrated(hasher, stored)


@pytest.mark.parametrize("prefix", [b"2b", b"2a"])
def test_regression_passlib_bcrypt_hash_is_read_and_migrated(
    hasher: PasswordHasher, prefix: bytes
) -> None:
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(5, prefix=prefix)).decode()
    assert stored.startswith(f"${prefix.decode()}$05$")
    _assert_read_and_migrated(hasher, stored)


def test_bcrypt_reads_only_72_bytes_as_it_always_did(hasher: PasswordHasher) -> None:
    long = "x" * 72
    stored = bcrypt.hashpw(long.encode(), bcrypt.gensalt(4)).decode()
    assert hasher.verify(stored, long + "ignored by bcrypt")
    assert not hasher.verify(stored, "x" * 71)


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ("$2b$31$" + "a" * 53, "cost 31"),
        ("$2b$03$" + "a" * 53, "cost 3"),
        ("$2b$12$tooshort", "not a valid bcrypt hash"),
        ("bcrypt_sha256$pbkdf2$12$" + "a" * 53, "not a valid bcrypt hash"),
        ("$2b$12$" + "!" * 53, "not a valid bcrypt hash"),
        ("scrypt$16384$salt$8$1$not base64!", "cannot read stored hash"),
        ("scrypt$1048576$salt$8$1$AAAA", "refusing to verify"),
        ("argon2$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$AAAA", "bounds"),
    ],
)
def test_malformed_or_abusive_legacy_hashes_are_clear_errors(
    hasher: PasswordHasher, stored: str, message: str
) -> None:
    with pytest.raises(UnknownHashFormatError, match=message):
        hasher.verify(stored, PASSWORD)
