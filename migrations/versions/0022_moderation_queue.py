"""moderation queue: an index for open reports grouped by item, and the digests mailed to moderators

Revision ID: 0022_moderation_queue
Revises: 0021_held_content
Create Date: 2026-12-02 01:50:00

"""

import sqlalchemy as sa
from alembic import op

import civic.common.models

revision = "0022_moderation_queue"
down_revision = "0021_held_content"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_state_content", ["state", "content_kind", "content_id", "created_at"], unique=False
        )
    op.create_table(
        "report_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("up_to_report_id", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_at", civic.common.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_digest")),
        sa.UniqueConstraint("up_to_report_id", name=op.f("uq_report_digest_up_to_report_id")),
    )


def downgrade():
    op.drop_table("report_digest")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index("ix_report_state_content")
