"""the proposals list filtered by topic or area: indexes that end with the deadline

Revision ID: 0015_proposal_filter_indexes
Revises: 0014_budgets
Create Date: 2026-12-01 23:05:00

"""

from alembic import op

revision = "0015_proposal_filter_indexes"
down_revision = "0014_budgets"
branch_labels = None
depends_on = None


def upgrade():
    # (topic, state) and (area, state) become (topic, state, deadline) and (area, state, deadline):
    # "collecting supports" is state = 'open' AND deadline > now, so the filtered list's count is
    # read from the index alone. The old ones are prefixes of the new ones.
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_topic_state")
        batch_op.drop_index("ix_proposal_area_state")
        batch_op.create_index("ix_proposal_topic_state_deadline", ["topic", "state", "deadline"], unique=False)
        batch_op.create_index("ix_proposal_area_state_deadline", ["area", "state", "deadline"], unique=False)


def downgrade():
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_area_state_deadline")
        batch_op.drop_index("ix_proposal_topic_state_deadline")
        batch_op.create_index("ix_proposal_area_state", ["area", "state"], unique=False)
        batch_op.create_index("ix_proposal_topic_state", ["topic", "state"], unique=False)
