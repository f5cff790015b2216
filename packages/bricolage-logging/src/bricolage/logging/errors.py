"""Exceptions raised by :mod:`bricolage.logging`.

Every error the package raises derives from :class:`LoggingError`; each specific error
also inherits the built-in exception it refines, so generic handlers keep working::

    LoggingError (Exception)
    └── ConfigurationError (LoggingError, ValueError)
            a bad argument to configure(), a sampling rate, a rotation policy, an id

Logging itself never raises: a sink that fails drops the line and counts it instead.

>>> from bricolage.logging.errors import ConfigurationError, LoggingError
>>> issubclass(ConfigurationError, ValueError) and issubclass(ConfigurationError, LoggingError)
True
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "LoggingError"]


class LoggingError(Exception):
    """The base of every exception raised by :mod:`bricolage.logging`.

    >>> try:
    ...     raise ConfigurationError("bad level 'LOUD'")
    ... except LoggingError as error:
    ...     print(error)
    bad level 'LOUD'
    """


class ConfigurationError(LoggingError, ValueError):
    """An argument that cannot work: it names the offending value and what is expected.

    >>> from bricolage.logging import SamplingPolicy
    >>> SamplingPolicy(levels={"error": 0.5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.logging.errors.ConfigurationError: sampling rate for level 'error' must not ...
    """
