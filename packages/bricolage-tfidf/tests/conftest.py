"""Shared fixtures: real documents from the IR collections in ``shared/data/ir``."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[3]


def data_dir() -> Path:
    override = os.environ.get("BRICOLAGE_DATA")
    return Path(override) if override else _REPO.parent / "shared" / "data"


@cache
def vaswani() -> tuple[str, ...]:
    text = (data_dir() / "ir" / "vaswani" / "doc-text.trec").read_text(encoding="utf-8")
    return tuple(re.findall(r"<DOCNO>\d+</DOCNO>\n(.*?)</DOC>", text, re.S))


@cache
def cranfield() -> tuple[str, ...]:
    text = (data_dir() / "ir" / "cranfield" / "cran.all.1400").read_text(encoding="utf-8")
    records = re.split(r"^\.I \d+\n", text, flags=re.M)[1:]
    return tuple(record.partition(".W\n")[2] for record in records)


@pytest.fixture(scope="session")
def vaswani_docs() -> tuple[str, ...]:
    docs = vaswani()
    assert len(docs) == 11429
    return docs


@pytest.fixture(scope="session")
def cranfield_docs() -> tuple[str, ...]:
    docs = cranfield()
    assert len(docs) == 1400
    return docs
