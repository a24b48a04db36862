"""Budget pages: the list, a budget with its projects and phases, the ballot (usable without
JavaScript: the server works out the running total), the results with their open data, and the
officials' pages for the budget, its projects and their feasibility."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.budgets import forms
from civic.budgets.models import PHASE_STARTS
from civic.budgets.services import ballots, budgets, projects, results
from civic.common import clock
from civic.common.downloads import stream_csv
from civic.common.forms import errors_on, render_form
from civic.errors import InvalidInput
from civic.permissions import ensure_can

bp = Blueprint("budgets", __name__)


def _me():
    return current_user._get_current_object()


# --- reading ---------------------------------------------------------------------------------


@bp.get("/budgets")
def index():
    return render_template("budgets/index.html", budgets=budgets.list_budgets())


@bp.get("/budgets/<int:budget_id>")
def show(budget_id):
    budget = budgets.get_budget(budget_id, current_user)
    all_projects = projects.projects_of(budget)
    return render_template(
        "budgets/show.html",
        budget=budget,
        sections=ballots.all_sections(budget, [p for p in all_projects if p.on_ballot]),
        not_on_ballot=[p for p in all_projects if not p.on_ballot],
        all_projects=all_projects,
        timeline=budgets.phase_dates(budget),
        mine=ballots.my_ballot(current_user, budget),
        ballot_count=ballots.ballot_count(budget),
    )


# --- the ballot ------------------------------------------------------------------------------


def _typed_choices(budget):
    if budget.is_cumulative:
        return {key[len("points-") :]: value for key, value in request.form.items() if key.startswith("points-")}
    return {key: "1" for key in request.form.getlist("project")}


def _ballot_page(budget, form, *, area, choices, status=200, problems=()):
    sections = ballots.ballot_sections(budget, area.id if area else None) if area or not budget.areas else []
    return render_template(
        "budgets/ballot.html",
        budget=budget,
        form=form,
        area=area,
        sections=sections,
        choices=choices,
        totals=ballots.totals(sections, choices),
        problems=list(problems),
        voted=ballots.my_ballot(current_user, budget) is not None,
    ), status


@bp.route("/budgets/<int:budget_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(budget_id):
    budget = budgets.get_budget(budget_id, current_user)
    form = FlaskForm()
    mine = ballots.my_ballot(_me(), budget)
    typed_area = request.values.get("area") or (mine[0] if mine else None)
    try:
        area = ballots.chosen_area(budget, typed_area)
    except InvalidInput:
        area = None
    if request.method == "GET":
        choices = mine[1] if mine and (mine[0] == (area.id if area else None)) else {}
        return _ballot_page(budget, form, area=area, choices=choices)
    if budget.areas and area is None:
        form.form_errors.append(_("Choose the area you vote in."))
        return _ballot_page(budget, form, area=None, choices={}, status=422)
    sections = ballots.ballot_sections(budget, area.id if area else None)
    try:
        choices = ballots.read_choices(budget, sections, _typed_choices(budget))
    except InvalidInput as error:
        form.form_errors.append(error.message)
        return _ballot_page(budget, form, area=area, choices={}, status=422)
    if request.form.get("action") == "check":  # "Update the total" without JavaScript: nothing is written
        problems = ballots.ballot_problems(budget, ballots.totals(sections, choices)) if choices else []
        return _ballot_page(budget, form, area=area, choices=choices, problems=problems)
    if not form.validate_on_submit():
        return _ballot_page(budget, form, area=area, choices=choices, status=422)
    with errors_on(form) as attempt:
        ballots.cast_ballot(_me(), budget, area.id if area else request.form.get("area"), choices)
    if attempt.succeeded:
        flash(_("Your ballot is saved. You can change it until voting closes."), "success")
        return redirect(url_for("budgets.show", budget_id=budget.id))
    extra = (getattr(attempt.error, "errors", None) or {}).get("", [])
    form.form_errors.extend(message for message in extra if message not in form.form_errors)
    page, status = _ballot_page(budget, form, area=area, choices=choices, status=attempt.status)
    return page, status, attempt.headers


# --- results ---------------------------------------------------------------------------------


@bp.get("/budgets/<int:budget_id>/results")
def show_results(budget_id):
    budget = budgets.get_budget(budget_id, current_user)
    found = results.budget_results(current_user, budget)
    return render_template("budgets/results.html", budget=budget, results=found, reason_text=results.reason_text)


@bp.get("/budgets/<int:budget_id>/results.json")
def results_json(budget_id):
    budget = budgets.get_budget(budget_id, current_user)
    return jsonify(results.results_data(budget, results.budget_results(current_user, budget)))


@bp.get("/budgets/<int:budget_id>/results.csv")
def results_csv(budget_id):
    budget = budgets.get_budget(budget_id, current_user)
    header, rows = results.results_csv(budget, results.budget_results(current_user, budget))
    return stream_csv(header, rows, f"budget-{budget.id}-results.csv")


# --- officials: the budget -------------------------------------------------------------------


def _budget_fields(form):
    dates = {}
    for _phase, column in PHASE_STARTS:
        typed = getattr(form, column).data
        moment = clock.local_to_utc(typed) if typed else None
        if typed and moment is None:
            raise InvalidInput(
                _("That time does not exist in this time zone (the clocks go forward then). Choose another."),
                field=column,
            )
        dates[column] = moment
    return budgets.BudgetFields(
        title=form.title.data,
        description=form.description.data,
        amount=form.amount.data,
        currency=form.currency.data,
        areas=form.areas.data,
        rule=form.rule.data,
        ballot_kind=form.ballot_kind.data,
        max_projects=form.max_projects.data,
        within_budget=form.within_budget.data,
        points=form.points.data,
        dates=dates,
    )


def _budget_form(budget=None):
    if budget is None or request.method != "GET":
        form = forms.BudgetForm()
        if request.method == "GET":
            form.currency.data = "EUR"
        return form
    form = forms.BudgetForm(
        data={
            "title": budget.title,
            "description": budget.description_markdown,
            "amount": str(budget.amount),
            "currency": budget.currency,
            "areas": budgets.areas_text(budget),
            "rule": budget.rule,
            "ballot_kind": budget.ballot_kind,
            "max_projects": str(budget.max_projects or ""),
            "within_budget": budget.within_budget,
            "points": str(budget.points or ""),
            **{
                column: clock.utc_to_local(getattr(budget, column)).replace(tzinfo=None)
                for _phase, column in PHASE_STARTS
                if getattr(budget, column) is not None
            },
        }
    )
    return form


@bp.route("/budgets/new", methods=["GET", "POST"])
@login_required
def create():
    ensure_can(current_user, "budget.manage")
    form = _budget_form()
    if request.method == "POST" and form.validate_on_submit():
        with errors_on(form) as attempt:
            budget = budgets.create_budget(_me(), _budget_fields(form))
        if attempt.succeeded:
            flash(_("The budget is created. Now add its projects."), "success")
            return redirect(url_for("budgets.show", budget_id=budget.id))
    return render_form("budgets/edit.html", form, budget=None)


@bp.route("/budgets/<int:budget_id>/edit", methods=["GET", "POST"])
@login_required
def edit(budget_id):
    budget = budgets.get_budget(budget_id, current_user, "budget.manage")
    form = _budget_form(budget)
    if request.method == "POST" and form.validate_on_submit():
        with errors_on(form) as attempt:
            budgets.update_budget(_me(), budget, _budget_fields(form))
        if attempt.succeeded:
            flash(_("Changes saved."), "success")
            return redirect(url_for("budgets.show", budget_id=budget.id))
    return render_form("budgets/edit.html", form, budget=budget)


# --- officials: projects ---------------------------------------------------------------------


def _project_fields(form):
    return projects.ProjectFields(
        title=form.title.data,
        description=form.description.data,
        cost=form.cost.data,
        area_id=form.area_id.data or "",
        proposal_id=form.proposal_id.data or "",
    )


@bp.route("/budgets/<int:budget_id>/projects/new", methods=["GET", "POST"])
@login_required
def add_project(budget_id):
    budget = budgets.get_budget(budget_id, current_user, "budget.manage")
    form = forms.ProjectForm()
    form.area_id.choices = forms.area_choices(budget)
    if request.method == "POST" and form.validate_on_submit():
        with errors_on(form) as attempt:
            project = projects.add_project(_me(), budget, _project_fields(form))
        if attempt.succeeded:
            flash(
                _(
                    "The project “%(title)s” is added. Judge whether it can be done to put it on the ballot.",
                    title=project.title,
                ),
                "success",
            )
            return redirect(url_for("budgets.show", budget_id=budget.id))
    return render_form("budgets/project.html", form, budget=budget, project=None)


@bp.route("/budgets/<int:budget_id>/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit_project(budget_id, project_id):
    budget = budgets.get_budget(budget_id, current_user, "budget.manage")
    project = projects.get_project(budget, project_id)
    if request.method == "GET":
        form = forms.ProjectForm(
            data={
                "title": project.title,
                "description": project.description_markdown,
                "cost": str(project.cost),
                "area_id": str(project.area_id or ""),
                "proposal_id": str(project.proposal_id or ""),
            }
        )
    else:
        form = forms.ProjectForm()
    form.area_id.choices = forms.area_choices(budget)
    if request.method == "POST" and form.validate_on_submit():
        with errors_on(form) as attempt:
            projects.update_project(_me(), project, _project_fields(form))
        if attempt.succeeded:
            flash(_("Changes saved."), "success")
            return redirect(url_for("budgets.show", budget_id=budget.id))
    return render_form("budgets/project.html", form, budget=budget, project=project)


@bp.route("/budgets/<int:budget_id>/projects/<int:project_id>/feasibility", methods=["GET", "POST"])
@login_required
def assess_project(budget_id, project_id):
    budget = budgets.get_budget(budget_id, current_user, "budget.manage")
    project = projects.get_project(budget, project_id)
    if request.method == "GET":
        form = forms.FeasibilityForm(data={"feasibility": project.feasibility, "reason": project.feasibility_reason})
    else:
        form = forms.FeasibilityForm()
    if request.method == "POST" and form.validate_on_submit():
        with errors_on(form) as attempt:
            projects.assess_feasibility(_me(), project, form.feasibility.data, form.reason.data)
        if attempt.succeeded:
            flash(_("Saved."), "success")
            return redirect(url_for("budgets.show", budget_id=budget.id, _anchor=f"project-{project.id}"))
    return render_form("budgets/feasibility.html", form, budget=budget, project=project)
