"""Secrets never show themselves; audit events follow the OWASP vocabulary."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

import bricolage.security as security
from bricolage.security import AuditEvent, AuditLog, Secret, load_secret
from bricolage.security.errors import ConfigurationError, SecretNotFoundError


def test_secret_is_masked_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret} {secret!r} {[secret]} { {'k': secret} }"
    with caplog.at_level(logging.INFO):
        logging.getLogger("app").info("loaded %s and %r", secret, secret)
    assert "hunter2" not in caplog.text
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    assert secret == Secret("hunter2")
    assert secret != Secret("other")
    assert secret != "hunter2"
    assert len(secret) == 7
    assert hash(secret) == hash(Secret("hunter2"))
    with pytest.raises(TypeError, match="takes a str"):
        Secret(b"bytes")  # type: ignore[arg-type]


def test_load_secret_from_env_file_and_directory(tmp_path: Path) -> None:
    (tmp_path / "db_password").write_text("from-file\n")
    assert load_secret("DB", environ={"DB": "env"}).reveal() == "env"
    assert (
        load_secret("DB", environ={"DB_FILE": str(tmp_path / "db_password")}).reveal()
        == "from-file"
    )
    assert load_secret("db_password", environ={}, directory=tmp_path).reveal() == "from-file"
    with pytest.raises(SecretNotFoundError) as info:
        load_secret("DB", environ={"DB_FILE": str(tmp_path / "missing")}, directory=tmp_path)
    assert "missing, which is not a file" in str(info.value)
    assert "or the file" in str(info.value)
    with pytest.raises(ConfigurationError, match="plain"):
        load_secret("../etc/passwd", environ={})
    with pytest.raises(ConfigurationError, match="plain"):
        load_secret("", environ={})


def test_load_secret_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRICOLAGE_TEST_SECRET", "value")
    assert load_secret("BRICOLAGE_TEST_SECRET").reveal() == "value"


def test_audit_events_follow_owasp_and_redact(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bricolage.security.audit"):
        name = AuditLog().emit(
            AuditEvent.AUTHN_LOGIN_FAIL,
            "mallory\r\nauthn_login_success:admin",
            token=Secret("t0ken"),
            Password="pw",
            ip="203.0.113.9",
            note=Secret("hidden"),
        )
        AuditLog().emit(AuditEvent.SESSION_CREATED, "alice")
    assert name == "authn_login_fail:mallory\\r\\nauthn_login_success:admin"
    record = caplog.records[0]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == name
    assert record.audit_event == "authn_login_fail"  # type: ignore[attr-defined]
    assert record.audit_data == {  # type: ignore[attr-defined]
        "token": "[redacted]",
        "Password": "[redacted]",
        "ip": "203.0.113.9",
        "note": "**********",
    }
    assert "\n" not in caplog.text.strip().splitlines()[0][:-1]
    assert caplog.records[1].levelno == logging.INFO
    assert "t0ken" not in caplog.text
    assert "hidden" not in caplog.text


def test_vocabulary_names() -> None:
    names = {e.value for e in AuditEvent}
    for required in (
        "authn_login_success",
        "authn_login_lock",
        "authn_password_change",
        "excess_rate_limit_exceeded",
        "input_validation_fail",
        "session_created",
        "authn_token_created",
        "authz_fail",
        "malicious_cors",
    ):
        assert required in names
    assert all(v == v.lower() and " " not in v for v in names)


def test_public_api_is_what_all_says() -> None:
    for name in security.__all__:
        assert getattr(security, name) is not None
        obj = getattr(security, name)
        if callable(obj) and name not in {"Clock", "KeyMaterial", "Algorithm"}:
            assert ">>>" in (obj.__doc__ or ""), f"{name} has no example"
    private = [n for n in dir(security) if not n.startswith("_") and n not in security.__all__]
    assert set(private) <= {"annotations", "errors", "testing"}
    assert security.__version__ == "0.2.0"
