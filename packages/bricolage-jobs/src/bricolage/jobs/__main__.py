"""``python -m bricolage.jobs``: the same as the ``bricolage-jobs`` command."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_EXTRA = 'pip install "bricolage-jobs[cli]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bricolage-jobs`` command; without click and rich, say which extra to add.

    >>> main(["--version"])  # doctest: +ELLIPSIS
    bricolage-jobs, version ...
    0
    """
    try:
        from bricolage.jobs._cli import main as run
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.partition(".")[0] not in {"click", "rich"}:
            raise
        print(
            f"bricolage-jobs: the command needs {exc.name!r}, an optional dependency: {_EXTRA}",
            file=sys.stderr,
        )
        return 1
    return run(argv)


if __name__ == "__main__":  # pragma: no cover - exercised through subprocesses
    sys.exit(main())
