"""participatory budgets: budgets, areas, projects, ballots and their choices

Revision ID: 0014_budgets
Revises: 0013_proposals
Create Date: 2026-12-01 22:19:01.269515

"""
from alembic import op
import sqlalchemy as sa

import civic.common.models


# revision identifiers, used by Alembic.
revision = '0014_budgets'
down_revision = '0013_proposals'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('description_markdown', sa.Text(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('ballot_kind', sa.String(length=12), nullable=False),
    sa.Column('max_projects', sa.Integer(), nullable=True),
    sa.Column('within_budget', sa.Boolean(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('collecting_starts_at', civic.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_starts_at', civic.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voting_starts_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voting_ends_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('implementation_starts_at', civic.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('pabulib_meta', sa.JSON(), nullable=False),
    sa.Column('created_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_budget_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget'))
    )
    with op.batch_alter_table('budget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_voting_ends_at'), ['voting_ends_at'], unique=False)

    op.create_table('budget_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['budget_id'], ['budget.id'], name=op.f('fk_budget_area_budget_id_budget'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_area')),
    sa.UniqueConstraint('budget_id', 'name', name='uq_budget_area_name')
    )
    with op.batch_alter_table('budget_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_area_budget_id'), ['budget_id'], unique=False)

    op.create_table('budget_ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=True),
    sa.Column('imported_voter', sa.String(length=64), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('created_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['budget_area.id'], name=op.f('fk_budget_ballot_area_id_budget_area'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['budget_id'], ['budget.id'], name=op.f('fk_budget_ballot_budget_id_budget'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['user.id'], name=op.f('fk_budget_ballot_voter_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_ballot')),
    sa.UniqueConstraint('budget_id', 'imported_voter', name='uq_budget_ballot_imported_voter'),
    sa.UniqueConstraint('budget_id', 'voter_id', name='uq_budget_ballot_voter')
    )
    with op.batch_alter_table('budget_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_ballot_voter_id'), ['voter_id'], unique=False)

    op.create_table('budget_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('description_markdown', sa.Text(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=False),
    sa.Column('feasibility', sa.String(length=16), nullable=False),
    sa.Column('feasibility_reason', sa.String(length=1000), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('pabulib_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['budget_area.id'], name=op.f('fk_budget_project_area_id_budget_area'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['budget_id'], ['budget.id'], name=op.f('fk_budget_project_budget_id_budget'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_project')),
    sa.UniqueConstraint('budget_id', 'pabulib_id', name='uq_budget_project_pabulib_id')
    )
    with op.batch_alter_table('budget_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_project_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_project_budget_id'), ['budget_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_project_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('budget_ballot_choice',
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['budget_ballot.id'], name=op.f('fk_budget_ballot_choice_ballot_id_budget_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['budget_project.id'], name=op.f('fk_budget_ballot_choice_project_id_budget_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'project_id', name=op.f('pk_budget_ballot_choice'))
    )
    with op.batch_alter_table('budget_ballot_choice', schema=None) as batch_op:
        batch_op.create_index('ix_budget_ballot_choice_project_id', ['project_id'], unique=False)



def downgrade():
    with op.batch_alter_table('budget_ballot_choice', schema=None) as batch_op:
        batch_op.drop_index('ix_budget_ballot_choice_project_id')

    op.drop_table('budget_ballot_choice')
    with op.batch_alter_table('budget_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_project_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_budget_project_budget_id'))
        batch_op.drop_index(batch_op.f('ix_budget_project_area_id'))

    op.drop_table('budget_project')
    with op.batch_alter_table('budget_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_ballot_voter_id'))

    op.drop_table('budget_ballot')
    with op.batch_alter_table('budget_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_area_budget_id'))

    op.drop_table('budget_area')
    with op.batch_alter_table('budget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_voting_ends_at'))

    op.drop_table('budget')
