"""Typing helpers shared by the modules of this package."""

from __future__ import annotations

# Re-exported so that ``@_typing.overload`` marks overloads for type checkers while the
# API reference shows the one signature users call.
from typing import overload as overload

__all__ = ["overload"]
