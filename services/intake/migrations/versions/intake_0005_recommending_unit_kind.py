"""recommending unit kind

Revision ID: intake_0005
Revises: intake_0004
Create Date: 2026-11-26 18:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "intake_0005"
down_revision: str | Sequence[str] | None = "intake_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("recommending_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("recommending_units", schema=None) as batch_op:
        batch_op.drop_column("kind")
