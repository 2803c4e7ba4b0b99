"""Admin-edited content: tip overrides and program overrides (filled in by the admin work).

Revision ID: 20261121_admin_content
Revises: 20261121_admin
Create Date: 2026-11-21
"""

revision = "20261121_admin_content"
down_revision = "20261121_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
