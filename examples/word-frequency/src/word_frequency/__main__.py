"""``python -m word_frequency``."""

from __future__ import annotations

import sys

from word_frequency.cli import main

if __name__ == "__main__":
    sys.exit(main())
