"""Sphinx configuration for the one bricolage site."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from sphinx.application import Sphinx

project = "bricolage"
author = "The bricolage developers"
copyright = "2026, The bricolage developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
# _generated/ holds pages written at build time (the quality page), included by stubs.
exclude_patterns = ["_build", "_generated", "_templates", "requirements.txt"]
templates_path = ["_templates"]
# Pages the index lists before they are written: left out of the toctree until they exist.
_PLANNED_PAGES = ("dialect",)
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "bricolage"
html_static_path = ["_static"]

# The version switcher. tools/docs_versions.py builds `latest` and one site per release tag
# and sets these; a plain local build has no switcher.
_DOCS_VERSION = os.environ.get("BRICOLAGE_DOCS_VERSION", "")
html_context: dict[str, object] = {}
if _DOCS_VERSION:
    html_context["bricolage_versions"] = {
        "current": _DOCS_VERSION,
        "package": os.environ.get("BRICOLAGE_DOCS_PACKAGE", ""),
        # From this build's root to the site's root, where versions.json lives.
        "site_root": os.environ.get("BRICOLAGE_DOCS_SITE_ROOT", "../"),
    }
    html_js_files = ["version-switcher.js"]
    html_css_files = ["version-switcher.css"]
html_sidebars = {
    "**": [
        "sidebar/scroll-start.html",
        "sidebar/brand.html",
        "sidebar/search.html",
        "sidebar/versions.html",
        "sidebar/navigation.html",
        "sidebar/scroll-end.html",
    ]
}

autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# The packages log through `logging` and examples provoke their warnings on purpose; with no
# handler configured, Python's last-resort handler would print them to stderr, and a passing
# doctest run would show error-looking lines. Records nobody handles are dropped instead.
logging.lastResort = logging.NullHandler()

# Doctest blocks found in docstrings (pulled in by autodoc) and in the pages are run.
doctest_test_doctest_blocks = "default"

_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "httpx": "https://www.python-httpx.org",
    "pydantic": "https://docs.pydantic.dev/latest",
    "redis": "https://redis.readthedocs.io/en/stable",
    "numpy": "https://numpy.org/doc/stable",
}


def _empty_inventory(name: str) -> str:
    """An empty but valid inventory, the fallback when a remote one cannot be fetched.

    Offline builds (and CI machines without internet) then render those references as
    plain text instead of failing on an unreachable host.
    """
    folder = Path(tempfile.gettempdir()) / "bricolage-docs-inventories"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.inv"
    header = f"# Sphinx inventory version 2\n# Project: {name}\n# Version: 0\n"
    header += "# The remainder of this file is compressed using zlib.\n"
    path.write_bytes(header.encode() + zlib.compress(b""))
    return str(path)


intersphinx_mapping = {
    name: (url, (None, _empty_inventory(name))) for name, url in _INVENTORIES.items()
}
intersphinx_timeout = 5


def _write_quality_page(app: Sphinx) -> None:
    """Write ``_generated/quality.md`` (included by ``quality.md``) before reading sources.

    ``tools/quality.py`` gathers the figures CI's sessions leave in ``reports/``. A build of
    an older release (``BRICOLAGE_DOCS_QUALITY=0``) gets a pointer to ``latest`` instead.
    """
    out = Path(app.srcdir) / "_generated" / "quality.md"
    out.parent.mkdir(exist_ok=True)
    if os.environ.get("BRICOLAGE_DOCS_QUALITY", "1") == "0":
        out.write_text("The quality figures are published for `latest` only.\n", encoding="utf-8")
        return
    tool = Path(__file__).resolve().parent.parent / "tools" / "quality.py"
    subprocess.run([sys.executable, str(tool), "--out", str(out)], check=True)  # noqa: S603


def _drop_unwritten_pages(app: Sphinx, docname: str, source: list[str]) -> None:
    """Take a planned page (``_PLANNED_PAGES``) out of the index's toctree until it exists."""
    if docname != "index":
        return
    srcdir = Path(app.srcdir)
    for page in _PLANNED_PAGES:
        if not any((srcdir / f"{page}{suffix}").is_file() for suffix in source_suffix):
            source[0] = "\n".join(line for line in source[0].split("\n") if line.strip() != page)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("builder-inited", _write_quality_page)
    app.connect("source-read", _drop_unwritten_pages)
    return {"parallel_read_safe": True}
