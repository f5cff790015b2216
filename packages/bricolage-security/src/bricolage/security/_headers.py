"""Security response headers, with per-request CSP nonces, as ASGI and WSGI middleware."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from bricolage.security.errors import ConfigurationError

__all__ = [
    "ContentSecurityPolicy",
    "SecurityHeaders",
    "SecurityHeadersASGI",
    "SecurityHeadersWSGI",
    "make_nonce",
]

#: The WSGI environ key and ASGI ``scope["state"]`` key holding the request's CSP nonce.
NONCE_KEY: Final = "csp_nonce"
WSGI_NONCE_KEY: Final = "bricolage.security.csp_nonce"

_DEFAULT_CSP: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "default-src": ("'self'",),
        "script-src": ("'self'",),
        "style-src": ("'self'",),
        "img-src": ("'self'", "data:"),
        "object-src": ("'none'",),
        "base-uri": ("'none'",),
        "form-action": ("'self'",),
        "frame-ancestors": ("'none'",),
    }
)
_DEFAULT_PERMISSIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "camera": "()",
        "microphone": "()",
        "geolocation": "()",
        "payment": "()",
        "usb": "()",
        "interest-cohort": "()",
    }
)


def make_nonce() -> str:
    """A fresh CSP nonce: 128 random bits, base64url.

    >>> from bricolage.security import make_nonce
    >>> len(make_nonce())
    22
    """
    return secrets.token_urlsafe(16)


def _check_token(what: str, value: str) -> str:
    if not value or any(c in value for c in ";,\r\n\0") or not value.isprintable():
        raise ConfigurationError(f"{what} {value!r} contains a separator or control character")
    return value


def _freeze_directives(
    directives: Mapping[str, Iterable[str]],
) -> Mapping[str, tuple[str, ...]]:
    frozen: dict[str, tuple[str, ...]] = {}
    for name, sources in directives.items():
        _check_token("CSP directive", name)
        if isinstance(sources, str):
            raise ConfigurationError(
                f"CSP directive {name!r} takes a list of sources, got the string {sources!r}"
            )
        frozen[name.lower()] = tuple(_check_token(f"{name} source", s) for s in sources)
    return MappingProxyType(frozen)


@attrs.frozen(slots=True)
class ContentSecurityPolicy:
    """A Content-Security-Policy; :meth:`render` adds the request's nonce.

    The default is strict: only same-origin resources, no plugins, no ``<base>``, no
    framing, and inline scripts and styles only with the nonce.

    >>> from bricolage.security import ContentSecurityPolicy
    >>> ContentSecurityPolicy().render(nonce="abc")  # doctest: +ELLIPSIS
    "default-src 'self'; script-src 'self' 'nonce-abc'; style-src 'self' 'nonce-abc'; img-src '...
    """

    directives: Mapping[str, tuple[str, ...]] = attrs.field(
        default=_DEFAULT_CSP, converter=_freeze_directives
    )
    nonce_directives: tuple[str, ...] = ("script-src", "style-src")
    report_only: bool = False

    def render(self, nonce: str | None = None) -> str:
        """The header value, with ``'nonce-…'`` added to the nonce directives.

        >>> from bricolage.security import ContentSecurityPolicy
        >>> ContentSecurityPolicy({"default-src": ["'none'"]}).render()
        "default-src 'none'"
        """
        parts = []
        for name, sources in self.directives.items():
            values = list(sources)
            if nonce is not None and name in self.nonce_directives:
                values.append(f"'nonce-{nonce}'")
            parts.append(" ".join([name, *values]))
        return "; ".join(parts)

    @property
    def header_name(self) -> str:
        """``Content-Security-Policy`` or its ``-Report-Only`` variant.

        >>> from bricolage.security import ContentSecurityPolicy
        >>> ContentSecurityPolicy(report_only=True).header_name
        'Content-Security-Policy-Report-Only'
        """
        suffix = "-Report-Only" if self.report_only else ""
        return "Content-Security-Policy" + suffix


@attrs.frozen(slots=True)
class SecurityHeaders:
    """The set of security headers to add to every response.

    HSTS is sent only over https (``https_only_hsts``), as browsers ignore it over http
    and it would pin a development host. Headers the application set itself are kept.

    >>> from bricolage.security import SecurityHeaders
    >>> headers = dict(SecurityHeaders().headers(nonce="n", https=True))
    >>> headers["Strict-Transport-Security"]
    'max-age=63072000; includeSubDomains'
    >>> headers["X-Content-Type-Options"], headers["Referrer-Policy"]
    ('nosniff', 'strict-origin-when-cross-origin')
    """

    csp: ContentSecurityPolicy | None = attrs.field(factory=ContentSecurityPolicy)
    hsts_max_age: int = 63072000
    hsts_include_subdomains: bool = True
    hsts_preload: bool = False
    https_only_hsts: bool = True
    referrer_policy: str = "strict-origin-when-cross-origin"
    permissions_policy: Mapping[str, str] = attrs.field(default=_DEFAULT_PERMISSIONS)
    frame_options: str | None = "DENY"
    cross_origin_opener_policy: str | None = "same-origin"

    def __attrs_post_init__(self) -> None:
        if self.hsts_max_age < 0:
            raise ConfigurationError(f"hsts_max_age must be >= 0, got {self.hsts_max_age!r}")
        if self.hsts_preload and (
            self.hsts_max_age < 31536000 or not self.hsts_include_subdomains
        ):
            raise ConfigurationError(
                "HSTS preload needs max-age >= 31536000 and includeSubDomains"
            )
        _check_token("Referrer-Policy", self.referrer_policy)
        for feature, allow in self.permissions_policy.items():
            _check_token("Permissions-Policy feature", feature)
            _check_token(f"Permissions-Policy {feature}", allow)

    def headers(self, *, nonce: str | None = None, https: bool = True) -> list[tuple[str, str]]:
        """The header list for one response.

        >>> from bricolage.security import SecurityHeaders
        >>> for name, _ in SecurityHeaders(csp=None).headers(https=False):
        ...     print(name)
        X-Content-Type-Options
        Referrer-Policy
        Permissions-Policy
        X-Frame-Options
        Cross-Origin-Opener-Policy
        """
        result: list[tuple[str, str]] = []
        if self.csp is not None:
            result.append((self.csp.header_name, self.csp.render(nonce)))
        if https or not self.https_only_hsts:
            value = f"max-age={self.hsts_max_age}"
            if self.hsts_include_subdomains:
                value += "; includeSubDomains"
            if self.hsts_preload:
                value += "; preload"
            result.append(("Strict-Transport-Security", value))
        result.append(("X-Content-Type-Options", "nosniff"))
        result.append(("Referrer-Policy", self.referrer_policy))
        if self.permissions_policy:
            policy = ", ".join(f"{k}={v}" for k, v in self.permissions_policy.items())
            result.append(("Permissions-Policy", policy))
        if self.frame_options is not None:
            result.append(("X-Frame-Options", self.frame_options))
        if self.cross_origin_opener_policy is not None:
            result.append(("Cross-Origin-Opener-Policy", self.cross_origin_opener_policy))
        return result


_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]


class SecurityHeadersASGI:
    """ASGI middleware adding :class:`SecurityHeaders` to every HTTP response.

    A fresh nonce per request is stored in ``scope["state"]["csp_nonce"]`` (Starlette and
    FastAPI expose it as ``request.state.csp_nonce``) for templates to put on inline
    ``<script nonce=...>`` tags.

    >>> from bricolage.security import SecurityHeadersASGI
    >>> async def app(scope, receive, send):
    ...     await send({"type": "http.response.start", "status": 200, "headers": []})
    ...     await send({"type": "http.response.body", "body": b"ok"})
    >>> wrapped = SecurityHeadersASGI(app)
    >>> import anyio
    >>> sent = []
    >>> async def send(message): sent.append(message)
    >>> async def receive(): return {"type": "http.request"}
    >>> anyio.run(wrapped, {"type": "http", "scheme": "https"}, receive, send)
    >>> (b"x-content-type-options", b"nosniff") in sent[0]["headers"]
    True
    """

    def __init__(
        self,
        app: Callable[[Any, Any, Any], Awaitable[None]],
        policy: SecurityHeaders | None = None,
    ) -> None:
        self.app = app
        self.policy: SecurityHeaders = policy or SecurityHeaders()

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        nonce = make_nonce()
        scope.setdefault("state", {})[NONCE_KEY] = nonce
        extra = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.policy.headers(
                nonce=nonce, https=scope.get("scheme") in ("https", "wss")
            )
        ]

        async def send_with_headers(message: _Message) -> None:
            if message.get("type") == "http.response.start":
                existing = list(message.get("headers", []))
                present = {bytes(name).lower() for name, _ in existing}
                message = dict(message)
                message["headers"] = existing + [h for h in extra if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


_StartResponse = Callable[..., Callable[[bytes], object]]


class SecurityHeadersWSGI:
    """WSGI middleware adding :class:`SecurityHeaders` to every response.

    The request's nonce is in ``environ["bricolage.security.csp_nonce"]``.

    >>> from bricolage.security import SecurityHeadersWSGI
    >>> def app(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [environ["bricolage.security.csp_nonce"].encode()]
    >>> captured = {}
    >>> def start_response(status, headers, exc_info=None):
    ...     captured.update(headers)
    ...     return lambda data: None
    >>> body = SecurityHeadersWSGI(app)({"wsgi.url_scheme": "https"}, start_response)
    >>> captured["X-Frame-Options"]
    'DENY'
    >>> f"'nonce-{b''.join(body).decode()}'" in captured["Content-Security-Policy"]
    True
    """

    def __init__(
        self,
        app: Callable[[dict[str, Any], Any], Iterable[bytes]],
        policy: SecurityHeaders | None = None,
    ) -> None:
        self.app = app
        self.policy: SecurityHeaders = policy or SecurityHeaders()

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        nonce = make_nonce()
        environ[WSGI_NONCE_KEY] = nonce
        extra = self.policy.headers(nonce=nonce, https=environ.get("wsgi.url_scheme") == "https")

        def start_with_headers(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            present = {name.lower() for name, _ in headers}
            merged = list(headers) + [h for h in extra if h[0].lower() not in present]
            if exc_info is not None:
                return start_response(status, merged, exc_info)
            return start_response(status, merged)

        return self.app(environ, start_with_headers)
