"""hidden content: a reason on hidden discussions; proposals, budget projects and user profiles can be hidden by moderation

Revision ID: 0019_hidden_content
Revises: 0018_reports
Create Date: 2026-12-02 02:00:00

"""

import sqlalchemy as sa
from alembic import op

import civic.common.models

revision = "0019_hidden_content"
down_revision = "0018_reports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("discussion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_reason", sa.String(length=500), server_default="", nullable=False))
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_at", civic.common.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hidden_reason", sa.String(length=500), server_default="", nullable=False))
    with op.batch_alter_table("budget_project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_at", civic.common.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hidden_reason", sa.String(length=500), server_default="", nullable=False))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("profile_hidden_at", civic.common.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("profile_hidden_reason", sa.String(length=500), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("profile_hidden_reason")
        batch_op.drop_column("profile_hidden_at")
    with op.batch_alter_table("budget_project", schema=None) as batch_op:
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_at")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_at")
    with op.batch_alter_table("discussion", schema=None) as batch_op:
        batch_op.drop_column("hidden_reason")
