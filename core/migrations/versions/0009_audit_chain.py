"""Audit: one keyed hash chain per district (seq, prev_hash, hash), its head, and purge checkpoints

Revision ID: core_0009
Revises: core_0008
Create Date: 2026-11-28 08:00:00.000000

Existing records are chained here, district by district in the order they were written (``at``,
then id), as the owner role, with the configured master secret (as 0007 needs it too): after the
upgrade every record is signed and ``quanyu audit verify`` has no unsigned beginning to trust.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types
from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision = "core_0009"
down_revision = "core_0008"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    op.add_column("audit_record", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_record", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_record", sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_chain_head",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_audit_chain_head_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_chain_head")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_audit_chain_head_tenant_id")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_audit_checkpoint_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_checkpoint")),
        sa.UniqueConstraint("tenant_id", "seq", name=op.f("uq_audit_checkpoint_tenant_id_seq")),
    )
    _chain_existing()
    with op.batch_alter_table("audit_record") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_audit_record_tenant_id_seq"), ["tenant_id", "seq"])
    enable_tenant_rls(op, "audit_chain_head")
    enable_tenant_rls(op, "audit_checkpoint")


def _chain_existing() -> None:
    from core import crypto
    from core.audit.chain import GENESIS, HASHED_FIELDS, record_hash
    from core.db.ids import new_id

    connection = op.get_bind()
    columns: dict[str, Any] = {
        "tenant_id": sa.Uuid(),
        "id": sa.Uuid(),
        "at": sa_types.DateTimeUTC(timezone=True),
        "user_id": sa.Uuid(),
        "org_node_id": sa.Uuid(),
        "changes": sa_types.JSONDocument(),
        "success": sa.Boolean(),
        "seq": sa.BigInteger(),
    }
    record = sa.table(
        "audit_record",
        *(sa.column(name, columns.get(name, sa.String())) for name in (*HASHED_FIELDS, "hash")),
    )
    head = sa.table(
        "audit_chain_head",
        sa.column("tenant_id", sa.Uuid()),
        sa.column("id", sa.Uuid()),
        sa.column("seq", sa.BigInteger()),
        sa.column("hash", sa.String()),
    )
    update = (
        sa.update(record)
        .where(record.c.tenant_id == sa.bindparam("t"), record.c.id == sa.bindparam("i"))
        .values(seq=sa.bindparam("s"), prev_hash=sa.bindparam("p"), hash=sa.bindparam("h"))
    )
    tenants = connection.execute(sa.select(record.c.tenant_id).distinct()).scalars().all()
    for tenant_id in tenants:
        key = crypto.audit_keys(tenant_id)[0]
        seq, last = 0, GENESIS
        after: tuple[Any, Any] | None = None
        while True:
            query = sa.select(*(c for c in record.c if c.name not in ("seq", "prev_hash", "hash"))).where(
                record.c.tenant_id == tenant_id
            )
            if after is not None:
                query = query.where(sa.tuple_(record.c.at, record.c.id) > sa.tuple_(*after))
            rows = connection.execute(query.order_by(record.c.at, record.c.id).limit(BATCH)).mappings().all()
            if not rows:
                break
            values = []
            for row in rows:
                seq += 1
                hashed = {**row, "seq": seq, "prev_hash": last}
                last = record_hash(key, hashed)
                values.append({"t": tenant_id, "i": row["id"], "s": seq, "p": hashed["prev_hash"], "h": last})
            connection.execute(update, values)
            after = (rows[-1]["at"], rows[-1]["id"])
        connection.execute(sa.insert(head).values(tenant_id=tenant_id, id=new_id(), seq=seq, hash=last))


def downgrade() -> None:
    disable_tenant_rls(op, "audit_checkpoint")
    disable_tenant_rls(op, "audit_chain_head")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_record") as batch:
        batch.drop_constraint(op.f("uq_audit_record_tenant_id_seq"), type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
