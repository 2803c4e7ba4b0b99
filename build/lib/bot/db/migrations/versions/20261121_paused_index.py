"""A partial index on subscribers.paused_until, so resuming ended pauses reads only paused rows.

Revision ID: 20261121_paused_index
Revises: 20261121_broadcasts
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "20261121_paused_index"
down_revision = "20261121_broadcasts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_subscribers_paused_until",
        "subscribers",
        ["paused_until"],
        unique=False,
        sqlite_where=sa.text("paused_until IS NOT NULL"),
        postgresql_where=sa.text("paused_until IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_subscribers_paused_until", table_name="subscribers")
