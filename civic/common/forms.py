"""Form helpers shared by every domain: service errors shown on the form, refused forms answered 422."""

from flask import flash, render_template
from flask_babel import lazy_gettext as _l

from civic.errors import CivicError

# WTForms fills in %(max)d; one translated message for every length limit.
too_long = _l("Use at most %(max)d characters.")

# Errors about who is asking or what they asked for go to the error pages, never onto a form.
_NOT_FOR_FORMS = (401, 403, 404)


def shown_on_form(error):
    """Is this service error about what was submitted (and so shown with the form kept)?"""
    return isinstance(error, CivicError) and error.status not in _NOT_FOR_FORMS


def apply_service_error(form, error):
    """Show a service's error on the form: an InvalidInput beside the fields it names, any other
    CivicError (a conflict, a closed consultation, a rate limit...) above the form."""
    placed = False
    for field_name, messages in (getattr(error, "errors", None) or {}).items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None:
            field.errors = list(field.errors or []) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(error.message)


class _Attempt:
    """What `errors_on(form)` and `errors_flashed()` hand the view: did the service succeed?"""

    def __init__(self, form=None, only=None):
        self.form = form
        self.only = only
        self.error = None

    @property
    def succeeded(self):
        return self.error is None

    @property
    def status(self):
        """The HTTP status for the page that shows the error (200 when there was none)."""
        return self.error.status if self.error is not None else 200

    @property
    def headers(self):
        """Headers for that page: a refused write says when to try again."""
        retry_after = getattr(self.error, "retry_after", None)
        return {"Retry-After": str(int(retry_after))} if retry_after else {}

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None or not shown_on_form(error) or (self.only and not isinstance(error, self.only)):
            return False  # success, or an error the error handler answers (403, 404...)
        self.error = error
        if self.form is not None:
            apply_service_error(self.form, error)
        else:
            flash(error.message, "error")
        return True


def errors_on(form, *, only=None):
    """Run a service call and put any error about the submission on `form` (with `only`, just
    errors of those classes: the rest go to the error pages):

        with errors_on(form) as attempt:
            consultations.close_early(actor, consultation, form.reason.data)
        if attempt.succeeded:
            return redirect(...)
        return render_form("consultations/close.html", form, ...)
    """
    return _Attempt(form, only)


def errors_flashed(*, only=None):
    """Like errors_on, for actions without a form of their own (a button): the message is flashed."""
    return _Attempt(only=only)


def render_form(template, form, **context):
    """Render a page with a form: 422 when the form carries errors (so clients and tests can
    tell a refused submission from a first view), 200 otherwise."""
    status = 422 if form.errors or form.form_errors else 200
    return render_template(template, form=form, **context), status
