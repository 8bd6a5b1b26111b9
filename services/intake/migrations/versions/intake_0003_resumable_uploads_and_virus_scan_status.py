"""resumable uploads and virus scan status

Revision ID: intake_0003
Revises: intake_0002
Create Date: 2026-11-26 15:44:30.668580

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "intake_0003"
down_revision: str | Sequence[str] | None = "intake_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "upload_sessions",
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("owner_user_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("declared_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("chunk_keys", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_file_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.application_id"],
            name=op.f("fk_upload_sessions_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_upload_sessions")),
    )
    with op.batch_alter_table("upload_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upload_sessions_application_id"), ["application_id"], unique=False
        )

    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scan_status", sa.String(length=20), nullable=False, server_default="not_scanned"
            )
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.drop_column("scan_status")

    with op.batch_alter_table("upload_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_sessions_application_id"))

    op.drop_table("upload_sessions")
