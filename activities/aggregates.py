"""The dashboard's aggregates, kept by the step recorder in the step's own transaction, after the
step's rows (activities/effects.py) are written: what `traject.store.kpis*` would otherwise
compute from the whole history on every page.

- state stays: a stay per state entered; a state exited closes the case's latest stay in that
  state if it is still open (an exit pairs with the state's previous timeline event only when
  that was its entry, as the timeline has it); a closed stay counts in `stay_days`, the
  histogram of stays per state, month left and whole days (it moves with a migrated case);
- the participatieladder: per measurement the step measured before it and when the next one
  was measured; per case its first and latest step;
- the Wet inburgering facts of a case: when it first reported its PVT done, its MAP done, and
  first entered the MAP exemption.

Migrations 0005 and 0007 filled the same from the history that was there before, with the same
rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import pairwise

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from traject.definition.model import RecordLadder, Report
from traject.machine import ActionRun, StateEntered, StateExited
from traject.store.models import Case, CaseIndicator, LadderMeasurement, StateStay, StayDays
from workflows.messages import StepRecord

# (timeline kind, subject) → column of case_indicators; as migration 0005 has it
FACTS = {
    ("reported", "pvt_afgerond"): "pvt_done_at",
    ("reported", "map_afgerond"): "map_done_at",
    ("state_entered", "map_vrijgesteld"): "map_exempt_at",
}


def apply(session: Session, case: Case, record: StepRecord, at: datetime) -> Callable[[], None]:
    """Keep the aggregates for one step: read now, write when the returned call is made, last
    in the step's transaction (on SQLite a write holds the store's one write lock until the
    commit). Costs a read for the stays it leaves and an update per stay left (the step's own
    rows are added, not looked for), an upsert per histogram bucket, a read for a ladder
    measurement and one for a fact. Run with the session's autoflush off (see effects.apply)."""
    db = session.connection()  # plain statements on older rows: no flush of the step's rows
    if record.definition_version is not None:  # migrated: the stays follow the case's version
        _follow_version(db, case)
    left, leave = _leave_earlier_stays(db, case, record, at)
    stays: dict[str, StateStay] = {}  # state → its stay entered in this step (the latest)
    indicators: dict[str, CaseIndicator] = {}  # the case's row of facts, if this step made it
    measured = record.ladder is not None
    for effect in record.effects:
        if isinstance(effect, StateEntered):
            stays[effect.state] = StateStay(
                case_id=case.id,
                municipality=case.municipality,
                definition_version_id=case.definition_version_id,
                state=effect.state,
                entered_at=at,
            )
            session.add(stays[effect.state])
            _fact(session, case, "state_entered", effect.state, at, indicators)
        elif isinstance(effect, StateExited) and effect.state in stays:
            stay = stays[effect.state]
            if stay.left_at is None:  # entered and left in this step: no day long
                stay.left_at, stay.days = at, 0
                left[(effect.state, month_of(at), 0)] += 1
        elif isinstance(effect, ActionRun):
            if isinstance(effect.action, Report):
                _fact(session, case, "reported", effect.action.indicator, at, indicators)
            measured = measured or (
                isinstance(effect.action, RecordLadder) and isinstance(effect.value, int)
            )
    if measured:
        session.flush()  # the measurements this step made are chained with the earlier ones
        _ladder(session, case)

    def write() -> None:
        if leave:
            db.execute(LEAVE, leave)
        if left:
            count_stays(db, case.municipality, case.definition_version_id, left)

    return write


def utc(moment: datetime) -> datetime:
    """The moment in UTC (SQLite gives the store's moments back naive: they are UTC)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def month_of(moment: datetime) -> date:
    """The first day of the moment's month in UTC."""
    return utc(moment).date().replace(day=1)


def whole_days(entered: datetime, left: datetime) -> int:
    """A stay's bucket: its length in whole days, rounded down (exact: no floating point)."""
    return (utc(left) - utc(entered)) // timedelta(days=1)


KEY = ("municipality", "definition_version_id", "state", "month", "days")


@cache
def _upsert(dialect_name: str) -> Executable:
    """Add `stays` to a bucket, making it if it is not there (built once: building it per
    call cost more than running it)."""
    if dialect_name == "postgresql":
        on_pg = postgresql.insert(StayDays)
        return on_pg.on_conflict_do_update(
            index_elements=list(KEY), set_={"stays": StayDays.stays + on_pg.excluded.stays}
        )
    on_sqlite = sqlite.insert(StayDays)
    return on_sqlite.on_conflict_do_update(
        index_elements=list(KEY), set_={"stays": StayDays.stays + on_sqlite.excluded.stays}
    )


EMPTIED = delete(StayDays).where(
    *(getattr(StayDays, k) == bindparam(f"b_{k}") for k in KEY), StayDays.stays <= 0
)


def count_stays(
    db: Connection, municipality: str, version_id: int, counts: Counter[tuple[str, date, int]]
) -> None:
    """Add `counts` ((state, month, days) → stays, may be negative) to the histogram, in key
    order (two steps counting the same buckets cannot deadlock); a bucket that empties goes."""
    for (state, month, days), n in sorted(counts.items()):
        if not n:
            continue
        key = dict(zip(KEY, (municipality, version_id, state, month, days), strict=True))
        db.execute(_upsert(db.dialect.name), {**key, "stays": n})
        if n < 0:
            db.execute(EMPTIED, {f"b_{k}": v for k, v in key.items()})


def _follow_version(db: Connection, case: Case) -> None:
    """A migrated case's stays, and their counts in the histogram, move to its new version."""
    moved = db.execute(
        select(
            StateStay.definition_version_id, StateStay.state, StateStay.left_at, StateStay.days
        ).where(
            StateStay.case_id == case.id,
            StateStay.definition_version_id != case.definition_version_id,
            StateStay.left_at.is_not(None),
        )
    ).all()
    before: dict[int, Counter[tuple[str, date, int]]] = {}
    after: Counter[tuple[str, date, int]] = Counter()
    for version_id, state, left_at, days in moved:
        assert left_at is not None and days is not None  # closed stays have both
        bucket = (state, month_of(left_at), days)
        before.setdefault(version_id, Counter())[bucket] -= 1
        after[bucket] += 1
    for version_id, counts in sorted(before.items()):
        count_stays(db, case.municipality, version_id, counts)
    count_stays(db, case.municipality, case.definition_version_id, after)
    db.execute(
        update(StateStay)
        .where(StateStay.case_id == case.id)
        .values(definition_version_id=case.definition_version_id)
    )


# the case's latest stay in each of some states, if it is still open; and leaving one
OPEN_STAYS = select(StateStay.id, StateStay.state, StateStay.entered_at).where(
    StateStay.id.in_(
        select(func.max(StateStay.id))
        .where(
            StateStay.case_id == bindparam("b_case"),
            StateStay.state.in_(bindparam("b_states", expanding=True)),
        )
        .group_by(StateStay.state)
    ),
    StateStay.left_at.is_(None),
)
LEAVE = (
    update(StateStay)
    .where(StateStay.id == bindparam("b_stay"))
    .values(left_at=bindparam("b_left"), days=bindparam("b_days"))
)


def _leave_earlier_stays(
    db: Connection, case: Case, record: StepRecord, at: datetime
) -> tuple[Counter[tuple[str, date, int]], list[dict[str, object]]]:
    """The states this step leaves before (re-)entering them: their latest stay, entered in an
    earlier step, is left now if it is still open (a second exit finds it closed). Run before
    this step's stays exist in the database. Gives the stays left, as histogram counts, and
    the parameters of the LEAVE statements that close them."""
    entered: set[str] = set()
    earlier: set[str] = set()
    for effect in record.effects:
        if isinstance(effect, StateEntered):
            entered.add(effect.state)
        elif isinstance(effect, StateExited) and effect.state not in entered:
            earlier.add(effect.state)
    left: Counter[tuple[str, date, int]] = Counter()
    leave: list[dict[str, object]] = []
    if not earlier:
        return left, leave
    still_open = db.execute(OPEN_STAYS, {"b_case": case.id, "b_states": sorted(earlier)}).all()
    for stay_id, state, entered_at in still_open:
        days = whole_days(entered_at, at)
        leave.append({"b_stay": stay_id, "b_left": at, "b_days": days})
        left[(state, month_of(at), days)] += 1
    return left, leave


def _fact(
    session: Session,
    case: Case,
    kind: str,
    subject: str,
    at: datetime,
    made: dict[str, CaseIndicator],
) -> None:
    column = FACTS.get((kind, subject))
    if column is None:
        return
    row = made.get(case.id) or session.get(CaseIndicator, case.id)
    if row is None:
        row = made[case.id] = CaseIndicator(case_id=case.id)
        session.add(row)
    if getattr(row, column) is None:
        setattr(row, column, at)


def _ladder(session: Session, case: Case) -> None:
    """Chain the case's measurements that have no successor yet: its latest before this step and
    the ones this step wrote."""
    open_ends = session.scalars(
        select(LadderMeasurement)
        .where(LadderMeasurement.case_id == case.id, LadderMeasurement.next_at.is_(None))
        .order_by(LadderMeasurement.measured_at, LadderMeasurement.id)
    ).all()
    for before, after in pairwise(open_ends):
        before.next_at = after.measured_at
        after.previous_step = before.step
    if open_ends:
        if case.ladder_first is None:
            case.ladder_first = open_ends[0].step
        case.ladder_step, case.ladder_at = open_ends[-1].step, open_ends[-1].measured_at
