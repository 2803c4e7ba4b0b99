"""Webhook updates already taken, so a replayed update_id is handled once across replicas.

Revision ID: 20261202_webhook_updates
Revises: 20261202_crisis_outcome
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "20261202_webhook_updates"
down_revision = "20261202_crisis_outcome"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_webhook_updates")),
    )
    op.create_index(
        op.f("ix_webhook_updates_received_at"), "webhook_updates", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_updates_received_at"), table_name="webhook_updates")
    op.drop_table("webhook_updates")
