"""XSS evasion inputs through the sanitiser; validators for email, URLs and paths."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bricolage.security import (
    HTMLSanitizer,
    safe_join,
    safe_redirect,
    sanitize_html,
    validate_email,
    validate_filename,
    validate_url,
)
from bricolage.security.errors import ConfigurationError, UnsafeInputError

# Classic evasion inputs (OWASP XSS Filter Evasion Cheat Sheet and browser quirks).
XSS_INPUTS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    "<img src=x onerror=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099alert(1)>",
    '<SCRIPT/XSS SRC="http://xss.example/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=http://xss.example/xss.js?< B >",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    "<STYLE>@import'http://xss.example/xss.css';</STYLE>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    "<details open ontoggle=alert(1)>",
    '<a href="javascript&colon;alert(1)">x</a>',
    '<p style="color:red" onclick="alert(1)">x</p>',
    "<!--<script>alert(1)</script>-->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    '<a href="  JAVASCRIPT:alert(1)">x</a>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '"><script>alert(document.cookie)</script>',
    "<img src=\"x:gif\" onerror=\"window['al'+'ert'](1)\">",
    '<a href="https://ok.example" target="_blank">ok</a>',
]

_DANGEROUS_TAGS = {
    "script", "style", "iframe", "frame", "object", "embed", "svg", "math", "form", "input",
    "button", "base", "meta", "link", "template", "noscript", "xmp", "body", "applet",
}  # fmt: skip
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "data", "poster"}


class _Executable(HTMLParser):
    """Collects everything in parsed markup that a browser could execute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:  # values arrive entity-decoded
            if name.startswith("on") or name in {"style", "srcdoc"}:
                self.found.append(f"{tag}@{name}")
            if name in _URL_ATTRIBUTES and value is not None:
                squeezed = "".join(c for c in value if c.isprintable() and not c.isspace()).lower()
                scheme = squeezed.split(":", 1)[0] if ":" in squeezed else ""
                if scheme not in ("", "http", "https", "mailto"):
                    self.found.append(f"{tag}@{name}={value!r}")


def executable_parts(markup: str) -> list[str]:
    parser = _Executable()
    parser.feed(markup)
    parser.close()
    return parser.found


def test_the_detector_detects() -> None:
    assert executable_parts("<script>x</script>") == ["<script>"]
    assert executable_parts('<a href="jav&#x09;ascript:x">') == ["a@href='jav\\tascript:x'"]
    assert executable_parts("<p onclick=x>") == ["p@onclick"]
    assert executable_parts("&lt;script&gt;") == []


def test_the_inputs_are_hostile() -> None:
    hostile = [p for p in XSS_INPUTS if executable_parts(p)]
    assert len(hostile) >= len(XSS_INPUTS) - 5  # a few only fool browsers, not our parser


@pytest.mark.parametrize("payload", XSS_INPUTS)
def test_pitfall_xss_evasion_yields_nothing_executable(payload: str) -> None:
    cleaned = sanitize_html(payload)
    assert executable_parts(cleaned) == [], cleaned
    assert sanitize_html(cleaned) == cleaned  # idempotent


def test_links_get_rel_and_safe_formatting_survives() -> None:
    cleaned = sanitize_html('<p>Hi <a href="https://ok.example">link</a> <em>x</em></p>')
    assert (
        cleaned
        == '<p>Hi <a href="https://ok.example" rel="noopener noreferrer nofollow">link</a> '
        "<em>x</em></p>"
    )
    assert sanitize_html("<td colspan=2>x</td>") == "x"  # stray cell outside a table is dropped


@given(st.text(max_size=200))
def test_sanitizer_output_never_contains_script(text: str) -> None:
    out = sanitize_html(text)
    assert "<script" not in out.lower()
    assert sanitize_html(out) == out


def test_sanitizer_refuses_dangerous_configuration() -> None:
    for kwargs, message in (
        ({"tags": ["p", "svg"]}, "svg"),
        ({"attributes": {"p": ["onclick"]}}, "onclick"),
        ({"attributes": {"p": ["style"]}}, "style"),
        ({"attributes": {"a": ["rel"]}}, "rel"),
        ({"url_schemes": ["https", "javascript"]}, "javascript"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            HTMLSanitizer(**kwargs)
    custom = HTMLSanitizer(
        tags={"p", "img"}, attributes={"img": {"src", "alt"}}, url_schemes={"https"}
    )
    assert custom.clean(
        '<img src="https://x.example/a.png" alt="a"><img src="http://x.example/b.png">'
    ) == ('<img src="https://x.example/a.png" alt="a"><img>')


# --- validators --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "plain",
        "@example.com",
        "alice@",
        "alice@@example.com",
        "a..b@example.com",
        ".alice@example.com",
        "alice@example",
        "alice@-example.com",
        "alice@example.123",
        "alice@exa mple.com",
        "al ice@example.com",
        "alice@example.com\r\nBcc: x@y.example",
        "alice\u200b@example.com",
        '"quoted"@example.com',
        "x" * 65 + "@example.com",
        "a@" + ("b" * 60 + ".") * 5 + "com",
        "alice@" + "a" * 64 + ".example",
        "x" * 64 + "@" + ("b" * 60 + ".") * 3 + "bb" * 30 + ".com",
    ],
)
def test_invalid_emails_are_refused(address: str) -> None:
    with pytest.raises(UnsafeInputError):
        validate_email(address)


def test_valid_emails() -> None:
    assert validate_email("o'brien+tag@Sub.Example.co.uk") == "o'brien+tag@sub.example.co.uk"
    assert validate_email("x@xn--bcher-kva.example") == "x@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "scheme"),
        ("JAVASCRIPT:alert(1)", "scheme"),
        ("data:text/html,<script>", "scheme"),
        ("vbscript:x", "scheme"),
        ("//evil.example", "scheme"),
        ("https://user:pass@example.com/", "credentials"),
        ("https://example.com@evil.example/", "credentials"),
        ("https:///path", "no host"),
        ("https://exa mple.com", "spaces"),
        ("https://example.com\\@evil.example", "backslashes"),
        ("https://example.com/\n", "control"),
        ("https://example.com:99999/", "port"),
        ("https://-bad-.example/", "invalid domain"),
        ("https://" + "a" * 3000, "longer than"),
    ],
)
def test_pitfall_unsafe_urls(url: str, message: str) -> None:
    with pytest.raises(UnsafeInputError, match=message):
        validate_url(url)


def test_urls_and_private_hosts() -> None:
    assert validate_url("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"
    assert validate_url("mailto:a@example.com", schemes=["mailto"]) == "mailto:a@example.com"
    for host in ("127.0.0.1", "10.1.2.3", "[::1]", "169.254.169.254", "192.168.0.1"):
        with pytest.raises(UnsafeInputError, match="non-public"):
            validate_url(f"http://{host}/", allow_private_hosts=False)
    assert validate_url("https://93.184.215.14/", allow_private_hosts=False)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "\x00/x",
        "http:evil.example",
        "relative/path",
        "https://user@shop.example/",
    ],
)
def test_pitfall_open_redirect(target: str) -> None:
    assert safe_redirect(target, allowed_hosts=["shop.example"]) == "/"


def test_safe_redirect_allows_local_and_listed() -> None:
    assert safe_redirect(None) == "/"
    assert safe_redirect("/a/b?c=1#d") == "/a/b?c=1#d"
    assert (
        safe_redirect("https://SHOP.example/x", allowed_hosts=["shop.example"])
        == "https://SHOP.example/x"
    )


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "../x",
        "a/b",
        "a\\b",
        ".htaccess",
        "-rf",
        "x\x00.txt",
        "CON",
        "nul.txt",
        "com1",
        "a:b",
        "a?.txt",
        "name.",
        "name ",
        "x" * 256,
        "a\u202etxt.exe",
    ],
)
def test_pitfall_unsafe_file_names(name: str) -> None:
    with pytest.raises(UnsafeInputError):
        validate_filename(name)


def test_file_names_are_nfc_normalised() -> None:
    assert validate_filename("cafe\u0301.txt") == "caf\u00e9.txt"


def test_pitfall_path_traversal(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    outside = tmp_path.parent / f"outside-{os.getpid()}"
    outside.mkdir(exist_ok=True)
    (tmp_path / "inside" / "link").symlink_to(outside)
    base = tmp_path / "inside"
    assert safe_join(base, "a", "b") == (base / "a" / "b").resolve()
    assert safe_join(base) == base.resolve()
    for parts, message in (
        (("..", "x"), "escapes"),
        (("a/../../x",), "escapes"),
        (("/etc/passwd",), "absolute"),
        (("C:\\Windows",), "absolute"),
        (("\\share",), "absolute"),
        (("x\x00",), "NUL"),
        (("link", "secret"), "escapes"),
    ):
        with pytest.raises(UnsafeInputError, match=message):
            safe_join(base, *parts)
    outside.rmdir()
