"""Demo data: three people, a shared list with each role, and to-dos to play with."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bricolage.security import PasswordHasher
from todo_web.models import User
from todo_web.permissions import Role
from todo_web.search_index import TodoIndex
from todo_web.services import add_member, create_list, create_todo, create_user

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "seed_demo"]

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed by the demo on purpose
DEMO_USERS = (
    ("ada@example.com", "Ada"),
    ("grace@example.com", "Grace"),
    ("linus@example.com", "Linus"),
)

_HOME = [
    ("Buy oat milk and coffee beans", "The barista kind of oat milk.", 0, 2, "errands shopping"),
    ("Book the dentist", "Ask for a Tuesday morning.", 3, 3, "health"),
    ("Fix the leaking kitchen tap", "Washer size is 1/2 inch.", -2, 3, "home"),
    ("Plan the weekend hike", "Check the weather and the train times.", 5, 1, "fun"),
    ("Renew the car insurance", "Compare at least three quotes.", 12, 2, "admin money"),
    ("Water the plants", "", None, 1, "home"),
]
_TEAM = [
    ("Draft the release notes", "Summarise every change since the last version.", 1, 3, "docs"),
    ("Review the onboarding guide", "Newcomers found step 4 confusing.", 4, 2, "docs"),
    ("Order the team lunch", "Vegetarian options for everyone.", 0, 1, "team"),
    ("Update the status page", "Link the incident report.", -1, 2, "ops"),
]


def seed_demo(db: Session, index: TodoIndex, hasher: PasswordHasher, today: dt.date) -> User:
    """Fill an empty database with demo data; return the user to log in as.

    Idempotent: a database that already has the demo users is left alone.
    """
    existing = db.scalar(select(User).where(User.email == DEMO_USERS[0][0]))
    if existing is not None:
        return existing
    password_hash = hasher.hash(DEMO_PASSWORD)
    ada, grace, linus = (create_user(db, e, n, password_hash) for e, n in DEMO_USERS)
    db.commit()
    home = create_list(db, ada, "Home")
    team = create_list(db, ada, "Team launch")
    add_member(db, ada, team.id, grace.email, Role.MEMBER)
    add_member(db, ada, team.id, linus.email, Role.VIEWER)
    db.commit()
    for todo_list, rows in ((home, _HOME), (team, _TEAM)):
        for title, notes, days, priority, tags in rows:
            due = None if days is None else today + dt.timedelta(days=days)
            values = {
                "title": title,
                "notes": notes,
                "due": due,
                "priority": priority,
                "tags": tags.split(),
            }
            create_todo(db, index, todo_list.id, ada, values)
    return ada
