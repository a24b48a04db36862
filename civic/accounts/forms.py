"""Account forms: parsing and presence checks only; the rules live in accounts.services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from civic.accounts.models import BIO_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH
from civic.accounts.passwords import PASSWORD_MAX_LENGTH
from civic.common.forms import too_long


def _required(message):
    return DataRequired(message=message)


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        description=_l("Shown next to what you write. You can use a nickname."),
        validators=[
            _required(_l("Enter the name other people will see.")),
            Length(max=DISPLAY_NAME_MAX_LENGTH, message=too_long),
        ],
        render_kw={"autocomplete": "name", "maxlength": DISPLAY_NAME_MAX_LENGTH},
    )
    email = EmailField(
        _l("Email address"),
        description=_l("We send a link to confirm it. It is never shown to anyone."),
        validators=[_required(_l("Enter your email address.")), Length(max=EMAIL_MAX_LENGTH, message=too_long)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters. A few unrelated words make a strong password."),
        validators=[_required(_l("Choose a password.")), Length(max=PASSWORD_MAX_LENGTH, message=too_long)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            _required(_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    accept_privacy = BooleanField(
        _l("I have read the privacy notice"),
        validators=[_required(_l("Please confirm that you have read the privacy notice."))],
    )


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[_required(_l("Enter your email address."))],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[_required(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class TwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes."),
        validators=[_required(_l("Enter the code."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false", "maxlength": 20},
    )


class EmailOnlyForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[_required(_l("Enter your email address."))],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[_required(_l("Choose a password."))], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            _required(_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[_required(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"), validators=[_required(_l("Choose a password."))], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            _required(_l("Type the password again.")),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(
        _l("New email address"),
        validators=[_required(_l("Enter your new email address."))],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Your password"),
        validators=[_required(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[
            _required(_l("Enter the name other people will see.")),
            Length(max=DISPLAY_NAME_MAX_LENGTH, message=too_long),
        ],
        render_kw={"autocomplete": "name", "maxlength": DISPLAY_NAME_MAX_LENGTH},
    )
    handle = StringField(
        _l("Your @name"),
        description=_l("Others write @ and this name to mention you. Lower-case letters, digits and underscores."),
        validators=[_required(_l("Choose your @name."))],
        render_kw={"autocomplete": "username", "spellcheck": "false", "maxlength": 31},
    )
    bio = TextAreaField(
        _l("About you (optional)"),
        validators=[Length(max=BIO_MAX_LENGTH, message=too_long)],
        render_kw={"rows": 4, "maxlength": BIO_MAX_LENGTH},
    )
    language = SelectField(_l("Language for emails and pages"), choices=[], validate_choice=False)


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[_required(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class EnableTwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your app"),
        description=_l("Enter the 6-digit code your authenticator app shows now."),
        validators=[_required(_l("Enter the code."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 8},
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[_required(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from your app"),
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false", "maxlength": 20},
    )
