"""The step recorder reads everything a step needs before it writes anything: on SQLite a
transaction holds the store's one write lock from its first write to its commit, and the API and
the other steps wait for it (bench/REPORT.md). A step that books a workshop seat or measures the
participatieladder writes what it made first (the seats are counted, the measurements chained,
under the lock); every other step writes only at its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from activities.record import StepRecorder
from tests.store.test_recorder_histogram import FORMS, PARALLEL, record
from traject.definition import compile_text
from traject.machine import Machine
from traject.store import repositories as repo
from traject.store.db import transaction

WRITES = ("INSERT", "UPDATE", "DELETE")


def test_a_step_reads_first_and_writes_last(own_store: sessionmaker[Session]) -> None:
    sessions = own_store
    with transaction(sessions) as session:
        version = repo.latest_version(session, "voorbeeldgemeente", "pvt1")
        pvt1 = Machine(repo.compiled_of(version))
        case_id = repo.create_case(session, version, "X", None, None, None, None).id
        repo.ensure_municipality(session, "test", "Test")
        parallel = repo.publish(session, compile_text(PARALLEL), PARALLEL, by="designer")
        other = Machine(repo.compiled_of(parallel))
        other_id = repo.create_case(session, parallel, "Y", None, None, None, None).id
    statements: list[str] = []
    event.listen(
        sessions.kw["bind"],
        "before_cursor_execute",
        lambda conn, cursor, sql, params, context, many: statements.append(sql.split()[0].upper()),
    )
    recorder = StepRecorder(sessions)
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)

    def steps(machine: Machine, case: str, tasks: list[tuple[str, dict[str, object]]]) -> None:
        nonlocal at
        step = machine.start(at.isoformat(), {})
        recorder.apply(record(case, 1, step, at))
        for sequence, (task, data) in enumerate(tasks, 2):
            at += timedelta(days=2)
            step = machine.complete_task(step.snapshot, task, data, at.isoformat())
            statements.clear()
            assert recorder.apply(record(case, sequence, step, at))
            first = next(i for i, s in enumerate(statements) if s in WRITES)
            assert "SELECT" not in statements[first:], f"step {sequence} read after it wrote"
            assert statements.count("SELECT") >= 2, "the step was read"

    steps(pvt1, case_id, list(FORMS.items()))
    steps(other, other_id, [("tg", {}), ("ta", {}), ("tb", {})])  # a state entered and left at once
