"""Form validation: each function returns clean values and the errors per field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from bricolage.security import validate_email
from bricolage.security.errors import UnsafeInputError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "PRIORITIES",
    "Errors",
    "parse_tags",
    "validate_list_name",
    "validate_signup",
    "validate_todo",
]

MIN_PASSWORD_LENGTH = 10
PRIORITIES = {1: "low", 2: "normal", 3: "high"}
_TAG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
Errors = dict[str, str]


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def parse_tags(text: str) -> tuple[list[str], str | None]:
    """Tags from comma- or space-separated text, lower-cased and de-duplicated.

    >>> parse_tags("Home, errands  home")
    (['errands', 'home'], None)
    >>> parse_tags("ok, not/ok")[1]
    "tag 'not/ok' may hold only letters, digits, '-' and '_' (up to 40)"
    """
    tags: set[str] = set()
    for raw in re.split(r"[,\s]+", text.strip().lower()):
        if not raw:
            continue
        if _TAG.fullmatch(raw) is None:
            return [], f"tag {raw!r} may hold only letters, digits, '-' and '_' (up to 40)"
        tags.add(raw)
    if len(tags) > 10:
        return [], f"at most 10 tags; got {len(tags)}"
    return sorted(tags), None


def validate_todo(form: Mapping[str, str]) -> tuple[dict[str, Any], Errors]:
    """The fields of a to-do form, and an error message per bad field.

    >>> values, errors = validate_todo({"title": "", "due": "31/12", "priority": "9"})
    >>> sorted(errors)
    ['due', 'priority', 'title']
    """
    errors: Errors = {}
    title = _text(form, "title")
    if not title:
        errors["title"] = "Give the to-do a title."
    elif len(title) > 200:
        errors["title"] = f"Keep the title under 200 characters (it has {len(title)})."
    notes = _text(form, "notes")
    if len(notes) > 5000:
        errors["notes"] = f"Keep the notes under 5000 characters (they have {len(notes)})."
    due: dt.date | None = None
    due_text = _text(form, "due")
    if due_text:
        try:
            due = dt.date.fromisoformat(due_text)
        except ValueError:
            errors["due"] = f"Use a date like 2026-12-31 (got {due_text!r})."
    priority_text = _text(form, "priority") or "2"
    priority = int(priority_text) if priority_text in {"1", "2", "3"} else 2
    if priority_text not in {"1", "2", "3"}:
        errors["priority"] = f"Pick low, normal or high (got {priority_text!r})."
    tags, tag_error = parse_tags(_text(form, "tags"))
    if tag_error is not None:
        errors["tags"] = tag_error[0].upper() + tag_error[1:] + "."
    values = {"title": title, "notes": notes, "due": due, "priority": priority, "tags": tags}
    return values, errors


def validate_list_name(form: Mapping[str, str]) -> tuple[str, Errors]:
    """A list's name, and its error if any.

    >>> validate_list_name({"name": "  Groceries "})
    ('Groceries', {})
    """
    name = _text(form, "name")
    if not name:
        return name, {"name": "Give the list a name."}
    if len(name) > 80:
        return name, {"name": f"Keep the name under 80 characters (it has {len(name)})."}
    return name, {}


def validate_signup(form: Mapping[str, str]) -> tuple[dict[str, str], Errors]:
    """Sign-up fields: a normalised e-mail, a display name and a long enough password.

    >>> sorted(validate_signup({"email": "not-an-address", "password": "short"})[1])
    ['email', 'password']
    """
    errors: Errors = {}
    email = _text(form, "email")
    try:
        email = validate_email(email).lower()
    except UnsafeInputError:
        errors["email"] = (
            f"Enter a valid e-mail address (got {email!r})."
            if email
            else ("Enter your e-mail address.")
        )
    name = _text(form, "name") or email.split("@", 1)[0]
    if len(name) > 80:
        errors["name"] = "Keep the name under 80 characters."
    password = form.get("password") or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif password != (form.get("confirm") or ""):
        errors["confirm"] = "The two passwords differ."
    return {"email": email, "name": name, "password": password}, errors
