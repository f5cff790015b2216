"""HTML sanitising through nh3 (ammonia), with safe defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import nh3

from bricolage.security.errors import ConfigurationError

__all__ = ["HTMLSanitizer", "sanitize_html"]

DEFAULT_TAGS: Final = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small",
        "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
DEFAULT_ATTRIBUTES: Final[Mapping[str, frozenset[str]]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
}
DEFAULT_URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
#: Tags that can run script, load active content or restyle the page; never allowed.
FORBIDDEN_TAGS: Final = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
        "math", "form", "input", "button", "textarea", "select", "base", "meta", "link",
        "template", "noscript", "xmp", "plaintext", "noembed", "noframes", "portal",
    }
)  # fmt: skip
_FORBIDDEN_SCHEMES: Final = frozenset({"javascript", "vbscript", "data", "file", "blob"})


class HTMLSanitizer:
    """A configured nh3 cleaner that refuses configurations able to run script.

    Defaults: a small set of formatting tags, ``href``/``title`` on links, URLs limited to
    http, https and mailto, comments stripped, and ``rel="noopener noreferrer nofollow"``
    on every link. Adding ``script``, ``style``, ``svg``, event-handler attributes
    (``on*``), ``style`` attributes or ``javascript:``/``data:`` schemes is refused.

    >>> from bricolage.security import HTMLSanitizer
    >>> dirty = '<a href="javascript:alert(1)" onclick="x()">hi</a><script>x</script>'
    >>> HTMLSanitizer().clean(dirty)
    '<a rel="noopener noreferrer nofollow">hi</a>'
    >>> HTMLSanitizer(tags={"p", "script"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.security.errors.ConfigurationError: tags ['script'] can run script or load active...
    """

    def __init__(
        self,
        *,
        tags: Iterable[str] = DEFAULT_TAGS,
        attributes: Mapping[str, Iterable[str]] = DEFAULT_ATTRIBUTES,
        url_schemes: Iterable[str] = DEFAULT_URL_SCHEMES,
        link_rel: str = "noopener noreferrer nofollow",
    ) -> None:
        self.tags: frozenset[str] = frozenset(t.lower() for t in tags)
        bad_tags = sorted(self.tags & FORBIDDEN_TAGS)
        if bad_tags:
            raise ConfigurationError(
                f"tags {bad_tags} can run script or load active content; they cannot be allowed"
            )
        self.attributes: dict[str, frozenset[str]] = {
            tag: frozenset(a.lower() for a in attrs) for tag, attrs in attributes.items()
        }
        for tag, names in self.attributes.items():
            bad = sorted(
                n for n in names if n.startswith("on") or n in {"style", "srcdoc", "formaction"}
            )
            if bad:
                raise ConfigurationError(
                    f"attributes {bad} on <{tag}> can run script or restyle the page"
                )
            if "rel" in names:
                raise ConfigurationError("the 'rel' attribute is set by link_rel, not allowed")
        self.url_schemes: frozenset[str] = frozenset(s.lower() for s in url_schemes)
        bad_schemes = sorted(self.url_schemes & _FORBIDDEN_SCHEMES)
        if bad_schemes:
            raise ConfigurationError(f"URL schemes {bad_schemes} can carry script; not allowed")
        self.link_rel = link_rel

    def clean(self, html: str) -> str:
        """Return ``html`` with everything outside the allow-lists removed.

        >>> from bricolage.security import HTMLSanitizer
        >>> HTMLSanitizer().clean("<p>Hello <b>world</b><img src=x onerror=alert(1)></p>")
        '<p>Hello <b>world</b></p>'
        """
        return nh3.clean(
            html,
            tags=set(self.tags),
            attributes={tag: set(names) for tag, names in self.attributes.items()},
            url_schemes=set(self.url_schemes),
            strip_comments=True,
            link_rel=self.link_rel,
        )


_DEFAULT: HTMLSanitizer | None = None


def sanitize_html(html: str) -> str:
    """Sanitise ``html`` with the default :class:`HTMLSanitizer`.

    >>> from bricolage.security import sanitize_html
    >>> sanitize_html('<p onmouseover="steal()">ok</p>')
    '<p>ok</p>'
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = HTMLSanitizer()
    return _DEFAULT.clean(html)
