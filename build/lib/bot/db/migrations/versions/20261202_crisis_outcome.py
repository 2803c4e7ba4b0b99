"""Questions may have the outcome 'crisis' (thoughts of self-harm; no text kept, only the sign).

Revision ID: 20261202_crisis_outcome
Revises: 20261121_paused_index
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "20261202_crisis_outcome"
down_revision = "20261121_paused_index"
branch_labels = None
depends_on = None

_OLD = "outcome IN ('answered', 'ambiguous', 'unanswered', 'urgent')"
_NEW = "outcome IN ('answered', 'ambiguous', 'unanswered', 'urgent', 'crisis')"


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_constraint(op.f("ck_questions_outcome"), type_="check")
        batch.create_check_constraint(op.f("ck_questions_outcome"), sa.text(_NEW))


def downgrade() -> None:
    # The old constraint cannot hold 'crisis'; those rows were urgent messages all the same.
    op.execute("UPDATE questions SET outcome = 'urgent' WHERE outcome = 'crisis'")
    with op.batch_alter_table("questions") as batch:
        batch.drop_constraint(op.f("ck_questions_outcome"), type_="check")
        batch.create_check_constraint(op.f("ck_questions_outcome"), sa.text(_OLD))
