"""An API client with transparent caching, its metrics, and a slow local API to call."""

from __future__ import annotations

from http_cache_demo.api import WeatherAPI, serve
from http_cache_demo.client import WeatherClient, make_storage

__all__ = ["WeatherAPI", "WeatherClient", "make_storage", "serve"]
