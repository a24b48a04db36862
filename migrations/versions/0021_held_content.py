"""held content: comments and statements held by automatic pre-moderation, with the rule that fired

Revision ID: 0021_held_content
Revises: 0020_decisions
Create Date: 2026-12-02 01:50:00

"""

import sqlalchemy as sa
from alembic import op

import civic.common.models

revision = "0021_held_content"
down_revision = "0020_decisions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_at", civic.common.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("held_rule", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("held_matched", sa.String(length=200), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_comment_held_at"), ["held_at"], unique=False)
        batch_op.create_index("ix_comment_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("consultation_statement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_rule", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("held_matched", sa.String(length=200), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_consultation_statement_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("consultation_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_statement_created_at"))
        batch_op.drop_column("held_matched")
        batch_op.drop_column("held_rule")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_created_at")
        batch_op.drop_index(batch_op.f("ix_comment_held_at"))
        batch_op.drop_column("held_matched")
        batch_op.drop_column("held_rule")
        batch_op.drop_column("held_at")
