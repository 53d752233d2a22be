"""People: the masked ID number and phone kept at write time, so that lists decrypt nothing

Revision ID: core_0007
Revises: core_0006
Create Date: 2026-11-27 08:00:00.000000

Existing rows are filled by decrypting each value once, district by district, as the owner role
(which bypasses row-level security). A value that does not decrypt under the configured keys stops
the upgrade: it means the wrong ``QUANYU_SECRET_KEY`` is set, and guessing would show wrong masks.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "core_0007"
down_revision = "core_0006"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    op.add_column(
        "person", sa.Column("id_card_masked", sa.String(length=18), server_default="", nullable=False)
    )
    op.add_column("person", sa.Column("phone_masked", sa.String(length=16), nullable=True))
    _fill_masks()


def _fill_masks(tenant_id: Any = None) -> None:
    """Fill the masks of every person (of one district when ``tenant_id`` is given: the tests' way)."""
    from core import crypto
    from core.people.validation import mask_id_card, mask_phone

    connection = op.get_bind()
    person = sa.table(
        "person",
        sa.column("tenant_id", sa.Uuid()),
        sa.column("id", sa.Uuid()),
        sa.column("id_card_encrypted", sa.Text()),
        sa.column("phone_encrypted", sa.Text()),
        sa.column("id_card_masked", sa.String()),
        sa.column("phone_masked", sa.String()),
    )
    update = (
        sa.update(person)
        .where(person.c.tenant_id == sa.bindparam("t"), person.c.id == sa.bindparam("i"))
        .values(id_card_masked=sa.bindparam("card"), phone_masked=sa.bindparam("phone"))
    )
    last: tuple[Any, Any] | None = None
    while True:
        query = sa.select(
            person.c.tenant_id, person.c.id, person.c.id_card_encrypted, person.c.phone_encrypted
        ).order_by(person.c.tenant_id, person.c.id)
        if tenant_id is not None:
            query = query.where(person.c.tenant_id == tenant_id)
        if last is not None:
            query = query.where(sa.tuple_(person.c.tenant_id, person.c.id) > sa.tuple_(*last))
        rows = connection.execute(query.limit(BATCH)).all()
        if not rows:
            return
        values = []
        for tenant_id, person_id, card, phone in rows:
            values.append(
                {
                    "t": tenant_id,
                    "i": person_id,
                    "card": mask_id_card(crypto.decrypt(tenant_id, card)),
                    "phone": mask_phone(crypto.decrypt(tenant_id, phone)) if phone else None,
                }
            )
        connection.execute(update, values)
        last = (rows[-1][0], rows[-1][1])


def downgrade() -> None:
    op.drop_column("person", "phone_masked")
    op.drop_column("person", "id_card_masked")
