"""stay days: the histogram of state stays the throughput per phase is read from

Each closed stay gets its length in whole days (`state_stays.days`, rounded down); `stay_days`
counts the stays per municipality, version, state, month left (UTC) and whole days. The step
recorder keeps both from now on (activities/aggregates.py); this migration fills them from the
stays already there. With them the dashboard reads a period's throughput per phase from a few
hundred buckets per state and the stays of the handful of buckets its percentiles fall in,
instead of sorting every stay of the period (bench/REPORT-dashboard.md: 400 ms at 100,000
cases before). On PostgreSQL also statistics on the month of a ladder measurement, for the
ladder per month.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 22:00:00
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STAYS = sa.table(
    "state_stays",
    sa.column("id", sa.Integer()),
    sa.column("municipality", sa.String()),
    sa.column("definition_version_id", sa.Integer()),
    sa.column("state", sa.String()),
    sa.column("entered_at", sa.DateTime(timezone=True)),
    sa.column("left_at", sa.DateTime(timezone=True)),
    sa.column("days", sa.Integer()),
)
STAY_DAYS = sa.table(
    "stay_days",
    sa.column("municipality", sa.String()),
    sa.column("definition_version_id", sa.Integer()),
    sa.column("state", sa.String()),
    sa.column("month", sa.Date()),
    sa.column("days", sa.Integer()),
    sa.column("stays", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("state_stays", schema=None) as batch_op:
        batch_op.add_column(sa.Column("days", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_stays_left")
    op.create_table(
        "stay_days",
        sa.Column("municipality", sa.String(length=64), nullable=False),
        sa.Column("definition_version_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("stays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["definition_version_id"], ["definition_versions.id"]),
        sa.ForeignKeyConstraint(["municipality"], ["municipalities.slug"]),
        sa.PrimaryKeyConstraint(
            "municipality",
            "definition_version_id",
            "state",
            "month",
            "days",
            postgresql_include=["stays"],
        ),
    )

    backfill(op.get_bind())

    with op.batch_alter_table("state_stays", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stays_left",
            ["municipality", "definition_version_id", "state", "left_at"],
            unique=False,
            postgresql_include=["entered_at", "days"],
        )
        batch_op.create_index(
            "ix_stays_days",
            ["municipality", "definition_version_id", "state", "days", "left_at"],
            unique=False,
            postgresql_include=["entered_at"],
        )
    if op.get_bind().dialect.name == "postgresql":
        # the ladder per month groups measurements by month: told how few months there are,
        # the planner hashes them instead of sorting every measurement of the period
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS st_ladder_month ON "
            "(CAST(date_trunc('month', timezone('UTC', measured_at)) AS date)) "
            "FROM ladder_measurements"
        )
        op.execute("ANALYZE state_stays, stay_days, ladder_measurements")


def backfill(connection: Connection) -> None:
    """Fill `state_stays.days` and `stay_days` from the closed stays (also used by the tests and
    the dashboard benchmark, on a store whose stays were written without the recorder). On
    PostgreSQL in two statements (the epoch of an interval is exact there); SQLite's date
    arithmetic is floating point, so there Python counts, as the recorder does."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "UPDATE state_stays SET days = floor(extract(epoch FROM left_at - entered_at) / 86400)"
            " WHERE left_at IS NOT NULL"
        )
        connection.exec_driver_sql(
            """
            INSERT INTO stay_days (municipality, definition_version_id, state, month, days, stays)
            SELECT municipality, definition_version_id, state,
                   CAST(date_trunc('month', left_at AT TIME ZONE 'UTC') AS date), days, count(*)
            FROM state_stays WHERE left_at IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5
            """
        )
        return
    closed = connection.execute(
        sa.select(
            STAYS.c.id,
            STAYS.c.municipality,
            STAYS.c.definition_version_id,
            STAYS.c.state,
            STAYS.c.entered_at,
            STAYS.c.left_at,
        ).where(STAYS.c.left_at.is_not(None))
    ).all()
    days_of: list[dict[str, int]] = []
    counts: Counter[tuple[str, int, str, date, int]] = Counter()
    for stay_id, municipality, version_id, state, entered, left in closed:
        days = (_utc(left) - _utc(entered)) // timedelta(days=1)
        days_of.append({"stay": stay_id, "whole_days": days})
        counts[(municipality, version_id, state, _utc(left).date().replace(day=1), days)] += 1
    if days_of:
        connection.execute(
            sa.update(STAYS)
            .where(STAYS.c.id == sa.bindparam("stay"))
            .values(days=sa.bindparam("whole_days")),
            days_of,
        )
    if counts:
        connection.execute(
            sa.insert(STAY_DAYS),
            [
                {
                    "municipality": municipality,
                    "definition_version_id": version_id,
                    "state": state,
                    "month": month,
                    "days": days,
                    "stays": n,
                }
                for (municipality, version_id, state, month, days), n in sorted(counts.items())
            ],
        )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_ladder_month")
    with op.batch_alter_table("state_stays", schema=None) as batch_op:
        batch_op.drop_index("ix_stays_days")
        batch_op.drop_index("ix_stays_left")
    op.drop_table("stay_days")
    with op.batch_alter_table("state_stays", schema=None) as batch_op:
        batch_op.drop_column("days")
        batch_op.create_index(
            "ix_stays_left",
            ["municipality", "definition_version_id", "state", "left_at"],
            unique=False,
            postgresql_include=["entered_at"],
        )
