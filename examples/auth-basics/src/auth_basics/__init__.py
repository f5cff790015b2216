"""Auth Basics & Password Hashing: a small Flask app built on bricolage-security."""

from auth_basics.app import create_app

__all__ = ["create_app"]
