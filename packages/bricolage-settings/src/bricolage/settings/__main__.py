"""``python -m bricolage.settings explain module:Settings``."""

from __future__ import annotations

import os
import sys

from bricolage.settings._cli import main


def run() -> int:
    """Run the command line; a reader that goes away (``| head``) ends it quietly."""
    try:
        return main()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the exit flush does not fail again
        return 1


if __name__ == "__main__":
    sys.exit(run())
