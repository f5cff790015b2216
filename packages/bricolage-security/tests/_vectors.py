"""Readers for the NIST-style vector files shipped by ``cryptography-vectors``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cryptography_vectors

ROOT = Path(cryptography_vectors.__file__).parent


def nist_blocks(relative: str) -> list[dict[str, str]]:
    """The ``COUNT = n`` blocks of a vector file, as dicts of lower-cased keys."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for raw in (ROOT / relative).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        key, value = key.strip().lower(), value.strip()
        if key == "count":
            current = {}
            blocks.append(current)
        elif current is not None:
            current[key] = value
    return blocks


def fernet(name: str) -> list[dict[str, Any]]:
    """The entries of ``fernet/<name>.json``."""
    data: list[dict[str, Any]] = json.loads((ROOT / "fernet" / f"{name}.json").read_text())
    return data
