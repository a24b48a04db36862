"""What several consultation services check the same way: the length message and the
correction note that every change after publication needs."""

from flask_babel import gettext as _

from civic.common.validation import clean_text

CORRECTION_NOTE_MAX_LENGTH = 500


def too_long(limit):
    """The consultation forms' message for a text over its limit."""
    return _("Use at most %(max)d characters.", max=limit)


def clean_correction_note(note):
    """The public note that a change after publication needs."""
    return clean_text(
        note,
        field="correction_note",
        max_length=CORRECTION_NOTE_MAX_LENGTH,
        required=_("Say what you corrected: the note is shown publicly with the date."),
        too_long=too_long(CORRECTION_NOTE_MAX_LENGTH),
    )
