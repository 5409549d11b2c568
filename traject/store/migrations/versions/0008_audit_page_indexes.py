"""audit page indexes

The audit page lists a municipality's audit events newest first, a page at a time, optionally of
one kind of action. The audit log grows with every read of a case (who read what is logged too),
so without an index each page sorted all of a municipality's events: these two indexes let it
read the newest rows in order and stop after a page.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_municipality_at", "audit_log", ["municipality", "at", "id"])
    op.create_index(
        "ix_audit_municipality_action_at", "audit_log", ["municipality", "action", "at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_audit_municipality_action_at", table_name="audit_log")
    op.drop_index("ix_audit_municipality_at", table_name="audit_log")
