"""indexes for the petition list's default order and its count

Revision ID: 0011_petition_list_index
Revises: 0010_mailings
Create Date: 2026-12-01 18:00:00

"""

from alembic import op

revision = "0011_petition_list_index"
down_revision = "0010_mailings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("petition", schema=None) as batch_op:
        batch_op.create_index("ix_petition_state_signature_count_id", ["state", "signature_count", "id"], unique=False)
        batch_op.create_index("ix_petition_state_closes_at", ["state", "closes_at"], unique=False)


def downgrade():
    with op.batch_alter_table("petition", schema=None) as batch_op:
        batch_op.drop_index("ix_petition_state_closes_at")
        batch_op.drop_index("ix_petition_state_signature_count_id")
