"""notify: when a unit last extended its deadline

Revision ID: notify_0004
Revises: notify_0003
Create Date: 2026-11-26 19:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "notify_0004"
down_revision: str | Sequence[str] | None = "notify_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("campaign_units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deadline_extended_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("campaign_units", schema=None) as batch_op:
        batch_op.drop_column("deadline_extended_at")
