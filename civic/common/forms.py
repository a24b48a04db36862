"""Form helpers shared by every domain."""
from flask import render_template
from flask_babel import lazy_gettext as _l

from civic.errors import InvalidInput


# WTForms fills in %(max)d; one translated message for every length limit.
too_long = _l("Use at most %(max)d characters.")


def apply_service_error(form, error):
    """Show an InvalidInput raised by a service beside the field it is about."""
    assert isinstance(error, InvalidInput)
    placed = False
    for field_name, messages in (error.errors or {}).items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None:
            field.errors = list(field.errors or []) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(error.message)


def render_form(template, form, **context):
    """Render a page with a form: 422 when the form carries errors (so clients and tests can
    tell a refused submission from a first view), 200 otherwise."""
    status = 422 if form.errors or form.form_errors else 200
    return render_template(template, form=form, **context), status
