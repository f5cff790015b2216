"""The application factory: a Flask app over one :class:`~pdf_search.core.Library`."""

from __future__ import annotations

from flask import Flask

from pdf_search.core import Library

_EXTENSION = "pdf_search.library"


def create_app(library: Library) -> Flask:
    """The search site over ``library``: the page in ``pages``, JSON in ``api``."""
    from pdf_search.views import api, pages

    app = Flask(__name__)
    app.extensions[_EXTENSION] = library
    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")
    return app


def library_of(app: Flask) -> Library:
    """The library an app made by :func:`create_app` searches."""
    library = app.extensions[_EXTENSION]
    assert isinstance(library, Library)
    return library
