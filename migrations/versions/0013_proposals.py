"""citizen proposals: proposals, supports, followers, supports per day; notifications about a proposal

Revision ID: 0013_proposals
Revises: 0012_user_sessions
Create Date: 2026-12-01 22:40:00

"""

import sqlalchemy as sa
from alembic import op

import civic.common.models

revision = "0013_proposals"
down_revision = "0012_user_sessions"
branch_labels = None
depends_on = None


def _moment(name, nullable=True):
    return sa.Column(name, civic.common.models.UTCDateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("area", sa.String(length=80), nullable=False),
        sa.Column("external_url", sa.String(length=500), nullable=False),
        sa.Column("image_stored_name", sa.String(length=64), nullable=True),
        sa.Column("image_content_type", sa.String(length=40), nullable=False),
        sa.Column("image_alt", sa.String(length=300), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        _moment("published_at", nullable=False),
        _moment("deadline", nullable=False),
        sa.Column("supports_needed", sa.Integer(), nullable=False),
        sa.Column("support_count", sa.Integer(), nullable=False),
        sa.Column("imported_support_count", sa.Integer(), nullable=False),
        sa.Column("imported_from", sa.String(length=60), nullable=True),
        _moment("last_supported_at"),
        sa.Column("trending_score", sa.Float(), nullable=False),
        _moment("review_started_at"),
        _moment("expired_at"),
        _moment("withdrawn_at"),
        _moment("answered_at"),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answer_markdown", sa.Text(), nullable=False),
        sa.Column("answer_html", sa.Text(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        _moment("merged_at"),
        sa.Column("discussion_id", sa.Integer(), nullable=True),
        _moment("created_at", nullable=False),
        _moment("updated_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["user.id"], name=op.f("fk_proposal_answered_by_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], name=op.f("fk_proposal_author_id_user"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["discussion_id"], ["discussion.id"], name=op.f("fk_proposal_discussion_id_discussion"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["proposal.id"], name=op.f("fk_proposal_merged_into_id_proposal"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
        sa.UniqueConstraint("imported_from", name=op.f("uq_proposal_imported_from")),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_proposal_state_support_count_id", ["state", "support_count", "id"], unique=False)
        batch_op.create_index("ix_proposal_state_published_at_id", ["state", "published_at", "id"], unique=False)
        batch_op.create_index("ix_proposal_state_trending_score_id", ["state", "trending_score", "id"], unique=False)
        batch_op.create_index("ix_proposal_state_deadline_id", ["state", "deadline", "id"], unique=False)
        batch_op.create_index("ix_proposal_support_count_id", ["support_count", "id"], unique=False)
        batch_op.create_index("ix_proposal_published_at_id", ["published_at", "id"], unique=False)
        batch_op.create_index("ix_proposal_trending_score_id", ["trending_score", "id"], unique=False)
        batch_op.create_index("ix_proposal_topic_state", ["topic", "state"], unique=False)
        batch_op.create_index("ix_proposal_area_state", ["area", "state"], unique=False)

    for table in ("proposal_support", "proposal_follow"):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("proposal_id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            _moment("created_at", nullable=False),
            sa.ForeignKeyConstraint(
                ["proposal_id"], ["proposal.id"], name=op.f(f"fk_{table}_proposal_id_proposal"), ondelete="CASCADE"
            ),
            sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f(f"fk_{table}_user_id_user"), ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("proposal_id", "user_id", name=f"uq_{table}_proposal_id_user_id"),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_user_id"), ["user_id"], unique=False)

    op.create_table(
        "proposal_support_day",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_support_day_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("proposal_id", "day", name=op.f("pk_proposal_support_day")),
    )
    with op.batch_alter_table("proposal_support_day", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_support_day_day", ["day"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposal_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_proposal_id_proposal"), "proposal", ["proposal_id"], ["id"], ondelete="CASCADE"
        )


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notification_proposal_id_proposal"), type_="foreignkey")
        batch_op.drop_column("proposal_id")
    op.drop_table("proposal_support_day")
    op.drop_table("proposal_follow")
    op.drop_table("proposal_support")
    op.drop_table("proposal")
