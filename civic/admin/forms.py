"""Administration forms: a person's roles, and the categories of discussions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from civic.accounts.models import REASON_MAX_LENGTH
from civic.accounts.services.roles import ROLE_LABELS
from civic.common.forms import too_long
from civic.discussions.models import CATEGORY_DESCRIPTION_MAX_LENGTH, CATEGORY_NAME_MAX_LENGTH
from civic.permissions import ALL_ROLES


def role_choices():
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in ALL_ROLES]


class RoleChangeForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=[], validate_choice=False, validators=[DataRequired(message=_l("Choose a role."))]
    )
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Kept in the audit log with your name."),
        validators=[
            DataRequired(message=_l("Say why: the reason is kept in the audit log.")),
            Length(max=REASON_MAX_LENGTH, message=too_long),
        ],
        render_kw={"rows": 2, "maxlength": REASON_MAX_LENGTH},
    )


class CategoryForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Give the category a name."))],
        render_kw={"maxlength": CATEGORY_NAME_MAX_LENGTH},
    )
    description = TextAreaField(
        _l("Description (optional)"), render_kw={"rows": 3, "maxlength": CATEGORY_DESCRIPTION_MAX_LENGTH}
    )
    citizens_may_start = BooleanField(_l("Citizens may start discussions in this category"), default=True)
