"""Sphinx configuration for the one bricolage site."""

from __future__ import annotations

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

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "httpx": ("https://www.python-httpx.org", None),
    "pydantic": ("https://docs.pydantic.dev/latest", None),
    "redis": ("https://redis.readthedocs.io/en/stable", None),
    "numpy": ("https://numpy.org/doc/stable", None),
}
# The inventories above are fetched when the network reaches them; offline builds
# (and CI machines without internet) fall back to plain text instead of failing.
intersphinx_timeout = 5
suppress_warnings = ["intersphinx.external"]
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(anyio|attrs|structlog|httpx|pydantic|pydantic_settings|redis|numpy|scipy)\..*"),
    (r"py:.*", r"_.*"),
]
