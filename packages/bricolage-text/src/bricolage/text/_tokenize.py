"""Tokenisation: words with their positions and character offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from bricolage.text._marks import COMBINING_MARKS
from bricolage.text.errors import ConfigurationError

__all__ = ["DEFAULT_TOKEN_PATTERN", "Token", "Tokenizer"]

#: Runs of letters, digits, underscores and the combining marks that belong to them.
DEFAULT_TOKEN_PATTERN = rf"\w+(?:[{COMBINING_MARKS}]+\w*)*|[{COMBINING_MARKS}]+"
# On ASCII text the default pattern finds exactly what this one finds, only slower.
_ASCII_WORDS = re.compile(r"\w+")


class Token(NamedTuple):
    """One token: its text, its position in the token stream and its character span.

    ``start`` and ``end`` index the *original* text (``text[start:end]`` is the source of
    the token), whatever normalisation did to :attr:`text`. Positions count every token
    the tokenizer produced, so removing a stopword leaves a gap, and phrase matching can
    still tell neighbours from words two apart.

    A :class:`~typing.NamedTuple`: immutable, unpackable and as cheap as a tuple.

    >>> token = Token("strasse", 0, 0, 6)
    >>> token.text, token.position, token.start, token.end
    ('strasse', 0, 0, 6)
    """

    text: str
    position: int
    start: int
    end: int


class Tokenizer:
    """Split text into tokens with a regular expression.

    Each match of ``pattern`` is a token. The default matches runs of letters, digits and
    underscores (Unicode-aware) together with their combining marks, so ``naïve``
    spelled with a separate diaeresis stays one word.

    Args:
        pattern: a regular expression (string or compiled) whose matches are the tokens.

    >>> tokenizer = Tokenizer()
    >>> tokenizer.words("Hello, wide world!")
    ['Hello', 'wide', 'world']
    >>> list(tokenizer.tokens("Hi there"))
    [Token(text='Hi', position=0, start=0, end=2), Token(text='there', position=1, start=3, end=8)]
    """

    __slots__ = ("_ascii_regex", "_case_safe", "_regex")

    def __init__(self, pattern: str | re.Pattern[str] = DEFAULT_TOKEN_PATTERN) -> None:
        if isinstance(pattern, str):
            try:
                regex = re.compile(pattern)
            except re.error as error:
                raise ConfigurationError(
                    f"token pattern {pattern!r} is not a valid regular expression: {error}"
                ) from error
        else:
            regex = pattern
        if regex.match(""):
            raise ConfigurationError(
                f"token pattern {regex.pattern!r} matches the empty string; "
                "a token must hold at least one character (use + rather than *)"
            )
        self._regex = regex
        self._ascii_regex = _ASCII_WORDS if regex.pattern == DEFAULT_TOKEN_PATTERN else regex
        # Lowercasing ASCII text before matching finds the same spans only when the
        # pattern does not care about case: true for the default and for re.IGNORECASE.
        self._case_safe = regex.pattern == DEFAULT_TOKEN_PATTERN or bool(
            regex.flags & re.IGNORECASE
        )

    @property
    def pattern(self) -> str:
        """The regular expression's source.

        >>> Tokenizer(r"[a-z]+").pattern
        '[a-z]+'
        """
        return self._regex.pattern

    @property
    def regex(self) -> re.Pattern[str]:
        """The compiled regular expression.

        >>> Tokenizer(r"\\d+").regex.findall("a1b22")
        ['1', '22']
        """
        return self._regex

    @property
    def ascii_regex(self) -> re.Pattern[str]:
        """A regular expression that finds the same tokens in ASCII text, perhaps faster.

        For the default pattern this is ``\\w+`` (combining marks are never ASCII).

        >>> Tokenizer().ascii_regex.pattern
        '\\\\w+'
        """
        return self._ascii_regex

    @property
    def case_insensitive(self) -> bool:
        """Whether the pattern finds the same spans in lower-cased ASCII text.

        Analyzers use this to lower-case a whole ASCII text at once, which is faster.

        >>> Tokenizer().case_insensitive, Tokenizer(r"[A-Z]+").case_insensitive
        (True, False)
        """
        return self._case_safe

    def words(self, text: str) -> list[str]:
        """The tokens' texts, in order.

        >>> Tokenizer().words("one two  three")
        ['one', 'two', 'three']
        """
        regex = self._ascii_regex if text.isascii() else self._regex
        return regex.findall(text)

    def tokens(self, text: str) -> Iterator[Token]:
        """Yield the tokens with positions (0, 1, 2, ...) and character offsets.

        >>> [tuple(t) for t in Tokenizer().tokens("a bc")]
        [('a', 0, 0, 1), ('bc', 1, 2, 4)]
        """
        regex = self._ascii_regex if text.isascii() else self._regex
        for position, match in enumerate(regex.finditer(text)):
            start, end = match.span()
            yield Token(match.group(), position, start, end)

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description, read back by :meth:`from_dict`.

        >>> Tokenizer(r"[a-z]+").to_dict()
        {'pattern': '[a-z]+', 'flags': 32}
        """
        return {"pattern": self._regex.pattern, "flags": int(self._regex.flags)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Tokenizer:
        """Rebuild a tokenizer from :meth:`to_dict`'s output.

        >>> Tokenizer.from_dict({"pattern": "[0-9]+", "flags": 32}).words("a1b2")
        ['1', '2']
        """
        pattern = data.get("pattern", DEFAULT_TOKEN_PATTERN)
        flags = data.get("flags", 0)
        if not isinstance(pattern, str) or not isinstance(flags, int):
            raise ConfigurationError(f"a tokenizer description needs a pattern string: {data!r}")
        try:
            regex = re.compile(pattern, flags)
        except (re.error, ValueError) as error:
            raise ConfigurationError(
                f"token pattern {pattern!r} is not a valid regular expression: {error}"
            ) from error
        return cls(regex)

    def __repr__(self) -> str:
        if self._regex.pattern == DEFAULT_TOKEN_PATTERN:
            return "Tokenizer()"
        return f"Tokenizer({self._regex.pattern!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tokenizer):
            return NotImplemented
        return self._regex == other._regex

    def __hash__(self) -> int:
        return hash(self._regex)
