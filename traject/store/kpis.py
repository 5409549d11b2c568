"""Dashboard reads: aggregates over the read model for one municipality and one definition (some
or all of its versions) in a period. Every query filters on the municipality first; nothing here
reads personal data (`case_persons`, `tasks.personal_data`) or writes.

Counting is done by the database (GROUP BY); only small grouped results come back (on SQLite
also per-item durations, for the percentiles). What would need the whole history — stays in a
state, the participatieladder's first and latest steps, the Wet inburgering facts — is read from
the aggregates the step recorder keeps with it (`state_stays`, `cases.ladder_*`,
`ladder_measurements.previous_step/next_at`, `case_indicators`: activities/aggregates.py), so
each query reads the period's rows, not the history. Timestamps are compared in UTC; calendar
arithmetic (months clipped to the month's end) is PostgreSQL's interval arithmetic, and on SQLite
the same rule in a SQL function registered per connection (`traject.kpi.shift_text`).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    Float,
    Integer,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from traject.kpi import DAY, Period, Spread, Summary, plus_months, shift_text, spread
from traject.store.models import (
    Case,
    DefinitionVersion,
    Escalation,
    LadderMeasurement,
    StateStay,
    StayDays,
    Task,
)

OPEN = ("starting", "running", "suspended")
PIP_DAYS = 70  # Wet inburgering 2021: the PIP within ten weeks of the DUO notice
TERM_MONTHS = 36  # the inburgeringstermijn: three years from the day after the PIP
NOT_COUNTED = ("ontheffing", "verhuisd")  # outcomes that end the duty without a result
QUANTILES = (0.5, 0.8, 0.95)  # the median, p80 and p95 of every throughput time


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


def _finished(scope: Scope) -> list[ColumnElement[bool]]:
    return [
        *in_scope(scope),
        Case.outcome.is_not(None),
        Case.finished_at >= scope.period.since,
        Case.finished_at < scope.period.until,
    ]


def outcome_durations(session: Session, scope: Scope) -> dict[str, list[float]]:
    """Outcome → throughput times (days, start to finish) of cases finished in the period."""
    rows = session.execute(
        select(Case.outcome, Case.started_at, Case.finished_at).where(*_finished(scope))
    )
    out: dict[str, list[float]] = defaultdict(list)
    for outcome, started, finished in rows:
        if outcome is not None and finished is not None:
            out[outcome].append((finished - started).total_seconds() / DAY)
    return dict(out)


def _per(key: Any, values: Mapping[str, float]) -> ColumnElement[Any]:
    """`values[key]`, in SQL (NULL for other keys, and when there are none)."""
    if not values:
        return cast(null(), Float)
    return case(*((key == k, v) for k, v in values.items()), else_=None)


def outcome_spreads(
    session: Session, scope: Scope, targets: Mapping[str, float | None]
) -> dict[str, Spread]:
    """Outcome → the summary of the throughput times of the cases finished in the period with
    it, and how many took longer than its target in `targets` (days; other outcomes: none)."""
    if not is_pg(session):
        found = outcome_durations(session, scope)
        return {n: spread(v, targets.get(n)) for n, v in found.items()}
    days = func.date_part("epoch", Case.finished_at - Case.started_at) / DAY
    goal = _per(Case.outcome, {n: t for n, t in targets.items() if t})
    rows = session.execute(
        select(
            Case.outcome,
            func.count(),
            func.percentile_cont(literal(list(QUANTILES), ARRAY(Float))).within_group(days),
            count_if(days > goal),
        )
        .where(*_finished(scope))
        .group_by(Case.outcome)
    )
    return {
        outcome: Spread(Summary(n, *q), over if targets.get(outcome) else None)
        for outcome, n, q, over in rows
    }


def _whole_months(period: Period) -> tuple[date, date] | None:
    """The whole months inside the period, [first, last) as first days of months, if any."""
    first = period.start if period.start.day == 1 else plus_months(period.start.replace(day=1), 1)
    last = period.until.date().replace(day=1)
    return (first, last) if first < last else None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _histogram(scope: Scope, states: Sequence[str]) -> Subquery:
    """(state, whole days, stays) of the stays that ended in the period: its whole months from
    `stay_days` (a few hundred buckets per state and month), its ragged ends from the stays
    themselves (a range of `ix_stays_left` each)."""
    parts: list[Any] = []  # selects of (state, days, stays)
    since, until = scope.period.since, scope.period.until
    ends = [(since, until)]
    if months := _whole_months(scope.period):
        first, last = months
        ends = [(since, _midnight(first)), (_midnight(last), until)]
        parts.append(
            select(StayDays.state, StayDays.days, StayDays.stays.label("n")).where(
                StayDays.municipality == scope.municipality,
                StayDays.definition_version_id.in_(scope.version_ids),
                StayDays.state.in_(states),
                StayDays.month >= first,
                StayDays.month < last,
            )
        )
    for begin, end in ends:
        if begin < end:
            parts.append(
                select(StateStay.state, StateStay.days, literal(1).label("n")).where(
                    StateStay.municipality == scope.municipality,
                    StateStay.definition_version_id.in_(scope.version_ids),
                    StateStay.state.in_(states),
                    StateStay.left_at >= begin,
                    StateStay.left_at < end,
                )
            )
    both: Subquery = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    return (
        select(both.c.state, both.c.days, func.sum(both.c.n).label("n"))
        .group_by(both.c.state, both.c.days)
        .subquery()
    )


@dataclass(frozen=True)
class _Bucket:
    days: int
    first: int  # the rank of its shortest stay among the state's stays (0: the shortest)
    n: int


@dataclass
class _Buckets:
    """What the database gave back for one state: its number of stays, how many of them lie
    beyond the target's whole day, and the buckets the percentiles and the target fall in."""

    total: int
    above: int
    found: list[_Bucket] = field(default_factory=list)

    def at(self, rank: int) -> tuple[int, int]:
        """(whole days, position inside the bucket) of the stay at `rank`."""
        for bucket in self.found:
            if bucket.first <= rank < bucket.first + bucket.n:
                return bucket.days, rank - bucket.first
        raise LookupError(rank)

    def ranks(self, q: float) -> tuple[int, int, float]:
        """The ranks a percentile interpolates between, and the weight of the higher."""
        rank = q * (self.total - 1)
        low = math.floor(rank)
        return low, min(low + 1, self.total - 1), rank - low


def _rank_buckets(
    session: Session, scope: Scope, goals: Mapping[str, int | None]
) -> dict[str, _Buckets]:
    """Per state (of `goals`: name → the target's whole days, or None), from the histogram: the
    buckets that hold the stays the percentiles interpolate between (a rank either side to
    spare, so that no rounding here and in Python can miss one) and the target's bucket. The
    database walks the histogram (running sums); a few rows per state come back."""
    h = _histogram(scope, list(goals))
    goal = _per(h.c.state, {name: g for name, g in goals.items() if g is not None})
    running = select(
        h.c.state,
        h.c.days,
        h.c.n,
        goal.label("goal"),
        (func.sum(h.c.n).over(partition_by=h.c.state, order_by=h.c.days) - h.c.n).label("first"),
        func.sum(h.c.n).over(partition_by=h.c.state).label("total"),
        func.sum(case((h.c.days > goal, h.c.n), else_=0))
        .over(partition_by=h.c.state)
        .label("above"),
    ).subquery()
    r = running.c
    # the rank of each percentile's lower neighbour, truncated by SQLite, rounded by PostgreSQL:
    # one to spare on either side covers both, and the higher neighbour
    guess = [cast(q * (r.total - 1), Integer) for q in QUANTILES]
    near = [and_(r.first <= g + 2, r.first + r.n > g - 1) for g in guess]
    rows = session.execute(
        select(r.state, r.days, r.first, r.n, r.total, r.above)
        .where(or_(*near, r.days == r.goal))
        .order_by(r.state, r.days)
    )
    out: dict[str, _Buckets] = {}
    for state, days, first, n, total, above in rows:
        found = out.setdefault(state, _Buckets(int(total), int(above)))
        found.found.append(_Bucket(days, int(first), int(n)))
    return out


def _stays_in(
    session: Session, scope: Scope, buckets: Collection[tuple[str, int]]
) -> dict[tuple[str, int], list[float]]:
    """(state, whole days) → the exact days of each stay in that bucket that ended in the
    period, in order (a range of `ix_stays_days` per bucket)."""
    out: dict[tuple[str, int], list[float]] = {b: [] for b in buckets}
    if not buckets:
        return out
    where = (
        StateStay.municipality == scope.municipality,
        StateStay.definition_version_id.in_(scope.version_ids),
        tuple_(StateStay.state, StateStay.days).in_(sorted(buckets)),
        StateStay.left_at >= scope.period.since,
        StateStay.left_at < scope.period.until,
    )
    if is_pg(session):  # the exact seconds (an interval's epoch is exact, and so is its float8)
        lasted = cast(func.extract("epoch", StateStay.left_at - StateStay.entered_at), Float)
        for state, days, seconds in session.execute(
            select(StateStay.state, StateStay.days, lasted).where(*where)
        ):
            out[(state, days)].append(seconds / DAY)
    else:
        for state, days, entered, left in session.execute(
            select(StateStay.state, StateStay.days, StateStay.entered_at, StateStay.left_at).where(
                *where
            )
        ):
            assert days is not None and left is not None  # closed: the period's range says so
            out[(state, days)].append((left - entered).total_seconds() / DAY)
    for values in out.values():
        values.sort()
    return out


def phase_spreads(
    session: Session, scope: Scope, targets: Mapping[str, float | None]
) -> dict[str, Spread]:
    """For each state of `targets` (name → expected days, or None) with stays that ended in the
    period: the summary of their days and how many took longer than the target. Exact — the
    same as sorting every stay (numpy's and percentile_cont's linear interpolation) — without
    doing so: the histogram of stays per whole day (`stay_days`) says which buckets the
    percentiles and the target fall in, and only the stays of those buckets are read."""
    whole = {state: math.floor(goal) if goal else None for state, goal in targets.items()}
    buckets = _rank_buckets(session, scope, whole)
    wanted: set[tuple[str, int]] = set()
    for state, b in buckets.items():
        for q in QUANTILES:
            low, high, _ = b.ranks(q)
            wanted |= {(state, b.at(low)[0]), (state, b.at(high)[0])}
        target_days = whole[state]
        if target_days is not None and any(x.days == target_days for x in b.found):
            wanted.add((state, target_days))
    exact = _stays_in(session, scope, wanted)

    def at(state: str, rank: int) -> float:
        days, position = buckets[state].at(rank)
        values = exact[(state, days)]  # a step committed between the reads: the nearest stay
        return values[min(position, len(values) - 1)] if values else float(days)

    out = {}
    for state, b in buckets.items():
        quantiles = []
        for q in QUANTILES:
            low, high, weight = b.ranks(q)
            quantiles.append(at(state, low) + (at(state, high) - at(state, low)) * weight)
        over = None
        if (goal := targets[state]) and (target_days := whole[state]) is not None:
            over = b.above + sum(v > goal for v in exact.get((state, target_days), ()))
        out[state] = Spread(Summary(b.total, *quantiles), over)
    return out


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
    """From the ladder the step recorder keeps on the case (first, latest) and on each
    measurement (the step before it, when the next was measured): no window over the history.
    The dashboard's sections ask for their parts alone (`ladder_now`, `ladder_months`)."""
    figures = ladder_now(session, scope)
    months = ladder_months(session, scope, horizon_months)
    figures.monthly, figures.at_horizon = months.monthly, months.at_horizon
    return figures


def ladder_now(session: Session, scope: Scope) -> LadderFigures:
    """The latest step by the period's end, and (first, latest) per case (two statements)."""
    m = LadderMeasurement
    figures = LadderFigures()
    until = scope.period.until
    # The latest step by the period's end: the case's latest, unless that came after the end;
    # then the measurement that was current at the end (measured before it, superseded after).
    latest_before = (
        select(Case.ladder_first, Case.ladder_step, func.count())
        .where(*alive(scope), Case.ladder_at < until)
        .group_by(Case.ladder_first, Case.ladder_step)
    )
    current_then = (
        select(Case.ladder_first, m.step, func.count())
        .join(Case, Case.id == m.case_id)
        .where(*alive(scope), m.next_at >= until, m.measured_at < until)
        .group_by(Case.ladder_first, m.step)
    )
    for query in (latest_before, current_then):
        for first, last, n in session.execute(query):  # both set with the first measurement
            assert first is not None and last is not None
            figures.changes[(first, last)] = figures.changes.get((first, last), 0) + n
            figures.latest[last] = figures.latest.get(last, 0) + n
    return figures


def ladder_months(session: Session, scope: Scope, horizon_months: int) -> LadderFigures:
    """The measurements of each month of the period (with their steps up and down) of the cases
    that ran in it, and the step at the horizon (two statements)."""
    pg = is_pg(session)
    m = LadderMeasurement
    figures = LadderFigures()
    until = scope.period.until
    month = trunc(pg, m.measured_at, "month").label("month")
    rows = session.execute(
        select(
            month,
            func.count(),
            count_if(m.step > m.previous_step),
            count_if(m.step < m.previous_step),
            func.avg(cast(m.step, Integer) * literal(1.0)),
        )
        .join(Case, Case.id == m.case_id)
        .where(*alive(scope), m.measured_at >= scope.period.since, m.measured_at < until)
        .group_by(month)
        .order_by(month)
    )
    for day, n, up, down, mean in rows:
        figures.monthly[as_date(day)] = (n, up, down, float(mean))
    figures.at_horizon = ladder_at_horizon(session, scope, horizon_months)
    return figures


def ladder_at_horizon(session: Session, scope: Scope, horizon_months: int) -> dict[int | None, int]:
    """The step at `horizon_months` after the start (None: not measured by then), for the cases
    that reached that moment in the period: step → cases."""
    pg = is_pg(session)
    m = LadderMeasurement
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
    rows = session.execute(select(cohort.c.s, func.count()).group_by(cohort.c.s))
    return {step: n for step, n in rows}
