"""Broadcasts and their delivery ledger (filled in by the broadcast work).

Revision ID: 20261121_broadcasts
Revises: 20261121_admin_content
Create Date: 2026-11-21
"""

revision = "20261121_broadcasts"
down_revision = "20261121_admin_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
