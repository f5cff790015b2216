"""Unicode normalisation: NFKC, case folding and optional accent folding."""

from __future__ import annotations

import unicodedata
from typing import Literal

from bricolage.text.errors import ConfigurationError

__all__ = ["Normalizer", "fold_accents"]

_FORMS = ("NFC", "NFKC", "NFD", "NFKD")


def fold_accents(text: str) -> str:
    """Remove combining marks (accents) after a canonical decomposition.

    Letters with a diacritic lose it (``é`` becomes ``e``); letters that are not
    composed with a mark (``ø``, ``ß``, ``ł``) are kept as they are.

    >>> fold_accents("Crème brûlée à Škoda")
    'Creme brulee a Skoda'
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


class Normalizer:
    """Turn a word into its comparable form: Unicode normal form, case fold, accents.

    The default is NFKC followed by ``str.casefold()``, the combination Unicode
    recommends for caseless matching (``NFKC_Casefold`` without the removal of default
    ignorables): ``ﬁ`` becomes ``fi``, ``Ⅻ`` becomes ``xii``, ``Straße`` becomes
    ``strasse``. ``fold_accents=True`` also removes diacritics.

    Args:
        form: the Unicode normal form applied first, or ``None`` for none.
        casefold: apply ``str.casefold()`` (full Unicode case folding).
        fold_accents: remove combining marks, so ``café`` matches ``cafe``.

    >>> Normalizer()("Straße ﬁnale")
    'strasse finale'
    >>> Normalizer(fold_accents=True)("Élan")
    'elan'
    >>> Normalizer(casefold=False)("\\uff21\\uff22\\uff23")  # full-width ABC
    'ABC'
    """

    __slots__ = ("_casefold", "_fold_accents", "_form")

    def __init__(
        self,
        form: Literal["NFC", "NFKC", "NFD", "NFKD"] | None = "NFKC",
        *,
        casefold: bool = True,
        fold_accents: bool = False,
    ) -> None:
        if form is not None and form not in _FORMS:
            raise ConfigurationError(
                f"unknown Unicode normal form {form!r}; use one of {', '.join(_FORMS)} or None"
            )
        self._form: Literal["NFC", "NFKC", "NFD", "NFKD"] | None = form
        self._casefold = casefold
        self._fold_accents = fold_accents

    @property
    def form(self) -> Literal["NFC", "NFKC", "NFD", "NFKD"] | None:
        """The Unicode normal form applied first (``None`` for none).

        >>> Normalizer().form
        'NFKC'
        """
        return self._form

    @property
    def casefold(self) -> bool:
        """Whether ``str.casefold()`` is applied.

        >>> Normalizer().casefold
        True
        """
        return self._casefold

    @property
    def folds_accents(self) -> bool:
        """Whether combining marks are removed.

        >>> Normalizer(fold_accents=True).folds_accents
        True
        """
        return self._fold_accents

    def __call__(self, text: str) -> str:
        """Normalise ``text``.

        >>> Normalizer()("\\uff28\\uff25\\uff2c\\uff2c\\uff2f")  # full-width HELLO
        'hello'
        """
        if text.isascii():
            # NFKC and accent folding leave ASCII alone; casefold is lower() on ASCII.
            return text.lower() if self._casefold else text
        form = self._form
        if form is not None:
            text = unicodedata.normalize(form, text)
        if self._casefold:
            folded = text.casefold()
            if folded != text and form is not None:
                folded = unicodedata.normalize(form, folded)
            text = folded
        if self._fold_accents:
            text = fold_accents(text)
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description, read back by :meth:`from_dict`.

        >>> Normalizer(fold_accents=True).to_dict()
        {'form': 'NFKC', 'casefold': True, 'fold_accents': True}
        """
        return {"form": self._form, "casefold": self._casefold, "fold_accents": self._fold_accents}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Normalizer:
        """Rebuild a normalizer from :meth:`to_dict`'s output.

        >>> Normalizer.from_dict({"form": "NFC", "casefold": False, "fold_accents": False})
        Normalizer(form='NFC', casefold=False, fold_accents=False)
        """
        form = data.get("form", "NFKC")
        if form is not None and form not in _FORMS:
            raise ConfigurationError(
                f"unknown Unicode normal form {form!r}; use one of {', '.join(_FORMS)} or None"
            )
        return cls(
            form,  # type: ignore[arg-type]
            casefold=bool(data.get("casefold", True)),
            fold_accents=bool(data.get("fold_accents", False)),
        )

    def __repr__(self) -> str:
        return (
            f"Normalizer(form={self._form!r}, casefold={self._casefold}, "
            f"fold_accents={self._fold_accents})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalizer):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self._form, self._casefold, self._fold_accents))
