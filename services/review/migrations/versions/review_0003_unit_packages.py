"""unit packages to the national office

Revision ID: review_0003
Revises: review_0002
Create Date: 2026-11-26 16:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "review_0003"
down_revision: str | Sequence[str] | None = "review_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "unit_packages",
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("unit_contacts", sa.JSON(), nullable=False),
        sa.Column("return_reasons", sa.JSON(), nullable=False),
        sa.Column("recommendation_scan", sa.JSON(), nullable=True),
        sa.Column("statistics", sa.JSON(), nullable=True),
        sa.Column("statistics_request_id", sa.String(length=40), nullable=True),
        sa.Column("work_summary", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("unit_id", "campaign_id", name=op.f("pk_unit_packages")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("unit_packages")
