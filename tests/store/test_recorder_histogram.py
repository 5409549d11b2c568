"""The step recorder keeps the histogram of stays on SQLite exactly as migration 0007 computes it
from the stays afterwards (tests/api/test_dashboard_aggregates.py checks the same through a real
worker on PostgreSQL). PVT1 trajectories stepped by the pure machine and written by the real
recorder, with stays of whole days, of fractions and of no time at all; on a store of their own,
as the recorder commits."""

from __future__ import annotations

import importlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from activities.record import StepRecorder
from traject.definition import compile_text
from traject.machine import Machine, Step, TaskClosed
from traject.store import repositories as repo
from traject.store.db import transaction
from traject.store.models import CaseIndicator, StateStay, StayDays
from workflows.messages import StepRecord

AGGREGATES = importlib.import_module("traject.store.migrations.versions.0005_dashboard_aggregates")
STAY_DAYS = importlib.import_module("traject.store.migrations.versions.0007_stay_days")
# a parallel state: when its last region ends, that region's final state is entered and left in
# the same step (a stay of no time the recorder closes itself)
PARALLEL = """
definition: parallel_stays
title: Parallel stays
municipality: test
version: 1
roles: {r: R}
initial: p
states:
  p:
    on: {done: end}
    parallel:
      c:
        initial: a
        states:
          a: {tasks: {ta: {title: A, role: r}}, on: {ta.done: b}}
          b: {tasks: {tb: {title: B, role: r}}, on: {tb.done: f}}
          f: {final: true}
      d:
        initial: g
        states:
          g: {tasks: {tg: {title: G, role: r}}, on: {tg.done: h}}
          h: {final: true}
  end: {final: true}
"""
FORMS: dict[str, dict[str, Any]] = {
    "aanmelding_bevestigen": {"tolk_nodig": False},
    "aanwezigheid": {"aanwezig": True, "brochure_ontvangen": True},
    "ondertekening": {"getekend": True},
}


def record(case_id: str, sequence: int, step: Step, at: datetime) -> StepRecord:
    """What the workflow sends the recorder for a step (workflows/trajectory.py `_apply`)."""
    snapshot = step.snapshot
    completed = {
        e.task: snapshot.completed.get(e.task, {})
        for e in step.effects
        if isinstance(e, TaskClosed) and e.reason == "completed"
    }
    return StepRecord(
        case_id=case_id,
        workflow_id=f"trajectory-{case_id}",
        sequence=sequence,
        at=at.isoformat(),
        actor="km-1",
        effects=list(step.effects),
        active=list(snapshot.active),
        finished=snapshot.finished,
        outcome=snapshot.outcome,
        status="finished" if snapshot.finished else "running",
        overdue=False,
        completed=completed,
    )


def histogram(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    with sessions() as session:
        return {
            "stays": sorted(
                (
                    tuple(row)
                    for row in session.execute(
                        select(
                            StateStay.case_id,
                            StateStay.state,
                            StateStay.entered_at,
                            StateStay.left_at,
                            StateStay.days,
                        )
                    )
                ),
                key=repr,
            ),
            "buckets": sorted(
                tuple(row)
                for row in session.execute(
                    select(
                        StayDays.municipality,
                        StayDays.definition_version_id,
                        StayDays.state,
                        StayDays.month,
                        StayDays.days,
                        StayDays.stays,
                    )
                )
            ),
        }


def test_the_recorder_keeps_the_histogram_the_migration_computes(
    own_store: sessionmaker[Session],
) -> None:
    sessions = own_store
    with transaction(sessions) as session:
        version = repo.latest_version(session, "voorbeeldgemeente", "pvt1")
        machine = Machine(repo.compiled_of(version))
        cases = [
            repo.create_case(session, version, "X", None, None, None, None).id for _ in range(40)
        ]
    recorder = StepRecorder(sessions)
    rng = random.Random(20261206)
    start = datetime(2026, 1, 30, 9, tzinfo=UTC)  # stays cross month ends
    for n, case_id in enumerate(cases):
        at = start + timedelta(hours=7 * n)
        step = machine.start(at.isoformat(), {})
        recorder.apply(record(case_id, 1, step, at))
        for sequence, task in enumerate(FORMS, 2):
            # whole days (a bucket's edge), fractions, or no time at all
            at += timedelta(
                days=rng.choice((0.0, 1.0, float(rng.randint(2, 40)), rng.uniform(0, 9)))
            )
            step = machine.complete_task(step.snapshot, task, FORMS[task], at.isoformat())
            recorder.apply(record(case_id, sequence, step, at))
    with transaction(sessions) as session:
        repo.ensure_municipality(session, "test", "Test")
        parallel = repo.publish(session, compile_text(PARALLEL), PARALLEL, by="designer")
        other = Machine(repo.compiled_of(parallel))
        more = [
            repo.create_case(session, parallel, "Y", None, None, None, None).id for _ in range(5)
        ]
    for n, case_id in enumerate(more):
        at = start + timedelta(days=n, hours=5)
        step = other.start(at.isoformat(), {})
        recorder.apply(record(case_id, 1, step, at))
        for sequence, task in enumerate(("tg", "ta", "tb"), 2):
            at += timedelta(days=rng.choice((1.0, rng.uniform(0, 3))))
            step = other.complete_task(step.snapshot, task, {}, at.isoformat())
            recorder.apply(record(case_id, sequence, step, at))
        assert step.snapshot.finished
    kept = histogram(sessions)
    in_step = [row for row in kept["stays"] if row[1] == "f"]
    assert len(in_step) == 5 and all(row[2] == row[3] and row[4] == 0 for row in in_step)
    assert kept["buckets"] and sum(row[-1] for row in kept["buckets"]) == sum(
        1 for row in kept["stays"] if row[3] is not None
    ), "every closed stay counted once"
    assert {row[4] for row in kept["stays"]} >= {0, 1}, "stays of no time and of one day"
    assert len({row[3] for row in kept["buckets"]}) > 1, "stays ended in more than one month"

    with transaction(sessions) as session:
        session.execute(delete(StayDays))
        session.execute(delete(StateStay))
        session.execute(delete(CaseIndicator))  # 0005 fills these again too
        AGGREGATES.backfill(session.connection())
        STAY_DAYS.backfill(session.connection())
    assert histogram(sessions) == kept
