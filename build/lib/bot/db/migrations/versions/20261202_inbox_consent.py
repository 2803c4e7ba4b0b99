"""Consent records and the staff inbox ("Ask the clinic team", #15).

Revision ID: 20261202_inbox_consent
Revises: 20261202_webhook_updates
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "20261202_inbox_consent"
down_revision = "20261202_webhook_updates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("notice", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("given_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('tips', 'concern', 'inbox')", name=op.f("ck_consent_records_purpose")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    op.create_index("ix_consent_records_chat_id_purpose", "consent_records", ["chat_id", "purpose"])
    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("question", sa.String(length=4096), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.String(length=4096), nullable=True),
        sa.Column("replied_by", sa.BigInteger(), nullable=True),
        sa.Column("replied_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'closed')", name=op.f("ck_inbox_items_status")
        ),
        sa.CheckConstraint(
            "kind IN ('unanswered', 'urgent', 'crisis')", name=op.f("ck_inbox_items_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_items")),
    )
    op.create_index(op.f("ix_inbox_items_chat_id"), "inbox_items", ["chat_id"])
    op.create_index(op.f("ix_inbox_items_created_at"), "inbox_items", ["created_at"])
    op.create_index("ix_inbox_items_status_closed_at", "inbox_items", ["status", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_items_status_closed_at", table_name="inbox_items")
    op.drop_index(op.f("ix_inbox_items_created_at"), table_name="inbox_items")
    op.drop_index(op.f("ix_inbox_items_chat_id"), table_name="inbox_items")
    op.drop_table("inbox_items")
    op.drop_index("ix_consent_records_chat_id_purpose", table_name="consent_records")
    op.drop_table("consent_records")
