"""The tables: users, lists, memberships (with roles), to-dos, tags and the mail outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Membership", "OutboxMessage", "Tag", "Todo", "TodoList", "User", "utcnow"]


def utcnow() -> dt.datetime:
    """The current time in UTC, as stored in the database (naive, UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """The declarative base of every table."""


class User(Base):
    """An account; ``email`` is stored normalised (lower-case domain) and unique."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class TodoList(Base):
    """A list of to-dos; who may do what is in its memberships."""

    __tablename__ = "lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="todo_list", cascade="all, delete-orphan"
    )
    todos: Mapped[list[Todo]] = relationship(
        back_populates="todo_list", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's role in a list: ``admin``, ``member`` or ``viewer``."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("list_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    todo_list: Mapped[TodoList] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Todo(Base):
    """One thing to do."""

    __tablename__ = "todos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=2)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    todo_list: Mapped[TodoList] = relationship(back_populates="todos")
    tags: Mapped[list[Tag]] = relationship(
        cascade="all, delete-orphan", order_by="Tag.name", lazy="selectin"
    )

    @property
    def tag_names(self) -> list[str]:
        """The tags, sorted."""
        return [tag.name for tag in self.tags]


class Tag(Base):
    """A tag on a to-do (lower-case, no spaces)."""

    __tablename__ = "tags"

    todo_id: Mapped[int] = mapped_column(
        ForeignKey("todos.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class OutboxMessage(Base):
    """An e-mail the application sent; the development outbox page lists them."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
