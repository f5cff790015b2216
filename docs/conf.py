"""Sphinx configuration for the one bricolage site."""

from __future__ import annotations

import tempfile
import zlib
from pathlib import Path

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
exclude_patterns = ["_build", "requirements.txt"]
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "bricolage"
html_static_path = ["_static"]

autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False

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
