"""delivery records from notify

Revision ID: intake_0004
Revises: intake_0003
Create Date: 2026-11-26 16:03:14.221473

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "intake_0004"
down_revision: str | Sequence[str] | None = "intake_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "delivery_records",
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_delivery_records")),
    )
    with op.batch_alter_table("delivery_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_records_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("delivery_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_records_application_id"))

    op.drop_table("delivery_records")
