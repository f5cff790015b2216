from __future__ import annotations

import pytest

from bricolage.search import Index, KeywordField, Schema, StoredField, TextField


@pytest.fixture
def schema() -> Schema:
    return Schema(
        TextField("title", weight=2.0),
        TextField("body"),
        KeywordField("tag", lowercase=True),
        StoredField("year"),
    )


@pytest.fixture
def small_index(schema: Schema) -> Index:
    index = Index.in_memory(schema)
    with index.writer() as writer:
        writer.add(
            "pulsars",
            title="Pulsars",
            body="Pulsars are rotating neutron stars that emit beams of radiation.",
            tag=["Astro", "stars"],
            year=1967,
        )
        writer.add(
            "dwarfs",
            title="White dwarfs",
            body="A white dwarf is the remnant of a star like the Sun; no neutron star forms.",
            tag="astro",
            year=1910,
        )
        writer.add(
            "engines",
            title="Jet engines",
            body="Turbines compress air; the engine's thrust drives the aircraft.",
            tag="engineering",
            year=1939,
        )
    return index
