""" "Delete my account": personal data erased, contributions kept under "Deleted user".

The User row stays (comments, ballots, supports and signatures still point at it, so every
count stays exactly as it was) but loses everything that identifies the person: name, email
(replaced by a unique tombstone), handle, bio, password, two-factor secret, sessions, recovery
codes, roles, follows and notifications. Petition signatures and anonymous consultation
responses made from the person's mailbox lose the name and address; a signature keeps only the
network range (/24, /48) it came from, for the fraud checks on petitions.

Like personal_data, this reads other domains' tables by name from the metadata. Every column
that refers to a user is listed in one of DELETED_WITH_THE_ACCOUNT, ERASED or KEPT;
tests/accounts/test_account_deletion.py enumerates the models and fails on any other."""

import secrets

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from civic.accounts import passwords
from civic.accounts.models import UserRole
from civic.accounts.services import two_factor
from civic.accounts.services._shared import new_session_token
from civic.audit.services import record_staff_action
from civic.common.db import commit as _commit
from civic.common.emails import mailbox_key
from civic.common.models import utcnow
from civic.common.ratelimit import network_of
from civic.errors import Conflict, InvalidInput
from civic.extensions import db
from civic.permissions import ensure_can

TOMBSTONE_DOMAIN = "deleted.invalid"  # RFC 2606: can never receive mail

# Rows that exist only for the person: deleted with the account.
DELETED_WITH_THE_ACCOUNT = {
    "user_session.user_id",
    "recovery_code.user_id",
    "user_role.user_id",
    "discussion_follow.user_id",
    "consultation_follow.user_id",
    "proposal_follow.user_id",
    "implementation_follow.user_id",
    "notification.user_id",
    "report.reporter_id",  # reports of content: a moderator's decision is in the audit log
}

# Contributions whose personal details are overwritten (see _erase_contributions).
ERASED = {
    "petition.creator_id": "creator_name becomes the deleted name",
    "proposal.author_id": "author_name becomes the deleted name",
    "petition_signature.user_id": "name, mailbox and address erased; still counted",
    "petition_signature.email": "the same, for signatures made from the person's mailbox",
    "petition_signature.email_key": "the same",
    "consultation_response.email": "a response confirmed from the person's mailbox: the address is erased",
}

# Kept as they are: they now point at the nameless account (contributions, votes, staff acts).
KEPT = {
    "audit_entry.actor_id",
    # Moderation decisions stay (the public log's appeal columns and the audit chain refer to them).
    "moderation_decision.subject_id",
    "moderation_decision.moderator_id",
    "moderation_decision.appeal_decided_by_id",
    "budget.created_by_id",
    "budget_ballot.voter_id",
    "comment.author_id",
    "comment_vote.user_id",
    "consultation.created_by_id",
    "consultation_correction.author_id",
    "consultation_document.uploaded_by_id",
    "consultation_response.user_id",
    "consultation_statement.author_id",
    "discussion.author_id",
    "implementation_milestone.created_by_id",
    "implementation_record.updated_by_id",
    "notification.actor_id",
    "petition.moderated_by_id",
    "petition.responded_by_id",
    "petition_invalidation.created_by_id",
    "petition_invalidation.reverted_by_id",
    "proposal.answered_by_id",
    "proposal_support.user_id",
    "user_role.granted_by_id",
}


def deleted_name():
    """ "Deleted user", in the site's language (the row is shown to everyone)."""
    with force_locale(current_app.config["CIVIC_DEFAULT_LANGUAGE"]):
        return _("Deleted user")


def _tombstone(kind, row_id):
    return f"deleted-{kind}-{row_id}-{secrets.token_hex(4)}@{TOMBSTONE_DOMAIN}"


def _table(name):
    return db.metadata.tables[name]


def _check_may_delete(user, password, code):
    ensure_can(user, "account.edit", user)
    if not passwords.verify_password(user.password_hash, password or ""):
        raise InvalidInput(_("Your password is not right."), field="password")
    if user.has_role("admin"):
        admins = db.session.scalar(select(func.count()).select_from(UserRole).where(UserRole.role == "admin"))
        if admins <= 1:
            raise Conflict(_("You are the last administrator: make someone else an administrator first."))
    if user.two_factor_enabled:  # last: a code is used up once accepted
        if not (code or "").strip():
            raise InvalidInput(_("Enter the code from your authenticator app."), field="code")
        two_factor.verify_second_factor(user, code)


def _delete_own_rows(user):
    for column_name in sorted(DELETED_WITH_THE_ACCOUNT):
        table_name, column = column_name.split(".")
        table = _table(table_name)
        db.session.execute(delete(table).where(table.c[column] == user.id).execution_options(synchronize_session=False))


def _erase_contributions(user, name):
    petition, proposal = _table("petition"), _table("proposal")
    db.session.execute(update(petition).where(petition.c.creator_id == user.id).values(creator_name=name))
    db.session.execute(update(proposal).where(proposal.c.author_id == user.id).values(author_name=name))
    key = mailbox_key(user.email)
    signature = _table("petition_signature")
    mine = signature.c.user_id == user.id
    if user.email_verified:
        mine = or_(mine, signature.c.email_key == key)
    for row in db.session.execute(select(signature.c.id, signature.c.ip_address).where(mine)).all():
        tombstone = _tombstone("signature", row.id)
        db.session.execute(
            update(signature)
            .where(signature.c.id == row.id)
            .values(name=name, email=tombstone, email_key=tombstone, ip_address=network_of(row.ip_address)[:45])
        )
    if user.email_verified:
        response = _table("consultation_response")
        for (row_id,) in db.session.execute(select(response.c.id).where(response.c.email == key)).all():
            db.session.execute(
                update(response).where(response.c.id == row_id).values(email=_tombstone("response", row_id))
            )


def _erase_profile(user, name):
    tombstone = _tombstone("user", user.id)
    user.display_name = name
    user.email = user.email_normalized = tombstone
    user.handle = f"deleted_{user.id}"[:30]
    user.bio = ""
    user.language = None
    user.password_hash = passwords.hash_password(secrets.token_urlsafe(32))  # nobody knows it
    user.session_token = new_session_token()
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    user.email_verified_at = user.last_sign_in_at = user.last_sign_in_network = None
    user.disabled_at = utcnow()


def delete_account(user, password, code=""):
    """Erase the person's account after their password (and second factor, when enrolled). One
    transaction: either everything is erased and audited, or nothing is."""
    _check_may_delete(user, password, code)
    name = deleted_name()
    _erase_contributions(user, name)
    _delete_own_rows(user)
    db.session.expire(user, ["roles", "recovery_codes"])
    _erase_profile(user, name)
    record_staff_action(user, "account.deleted", "user", user.id, "")
    _commit()
