"""Dashboard reads: aggregates over the read model for one municipality and one definition (some
or all of its versions) in a period. Every query filters on the municipality first; nothing here
reads personal data (`case_persons`, `tasks.personal_data`) or writes.

Counting is done by the database (GROUP BY, window functions); only per-item durations for the
percentiles and small grouped results come back. Timestamps are compared in UTC; calendar
arithmetic (months clipped to the month's end) is PostgreSQL's interval arithmetic, and on SQLite
the same rule in a SQL function registered per connection (`traject.kpi.shift_text`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Text,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from traject.kpi import DAY, Period, plus_months, shift_text
from traject.store.models import (
    Case,
    DefinitionVersion,
    Escalation,
    LadderMeasurement,
    Task,
    TimelineEvent,
)

OPEN = ("starting", "running", "suspended")
STATE_EVENTS = ("state_entered", "state_exited")
PIP_DAYS = 70  # Wet inburgering 2021: the PIP within ten weeks of the DUO notice
TERM_MONTHS = 36  # the inburgeringstermijn: three years from the day after the PIP
NOT_COUNTED = ("ontheffing", "verhuisd")  # outcomes that end the duty without a result


@dataclass(frozen=True)
class Scope:
    municipality: str
    version_ids: tuple[int, ...]
    period: Period
    now: datetime


def versions(session: Session, municipality: str) -> list[DefinitionVersion]:
    """The municipality's published definition versions, by definition then version."""
    return list(
        session.scalars(
            select(DefinitionVersion)
            .where(DefinitionVersion.municipality == municipality)
            .order_by(DefinitionVersion.definition, DefinitionVersion.version)
        )
    )


def in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    return [
        Case.municipality == scope.municipality,
        Case.definition_version_id.in_(scope.version_ids),
    ]


def alive(scope: Scope) -> list[ColumnElement[bool]]:
    """Cases that ran during the period (started before its end, not finished before its start)."""
    return [
        *in_scope(scope),
        Case.started_at < scope.period.until,
        or_(Case.finished_at.is_(None), Case.finished_at >= scope.period.since),
    ]


# ------------------------------------------------------------------------ dialect helpers
def is_pg(session: Session) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        return True
    raw: Any = session.connection().connection.driver_connection
    raw.create_function("traject_shift", 3, shift_text, deterministic=True)
    return False


def utc(pg: bool, column: Any) -> Any:
    """A timestamp as UTC wall time (PostgreSQL); SQLite stores UTC text already."""
    return func.timezone("UTC", column) if pg else column


def shift(pg: bool, column: Any, months: int = 0, days: int = 0) -> Any:
    if pg:
        return column + func.make_interval(0, months, 0, days)
    return func.traject_shift(column, months, days)


def day_of(pg: bool, column: Any) -> Any:
    return cast(func.timezone("UTC", column), Date) if pg else func.date(column)


def trunc(pg: bool, column: Any, unit: str) -> Any:
    if pg:
        return cast(func.date_trunc(unit, func.timezone("UTC", column)), Date)
    if unit == "week":
        return func.date(column, "weekday 0", "-6 days")
    return func.date(column, "start of month")


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# ------------------------------------------------------------------------------- now: states
@dataclass(frozen=True)
class Combo:
    """Open cases sharing one set of current states (`text`: as stored, for exact matching)."""

    text: str
    states: tuple[str, ...]
    cases: int


def state_combos(session: Session, scope: Scope) -> list[Combo]:
    key = cast(Case.current_states, Text)
    rows = session.execute(
        select(key, func.count()).where(*in_scope(scope), Case.status.in_(OPEN)).group_by(key)
    )
    return [Combo(text, tuple(json.loads(text or "[]")), n) for text, n in rows]


@dataclass(frozen=True)
class RoleTasks:
    role: str
    open: int
    unassigned: int
    overdue: int
    escalated: int


def tasks_by_role(session: Session, scope: Scope) -> list[RoleTasks]:
    flag = count_if
    rows = session.execute(
        select(
            Task.role,
            func.count(),
            flag(Task.assignee.is_(None)),
            flag(Task.overdue.is_(True)),
            flag(Task.escalated.is_(True)),
        )
        .join(Case, Case.id == Task.case_id)
        .where(Task.municipality == scope.municipality, Task.status == "open", *in_scope(scope))
        .group_by(Task.role)
        .order_by(Task.role)
    )
    return [RoleTasks(*row) for row in rows]


# --------------------------------------------------------------------------- in the period
@dataclass(frozen=True)
class EscalationRow:
    to_role: str
    reason: str | None
    count: int
    unresolved: int


def escalations(session: Session, scope: Scope) -> list[EscalationRow]:
    rows = session.execute(
        select(
            Escalation.to_role,
            Escalation.reason,
            func.count(),
            count_if(Escalation.resolved_at.is_(None)),
        )
        .join(Case, Case.id == Escalation.case_id)
        .where(
            *in_scope(scope),
            Escalation.created_at >= scope.period.since,
            Escalation.created_at < scope.period.until,
        )
        .group_by(Escalation.to_role, Escalation.reason)
        .order_by(func.count().desc(), Escalation.to_role, Escalation.reason)
    )
    return [EscalationRow(*row) for row in rows]


def weekly(session: Session, scope: Scope) -> dict[date, tuple[int, int]]:
    """Monday of the week → (trajectories started, trajectories finished) in the period."""
    pg = is_pg(session)
    out: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for index, column in enumerate((Case.started_at, Case.finished_at)):
        week = trunc(pg, column, "week").label("week")
        rows = session.execute(
            select(week, func.count())
            .where(*in_scope(scope), column >= scope.period.since, column < scope.period.until)
            .group_by(week)
        )
        for day, n in rows:
            out[as_date(day)][index] = n
    return {day: (s, f) for day, (s, f) in sorted(out.items())}


def outcome_durations(session: Session, scope: Scope) -> dict[str, list[float]]:
    """Outcome → throughput times (days, start to finish) of cases finished in the period."""
    rows = session.execute(
        select(Case.outcome, Case.started_at, Case.finished_at).where(
            *in_scope(scope),
            Case.outcome.is_not(None),
            Case.finished_at >= scope.period.since,
            Case.finished_at < scope.period.until,
        )
    )
    out: dict[str, list[float]] = defaultdict(list)
    for outcome, started, finished in rows:
        if outcome is not None and finished is not None:
            out[outcome].append((finished - started).total_seconds() / DAY)
    return dict(out)


def phase_durations(session: Session, scope: Scope) -> dict[str, list[float]]:
    """State → days of each stay in it that ended in the period (entered → the next exit)."""
    t = TimelineEvent
    parts, order = (t.case_id, t.subject), t.seq
    events = (
        select(
            t.subject,
            t.kind,
            t.at,
            func.lag(t.kind).over(partition_by=parts, order_by=order).label("prev_kind"),
            func.lag(t.at, type_=t.at.type)
            .over(partition_by=parts, order_by=order)
            .label("prev_at"),
        )
        .join(Case, Case.id == t.case_id)
        .where(*alive(scope), t.kind.in_(STATE_EVENTS), t.at < scope.period.until)
        .subquery()
    )
    rows = session.execute(
        select(events.c.subject, events.c.prev_at, events.c.at).where(
            events.c.kind == "state_exited",
            events.c.prev_kind == "state_entered",
            events.c.at >= scope.period.since,
        )
    )
    out: dict[str, list[float]] = defaultdict(list)
    for subject, entered, exited in rows:
        out[subject].append((exited - entered).total_seconds() / DAY)
    return dict(out)


def started_finished(session: Session, scope: Scope) -> tuple[int, dict[str, int], int]:
    """(started in the period, finished in it by outcome, open at its end)."""
    since, until = scope.period.since, scope.period.until
    started = session.scalar(
        select(func.count()).where(
            *in_scope(scope), Case.started_at >= since, Case.started_at < until
        )
    )
    finished = session.execute(
        select(func.coalesce(Case.outcome, Case.status), func.count())
        .where(*in_scope(scope), Case.finished_at >= since, Case.finished_at < until)
        .group_by(func.coalesce(Case.outcome, Case.status))
    )
    still_open = session.scalar(
        select(func.count()).where(
            *in_scope(scope),
            Case.status != "cancelled",
            Case.started_at < until,
            or_(Case.finished_at.is_(None), Case.finished_at >= until),
        )
    )
    return started or 0, {k: n for k, n in finished}, still_open or 0


# ---------------------------------------------------------------------- participatieladder
@dataclass
class LadderFigures:
    latest: dict[int, int] = field(default_factory=dict)  # step → cases (latest by the end)
    changes: dict[tuple[int, int], int] = field(default_factory=dict)  # (first, latest) → cases
    monthly: dict[date, tuple[int, int, int, float]] = field(default_factory=dict)
    # month → (measurements, steps up, steps down, mean step)
    at_horizon: dict[int | None, int] = field(default_factory=dict)  # step → cases (None: none)


def ladder(session: Session, scope: Scope, horizon_months: int) -> LadderFigures:
    pg = is_pg(session)
    m = LadderMeasurement
    figures = LadderFigures()
    ranked = (
        select(
            m.step,
            func.row_number()
            .over(partition_by=m.case_id, order_by=(m.measured_at.desc(), m.id.desc()))
            .label("rn"),
            func.first_value(m.step)
            .over(partition_by=m.case_id, order_by=(m.measured_at, m.id))
            .label("first"),
        )
        .join(Case, Case.id == m.case_id)
        .where(*alive(scope), m.measured_at < scope.period.until)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.first, ranked.c.step, func.count())
        .where(ranked.c.rn == 1)
        .group_by(ranked.c.first, ranked.c.step)
    )
    for first, last, n in rows:
        figures.changes[(first, last)] = n
        figures.latest[last] = figures.latest.get(last, 0) + n

    previous = (
        select(
            m.step,
            m.measured_at,
            func.lag(m.step)
            .over(partition_by=m.case_id, order_by=(m.measured_at, m.id))
            .label("p"),
        )
        .join(Case, Case.id == m.case_id)
        .where(*alive(scope), m.measured_at < scope.period.until)
        .subquery()
    )
    month = trunc(pg, previous.c.measured_at, "month").label("month")
    rows = session.execute(
        select(
            month,
            func.count(),
            count_if(previous.c.step > previous.c.p),
            count_if(previous.c.step < previous.c.p),
            func.avg(cast(previous.c.step, Integer) * literal(1.0)),
        )
        .where(previous.c.measured_at >= scope.period.since)
        .group_by(month)
        .order_by(month)
    )
    for day, n, up, down, mean in rows:
        figures.monthly[as_date(day)] = (n, up, down, float(mean))

    # The step at `horizon_months` after the start, for the cases that reached it in the period.
    mark = shift(pg, utc(pg, Case.started_at), months=horizon_months)
    step = (
        select(m.step)
        .where(m.case_id == Case.id, utc(pg, m.measured_at) <= mark)
        .order_by(m.measured_at.desc(), m.id.desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )
    lo = plus_months(scope.period.since, -horizon_months) - timedelta(days=4)
    hi = plus_months(scope.period.until, -horizon_months) + timedelta(days=4)
    cohort = (
        select(step.label("s"))
        .where(
            *in_scope(scope),
            Case.started_at >= lo,
            Case.started_at < hi,
            mark >= utc(pg, literal(scope.period.since)),
            mark < utc(pg, literal(scope.period.until)),
        )
        .subquery()
    )
    for s, n in session.execute(select(cohort.c.s, func.count()).group_by(cohort.c.s)):
        figures.at_horizon[s] = n
    return figures
