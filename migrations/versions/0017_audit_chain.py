"""audit log: append-only and hash-chained (each entry carries the hash of the one before it);
the chain is computed for the entries already there, in id order

Revision ID: 0017_audit_chain
Revises: 0016_accountability
Create Date: 2026-12-01 23:55:00.000000

"""

import sqlalchemy as sa
from alembic import op

import civic.common.models
from civic.audit.chain import GENESIS_HASH, entry_hash

# revision identifiers, used by Alembic.
revision = "0017_audit_chain"
down_revision = "0016_accountability"
branch_labels = None
depends_on = None

BATCH = 1000

audit_entry = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer()),
    sa.column("created_at", civic.common.models.UTCDateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("target_type", sa.String()),
    sa.column("target_id", sa.Integer()),
    sa.column("target_label", sa.String()),
    sa.column("reason", sa.Text()),
    sa.column("details", sa.JSON()),
    sa.column("chain_index", sa.Integer()),
    sa.column("previous_hash", sa.String()),
    sa.column("entry_hash", sa.String()),
)


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_index", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))

    connection = op.get_bind()
    last_id, index, previous = 0, 0, GENESIS_HASH
    while True:
        rows = connection.execute(
            sa.select(audit_entry).where(audit_entry.c.id > last_id).order_by(audit_entry.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            index += 1
            values = {**row._asdict(), "chain_index": index, "previous_hash": previous}
            previous = entry_hash(values)
            connection.execute(
                audit_entry.update()
                .where(audit_entry.c.id == row.id)
                .values(chain_index=index, previous_hash=values["previous_hash"], entry_hash=previous)
            )
        last_id = rows[-1].id

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column("chain_index", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entry_chain_index"), ["chain_index"])


def downgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_entry_chain_index"), type_="unique")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("previous_hash")
        batch_op.drop_column("chain_index")
