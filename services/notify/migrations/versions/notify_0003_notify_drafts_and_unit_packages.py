"""notify drafts and unit packages, national deadline of forwarded campaigns

Revision ID: notify_0003
Revises: notify_0002
Create Date: 2026-11-26 18:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "notify_0003"
down_revision: str | Sequence[str] | None = "notify_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "notify_drafts",
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("applicant", sa.JSON(), nullable=False),
        sa.Column("enterprise_name", sa.String(length=200), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("topic_name", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_notify_drafts")),
    )
    with op.batch_alter_table("notify_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notify_drafts_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notify_drafts_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "notify_unit_packages",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "unit_id", name=op.f("pk_notify_unit_packages")),
    )
    with op.batch_alter_table("campaign_units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("national_deadline_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("campaign_units", schema=None) as batch_op:
        batch_op.drop_column("national_deadline_at")

    op.drop_table("notify_unit_packages")
    with op.batch_alter_table("notify_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_drafts_unit_id"))
        batch_op.drop_index(batch_op.f("ix_notify_drafts_campaign_id"))

    op.drop_table("notify_drafts")
