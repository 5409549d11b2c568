"""inbox order index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_inbox",
        "tasks",
        ["municipality", "status", sa.text("(due_at IS NULL)"), "due_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_inbox", table_name="tasks")
