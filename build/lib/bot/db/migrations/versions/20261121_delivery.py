"""Daily delivery: due instants, topics and concern, the ledger, tick runs, leases.

Revision ID: 20261121_delivery
Revises: 20261121_paused_until
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "20261121_delivery"
down_revision = "20261121_paused_until"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("topics", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("concern", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("next_due_at", UTCDateTime(), nullable=True))
        batch.create_index(batch.f("ix_subscribers_next_due_at"), ["next_due_at"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("tip_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("feedback", sa.String(length=16), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('claimed', 'sending', 'sent', 'failed', 'blocked', 'rejected', "
            "'missed', 'skipped', 'unknown', 'expired')",
            name=op.f("ck_deliveries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_deliveries_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "subscriber_id", "local_date", name=op.f("uq_deliveries_subscriber_id")
        ),
    )
    op.create_index(
        "ix_deliveries_status_lease_until", "deliveries", ["status", "lease_until"], unique=False
    )
    op.create_table(
        "tick_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("replica", sa.String(length=80), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "due",
                "sent",
                "failed",
                "blocked",
                "rejected",
                "missed",
                "skipped",
                "unknown",
                "expired",
                "rate_limited",
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tick_runs")),
    )
    op.create_index(op.f("ix_tick_runs_started_at"), "tick_runs", ["started_at"], unique=False)
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index(op.f("ix_tick_runs_started_at"), table_name="tick_runs")
    op.drop_table("tick_runs")
    op.drop_index("ix_deliveries_status_lease_until", table_name="deliveries")
    op.drop_table("deliveries")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_index(batch.f("ix_subscribers_next_due_at"))
        batch.drop_column("next_due_at")
        batch.drop_column("concern")
        batch.drop_column("topics")
