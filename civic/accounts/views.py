"""Account pages: register, verify, sign in (with two-factor), sign out, passwords, email, profile, sessions."""

import time

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import SelectChoice

from civic.accounts import forms
from civic.accounts.services import (
    account_deletion,
    email_changes,
    password_changes,
    people,
    personal_data,
    registration,
    sessions,
    two_factor,
)
from civic.accounts.services import (
    profile as profiles,
)
from civic.accounts.services import (
    sign_in as signing_in,
)
from civic.common.downloads import CHUNK_BYTES, attachment_headers
from civic.common.forms import errors_flashed, errors_on, render_form
from civic.common.i18n import LANGUAGE_NAMES
from civic.common.ratelimit import address_and_email, limit_from_config, pending_two_factor_account
from civic.common.urls import local_target, redirect_back
from civic.errors import Conflict, InvalidInput, NotFound, RateLimited
from civic.extensions import client_address, limiter

bp = Blueprint("accounts", __name__)

PENDING_TWO_FACTOR_SECONDS = 300


def _failed(response):
    # Only unsuccessful attempts count towards the per-account limit.
    return response.status_code not in (302, 303)


def _safe_next(target):
    return local_target(target) or url_for("accounts.security")


def _start_session(user, remember):
    sessions.start_session(user, user_agent=request.user_agent.string, client=client_address())
    login_user(user, remember=remember)


def _finish_sign_in(user, remember, next_url):
    response = redirect_back(next_url, url_for("pages.home"))  # before signing in: whatever `next` holds
    _start_session(user, remember)
    flash(_("Welcome, %(name)s. You are signed in.", name=user.display_name), "success")
    return response


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(limit_from_config("CIVIC_LIMIT_REGISTER"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        with errors_on(form, only=(InvalidInput, RateLimited)) as attempt:
            registration.register_user(
                form.display_name.data,
                form.email.data,
                form.password.data,
                language=session.get("language"),
                client=client_address(),
            )
        if attempt.succeeded:
            return redirect(url_for("accounts.check_email"))
        if attempt.status == 429:
            return render_template("accounts/register.html", form=form), 429, attempt.headers
    return render_form("accounts/register.html", form)


@bp.get("/register/check-email")
def check_email():
    return render_template("accounts/check_email.html")


@bp.get("/verify/<token>")
def verify_email(token):
    user = registration.verify_email(token)
    flash(_("Thank you, your email address is confirmed. You can sign in now."), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("pages.home"))
    return redirect(url_for("accounts.sign_in", email=user.email))


@bp.route("/verify/resend", methods=["GET", "POST"])
@limiter.limit(limit_from_config("CIVIC_LIMIT_PASSWORD_RESET"), methods=["POST"])
def resend_verification():
    form = forms.EmailOnlyForm()
    if form.validate_on_submit():
        registration.resend_verification(form.email.data)
        return redirect(url_for("accounts.check_email"))
    return render_form("accounts/resend_verification.html", form)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(limit_from_config("CIVIC_LIMIT_SIGN_IN"), methods=["POST"])
@limiter.limit(
    limit_from_config("CIVIC_LIMIT_SIGN_IN_FAILURES"),
    key_func=address_and_email,
    methods=["POST"],
    deduct_when=_failed,
    scope="sign-in-account",
)
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = forms.SignInForm()
    if request.method == "GET":
        form.email.data = request.args.get("email", "")
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        with errors_on(form, only=(InvalidInput, RateLimited)) as attempt:
            user = signing_in.authenticate(form.email.data, form.password.data, client=client_address())
        if attempt.succeeded:
            next_url = form.next.data or ""
            if user.two_factor_enabled:
                session["pending_two_factor"] = {
                    "uid": user.id,
                    "token": user.session_token,
                    "remember": bool(form.remember.data),
                    "next": local_target(next_url) or "",
                    "at": int(time.time()),
                }
                return redirect(url_for("accounts.sign_in_two_factor"))
            return _finish_sign_in(user, bool(form.remember.data), next_url)
        if attempt.status == 429:
            form.password.data = ""
            return render_template("accounts/sign_in.html", form=form), 429, attempt.headers
    form.password.data = ""
    return render_form("accounts/sign_in.html", form)


def _pending_two_factor_user():
    pending = session.get("pending_two_factor")
    if not pending or time.time() - pending.get("at", 0) > PENDING_TWO_FACTOR_SECONDS:
        session.pop("pending_two_factor", None)
        return None, None
    user = signing_in.pending_two_factor_user(pending.get("uid"), pending.get("token"))
    return user, pending


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@limiter.limit(limit_from_config("CIVIC_LIMIT_TWO_FACTOR"), methods=["POST"])
@limiter.limit(
    limit_from_config("CIVIC_LIMIT_TWO_FACTOR"),
    key_func=pending_two_factor_account,
    methods=["POST"],
    scope="two-factor-account",
)
def sign_in_two_factor():
    user, pending = _pending_two_factor_user()
    if user is None:
        flash(_("Your sign-in took too long. Please enter your email and password again."), "warning")
        return redirect(url_for("accounts.sign_in"))
    form = forms.TwoFactorForm()
    if form.validate_on_submit():
        with errors_on(form, only=InvalidInput) as attempt:
            method = two_factor.verify_second_factor(user, form.code.data)
        if attempt.succeeded:
            session.pop("pending_two_factor", None)
            if method == "recovery_code":
                flash(
                    _("You used a recovery code. %(n)d remain.", n=two_factor.remaining_recovery_codes(user)), "warning"
                )
            return _finish_sign_in(user, pending["remember"], pending["next"])
    form.code.data = ""
    return render_form("accounts/sign_in_two_factor.html", form)


@bp.post("/sign-out")
def sign_out():
    if current_user.is_authenticated:
        sessions.end_session(current_user, current_user.session_key)
    logout_user()
    session.pop("pending_two_factor", None)
    flash(_("You are signed out."), "success")
    return redirect(url_for("pages.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(limit_from_config("CIVIC_LIMIT_PASSWORD_RESET"), methods=["POST"])
def forgot_password():
    form = forms.EmailOnlyForm()
    if form.validate_on_submit():
        password_changes.request_password_reset(form.email.data)
        return render_template("accounts/reset_sent.html")
    return render_form("accounts/forgot_password.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(limit_from_config("CIVIC_LIMIT_PASSWORD_RESET"), methods=["POST"])
def reset_password(token):
    password_changes.user_for_reset_token(token)
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        with errors_on(form, only=InvalidInput) as attempt:
            user = password_changes.reset_password(token, form.password.data)
        if attempt.succeeded:
            logout_user()
            flash(_("Your password is changed. Sign in with your new password."), "success")
            return redirect(url_for("accounts.sign_in", email=user.email))
    return render_form("accounts/reset_password.html", form)


# --- the signed-in person's own settings ---------------------------------------------------


def _language_choices():
    return [SelectChoice("", _("Same as the page"))] + [
        SelectChoice(code, LANGUAGE_NAMES[code]) for code in current_app.config["CIVIC_LANGUAGES"]
    ]


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = forms.ProfileForm(obj=current_user if request.method == "GET" else None)
    form.language.choices = _language_choices()
    if request.method == "GET":
        form.language.data = current_user.language or ""
    if form.validate_on_submit():
        with errors_on(form, only=InvalidInput) as attempt:
            profiles.update_profile(
                current_user,
                display_name=form.display_name.data,
                bio=form.bio.data,
                language=form.language.data or None,
                handle=form.handle.data,
            )
        if attempt.succeeded:
            if form.language.data:
                session["language"] = form.language.data
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_form("accounts/profile.html", form, section="profile")


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@limiter.limit(limit_from_config("CIVIC_LIMIT_EMAIL_CHANGE"), methods=["POST"])
def change_email():
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        with errors_on(form, only=InvalidInput) as attempt:
            email_changes.request_email_change(current_user, form.password.data, form.new_email.data)
        if attempt.succeeded:
            flash(
                _(
                    "We have sent a link to %(email)s. Your address changes when you follow it.",
                    email=form.new_email.data.strip(),
                ),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    return render_form("accounts/change_email.html", form, section="email")


@bp.get("/account/email/confirm/<token>")
def confirm_email_change(token):
    user = email_changes.confirm_email_change(token)
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.profile") if current_user.is_authenticated else url_for("accounts.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(limit_from_config("CIVIC_LIMIT_SIGN_IN"), methods=["POST"])
def change_password():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        with errors_on(form, only=InvalidInput) as attempt:
            password_changes.change_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
            )
        if attempt.succeeded:
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            _start_session(current_user._get_current_object(), remember=remembered)
            flash(_("Your password is changed. You have been signed out everywhere else."), "success")
            return redirect(url_for("accounts.profile"))
    return render_form("accounts/change_password.html", form, section="password")


@bp.get("/account/security")
@login_required
def security():
    return render_template(
        "accounts/security.html",
        section="security",
        remaining=two_factor.remaining_recovery_codes(current_user),
        disable_form=forms.PasswordConfirmForm(prefix="disable"),
        codes_form=forms.PasswordConfirmForm(prefix="codes"),
        sessions=sessions.list_sessions(current_user._get_current_object()),
    )


@bp.post("/account/security/sessions/<int:session_id>/sign-out")
@login_required
def sign_out_session(session_id):
    if session_id == current_user.session_id:
        return sign_out()
    with errors_flashed() as attempt:
        sessions.end_session_by_id(current_user._get_current_object(), session_id)
    if attempt.succeeded:
        flash(_("That session is signed out."), "success")
    return redirect(url_for("accounts.security"))


@bp.post("/account/security/sessions/sign-out-others")
@login_required
def sign_out_other_sessions():
    sessions.end_other_sessions(current_user._get_current_object(), current_user.session_key)
    flash(_("You are signed out everywhere else."), "success")
    return redirect(url_for("accounts.security"))


@bp.route("/account/security/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(limit_from_config("CIVIC_LIMIT_TWO_FACTOR"), methods=["POST"])
def two_factor_setup():
    if current_user.two_factor_enabled:
        return redirect(url_for("accounts.security"))
    secret = session.get("totp_setup_secret")
    if not secret or request.method == "GET" and request.args.get("restart"):
        secret = session["totp_setup_secret"] = two_factor.new_totp_secret()
    form = forms.EnableTwoFactorForm()
    if form.validate_on_submit():
        with errors_on(form, only=InvalidInput) as attempt:
            codes = two_factor.enable_two_factor(current_user, secret, form.code.data)
        if attempt.succeeded:
            session.pop("totp_setup_secret", None)
            flash(_("Two-factor sign-in is on."), "success")
            return render_template(
                "accounts/recovery_codes.html",
                codes=codes,
                section="security",
                next_url=_safe_next(request.args.get("next", "")),
            )
    form.code.data = ""
    details = two_factor.totp_setup_details(current_user, secret)
    return render_form("accounts/two_factor_setup.html", form, details=details, section="security")


@bp.post("/account/security/two-factor/disable")
@login_required
def two_factor_disable():
    form = forms.PasswordConfirmForm(prefix="disable")
    if form.validate_on_submit():
        with errors_flashed(only=InvalidInput) as attempt:
            two_factor.disable_two_factor(current_user, form.password.data)
        if attempt.succeeded:
            flash(_("Two-factor sign-in is off."), "success")
    else:
        flash(_("Enter your password to turn off two-factor sign-in."), "error")
    return redirect(url_for("accounts.security"))


@bp.post("/account/security/recovery-codes")
@login_required
def recovery_codes():
    form = forms.PasswordConfirmForm(prefix="codes")
    if form.validate_on_submit():
        with errors_flashed(only=InvalidInput) as attempt:
            codes = two_factor.regenerate_recovery_codes(current_user, form.password.data)
        if attempt.succeeded:
            return render_template(
                "accounts/recovery_codes.html", codes=codes, section="security", next_url=url_for("accounts.security")
            )
    else:
        flash(_("Enter your password to make new recovery codes."), "error")
    return redirect(url_for("accounts.security"))


@bp.route("/account/data", methods=["GET", "POST"])
@login_required
@limiter.limit(limit_from_config("CIVIC_LIMIT_SIGN_IN"), methods=["POST"])
def download_data():
    """ "Download my data": the password again, then a ZIP of JSON files (a few per hour)."""
    form = forms.PasswordConfirmForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with errors_on(form, only=(InvalidInput, RateLimited)) as attempt:
            archive = personal_data.export_personal_data(user, form.password.data)
        if attempt.succeeded:
            chunks = (archive[i : i + CHUNK_BYTES] for i in range(0, len(archive), CHUNK_BYTES))
            return Response(
                chunks,
                mimetype="application/zip",
                headers=attachment_headers(personal_data.archive_filename(user)),
            )
        page, _status = render_form("accounts/download_data.html", form, section="data")
        return page, attempt.status, attempt.headers
    return render_form("accounts/download_data.html", form, section="data")


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(limit_from_config("CIVIC_LIMIT_SIGN_IN"), methods=["POST"])
def delete_account():
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        with errors_on(form, only=(InvalidInput, Conflict)) as attempt:
            account_deletion.delete_account(current_user._get_current_object(), form.password.data, form.code.data)
        if attempt.succeeded:
            logout_user()
            session.clear()
            flash(_("Your account is deleted. What you wrote stays, under the name “Deleted user”."), "success")
            return redirect(url_for("pages.home"))
        return render_template("accounts/delete_account.html", form=form, section="delete"), attempt.status
    return render_form("accounts/delete_account.html", form, section="delete")


@bp.get("/people/<int:user_id>")
def public_profile(user_id):
    person = people.get_user(user_id)
    if not person.is_active:
        raise NotFound(_("There is no such person."))
    return render_template("accounts/public_profile.html", person=person)
