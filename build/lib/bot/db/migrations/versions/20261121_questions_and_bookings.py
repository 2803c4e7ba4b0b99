"""Questions asked and booking intents.

Revision ID: 20261121_questions_bookings
Revises: 20261121_subscribers
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "20261121_questions_bookings"
down_revision = "20261121_subscribers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.String(length=4096), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('answered', 'ambiguous', 'unanswered', 'urgent')",
            name=op.f("ck_questions_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    op.create_index("ix_questions_outcome_created_at", "questions", ["outcome", "created_at"])
    op.create_table(
        "booking_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_intents")),
    )
    op.create_index(
        op.f("ix_booking_intents_clinic_id"), "booking_intents", ["clinic_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_booking_intents_clinic_id"), table_name="booking_intents")
    op.drop_table("booking_intents")
    op.drop_index("ix_questions_outcome_created_at", table_name="questions")
    op.drop_table("questions")
