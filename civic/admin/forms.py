"""Administration forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from civic.accounts.services import REASON_MAX_LENGTH
from civic.common.forms import too_long


class RoleChangeForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[], validate_choice=False, validators=[DataRequired(message=_l("Choose a role."))])
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Kept in the audit log with your name."),
        validators=[DataRequired(message=_l("Say why: the reason is kept in the audit log.")),
                    Length(max=REASON_MAX_LENGTH, message=too_long)],
        render_kw={"rows": 2, "maxlength": REASON_MAX_LENGTH},
    )
