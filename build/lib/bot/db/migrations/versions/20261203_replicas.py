"""Replicas that know each other: one row per running replica, kept fresh by its heartbeat.

Revision ID: 20261203_replicas
Revises: 20261202_review
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "20261203_replicas"
down_revision = "20261202_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replicas",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("started", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replicas")),
    )


def downgrade() -> None:
    op.drop_table("replicas")
