"""The exceptions of bricolage.security.

Every error raised on purpose by this package derives from :class:`SecurityError`; each
specific error also inherits the built-in exception it refines, so a generic
``except ValueError`` keeps working::

    SecurityError
    ├── ConfigurationError (ValueError)        a key, parameter or policy is unusable
    ├── MissingExtraError (ImportError)         an optional extra is not installed
    ├── SecretNotFoundError (LookupError)       a secret is in neither the env nor a file
    ├── PasswordTooLongError (ValueError)       a password exceeds the length bound
    ├── UnknownHashFormatError (ValueError)     a stored hash is in no format we read
    ├── InvalidTokenError (ValueError)          a token is forged, malformed or misused
    │   ├── BadSignatureError                   the signature does not verify
    │   ├── TokenExpiredError                   the token is past its lifetime
    │   ├── WrongPurposeError                   the token was made for another purpose
    │   └── JWTError                            a JWT fails a header or claim check
    ├── DecryptionError (ValueError)            a ciphertext is forged, corrupt or too old
    ├── JWKSError (ConnectionError)             a JWKS could not be fetched or read
    ├── CSRFError (PermissionError)             a request fails the CSRF checks
    ├── UnsafeInputError (ValueError)           an email, URL or path is not acceptable
    ├── RateLimitExceededError (RuntimeError)   a rate limit refused the request
    └── AccountLockedError (PermissionError)    a login must wait for its back-off

>>> from bricolage.security.errors import SecurityError, TokenExpiredError
>>> issubclass(TokenExpiredError, (SecurityError, ValueError))
True
"""

from __future__ import annotations

__all__ = [
    "AccountLockedError",
    "BadSignatureError",
    "CSRFError",
    "ConfigurationError",
    "DecryptionError",
    "InvalidTokenError",
    "JWKSError",
    "JWTError",
    "MissingExtraError",
    "PasswordTooLongError",
    "RateLimitExceededError",
    "SecretNotFoundError",
    "SecurityError",
    "TokenExpiredError",
    "UnknownHashFormatError",
    "UnsafeInputError",
    "WrongPurposeError",
]


class SecurityError(Exception):
    """Base of every error raised by bricolage.security.

    >>> from bricolage.security.errors import SecurityError
    >>> isinstance(SecurityError("x"), Exception)
    True
    """


class ConfigurationError(SecurityError, ValueError):
    """A key, parameter or policy given to the package is unusable.

    >>> from bricolage.security.errors import ConfigurationError
    >>> raise ConfigurationError("key too short")
    Traceback (most recent call last):
    ...
    bricolage.security.errors.ConfigurationError: key too short
    """


class MissingExtraError(SecurityError, ImportError):
    """An optional dependency is missing; the message names the extra to install.

    >>> from bricolage.security.errors import MissingExtraError
    >>> issubclass(MissingExtraError, ImportError)
    True
    """


class SecretNotFoundError(SecurityError, LookupError):
    """A secret was found neither in the environment nor in a file.

    >>> from bricolage.security.errors import SecretNotFoundError
    >>> issubclass(SecretNotFoundError, LookupError)
    True
    """


class PasswordTooLongError(SecurityError, ValueError):
    """A password is longer than the hasher's bound (a denial-of-service guard).

    >>> from bricolage.security.errors import PasswordTooLongError
    >>> issubclass(PasswordTooLongError, ValueError)
    True
    """


class UnknownHashFormatError(SecurityError, ValueError):
    """A stored password hash is in no format the hasher can read.

    >>> from bricolage.security.errors import UnknownHashFormatError
    >>> issubclass(UnknownHashFormatError, ValueError)
    True
    """


class InvalidTokenError(SecurityError, ValueError):
    """A token is forged, malformed, expired or used for the wrong purpose.

    >>> from bricolage.security.errors import InvalidTokenError
    >>> issubclass(InvalidTokenError, ValueError)
    True
    """


class BadSignatureError(InvalidTokenError):
    """The token's signature does not verify with any known key.

    >>> from bricolage.security.errors import BadSignatureError, InvalidTokenError
    >>> issubclass(BadSignatureError, InvalidTokenError)
    True
    """


class TokenExpiredError(InvalidTokenError):
    """The token is older than its allowed lifetime.

    >>> from bricolage.security.errors import InvalidTokenError, TokenExpiredError
    >>> issubclass(TokenExpiredError, InvalidTokenError)
    True
    """


class WrongPurposeError(InvalidTokenError):
    """The token was signed for another purpose (say, email confirmation, not reset).

    >>> from bricolage.security.errors import InvalidTokenError, WrongPurposeError
    >>> issubclass(WrongPurposeError, InvalidTokenError)
    True
    """


class JWTError(InvalidTokenError):
    """A JWT fails a header, algorithm, size or claim check.

    >>> from bricolage.security.errors import InvalidTokenError, JWTError
    >>> issubclass(JWTError, InvalidTokenError)
    True
    """


class DecryptionError(SecurityError, ValueError):
    """A ciphertext is forged, corrupt, encrypted with an unknown key, or too old.

    >>> from bricolage.security.errors import DecryptionError
    >>> issubclass(DecryptionError, ValueError)
    True
    """


class JWKSError(SecurityError, ConnectionError):
    """A JSON Web Key Set could not be fetched or parsed.

    >>> from bricolage.security.errors import JWKSError
    >>> issubclass(JWKSError, ConnectionError)
    True
    """


class CSRFError(SecurityError, PermissionError):
    """A state-changing request fails the cross-site request forgery checks.

    >>> from bricolage.security.errors import CSRFError
    >>> issubclass(CSRFError, PermissionError)
    True
    """


class UnsafeInputError(SecurityError, ValueError):
    """An email address, URL, file name or path is not acceptable.

    >>> from bricolage.security.errors import UnsafeInputError
    >>> issubclass(UnsafeInputError, ValueError)
    True
    """


class RateLimitExceededError(SecurityError, RuntimeError):
    """A rate limit refused the request; ``retry_after`` says how long to wait.

    >>> from bricolage.security.errors import RateLimitExceededError
    >>> err = RateLimitExceededError("slow down", retry_after=2.5)
    >>> err.retry_after
    2.5
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AccountLockedError(SecurityError, PermissionError):
    """A login attempt arrived during its back-off; ``retry_after`` is in seconds.

    >>> from bricolage.security.errors import AccountLockedError
    >>> err = AccountLockedError("locked", retry_after=30.0)
    >>> err.retry_after
    30.0
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
