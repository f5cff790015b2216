"""bricolage.security: passwords, tokens, JWT, encryption, CSRF, headers and rate limits.

Everything a web application needs to store passwords, sign and verify tokens, encrypt
fields, defend forms and throttle abuse, wrapping well-kept primitives (argon2-cffi,
cryptography, PyJWT, nh3) behind typed, misuse-resistant classes.

>>> from bricolage.security import PasswordHasher, Argon2Parameters
>>> hasher = PasswordHasher(Argon2Parameters.for_tests())
>>> hasher.verify(hasher.hash("s3cret"), "s3cret")
True
"""

from __future__ import annotations

from importlib.metadata import version as _version

from bricolage.security._audit import AuditEvent, AuditLog
from bricolage.security._client_ip import TrustedProxies, client_ip
from bricolage.security._clock import Clock, SystemClock, system_clock
from bricolage.security._csrf import CSRFProtection, HeaderSource
from bricolage.security._encryption import Encryptor
from bricolage.security._headers import (
    ContentSecurityPolicy,
    SecurityHeaders,
    SecurityHeadersASGI,
    SecurityHeadersWSGI,
    make_nonce,
)
from bricolage.security._jwt import (
    Algorithm,
    JWKSClient,
    JWTIssuer,
    JWTKey,
    JWTVerifier,
    KeySource,
    check_time_claims,
)
from bricolage.security._lockout import (
    LockoutBackend,
    LockoutPolicy,
    LockoutState,
    LoginThrottle,
    MemoryLockoutBackend,
    RedisLockoutBackend,
)
from bricolage.security._passwords import Argon2Parameters, PasswordHasher, VerifyResult
from bricolage.security._ratelimit import (
    Decision,
    MemoryBackend,
    RateAlgorithm,
    RateLimitBackend,
    RateLimiter,
    RedisBackend,
)
from bricolage.security._sanitize import HTMLSanitizer, sanitize_html
from bricolage.security._secrets import KeyMaterial, Secret, load_secret
from bricolage.security._tokens import TokenSigner, derive_key, random_token
from bricolage.security._validators import (
    safe_join,
    safe_redirect,
    validate_email,
    validate_filename,
    validate_url,
)

__version__ = _version("bricolage-security")

__all__ = [
    "Algorithm",
    "Argon2Parameters",
    "AuditEvent",
    "AuditLog",
    "CSRFProtection",
    "Clock",
    "ContentSecurityPolicy",
    "Decision",
    "Encryptor",
    "HTMLSanitizer",
    "HeaderSource",
    "JWKSClient",
    "JWTIssuer",
    "JWTKey",
    "JWTVerifier",
    "KeyMaterial",
    "KeySource",
    "LockoutBackend",
    "LockoutPolicy",
    "LockoutState",
    "LoginThrottle",
    "MemoryBackend",
    "MemoryLockoutBackend",
    "PasswordHasher",
    "RateAlgorithm",
    "RateLimitBackend",
    "RateLimiter",
    "RedisBackend",
    "RedisLockoutBackend",
    "Secret",
    "SecurityHeaders",
    "SecurityHeadersASGI",
    "SecurityHeadersWSGI",
    "SystemClock",
    "TokenSigner",
    "TrustedProxies",
    "VerifyResult",
    "__version__",
    "check_time_claims",
    "client_ip",
    "derive_key",
    "load_secret",
    "make_nonce",
    "random_token",
    "safe_join",
    "safe_redirect",
    "sanitize_html",
    "system_clock",
    "validate_email",
    "validate_filename",
    "validate_url",
]
