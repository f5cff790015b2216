"""Session set-up shared by the doctests under src/ and the tests under tests/."""

from __future__ import annotations

# Import the command-line module under its real name before the doctest collector loads
# src/ files under other names, so that coverage attributes its lines to bricolage.jobs.
import bricolage.jobs._cli  # noqa: F401
