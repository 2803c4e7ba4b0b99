"""Broadcasts and their delivery ledger.

Revision ID: 20261121_broadcasts
Revises: 20261121_admin_content
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "20261121_broadcasts"
down_revision = "20261121_admin_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo", sa.String(length=300), nullable=True),
        sa.Column("button_text", sa.String(length=64), nullable=True),
        sa.Column("button_url", sa.String(length=512), nullable=True),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("audience_value", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("send_at", UTCDateTime(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("progress_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sending', 'done', 'cancelled', 'stopped')",
            name=op.f("ck_broadcasts_status"),
        ),
        sa.CheckConstraint(
            "audience IN ('all', 'language', 'topic', 'concern', 'source')",
            name=op.f("ck_broadcasts_audience"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index(
        "ix_broadcasts_status_send_at", "broadcasts", ["status", "send_at"], unique=False
    )
    op.create_table(
        "broadcast_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('claimed', 'sending', 'sent', 'failed', 'blocked', 'rejected', "
            "'skipped', 'unknown', 'cancelled')",
            name=op.f("ck_broadcast_deliveries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_deliveries_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_broadcast_deliveries_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_deliveries")),
        sa.UniqueConstraint(
            "broadcast_id", "subscriber_id", name=op.f("uq_broadcast_deliveries_broadcast_id")
        ),
    )
    op.create_index(
        "ix_broadcast_deliveries_broadcast_id_status",
        "broadcast_deliveries",
        ["broadcast_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_broadcast_deliveries_subscriber_id"),
        "broadcast_deliveries",
        ["subscriber_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_broadcast_deliveries_subscriber_id"), table_name="broadcast_deliveries")
    op.drop_index("ix_broadcast_deliveries_broadcast_id_status", table_name="broadcast_deliveries")
    op.drop_table("broadcast_deliveries")
    op.drop_index("ix_broadcasts_status_send_at", table_name="broadcasts")
    op.drop_table("broadcasts")
