"""Admin-edited content: tip overrides and content settings (program, FAQ, pause, send time).

Revision ID: 20261121_admin_content
Revises: 20261121_admin
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "20261121_admin_content"
down_revision = "20261121_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_tips",
        sa.Column("tip_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tip_id", name=op.f("pk_content_tips")),
    )
    op.create_table(
        "content_settings",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_content_settings")),
    )


def downgrade() -> None:
    op.drop_table("content_settings")
    op.drop_table("content_tips")
