"""The WSGI entry point for production servers: ``gunicorn todo_web.wsgi:app``."""

from __future__ import annotations

from bricolage.logging import configure
from todo_web.app import create_app
from todo_web.settings import load_settings

__all__ = ["app"]

settings = load_settings()
logging_config = configure(
    service="todo-web", level=settings.log_level, renderer=settings.log_format
)
app = create_app(settings)
