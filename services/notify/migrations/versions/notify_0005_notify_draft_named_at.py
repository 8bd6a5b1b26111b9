"""notify: when a draft's names were set, drafts known from an edit before their creation

Revision ID: notify_0005
Revises: notify_0004
Create Date: 2026-11-26 21:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "notify_0005"
down_revision: str | Sequence[str] | None = "notify_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("notify_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("named_at", sa.DateTime(timezone=True), nullable=True))
    # Until now only the creation set a draft's names.
    op.execute("UPDATE notify_drafts SET named_at = created_at")
    with op.batch_alter_table("notify_drafts", schema=None) as batch_op:
        batch_op.alter_column("named_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("applicant", existing_type=sa.JSON(), nullable=True)
        batch_op.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=True)


def downgrade() -> None:
    """Downgrade schema."""
    # Drafts known only from an edit cannot be kept without their applicant and creation.
    op.execute("DELETE FROM notify_drafts WHERE applicant IS NULL OR created_at IS NULL")
    with op.batch_alter_table("notify_drafts", schema=None) as batch_op:
        batch_op.alter_column(
            "created_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("applicant", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("named_at")
