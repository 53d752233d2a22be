"""linkage tables

Revision ID: joint_committees_0001
Revises:
Create Date: 2026-11-27 03:28:51.455068
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "joint_committees_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "linkage_committee",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("meetings_per_year", sa.Integer(), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_linkage_committee_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_linkage_committee_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_linkage_committee")),
        sa.UniqueConstraint(
            "tenant_id", "org_node_id", name=op.f("uq_linkage_committee_tenant_id_org_node_id")
        ),
    )
    op.create_index(
        "ix_linkage_committee_tenant_id_org_node_id", "linkage_committee", ["tenant_id", "org_node_id"]
    )

    op.create_table(
        "linkage_meeting",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "committee_id"],
            ["linkage_committee.tenant_id", "linkage_committee.id"],
            name=op.f("fk_linkage_meeting_tenant_id_committee_id_linkage_committee"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_linkage_meeting_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_linkage_meeting_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_linkage_meeting")),
    )
    op.create_index(
        "ix_linkage_meeting_tenant_id_committee_id", "linkage_meeting", ["tenant_id", "committee_id"]
    )
    op.create_index(
        "ix_linkage_meeting_tenant_id_org_node_id", "linkage_meeting", ["tenant_id", "org_node_id"]
    )

    op.create_table(
        "linkage_seat",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("home_unit_node_id", sa.Uuid(), nullable=True),
        sa.Column("home_unit_name", sa.String(length=120), nullable=True),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "committee_id"],
            ["linkage_committee.tenant_id", "linkage_committee.id"],
            name=op.f("fk_linkage_seat_tenant_id_committee_id_linkage_committee"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "home_unit_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_linkage_seat_tenant_id_home_unit_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_linkage_seat_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_linkage_seat_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_linkage_seat_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_linkage_seat")),
    )
    op.create_index("ix_linkage_seat_tenant_id_committee_id", "linkage_seat", ["tenant_id", "committee_id"])
    op.create_index(
        "ix_linkage_seat_tenant_id_home_unit_node_id", "linkage_seat", ["tenant_id", "home_unit_node_id"]
    )
    op.create_index("ix_linkage_seat_tenant_id_org_node_id", "linkage_seat", ["tenant_id", "org_node_id"])
    op.create_index("ix_linkage_seat_tenant_id_person_id", "linkage_seat", ["tenant_id", "person_id"])

    op.create_table(
        "linkage_attendance",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("seat_id", sa.Uuid(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "meeting_id"],
            ["linkage_meeting.tenant_id", "linkage_meeting.id"],
            name=op.f("fk_linkage_attendance_tenant_id_meeting_id_linkage_meeting"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "seat_id"],
            ["linkage_seat.tenant_id", "linkage_seat.id"],
            name=op.f("fk_linkage_attendance_tenant_id_seat_id_linkage_seat"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_linkage_attendance_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_linkage_attendance")),
        sa.UniqueConstraint(
            "tenant_id",
            "meeting_id",
            "seat_id",
            name=op.f("uq_linkage_attendance_tenant_id_meeting_id_seat_id"),
        ),
    )
    op.create_index(
        "ix_linkage_attendance_tenant_id_meeting_id", "linkage_attendance", ["tenant_id", "meeting_id"]
    )
    op.create_index("ix_linkage_attendance_tenant_id_seat_id", "linkage_attendance", ["tenant_id", "seat_id"])

    op.create_table(
        "linkage_decision",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=True),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("owner_name", sa.String(length=50), nullable=False),
        sa.Column("owner_person_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress_note", sa.Text(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_to_node_id", sa.Uuid(), nullable=True),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "committee_id"],
            ["linkage_committee.tenant_id", "linkage_committee.id"],
            name=op.f("fk_linkage_decision_tenant_id_committee_id_linkage_committee"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "escalated_to_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_linkage_decision_tenant_id_escalated_to_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "meeting_id"],
            ["linkage_meeting.tenant_id", "linkage_meeting.id"],
            name=op.f("fk_linkage_decision_tenant_id_meeting_id_linkage_meeting"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_linkage_decision_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_linkage_decision_tenant_id_owner_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_linkage_decision_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_linkage_decision")),
    )
    op.create_index(
        "ix_linkage_decision_tenant_id_committee_id", "linkage_decision", ["tenant_id", "committee_id"]
    )
    op.create_index(
        "ix_linkage_decision_tenant_id_escalated_to_node_id",
        "linkage_decision",
        ["tenant_id", "escalated_to_node_id"],
    )
    op.create_index(
        "ix_linkage_decision_tenant_id_meeting_id", "linkage_decision", ["tenant_id", "meeting_id"]
    )
    op.create_index(
        "ix_linkage_decision_tenant_id_org_node_id", "linkage_decision", ["tenant_id", "org_node_id"]
    )
    op.create_index(
        "ix_linkage_decision_tenant_id_owner_person_id", "linkage_decision", ["tenant_id", "owner_person_id"]
    )

    op.create_table(
        "linkage_escalation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("from_node_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "decision_id"],
            ["linkage_decision.tenant_id", "linkage_decision.id"],
            name=op.f("fk_linkage_escalation_tenant_id_decision_id_linkage_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "from_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_linkage_escalation_tenant_id_from_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_linkage_escalation_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_linkage_escalation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_linkage_escalation")),
        sa.UniqueConstraint(
            "tenant_id",
            "decision_id",
            "level",
            name=op.f("uq_linkage_escalation_tenant_id_decision_id_level"),
        ),
    )
    op.create_index(
        "ix_linkage_escalation_tenant_id_decision_id", "linkage_escalation", ["tenant_id", "decision_id"]
    )
    op.create_index(
        "ix_linkage_escalation_tenant_id_from_node_id", "linkage_escalation", ["tenant_id", "from_node_id"]
    )
    op.create_index(
        "ix_linkage_escalation_tenant_id_org_node_id", "linkage_escalation", ["tenant_id", "org_node_id"]
    )
    enable_tenant_rls(op, "linkage_committee")
    enable_tenant_rls(op, "linkage_meeting")
    enable_tenant_rls(op, "linkage_seat")
    enable_tenant_rls(op, "linkage_attendance")
    enable_tenant_rls(op, "linkage_decision")
    enable_tenant_rls(op, "linkage_escalation")


def downgrade() -> None:
    disable_tenant_rls(op, "linkage_escalation")
    disable_tenant_rls(op, "linkage_decision")
    disable_tenant_rls(op, "linkage_attendance")
    disable_tenant_rls(op, "linkage_seat")
    disable_tenant_rls(op, "linkage_meeting")
    disable_tenant_rls(op, "linkage_committee")
    op.drop_index("ix_linkage_escalation_tenant_id_org_node_id", table_name="linkage_escalation")
    op.drop_index("ix_linkage_escalation_tenant_id_from_node_id", table_name="linkage_escalation")
    op.drop_index("ix_linkage_escalation_tenant_id_decision_id", table_name="linkage_escalation")

    op.drop_table("linkage_escalation")
    op.drop_index("ix_linkage_decision_tenant_id_owner_person_id", table_name="linkage_decision")
    op.drop_index("ix_linkage_decision_tenant_id_org_node_id", table_name="linkage_decision")
    op.drop_index("ix_linkage_decision_tenant_id_meeting_id", table_name="linkage_decision")
    op.drop_index("ix_linkage_decision_tenant_id_escalated_to_node_id", table_name="linkage_decision")
    op.drop_index("ix_linkage_decision_tenant_id_committee_id", table_name="linkage_decision")

    op.drop_table("linkage_decision")
    op.drop_index("ix_linkage_attendance_tenant_id_seat_id", table_name="linkage_attendance")
    op.drop_index("ix_linkage_attendance_tenant_id_meeting_id", table_name="linkage_attendance")

    op.drop_table("linkage_attendance")
    op.drop_index("ix_linkage_seat_tenant_id_person_id", table_name="linkage_seat")
    op.drop_index("ix_linkage_seat_tenant_id_org_node_id", table_name="linkage_seat")
    op.drop_index("ix_linkage_seat_tenant_id_home_unit_node_id", table_name="linkage_seat")
    op.drop_index("ix_linkage_seat_tenant_id_committee_id", table_name="linkage_seat")

    op.drop_table("linkage_seat")
    op.drop_index("ix_linkage_meeting_tenant_id_org_node_id", table_name="linkage_meeting")
    op.drop_index("ix_linkage_meeting_tenant_id_committee_id", table_name="linkage_meeting")

    op.drop_table("linkage_meeting")
    op.drop_index("ix_linkage_committee_tenant_id_org_node_id", table_name="linkage_committee")

    op.drop_table("linkage_committee")
