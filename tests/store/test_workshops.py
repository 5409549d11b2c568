"""Workshop seats: fill the earliest session, then the next, then the waiting list; once per key;
one seat for two racing bookings."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from traject.definition.compiled import CompiledDefinition
from traject.store import repositories as repo
from traject.store.models import Case, WorkshopSeat
from traject.store.workshops import seats

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
T = TypeVar("T")


def plan(session: Session, municipality: str, workshop: str, *capacities: int) -> list[int]:
    return [
        repo.add_session(
            session,
            municipality,
            workshop,
            "Kernwaarden",
            NOW + timedelta(days=7 * (i + 1)),
            "Stadskantoor",
            capacity,
        ).id
        for i, capacity in enumerate(capacities)
    ]


def test_seats_fill_a_session_then_the_next_then_the_waiting_list(
    session: Session, case: Case
) -> None:
    repo.add_session(session, case.municipality, "kernwaarden", "Past", NOW, "Zaal", 10)
    first, second = plan(session, case.municipality, "kernwaarden", 2, 1)
    booked = [
        repo.book_seat(session, case.municipality, "kernwaarden", case.id, f"k{i}", NOW)
        for i in range(4)
    ]
    assert [(s.session_id, s.status) for s in booked] == [
        (first, "booked"),
        (first, "booked"),
        (second, "booked"),
        (first, "waitlisted"),  # on the earliest session's list
    ]
    assert [s.status for s in seats(session, first)] == ["booked", "booked", "waitlisted"]


def test_booking_is_idempotent_by_key(session: Session, case: Case) -> None:
    (only,) = plan(session, case.municipality, "pvt", 5)
    seat = repo.book_seat(session, case.municipality, "pvt", case.id, "wf:1:a1", NOW)
    again = repo.book_seat(session, case.municipality, "pvt", case.id, "wf:1:a1", NOW)
    assert again.id == seat.id and again.session_id == only
    assert session.scalar(select(func.count()).select_from(WorkshopSeat)) == 1


def test_without_any_planned_session_the_case_waits_on_no_session(
    session: Session, case: Case
) -> None:
    seat = repo.book_seat(session, case.municipality, "unplanned", case.id, "k", NOW)
    assert (seat.status, seat.session_id) == ("waitlisted", None)


def race(sessions: sessionmaker[Session], work: Callable[[Session, int], T]) -> list[T]:
    """Run `work` in two threads, each in its own transaction, released at the same moment."""
    barrier = threading.Barrier(2)
    results: list[T] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with sessions.begin() as session:
                barrier.wait()
                results.append(work(session, i))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.fixture
def pvt1_committed(sessions: sessionmaker[Session], pvt1: CompiledDefinition) -> str:
    """pvt1 published for good (threads cannot see a test's rolled-back session)."""
    with sessions.begin() as session:
        repo.ensure_municipality(session, pvt1.municipality, "Voorbeeldgemeente")
        repo.publish(session, pvt1, "source", by="designer")
    return pvt1.municipality


@pytest.fixture
def two_cases(sessions: sessionmaker[Session], pvt1_committed: str) -> tuple[str, list[str]]:
    workshop = f"laatste_plek_{secrets.token_hex(3)}"
    with sessions.begin() as session:
        version = repo.latest_version(session, pvt1_committed, "pvt1")
        plan(session, pvt1_committed, workshop, 1)
        ids = [repo.create_case(session, version, first_name=f"p{i}").id for i in range(2)]
    return workshop, ids


def test_two_bookings_for_the_last_seat_give_one_seat_and_one_waiting_place(
    sessions: sessionmaker[Session], two_cases: tuple[str, list[str]], pvt1_committed: str
) -> None:
    """PostgreSQL: row locks; SQLite: one writer at a time. Same answer on both."""
    workshop, case_ids = two_cases
    statuses = race(
        sessions,
        lambda s, i: (
            repo.book_seat(s, pvt1_committed, workshop, case_ids[i], f"{workshop}{i}", NOW).status
        ),
    )
    assert sorted(statuses) == ["booked", "waitlisted"]


def test_two_racing_bookings_with_one_key_give_one_seat(
    sessions: sessionmaker[Session], two_cases: tuple[str, list[str]], pvt1_committed: str
) -> None:
    workshop, case_ids = two_cases
    ids = race(
        sessions,
        lambda s, i: repo.book_seat(s, pvt1_committed, workshop, case_ids[0], workshop, NOW).id,
    )
    assert ids[0] == ids[1]
    with sessions() as session:
        count = select(func.count()).where(WorkshopSeat.workshop == workshop)
        assert session.scalar(count) == 1
