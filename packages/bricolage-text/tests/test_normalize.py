from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.text import ConfigurationError, Normalizer, fold_accents


def test_nfkc_and_casefold() -> None:
    norm = Normalizer()
    assert norm("Straße") == "strasse"
    assert norm("\ufb01nal") == "final"  # the fi ligature
    assert norm("\u216b") == "xii"  # roman numeral twelve
    assert norm("ΣΊΣΥΦΟΣ") == "σίσυφοσ"
    assert norm("ASCII Only") == "ascii only"


def test_options() -> None:
    assert Normalizer(casefold=False)("Straße") == "Straße"
    assert Normalizer(casefold=False)("ASCII") == "ASCII"
    assert Normalizer(None, casefold=False)("\ufb01") == "\ufb01"
    assert Normalizer(None)("\ufb01") == "fi"  # full case folding splits the ligature
    assert Normalizer("NFC", fold_accents=True)("Ångström") == "angstrom"
    assert Normalizer(fold_accents=True).folds_accents
    assert Normalizer("NFD").form == "NFD"
    assert not Normalizer(casefold=False).casefold


def test_accent_folding_keeps_letters_without_marks() -> None:
    assert fold_accents("øß łódź") == "øß łodz"
    assert fold_accents("plain") == "plain"


def test_unknown_form_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'NFX'"):
        Normalizer("NFX")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="'NFX'"):
        Normalizer.from_dict({"form": "NFX"})


def test_description_round_trip_and_identity() -> None:
    norm = Normalizer("NFC", casefold=False, fold_accents=True)
    assert Normalizer.from_dict(norm.to_dict()) == norm
    assert Normalizer.from_dict({}) == Normalizer()
    assert hash(norm) == hash(Normalizer("NFC", casefold=False, fold_accents=True))
    assert norm != Normalizer()
    assert norm != "Normalizer"


@given(st.text())
def test_result_is_nfkc_and_stable(text: str) -> None:
    once = Normalizer()(text)
    assert unicodedata.is_normalized("NFKC", once)
    folded = Normalizer(fold_accents=True)(text)
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", folded))
