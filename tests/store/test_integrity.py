"""What the schema itself refuses, and the idempotent writes activities rely on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from traject.store import repositories as repo
from traject.store.errors import NaiveTimestamp
from traject.store.models import Base, Case, LadderMeasurement, Task, TimelineEvent, UserRole

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def refused(session: Session, row: Base) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(row)
        session.flush()


def test_ladder_steps_are_one_to_six(session: Session, case: Case) -> None:
    for step in (0, 7):
        refused(
            session,
            LadderMeasurement(
                key=f"l{step}", case_id=case.id, step=step, measured_at=NOW, source="m"
            ),
        )
    for step in (2, 4):
        session.add(
            LadderMeasurement(
                key=f"l{step}",
                case_id=case.id,
                step=step,
                measured_at=NOW + timedelta(days=step),
                measured_by="coach-1",
                source="manual",
            )
        )
    assert [m.step for m in repo.ladder_history(session, case.id)] == [2, 4]


def test_statuses_and_roles_outside_their_sets_are_refused(session: Session, case: Case) -> None:
    refused(
        session,
        Task(
            key="t",
            case_id=case.id,
            municipality=case.municipality,
            name="n",
            state="s",
            title="T",
            role="klantmanager",
            status="done",
            created_at=NOW,
        ),
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        case.status = "paused"
        session.flush()
    session.refresh(case)
    refused(session, UserRole(user_id=1, role="superuser"))


def test_a_foreign_key_must_point_at_a_row(session: Session) -> None:
    refused(session, TimelineEvent(key="orphan", case_id="case-none", seq=1, at=NOW, kind="x"))


def test_moments_are_stored_in_utc_and_read_back_aware(session: Session, case: Case) -> None:
    amsterdam_summer = timezone(timedelta(hours=2))
    case.last_progress_at = datetime(2026, 7, 1, 11, 30, tzinfo=amsterdam_summer)
    session.flush()
    session.expire(case)
    assert case.last_progress_at == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    assert case.last_progress_at.tzinfo is UTC
    later = session.scalars(select(Case).where(Case.last_progress_at > NOW)).all()
    assert later == [case]
    case.finished_at = datetime(2026, 7, 1, 12)  # naive: which zone? refused
    with pytest.raises(StatementError, match="no timezone") as error:
        session.flush()
    assert isinstance(error.value.orig, NaiveTimestamp)
    session.rollback()


def test_insert_once_keeps_the_first_row(session: Session, case: Case) -> None:
    first = repo.insert_once(
        session, TimelineEvent, "wf:1:t1", case_id=case.id, seq=1, at=NOW, kind="a"
    )
    again = repo.insert_once(
        session, TimelineEvent, "wf:1:t1", case_id=case.id, seq=9, at=NOW, kind="b"
    )
    assert again is first and (again.seq, again.kind) == (1, "a")


def test_a_step_is_claimed_once(session: Session) -> None:
    assert repo.claim_step(session, "trajectory-case-1", 1, NOW)
    assert not repo.claim_step(session, "trajectory-case-1", 1, NOW)
    assert repo.claim_step(session, "trajectory-case-1", 2, NOW)


def test_two_racing_claims_of_a_step_give_one_winner(sessions: sessionmaker[Session]) -> None:
    barrier = threading.Barrier(2)
    won: list[bool] = []

    def claim() -> None:
        with sessions.begin() as session:
            barrier.wait()
            won.append(repo.claim_step(session, "trajectory-race", 7, NOW))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, True]


def test_open_tasks_past_due_or_marked_are_overdue(session: Session, case: Case) -> None:
    def task(name: str, due: datetime | None, overdue: bool = False, status: str = "open") -> None:
        session.add(
            Task(
                key=name,
                case_id=case.id,
                municipality=case.municipality,
                name=name,
                state="s",
                title=name,
                role="klantmanager",
                status=status,
                created_at=NOW,
                due_at=due,
                overdue=overdue,
            )
        )

    task("late", NOW - timedelta(days=1))
    task("marked", None, overdue=True)
    task("in_time", NOW + timedelta(days=1))
    task("done_late", NOW - timedelta(days=3), status="completed")
    session.flush()
    found = [t.name for t in repo.overdue_tasks(session, case.municipality, NOW)]
    assert sorted(found) == ["late", "marked"]
