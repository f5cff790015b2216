"""Lists, their to-dos and their members; every route checks the user's role first."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bricolage.security import safe_redirect
from todo_web import filters, forms
from todo_web.models import User
from todo_web.permissions import Action, PermissionError_, Role, allowed
from todo_web.services import (
    add_member,
    change_role,
    create_list,
    create_todo,
    delete_list,
    delete_todo,
    list_page,
    update_todo,
    user_lists,
)
from todo_web.web import (
    current_user,
    db,
    form_dict,
    login_required,
    require_list,
    require_todo,
    runtime,
    today,
)

__all__ = ["bp"]

bp = Blueprint("lists", __name__)


def _user() -> User:
    user = current_user()
    assert user is not None  # login_required ran first
    return user


def _role(text: str | None) -> Role:
    try:
        return Role(text or "")
    except ValueError:
        abort(400, description=f"role must be admin, member or viewer; got {text!r}")


@bp.get("/")
def index() -> str | Response:
    """The dashboard: the user's lists; visitors see the welcome page."""
    user = current_user()
    if user is None:
        return render_template("welcome.html")
    return render_template("lists/index.html", rows=user_lists(db(), user.id), errors={})


@bp.post("/lists")
@login_required
def create() -> Response | tuple[str, int]:
    """Create a list; its creator is its admin."""
    user = _user()
    name, errors = forms.validate_list_name(form_dict())
    if errors:
        rows = user_lists(db(), user.id)
        return render_template("lists/index.html", rows=rows, errors=errors, name=name), 400
    todo_list = create_list(db(), user, name)
    db().commit()
    flash(f"List “{name}” created.", "success")
    return redirect(url_for("lists.show", list_id=todo_list.id))


@bp.get("/lists/<int:list_id>")
@login_required
def show(list_id: int) -> str:
    """A list's to-dos, filtered, sorted and paginated, with the form for a new one."""
    todo_list, role = require_list(list_id, Action.VIEW)
    try:
        flt = filters.TodoFilter.from_args(request.args)
    except filters.FilterError as exc:
        abort(400, description=str(exc))
    page, tags = list_page(db(), list_id, flt, today(), runtime().settings.page_size)
    return render_template(
        "lists/show.html",
        todo_list=todo_list,
        role=role,
        can_edit=allowed(role, Action.EDIT_TODOS),
        can_manage=allowed(role, Action.MANAGE_MEMBERS),
        page=page,
        flt=flt,
        tags=tags,
        today=today(),
        values={},
        errors={},
    )


@bp.post("/lists/<int:list_id>/todos")
@login_required
def add_todo(list_id: int) -> Response | tuple[str, int]:
    """Add a to-do to the list."""
    todo_list, role = require_list(list_id, Action.EDIT_TODOS)
    values, errors = forms.validate_todo(form_dict())
    if errors:
        flt = filters.TodoFilter()
        page, tags = list_page(db(), list_id, flt, today(), runtime().settings.page_size)
        return render_template(
            "lists/show.html",
            todo_list=todo_list,
            role=role,
            can_edit=True,
            can_manage=allowed(role, Action.MANAGE_MEMBERS),
            page=page,
            flt=flt,
            tags=tags,
            today=today(),
            values=form_dict(),
            errors=errors,
        ), 400
    todo = create_todo(db(), runtime().index, list_id, _user(), values)
    flash(f"Added “{todo.title}”.", "success")
    return redirect(url_for("lists.show", list_id=list_id))


@bp.route("/todos/<int:todo_id>/edit", methods=["GET", "POST"])
@login_required
def edit_todo(todo_id: int) -> str | Response | tuple[str, int]:
    """Change a to-do's title, notes, due date, priority and tags."""
    todo, _ = require_todo(todo_id, Action.EDIT_TODOS)
    if request.method == "GET":
        values = {
            "title": todo.title,
            "notes": todo.notes,
            "due": todo.due.isoformat() if todo.due else "",
            "priority": str(todo.priority),
            "tags": " ".join(todo.tag_names),
        }
        return render_template("todos/edit.html", todo=todo, values=values, errors={})
    values_, errors = forms.validate_todo(form_dict())
    if errors:
        return render_template(
            "todos/edit.html", todo=todo, values=form_dict(), errors=errors
        ), 400
    update_todo(db(), runtime().index, todo, values_)
    flash(f"Saved “{todo.title}”.", "success")
    return redirect(url_for("lists.show", list_id=todo.list_id))


@bp.post("/todos/<int:todo_id>/toggle")
@login_required
def toggle_todo(todo_id: int) -> Response:
    """Mark a to-do done, or open again."""
    todo, _ = require_todo(todo_id, Action.EDIT_TODOS)
    todo.done = not todo.done
    db().commit()
    flash(f"“{todo.title}” is {'done' if todo.done else 'open again'}.", "success")
    default = url_for("lists.show", list_id=todo.list_id)
    return redirect(safe_redirect(request.form.get("back"), default=default))


@bp.post("/todos/<int:todo_id>/delete")
@login_required
def remove_todo(todo_id: int) -> Response:
    """Delete a to-do."""
    todo, _ = require_todo(todo_id, Action.EDIT_TODOS)
    list_id, title = todo.list_id, todo.title
    delete_todo(db(), runtime().index, todo)
    flash(f"Deleted “{title}”.", "success")
    return redirect(url_for("lists.show", list_id=list_id))


@bp.get("/lists/<int:list_id>/settings")
@login_required
def settings(list_id: int) -> str:
    """The list's name and members; only admins may change them, everyone may leave."""
    todo_list, role = require_list(list_id, Action.VIEW)
    return _settings_page(todo_list.id, role, {})


def _settings_page(list_id: int, role: Role, errors: dict[str, str]) -> str:
    todo_list, _ = require_list(list_id, Action.VIEW)
    members = sorted(todo_list.memberships, key=lambda m: (m.user.email, m.id))
    return render_template(
        "lists/settings.html",
        todo_list=todo_list,
        role=role,
        members=members,
        roles=[r.value for r in Role],
        can_manage=allowed(role, Action.MANAGE_MEMBERS),
        me=_user(),
        errors=errors,
        values=form_dict(),
    )


@bp.post("/lists/<int:list_id>/rename")
@login_required
def rename(list_id: int) -> Response | tuple[str, int]:
    """Rename the list (admins)."""
    todo_list, role = require_list(list_id, Action.MANAGE_LIST)
    name, errors = forms.validate_list_name(form_dict())
    if errors:
        return _settings_page(list_id, role, errors), 400
    todo_list.name = name
    db().commit()
    flash(f"List renamed to “{name}”.", "success")
    return redirect(url_for("lists.settings", list_id=list_id))


@bp.post("/lists/<int:list_id>/delete")
@login_required
def delete(list_id: int) -> Response:
    """Delete the list and its to-dos (admins)."""
    todo_list, _ = require_list(list_id, Action.MANAGE_LIST)
    name = todo_list.name
    delete_list(db(), runtime().index, todo_list)
    flash(f"List “{name}” deleted.", "success")
    return redirect(url_for("lists.index"))


@bp.post("/lists/<int:list_id>/members")
@login_required
def share(list_id: int) -> Response | tuple[str, int]:
    """Share the list with another account (admins)."""
    _, role = require_list(list_id, Action.MANAGE_MEMBERS)
    email = (request.form.get("email") or "").strip()
    new_role = _role(request.form.get("role"))
    try:
        user = add_member(db(), _user(), list_id, email, new_role)
    except (LookupError, ValueError) as exc:
        db().rollback()
        return _settings_page(list_id, role, {"email": str(exc)}), 400
    db().commit()
    flash(f"Shared with {user.email} as {new_role}.", "success")
    return redirect(url_for("lists.settings", list_id=list_id))


@bp.post("/lists/<int:list_id>/members/<int:user_id>")
@login_required
def member(list_id: int, user_id: int) -> Response:
    """Change a member's role or remove them; a member may remove only themself."""
    require_list(list_id, Action.VIEW)
    action = request.form.get("action") or "role"
    new_role = None if action == "remove" else _role(request.form.get("role"))
    me = _user()
    try:
        change_role(db(), me, list_id, user_id, new_role)
    except PermissionError_ as exc:
        db().rollback()
        abort(403, description=str(exc))
    db().commit()
    if user_id == me.id and new_role is None:
        flash("You left the list.", "success")
        return redirect(url_for("lists.index"))
    flash("Members updated.", "success")
    return redirect(url_for("lists.settings", list_id=list_id))
