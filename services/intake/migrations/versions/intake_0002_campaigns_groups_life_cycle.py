"""campaigns, groups, life cycle

Revision ID: intake_0002
Revises: intake_0001
Create Date: 2026-11-26 15:32:10.017011

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "intake_0002"
down_revision: str | Sequence[str] | None = "intake_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "deadline_extensions",
        sa.Column("extension_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("previous_deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("extended_by", sa.String(length=40), nullable=False),
        sa.Column("extended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("extension_id", name=op.f("pk_deadline_extensions")),
    )
    with op.batch_alter_table("deadline_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deadline_extensions_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "idempotent_submissions",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotent_submissions")),
    )
    op.create_table(
        "qc_groups",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("enterprise_id", sa.String(length=40), nullable=False),
        sa.Column("owner_user_id", sa.String(length=40), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_qc_groups")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_qc_groups_registration_number")),
    )
    with op.batch_alter_table("qc_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_qc_groups_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "registration_counters",
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=10), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "year", "series", name=op.f("pk_registration_counters")),
    )
    op.create_table(
        "qc_topics",
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["qc_groups.group_id"], name=op.f("fk_qc_topics_group_id_qc_groups")
        ),
        sa.PrimaryKeyConstraint("topic_id", name=op.f("pk_qc_topics")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_qc_topics_registration_number")),
    )
    with op.batch_alter_table("qc_topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qc_topics_group_id"), ["group_id"], unique=False)

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("correction_deadline_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("group_registration_number", sa.String(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("topic_registration_number", sa.String(length=40), nullable=True)
        )

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contacts", sa.JSON(), nullable=False, server_default="[]"))

    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_code", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("contacts", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_unique_constraint(batch_op.f("uq_enterprises_credit_code"), ["credit_code"])

    with op.batch_alter_table("recommending_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=10), nullable=True))

    with op.batch_alter_table("unit_campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contacts", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("unit_campaigns", schema=None) as batch_op:
        batch_op.drop_column("forwarded_at")
        batch_op.drop_column("contacts")
        batch_op.drop_column("body")
        batch_op.drop_column("title")

    with op.batch_alter_table("recommending_units", schema=None) as batch_op:
        batch_op.drop_column("code")

    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_enterprises_credit_code"), type_="unique")
        batch_op.drop_column("contacts")
        batch_op.drop_column("credit_code")

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("contacts")

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("topic_registration_number")
        batch_op.drop_column("group_registration_number")
        batch_op.drop_column("correction_deadline_at")
        batch_op.drop_column("decision")

    with op.batch_alter_table("qc_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_topics_group_id"))

    op.drop_table("qc_topics")
    op.drop_table("registration_counters")
    with op.batch_alter_table("qc_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_groups_enterprise_id"))

    op.drop_table("qc_groups")
    op.drop_table("idempotent_submissions")
    with op.batch_alter_table("deadline_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_extensions_unit_id"))

    op.drop_table("deadline_extensions")
