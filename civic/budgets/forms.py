"""Budget forms (presence and parsing; the rules are in budgets.services)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from civic.budgets.models import (
    BALLOT_KIND_LABELS,
    DESCRIPTION_MAX_LENGTH,
    FEASIBILITY_LABELS,
    REASON_MAX_LENGTH,
    RULE_LABELS,
    TITLE_MAX_LENGTH,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _moment(label, hint=None):
    return DateTimeLocalField(label, description=hint, format=DATETIME_FORMAT, validators=[Optional()])


class BudgetForm(FlaskForm):
    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX_LENGTH + 20})
    description = TextAreaField(
        _l("Description (optional)"),
        description=_l("What the money is for and how voting works. Emphasis, links and lists may be used."),
        render_kw={"rows": 6, "maxlength": DESCRIPTION_MAX_LENGTH},
    )
    amount = StringField(
        _l("Money for city-wide projects"),
        description=_l("A whole amount, such as 500000. Enter 0 when all the money is shared among areas."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    currency = StringField(
        _l("Currency"), description=_l("Its three-letter code, such as EUR."), render_kw={"maxlength": 3, "size": 4}
    )
    areas = TextAreaField(
        _l("Areas with their own money (optional)"),
        description=_l(
            "One a line: the area's name, a colon and its amount, such as “North: 120000”. "
            "A voter chooses projects in one area, as well as city-wide ones."
        ),
        render_kw={"rows": 4},
    )
    rule = SelectField(_l("Voting rule"), choices=[SelectChoice(code, label) for code, label in RULE_LABELS.items()])
    ballot_kind = RadioField(
        _l("Ballot"),
        choices=[SelectChoice(code, label) for code, label in BALLOT_KIND_LABELS.items()],
        default="approval",
    )
    max_projects = StringField(
        _l("Approval: the most projects a voter may choose (optional)"),
        description=_l("In each part of the ballot. Leave empty for no limit."),
        render_kw={"inputmode": "numeric", "size": 6},
    )
    within_budget = BooleanField(_l("Approval: the chosen projects must fit in the money"))
    points = StringField(
        _l("Cumulative: points each voter shares"),
        description=_l("In each part of the ballot."),
        render_kw={"inputmode": "numeric", "size": 6},
    )
    collecting_starts_at = _moment(_l("Collecting projects starts (optional)"))
    review_starts_at = _moment(_l("Review starts (optional)"))
    voting_starts_at = _moment(_l("Voting opens"))
    voting_ends_at = _moment(_l("Voting closes"), _l("Results are shown from then."))
    implementation_starts_at = _moment(_l("Implementation starts (optional)"))


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX_LENGTH + 20})
    description = TextAreaField(
        _l("Description"),
        description=_l("What will be done, where. Emphasis, links and lists may be used."),
        render_kw={"rows": 6, "maxlength": DESCRIPTION_MAX_LENGTH},
    )
    cost = StringField(
        _l("Cost"),
        description=_l("A whole amount, such as 12400."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    area_id = SelectField(_l("Area"), choices=[])
    proposal_id = StringField(
        _l("From proposal number (optional)"),
        description=_l(
            "When the project comes from a citizen's accepted proposal. Its title and summary fill in a title "
            "or description left empty."
        ),
        render_kw={"inputmode": "numeric", "size": 8},
    )


def area_choices(budget):
    return [SelectChoice("", lazy_pgettext("budget area", "City-wide"))] + [
        SelectChoice(str(area.id), area.name) for area in budget.areas
    ]


class FeasibilityForm(FlaskForm):
    feasibility = RadioField(
        _l("Can it be done?"), choices=[SelectChoice(code, label) for code, label in FEASIBILITY_LABELS.items()]
    )
    reason = TextAreaField(
        _l("Reason (shown to everyone when it cannot be done)"),
        render_kw={"rows": 3, "maxlength": REASON_MAX_LENGTH + 50},
    )
