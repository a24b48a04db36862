""" "Download my data": a ZIP of JSON files with everything Civic holds about one person.

The export reads tables by name from the shared SQLAlchemy metadata, so that accounts (which
knows nothing of the domains built on it) need import none of them. `PARTS` says, for every
column that points at a person (a foreign key to user.id, a mailbox, a participant key), which
rows are theirs and which of their columns go out; `NOT_EXPORTED` says why the few others do
not. tests/accounts/test_personal_data.py enumerates the models and fails when a column that
refers to a user is in neither, so a new table cannot be forgotten.

Two rules keep other people out of the file: rows are selected by the person's own id or
mailbox (a reply to their comment is someone else's row, never selected), and rows where the
person only acted as staff export a short list of columns. Secrets never leave: `SECRET_COLUMNS`
are dropped from every row whatever the part says."""

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from civic.accounts import passwords
from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit as _commit
from civic.common.emails import mailbox_key
from civic.common.ratelimit import seconds_until_allowed
from civic.errors import InvalidInput, RateLimited
from civic.extensions import db
from civic.permissions import ensure_can

FORMAT_VERSION = 1

# Never exported, from any row: password and session secrets, one-time codes, links that act
# for the person (a signature's confirmation token, a petition's sponsor link) and keys derived
# from them.
SECRET_COLUMNS = frozenset(
    {
        "user.password_hash",
        "user.session_token",
        "user.totp_secret",
        "user.totp_last_step",
        "recovery_code.code_hash",
        "user_session.key_hash",
        "petition.sponsor_token",
        "petition_signature.token",
        "petition_signature.email_key",
        "consultation_response.confirmation_nonce",
    }
)


@dataclass(frozen=True)
class Part:
    """Rows of `table` that belong to the person, written to `<file>.json`.

    `by` are the columns holding the person's id; `mailbox` a column compared with the
    person's mailbox key; `participant` a column holding "user:<id>"; `parent` (table, column)
    selects children of rows already exported by another part. `columns`, when given, is the
    only list of columns exported (for rows where the person acted on someone else's thing)."""

    file: str
    table: str
    by: tuple = ()
    mailbox: str = ""
    participant: str = ""
    parent: tuple = ()
    columns: tuple = ()
    covers: tuple = field(default=())

    def covered(self):
        return {f"{self.table}.{c}" for c in (*self.by, self.mailbox, self.participant, *self.covers) if c}


PARTS = (
    Part("profile", "user", by=("id",), covers=("email", "email_normalized")),
    Part("roles", "user_role", by=("user_id",), columns=("id", "role", "granted_at")),
    Part("sessions", "user_session", by=("user_id",)),
    Part("recovery_codes", "recovery_code", by=("user_id",), columns=("id", "used_at")),
    Part("discussions", "discussion", by=("author_id",)),
    Part("comments", "comment", by=("author_id",)),
    Part("comment_edit_history", "comment_revision", parent=("comment", "comment_id")),
    Part("comment_votes", "comment_vote", by=("user_id",)),
    Part("reports", "report", by=("reporter_id",)),
    Part(
        "moderation_decisions",
        "moderation_decision",
        by=("subject_id",),
        columns=(
            "id",
            "action",
            "content_kind",
            "content_id",
            "reason",
            "explanation",
            "created_at",
            "until",
            "appeal_text",
            "appealed_at",
            "appeal_outcome",
            "appeal_explanation",
            "appeal_decided_at",
        ),
    ),
    Part("discussion_follows", "discussion_follow", by=("user_id",)),
    Part(
        "notifications",
        "notification",
        by=("user_id",),
        columns=(
            "id",
            "kind",
            "discussion_id",
            "comment_id",
            "consultation_id",
            "proposal_id",
            "implementation_record_id",
            "created_at",
            "read_at",
        ),
    ),
    Part("consultation_follows", "consultation_follow", by=("user_id",)),
    Part("consultation_responses", "consultation_response", by=("user_id",), mailbox="email"),
    Part("consultation_answers", "consultation_answer", parent=("consultation_response", "response_id")),
    Part("statements", "consultation_statement", by=("author_id",)),
    Part("statement_votes", "consultation_statement_vote", participant="participant"),
    Part("statement_vote_history", "consultation_statement_vote_event", participant="participant"),
    Part(
        "consultations_created",
        "consultation",
        by=("created_by_id",),
        columns=("id", "title", "created_at", "published_at"),
    ),
    Part(
        "consultation_corrections",
        "consultation_correction",
        by=("author_id",),
        columns=("id", "consultation_id", "created_at", "note"),
    ),
    Part(
        "consultation_documents_uploaded",
        "consultation_document",
        by=("uploaded_by_id",),
        columns=("id", "consultation_id", "title", "filename", "created_at"),
    ),
    Part("petitions", "petition", by=("creator_id",)),
    Part(
        "petitions_handled",
        "petition",
        by=("moderated_by_id", "responded_by_id"),
        columns=("id", "title", "moderated_at", "responded_at", "response_summary"),
    ),
    Part(
        "petition_signatures",
        "petition_signature",
        by=("user_id",),
        mailbox="email_key",
        covers=("email", "email_domain"),
    ),
    Part(
        "petition_invalidations",
        "petition_invalidation",
        by=("created_by_id", "reverted_by_id"),
        columns=("id", "petition_id", "reason", "created_at", "reverted_at", "revert_reason"),
    ),
    Part("proposals", "proposal", by=("author_id",)),
    Part(
        "proposals_answered",
        "proposal",
        by=("answered_by_id",),
        columns=("id", "title", "answered_at", "answer_markdown"),
    ),
    Part("proposal_supports", "proposal_support", by=("user_id",)),
    Part("proposal_follows", "proposal_follow", by=("user_id",)),
    Part("budgets_created", "budget", by=("created_by_id",), columns=("id", "title", "created_at")),
    Part("budget_ballots", "budget_ballot", by=("voter_id",)),
    Part("budget_ballot_choices", "budget_ballot_choice", parent=("budget_ballot", "ballot_id")),
    Part(
        "implementation_records_updated",
        "implementation_record",
        by=("updated_by_id",),
        columns=("id", "title", "updated_at"),
    ),
    Part(
        "implementation_milestones",
        "implementation_milestone",
        by=("created_by_id",),
        columns=("id", "record_id", "happened_on", "text_markdown", "created_at"),
    ),
    Part("implementation_follows", "implementation_follow", by=("user_id",)),
    Part(
        "audit_entries",
        "audit_entry",
        by=("actor_id",),
        columns=("id", "created_at", "action", "target_type", "target_id", "reason"),
    ),
)

# Columns that refer to a person but whose rows are someone else's data.
NOT_EXPORTED = {
    "user_role.granted_by_id": "roles granted to other people; the grant is in audit_entries",
    "notification.actor_id": "other people's notifications; what caused them is exported in its own file",
    "petition_invalidation.email_domain": "a mail domain, not a mailbox",
    "moderation_decision.moderator_id": "decisions taken as a moderator about others; they are in audit_entries",
    "moderation_decision.appeal_decided_by_id": "appeals decided as a moderator; they are in audit_entries",
}


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _condition(part, table, user, exported):
    tests = [table.c[column] == user.id for column in part.by]
    if part.mailbox and user.email_verified:  # an address typed at sign-up proves nothing
        tests.append(table.c[part.mailbox] == mailbox_key(user.email))
        if part.mailbox != "email_key":
            tests.append(table.c[part.mailbox] == user.email_normalized)
    if part.participant:
        tests.append(table.c[part.participant] == f"user:{user.id}")
    if part.parent:
        parent_table, column = part.parent
        tests.append(table.c[column].in_(exported.get(parent_table, set()) or [-1]))
    return or_(*tests)


def _rows(part, user, exported):
    table = db.metadata.tables[part.table]
    names = part.columns or tuple(table.c.keys())
    names = [name for name in names if f"{part.table}.{name}" not in SECRET_COLUMNS]
    query = select(*(table.c[name] for name in names)).where(_condition(part, table, user, exported))
    query = query.order_by(*table.primary_key.columns)
    rows = [{name: _value(value) for name, value in zip(names, row, strict=True)} for row in db.session.execute(query)]
    if not part.columns and "id" in names:
        exported.setdefault(part.table, set()).update(row["id"] for row in rows)
    return rows


def collect_personal_data(user):
    """{file name: list of rows} for every part, in PARTS order (parents before children)."""
    exported = {}
    return {part.file: _rows(part, user, exported) for part in PARTS}


def _about(user, data):
    return {
        "format_version": FORMAT_VERSION,
        "user_id": user.id,
        "created_at": clock.now().isoformat(),
        "files": {f"{name}.json": len(rows) for name, rows in data.items()},
        "not_included": sorted(SECRET_COLUMNS),
    }


def build_archive(user, data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("about.json", json.dumps(_about(user, data), indent=2, ensure_ascii=False))
        for name, rows in data.items():
            archive.writestr(f"{name}.json", json.dumps(rows, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def export_personal_data(user, password):
    """The person's data as ZIP bytes, after their password is confirmed; a few per hour.

    The download is recorded in the audit log (it changes nothing else) and committed before
    any byte is sent."""
    ensure_can(user, "account.edit", user)
    if not passwords.verify_password(user.password_hash, password or ""):
        raise InvalidInput(_("Your password is not right."), field="password")
    wait = seconds_until_allowed("data-export", user.id, current_app.config["CIVIC_LIMIT_DATA_EXPORT"])
    if wait:
        raise RateLimited(
            _(
                "You have downloaded your data several times recently. Please wait %(minutes)d minutes.",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )
    data = collect_personal_data(user)
    archive = build_archive(user, data)
    record_staff_action(user, "account.data_exported", "user", user.id, user.display_name)
    _commit()
    return archive


def archive_filename(user):
    return f"civic-my-data-{user.id}-{clock.now():%Y%m%d}.zip"
