"""``python -m bricolage.search``: the command line."""

from __future__ import annotations

import sys

from bricolage.search._cli import main

if __name__ == "__main__":
    sys.exit(main())
