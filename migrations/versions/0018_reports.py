"""reports: one per person per reported item, with a reason, an optional note and a state

Revision ID: 0018_reports
Revises: 0017_audit_chain
Create Date: 2026-12-02 00:15:00

"""

import sqlalchemy as sa
from alembic import op

import civic.common.models

revision = "0018_reports"
down_revision = "0017_audit_chain"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("content_kind", sa.String(length=40), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", civic.common.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", civic.common.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["user.id"], name=op.f("fk_report_reporter_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint("reporter_id", "content_kind", "content_id", name="uq_report_reporter_content"),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index("ix_report_content", ["content_kind", "content_id"], unique=False)
        batch_op.create_index("ix_report_state", ["state"], unique=False)


def downgrade():
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index("ix_report_state")
        batch_op.drop_index("ix_report_content")
    op.drop_table("report")
