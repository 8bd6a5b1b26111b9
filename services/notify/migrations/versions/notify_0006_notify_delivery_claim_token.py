"""notify: the token of a delivery's current claim

Revision ID: notify_0006
Revises: notify_0005
Create Date: 2026-11-26 23:55:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "notify_0006"
down_revision: str | Sequence[str] | None = "notify_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.Uuid(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("claim_token")
