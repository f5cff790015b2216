"""The ``bricolage-search`` command's entry point: exit codes, and the ``[cli]`` extra check.

The commands themselves live in ``_app`` and need click and rich (the extra ``[cli]``);
this module imports neither, so a missing extra gives a one-line error, not a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["EXIT_FAILED", "EXIT_NOT_FOUND", "EXIT_OK", "EXIT_UNSAFE", "EXIT_USAGE", "main"]

# One table across the bricolage commands.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNSAFE = 4
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line and return its exit status.

    0 ok, 1 the work failed, 2 a usage error (bad option, bad query), 3 no index there,
    4 refused as unsafe (another writer holds the index, or it has another schema),
    130 interrupted. ``out`` replaces standard output (errors go to standard error).

    >>> main(["stats", "/nonexistent/index"])
    3
    """
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as error:
        sys.stderr.write(
            f"bricolage-search: the command line needs {error.name}: "
            'pip install "bricolage-search[cli]"\n'
        )
        return EXIT_FAILED
    from bricolage.search._app import run

    return run(argv, out)
