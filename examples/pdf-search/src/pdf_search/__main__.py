"""``python -m pdf_search``."""

from __future__ import annotations

from pdf_search.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
