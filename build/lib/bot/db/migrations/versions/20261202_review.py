"""Clinical review: the reviewer role and reviewers' decisions on tips and FAQ entries.

Revision ID: 20261202_review
Revises: 20261202_inbox_consent
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision = "20261202_review"
down_revision = "20261202_inbox_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admins") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=16), server_default="admin", nullable=False)
        )
    op.create_table(
        "content_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('tip', 'faq')", name=op.f("ck_content_reviews_kind")),
        sa.CheckConstraint(
            "decision IN ('approved', 'returned')", name=op.f("ck_content_reviews_decision")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_reviews")),
    )
    op.create_index("ix_content_reviews_item", "content_reviews", ["kind", "item_id"])


def downgrade() -> None:
    op.drop_index("ix_content_reviews_item", table_name="content_reviews")
    op.drop_table("content_reviews")
    with op.batch_alter_table("admins") as batch:
        batch.drop_column("role")
