"""``python -m bricolage.jobs``: the same as the ``bricolage-jobs`` command."""

from __future__ import annotations

import sys

from bricolage.jobs._cli import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocesses
    sys.exit(main())
