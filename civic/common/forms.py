"""Form helpers shared by every domain."""
from civic.errors import InvalidInput


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
