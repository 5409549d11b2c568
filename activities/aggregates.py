"""The dashboard's aggregates, kept by the step recorder in the step's own transaction, after the
step's rows (activities/effects.py) are written: what `traject.store.kpis*` would otherwise
compute from the whole history on every page.

- state stays: a stay per state entered; a state exited closes the case's latest stay in that
  state if it is still open (an exit pairs with the state's previous timeline event only when
  that was its entry, as the timeline has it);
- the participatieladder: per measurement the step measured before it and when the next one
  was measured; per case its first and latest step;
- the Wet inburgering facts of a case: when it first reported its PVT done, its MAP done, and
  first entered the MAP exemption.

Migration 0005 filled the same from the history that was there before, with the same rules.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from traject.definition.model import RecordLadder, Report
from traject.machine import ActionRun, StateEntered, StateExited
from traject.store.models import Case, CaseIndicator, LadderMeasurement, StateStay
from workflows.messages import StepRecord

# (timeline kind, subject) → column of case_indicators; as migration 0005 has it
FACTS = {
    ("reported", "pvt_afgerond"): "pvt_done_at",
    ("reported", "map_afgerond"): "map_done_at",
    ("state_entered", "map_vrijgesteld"): "map_exempt_at",
}


def apply(session: Session, case: Case, record: StepRecord, at: datetime) -> None:
    """Keep the aggregates for one step. Costs at most one statement for the stays (the step's
    own rows are added, not looked for), a read for a ladder measurement and one for a fact."""
    db = session.connection()  # plain statements on older rows: no flush of the step's rows
    if record.definition_version is not None:  # migrated: the stays follow the case's version
        db.execute(
            update(StateStay)
            .where(StateStay.case_id == case.id)
            .values(definition_version_id=case.definition_version_id)
        )
    _leave_earlier_stays(db, case, record, at)
    stays: dict[str, StateStay] = {}  # state → its stay entered in this step (the latest)
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
            _fact(session, case, "state_entered", effect.state, at)
        elif isinstance(effect, StateExited) and effect.state in stays:
            stays[effect.state].left_at = stays[effect.state].left_at or at
        elif isinstance(effect, ActionRun):
            if isinstance(effect.action, Report):
                _fact(session, case, "reported", effect.action.indicator, at)
            measured = measured or (
                isinstance(effect.action, RecordLadder) and isinstance(effect.value, int)
            )
    if measured:
        _ladder(session, case)


def _leave_earlier_stays(db: Connection, case: Case, record: StepRecord, at: datetime) -> None:
    """The states this step leaves before (re-)entering them: their latest stay, entered in an
    earlier step, is left now if it is still open (a second exit finds it closed). Run before
    this step's stays exist in the database."""
    entered: set[str] = set()
    earlier: set[str] = set()
    for effect in record.effects:
        if isinstance(effect, StateEntered):
            entered.add(effect.state)
        elif isinstance(effect, StateExited) and effect.state not in entered:
            earlier.add(effect.state)
    if not earlier:
        return
    latest = (
        select(func.max(StateStay.id))
        .where(StateStay.case_id == case.id, StateStay.state.in_(sorted(earlier)))
        .group_by(StateStay.state)
    )
    db.execute(
        update(StateStay)
        .where(StateStay.id.in_(latest), StateStay.left_at.is_(None))
        .values(left_at=at)
    )


def _fact(session: Session, case: Case, kind: str, subject: str, at: datetime) -> None:
    column = FACTS.get((kind, subject))
    if column is None:
        return
    row = session.get(CaseIndicator, case.id)
    if row is None:
        row = CaseIndicator(case_id=case.id)
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
