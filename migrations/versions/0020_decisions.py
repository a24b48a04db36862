"""moderation decisions: statements of reasons, their one appeal, and sanctions on people

Revision ID: 0020_decisions
Revises: 0019_hidden_content
Create Date: 2026-12-02 01:50:00

"""

import sqlalchemy as sa
from alembic import op

import civic.common.models

revision = "0020_decisions"
down_revision = "0019_hidden_content"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "moderation_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("content_kind", sa.String(length=40), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", civic.common.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", civic.common.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("audit_entry_id", sa.Integer(), nullable=True),
        sa.Column("appeal_text", sa.Text(), nullable=True),
        sa.Column("appealed_at", civic.common.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("appeal_outcome", sa.String(length=20), nullable=True),
        sa.Column("appeal_explanation", sa.Text(), nullable=True),
        sa.Column("appeal_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("appeal_decided_at", civic.common.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_decided_by_id"],
            ["user.id"],
            name=op.f("fk_moderation_decision_appeal_decided_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["user.id"], name=op.f("fk_moderation_decision_moderator_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["user.id"], name=op.f("fk_moderation_decision_subject_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_decision")),
    )
    with op.batch_alter_table("moderation_decision", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_decision_subject", ["subject_id"], unique=False)
        batch_op.create_index("ix_moderation_decision_content", ["content_kind", "content_id"], unique=False)
        batch_op.create_index("ix_moderation_decision_audit_entry", ["audit_entry_id"], unique=False)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_until", civic.common.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("banned_at", civic.common.models.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("banned_at")
        batch_op.drop_column("suspended_until")
    with op.batch_alter_table("moderation_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_decision_audit_entry")
        batch_op.drop_index("ix_moderation_decision_content")
        batch_op.drop_index("ix_moderation_decision_subject")
    op.drop_table("moderation_decision")
