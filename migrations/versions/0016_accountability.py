"""accountability: implementation records of accepted proposals and funded projects, their
milestones and followers, the budgets already recorded; notifications about a record

Revision ID: 0016_accountability
Revises: 0015_proposal_filter_indexes
Create Date: 2026-12-01 23:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

import civic.common.models

# revision identifiers, used by Alembic.
revision = "0016_accountability"
down_revision = "0015_proposal_filter_indexes"
branch_labels = None
depends_on = None

UTC = civic.common.models.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "implementation_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("area", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("milestone_count", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "(proposal_id IS NULL) <> (project_id IS NULL)", name=op.f("ck_implementation_record_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_implementation_record_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["budget_project.id"],
            name=op.f("fk_implementation_record_project_id_budget_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
            name=op.f("fk_implementation_record_updated_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_implementation_record")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_implementation_record_proposal_id")),
        sa.UniqueConstraint("project_id", name=op.f("uq_implementation_record_project_id")),
    )
    with op.batch_alter_table("implementation_record", schema=None) as batch_op:
        batch_op.create_index("ix_implementation_record_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_implementation_record_area_id", ["area", "id"], unique=False)

    op.create_table(
        "implementation_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("text_markdown", sa.Text(), nullable=False),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("photo_stored_name", sa.String(length=64), nullable=True),
        sa.Column("photo_content_type", sa.String(length=40), nullable=False),
        sa.Column("photo_alt", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["implementation_record.id"],
            name=op.f("fk_implementation_milestone_record_id_implementation_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_implementation_milestone_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_implementation_milestone")),
    )
    with op.batch_alter_table("implementation_milestone", schema=None) as batch_op:
        batch_op.create_index("ix_implementation_milestone_record_day", ["record_id", "happened_on"], unique=False)

    op.create_table(
        "implementation_follow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["implementation_record.id"],
            name=op.f("fk_implementation_follow_record_id_implementation_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_implementation_follow_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_implementation_follow")),
        sa.UniqueConstraint("record_id", "user_id", name="uq_implementation_follow_record_id_user_id"),
    )
    with op.batch_alter_table("implementation_follow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_implementation_follow_user_id"), ["user_id"], unique=False)

    op.create_table(
        "implementation_recorded_budget",
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budget.id"],
            name=op.f("fk_implementation_recorded_budget_budget_id_budget"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("budget_id", name=op.f("pk_implementation_recorded_budget")),
    )

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("implementation_record_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_implementation_record_id_implementation_record"),
            "implementation_record",
            ["implementation_record_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notification_implementation_record_id_implementation_record"), type_="foreignkey"
        )
        batch_op.drop_column("implementation_record_id")
    op.drop_table("implementation_recorded_budget")
    op.drop_table("implementation_follow")
    op.drop_table("implementation_milestone")
    op.drop_table("implementation_record")
