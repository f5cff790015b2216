"""``python -m auth_basics``."""

from __future__ import annotations

from auth_basics.cli import main

if __name__ == "__main__":
    main()
