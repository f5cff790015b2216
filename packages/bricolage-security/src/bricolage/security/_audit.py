"""Audit events named after the OWASP Application Logging Vocabulary."""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from typing import Final

from bricolage.security._secrets import Secret

__all__ = ["AuditEvent", "AuditLog"]

_SENSITIVE: Final = frozenset(
    {"password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie"}
)


class AuditEvent(enum.StrEnum):
    """Event names of the OWASP Application Logging Vocabulary Cheat Sheet.

    >>> from bricolage.security import AuditEvent
    >>> AuditEvent.AUTHN_LOGIN_FAIL.value
    'authn_login_fail'
    """

    AUTHN_LOGIN_SUCCESS = "authn_login_success"
    AUTHN_LOGIN_SUCCESSAFTERFAIL = "authn_login_successafterfail"
    AUTHN_LOGIN_FAIL = "authn_login_fail"
    AUTHN_LOGIN_FAIL_MAX = "authn_login_fail_max"
    AUTHN_LOGIN_LOCK = "authn_login_lock"
    AUTHN_PASSWORD_CHANGE = "authn_password_change"  # noqa: S105
    AUTHN_PASSWORD_CHANGE_FAIL = "authn_password_change_fail"  # noqa: S105
    AUTHN_IMPOSSIBLE_TRAVEL = "authn_impossible_travel"
    AUTHN_TOKEN_CREATED = "authn_token_created"  # noqa: S105
    AUTHN_TOKEN_REVOKED = "authn_token_revoked"  # noqa: S105
    AUTHN_TOKEN_REUSE = "authn_token_reuse"  # noqa: S105
    AUTHN_TOKEN_DELETE = "authn_token_delete"  # noqa: S105
    AUTHZ_FAIL = "authz_fail"
    AUTHZ_CHANGE = "authz_change"
    AUTHZ_ADMIN = "authz_admin"
    EXCESS_RATE_LIMIT_EXCEEDED = "excess_rate_limit_exceeded"
    INPUT_VALIDATION_FAIL = "input_validation_fail"
    MALICIOUS_EXCESS_404 = "malicious_excess_404"
    MALICIOUS_EXTRANEOUS = "malicious_extraneous"
    MALICIOUS_ATTACK_TOOL = "malicious_attack_tool"
    MALICIOUS_CORS = "malicious_cors"
    MALICIOUS_DIRECT_REFERENCE = "malicious_direct_reference"
    PRIVILEGE_PERMISSIONS_CHANGED = "privilege_permissions_changed"
    SENSITIVE_CREATE = "sensitive_create"
    SENSITIVE_READ = "sensitive_read"
    SENSITIVE_UPDATE = "sensitive_update"
    SENSITIVE_DELETE = "sensitive_delete"
    SEQUENCE_FAIL = "sequence_fail"
    SESSION_CREATED = "session_created"
    SESSION_RENEWED = "session_renewed"
    SESSION_EXPIRED = "session_expired"
    SESSION_USE_AFTER_EXPIRE = "session_use_after_expire"
    SYS_STARTUP = "sys_startup"
    SYS_SHUTDOWN = "sys_shutdown"
    SYS_RESTART = "sys_restart"
    SYS_CRASH = "sys_crash"
    SYS_MONITOR_DISABLED = "sys_monitor_disabled"
    SYS_MONITOR_ENABLED = "sys_monitor_enabled"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_ARCHIVED = "user_archived"
    USER_DELETED = "user_deleted"


_WARN: Final = frozenset(
    {
        AuditEvent.AUTHN_LOGIN_FAIL,
        AuditEvent.AUTHN_LOGIN_FAIL_MAX,
        AuditEvent.AUTHN_LOGIN_LOCK,
        AuditEvent.AUTHN_PASSWORD_CHANGE_FAIL,
        AuditEvent.AUTHN_IMPOSSIBLE_TRAVEL,
        AuditEvent.AUTHN_TOKEN_REUSE,
        AuditEvent.AUTHZ_FAIL,
        AuditEvent.EXCESS_RATE_LIMIT_EXCEEDED,
        AuditEvent.INPUT_VALIDATION_FAIL,
        AuditEvent.SEQUENCE_FAIL,
        AuditEvent.SESSION_USE_AFTER_EXPIRE,
    }
)


def _clean(value: object) -> object:
    if isinstance(value, Secret):
        return str(value)
    if isinstance(value, str):
        # No forged log lines: control characters are escaped.
        return value.encode("unicode_escape").decode("ascii") if not value.isprintable() else value
    return value


class AuditLog:
    """Emit audit events as log records on the ``bricolage.security.audit`` logger.

    The message is the OWASP event string (``authn_login_fail:alice``); the record carries
    ``audit_event``, ``audit_args`` and ``audit_data`` attributes for a JSON formatter.
    Fields named like secrets (password, token, ...) and :class:`Secret` values are
    redacted, and control characters are escaped so a user name cannot forge log lines.
    The library never configures logging: the application decides where records go.

    >>> from bricolage.security import AuditEvent, AuditLog
    >>> import logging
    >>> records = []
    >>> handler = logging.Handler(); handler.emit = records.append
    >>> logging.getLogger("bricolage.security.audit").addHandler(handler)
    >>> AuditLog().emit(AuditEvent.AUTHN_LOGIN_FAIL, "alice", password="oops", ip="192.0.2.1")
    'authn_login_fail:alice'
    >>> records[-1].audit_data
    {'password': '[redacted]', 'ip': '192.0.2.1'}
    >>> logging.getLogger("bricolage.security.audit").removeHandler(handler)
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger: logging.Logger = logger or logging.getLogger("bricolage.security.audit")

    def emit(self, event: AuditEvent, *args: object, **data: object) -> str:
        """Log ``event`` with its positional arguments and extra data; return the event string.

        >>> from bricolage.security import AuditEvent, AuditLog
        >>> AuditLog().emit(AuditEvent.EXCESS_RATE_LIMIT_EXCEEDED, "alice", 10)
        'excess_rate_limit_exceeded:alice,10'
        """
        event = AuditEvent(event)
        clean_args = [str(_clean(a)) for a in args]
        name = event.value + (":" + ",".join(clean_args) if clean_args else "")
        clean_data: Mapping[str, object] = {
            key: "[redacted]" if key.lower() in _SENSITIVE else _clean(value)
            for key, value in data.items()
        }
        level = logging.WARNING if event in _WARN else logging.INFO
        self.logger.log(
            level,
            "%s",
            name,
            extra={"audit_event": event.value, "audit_args": clean_args, "audit_data": clean_data},
        )
        return name
