"""dashboard aggregates: state stays, the ladder on cases and measurements, Wi indicator facts

The step recorder keeps these from now on (activities/aggregates.py); this migration fills them
from the history already in the store, with the same rules, so an upgraded database shows the
same dashboard figures:

- a state stay per `state_entered` event, left at the next event of that case and state when it
  is a `state_exited` (in timeline order);
- per ladder measurement the step measured before it and when the next one was measured, per
  case the first and the latest step (in (measured_at, id) order);
- per case the first `reported pvt_afgerond`, `reported map_afgerond` and
  `state_entered map_vrijgesteld`.

Indexes are built after the rows are in; with them come the covering indexes the dashboard's
other reads need at 100,000 cases (bench/REPORT-dashboard.md): the cases of a scope, case dates
by name and value, tasks done by name, open tasks per role.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (timeline kind, subject) → column of case_indicators; as activities/aggregates.py has it
FACTS = {
    ("reported", "pvt_afgerond"): "pvt_done_at",
    ("reported", "map_afgerond"): "map_done_at",
    ("state_entered", "map_vrijgesteld"): "map_exempt_at",
}


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ladder_first", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ladder_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ladder_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("ladder_measurements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("next_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "state_stays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("definition_version_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["definition_version_id"], ["definition_versions.id"]),
        sa.ForeignKeyConstraint(["municipality"], ["municipalities.slug"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "case_indicators",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("pvt_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("map_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("map_exempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )

    backfill(op.get_bind())

    with op.batch_alter_table("state_stays", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stays_left",
            ["municipality", "definition_version_id", "state", "left_at"],
            unique=False,
            postgresql_include=["entered_at"],
        )
        batch_op.create_index("ix_stays_case", ["case_id", "state"], unique=False)
    with op.batch_alter_table("ladder_measurements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ladder_measured",
            ["measured_at"],
            unique=False,
            postgresql_include=["case_id", "step", "previous_step"],
        )
        batch_op.create_index(
            "ix_ladder_next",
            ["next_at"],
            unique=False,
            postgresql_include=["case_id", "step", "measured_at"],
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_scope",
            ["municipality", "definition_version_id"],
            unique=False,
            postgresql_include=["id", "started_at", "finished_at", "outcome", "status"],
        )
        batch_op.create_index(
            "ix_cases_scope_started",
            ["municipality", "definition_version_id", "started_at"],
            unique=False,
            postgresql_include=["finished_at", "status"],
        )
        batch_op.create_index(
            "ix_cases_scope_finished",
            ["municipality", "definition_version_id", "finished_at"],
            unique=False,
            postgresql_include=["started_at", "outcome", "status"],
        )
        batch_op.create_index(
            "ix_cases_scope_ladder",
            ["municipality", "definition_version_id", "ladder_at"],
            unique=False,
            postgresql_include=["ladder_first", "ladder_step", "started_at", "finished_at"],
        )
    with op.batch_alter_table("case_dates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_dates_name_value",
            ["name", "value"],
            unique=False,
            postgresql_include=["case_id"],
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_open_by_role")
        batch_op.create_index(
            "ix_tasks_open_by_role",
            ["status", "municipality", "role"],
            unique=False,
            postgresql_include=["case_id", "assignee", "overdue", "escalated"],
        )
        batch_op.create_index(
            "ix_tasks_done",
            ["municipality", "name", "status", "completed_at"],
            unique=False,
            postgresql_include=["case_id"],
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ANALYZE cases, case_dates, tasks, ladder_measurements, state_stays, case_indicators"
        )


def backfill(connection: Connection) -> None:
    """Fill the aggregates from the timeline and the ladder measurements (also used by the tests,
    on a store whose rows were written without the recorder)."""
    run = connection.exec_driver_sql
    run(
        """
        INSERT INTO state_stays
            (case_id, municipality, definition_version_id, state, entered_at, left_at)
        SELECT e.case_id, c.municipality, c.definition_version_id, e.subject, e.at,
               CASE WHEN e.next_kind = 'state_exited' THEN e.next_at END
        FROM (
            SELECT case_id, subject, kind, at, seq, id,
                   lead(kind) OVER w AS next_kind,
                   lead(at) OVER w AS next_at
            FROM timeline_events
            WHERE kind IN ('state_entered', 'state_exited') AND subject IS NOT NULL
            WINDOW w AS (PARTITION BY case_id, subject ORDER BY seq, id)
        ) e
        JOIN cases c ON c.id = e.case_id
        WHERE e.kind = 'state_entered'
        ORDER BY e.case_id, e.seq, e.id
        """
    )
    run(
        """
        UPDATE ladder_measurements
        SET previous_step = o.previous_step, next_at = o.next_at
        FROM (
            SELECT id,
                   lag(step) OVER w AS previous_step,
                   lead(measured_at) OVER w AS next_at
            FROM ladder_measurements
            WINDOW w AS (PARTITION BY case_id ORDER BY measured_at, id)
        ) o
        WHERE ladder_measurements.id = o.id
          AND (o.previous_step IS NOT NULL OR o.next_at IS NOT NULL)
        """
    )
    run(
        """
        UPDATE cases SET ladder_step = m.step, ladder_at = m.measured_at
        FROM ladder_measurements m
        WHERE m.case_id = cases.id AND m.next_at IS NULL
        """
    )
    run(
        """
        UPDATE cases SET ladder_first = m.step
        FROM ladder_measurements m
        WHERE m.case_id = cases.id AND m.previous_step IS NULL
        """
    )
    columns = ", ".join(FACTS.values())
    firsts = ", ".join(
        f"min(CASE WHEN kind = '{kind}' AND subject = '{subject}' THEN at END)"
        for kind, subject in FACTS
    )
    which = " OR ".join(f"(kind = '{kind}' AND subject = '{subject}')" for kind, subject in FACTS)
    run(
        f"INSERT INTO case_indicators (case_id, {columns}) "
        f"SELECT case_id, {firsts} FROM timeline_events WHERE {which} GROUP BY case_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_done")
        batch_op.drop_index("ix_tasks_open_by_role")
        batch_op.create_index(
            "ix_tasks_open_by_role", ["municipality", "status", "role"], unique=False
        )
    with op.batch_alter_table("case_dates", schema=None) as batch_op:
        batch_op.drop_index("ix_case_dates_name_value")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_scope")
        batch_op.drop_index("ix_cases_scope_ladder")
        batch_op.drop_index("ix_cases_scope_finished")
        batch_op.drop_index("ix_cases_scope_started")
    with op.batch_alter_table("ladder_measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_ladder_next")
        batch_op.drop_index("ix_ladder_measured")
    op.drop_table("case_indicators")
    with op.batch_alter_table("state_stays", schema=None) as batch_op:
        batch_op.drop_index("ix_stays_case")
        batch_op.drop_index("ix_stays_left")
    op.drop_table("state_stays")
    with op.batch_alter_table("ladder_measurements", schema=None) as batch_op:
        batch_op.drop_column("next_at")
        batch_op.drop_column("previous_step")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("ladder_at")
        batch_op.drop_column("ladder_step")
        batch_op.drop_column("ladder_first")
