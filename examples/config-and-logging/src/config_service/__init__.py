"""A small service that shows bricolage-settings and bricolage-logging working together.

It loads layered settings with profiles, reloads them when a file changes, and logs JSON
lines that carry one correlation id through a web request and the background work it
starts.
"""

from config_service.app import create_app
from config_service.service import Service, ServiceSettings

__all__ = ["Service", "ServiceSettings", "create_app"]
