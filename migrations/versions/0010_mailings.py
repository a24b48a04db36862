"""one generic batched mailing for every domain

Revision ID: 0010_mailings
Revises: 0009_petition_tallies
Create Date: 2026-12-01 16:20:00

"""
from alembic import op
import sqlalchemy as sa

import civic.common.models


revision = '0010_mailings'
down_revision = '0009_petition_tallies'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mailing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('about_type', sa.String(length=30), nullable=False),
    sa.Column('about_id', sa.Integer(), nullable=False),
    sa.Column('created_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_key', sa.Integer(), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('finished_at', civic.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailing'))
    )
    with op.batch_alter_table('mailing', schema=None) as batch_op:
        batch_op.create_index('ix_mailing_about', ['about_type', 'about_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailing_finished_at'), ['finished_at'], unique=False)
    # Petitions' own mailings become generic ones, cursor and all.
    op.execute("INSERT INTO mailing (kind, about_type, about_id, created_at, last_key, sent_count, finished_at) "
               "SELECT 'petition_' || kind, 'petition', petition_id, created_at, last_signature_id, sent_count, "
               "finished_at FROM petition_mailing ORDER BY id")
    with op.batch_alter_table('petition_mailing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_mailing_petition_id'))
        batch_op.drop_index(batch_op.f('ix_petition_mailing_finished_at'))
    op.drop_table('petition_mailing')


def downgrade():
    op.create_table('petition_mailing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', civic.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_signature_id', sa.Integer(), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('finished_at', civic.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_mailing_petition_id_petition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_mailing'))
    )
    with op.batch_alter_table('petition_mailing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_mailing_finished_at'), ['finished_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_mailing_petition_id'), ['petition_id'], unique=False)
    op.execute("INSERT INTO petition_mailing (petition_id, kind, created_at, last_signature_id, sent_count, finished_at) "
               "SELECT about_id, substr(kind, 10), created_at, last_key, sent_count, finished_at FROM mailing "
               "WHERE about_type = 'petition' AND about_id IN (SELECT id FROM petition) ORDER BY id")
    with op.batch_alter_table('mailing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailing_finished_at'))
        batch_op.drop_index('ix_mailing_about')
    op.drop_table('mailing')
