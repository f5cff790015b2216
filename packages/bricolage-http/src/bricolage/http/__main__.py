"""``python -m bricolage.http``: the same command as the ``bricolage-http`` script."""

from __future__ import annotations

import sys

from bricolage.http.errors import MissingExtraError


def main() -> None:
    """Run the ``bricolage-http`` command (needs the ``cli`` extra: click and rich)."""
    try:
        from bricolage.http._cli import cli
    except ModuleNotFoundError as error:
        if error.name not in ("click", "rich"):
            raise
        print(MissingExtraError("cli", "the bricolage-http command"), file=sys.stderr)
        raise SystemExit(1) from None
    cli(prog_name="bricolage-http")


if __name__ == "__main__":
    main()
