"""Administration pages. Each view asks can() through the service or ensure_can()."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from civic.accounts.services import roles
from civic.accounts.services.people import get_user
from civic.admin.forms import CategoryForm, RoleChangeForm, role_choices
from civic.admin.overview import staff_overview
from civic.audit.labels import MODERATION_ACTIONS
from civic.audit.services import list_audit_entries
from civic.common.forms import errors_on, render_form
from civic.common.pagination import requested_page
from civic.discussions.services.categories import get_category, list_categories, save_category
from civic.errors import InvalidInput
from civic.permissions import ensure_can

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
def dashboard():
    return render_template("admin/dashboard.html", overview=staff_overview(current_user))


@bp.get("/moderation-log")
def moderation_log():
    """The moderation decisions (not every staff action), for moderators."""
    ensure_can(current_user, "audit.view_moderation")
    entries = list_audit_entries(actions=MODERATION_ACTIONS, page=requested_page())
    return render_template("admin/moderation_log.html", entries=entries)


@bp.get("/users")
def users():
    ensure_can(current_user, "users.list")
    query = request.args.get("q", "")[:200]
    role = request.args.get("role") or None
    try:
        results = roles.find_users(query, role=role, page=requested_page())
    except InvalidInput:
        role, results = None, roles.find_users(query, page=requested_page())
    return render_template("admin/users.html", results=results, query=query, role=role, roles=role_choices())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_detail(user_id):
    ensure_can(current_user, "users.list")
    person = get_user(user_id)
    form = RoleChangeForm()
    form.role.choices = role_choices()
    if form.validate_on_submit():
        change = roles.grant_role if form.action.data == "grant" else roles.revoke_role
        with errors_on(form) as attempt:
            change(current_user, person, form.role.data, form.reason.data)
        if attempt.succeeded:
            flash(_("Roles of %(name)s updated.", name=person.display_name), "success")
            return redirect(url_for("admin.user_detail", user_id=person.id))
    history = list_audit_entries(target_type="user", target_id=person.id, per_page=20)
    return render_form("admin/user_detail.html", form, person=person, history=history)


@bp.get("/audit")
def audit_log():
    ensure_can(current_user, "audit.view")
    action = request.args.get("action") or None
    entries = list_audit_entries(action=action, page=requested_page())
    return render_template("admin/audit.html", entries=entries, action=action)


@bp.route("/categories", methods=["GET", "POST"])
def categories():
    ensure_can(current_user, "category.manage")
    form = CategoryForm()
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            save_category(
                current_user._get_current_object(),
                name=form.name.data,
                description=form.description.data,
                citizens_may_start=form.citizens_may_start.data,
            )
        if attempt.succeeded:
            flash(_("Category created."), "success")
            return redirect(url_for("admin.categories"))
    return render_form("admin/categories.html", form, categories=list_categories())


@bp.route("/categories/<slug>", methods=["GET", "POST"])
def edit_category(slug):
    ensure_can(current_user, "category.manage")
    category = get_category(slug)
    form = CategoryForm(obj=category if request.method == "GET" else None)
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            save_category(
                current_user._get_current_object(),
                name=form.name.data,
                description=form.description.data,
                citizens_may_start=form.citizens_may_start.data,
                category=category,
            )
        if attempt.succeeded:
            flash(_("Category saved."), "success")
            return redirect(url_for("admin.categories"))
    return render_form("admin/edit_category.html", form, category=category)
