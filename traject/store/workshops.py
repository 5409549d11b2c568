"""Workshop sessions and seats: the `schedule_workshop` action books a newcomer into the earliest
future session of a workshop that has room, or puts them on its waiting list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traject.store.keyed import insert_once
from traject.store.models import WorkshopSeat, WorkshopSession


def add_session(
    session: Session,
    municipality: str,
    workshop: str,
    title: str,
    starts_at: datetime,
    location: str,
    capacity: int,
) -> WorkshopSession:
    row = WorkshopSession(
        municipality=municipality,
        workshop=workshop,
        title=title,
        starts_at=starts_at,
        location=location,
        capacity=capacity,
    )
    session.add(row)
    session.flush()
    return row


def book_seat(
    session: Session, municipality: str, workshop: str, case_id: str, key: str, at: datetime
) -> WorkshopSeat:
    """A seat in the earliest session after `at` with room; else a place on the waiting list of
    the earliest session (on no session, when none is planned). The same `key` again returns the
    first answer.

    The workshop's future sessions are locked (`SELECT … FOR UPDATE`, in start order so two
    bookings never deadlock) before seats are counted: on PostgreSQL a concurrent booking waits
    here and then counts the seat this one took. SQLite has a single writer (db.py begins every
    transaction IMMEDIATE), which serialises bookings the same way."""
    sessions = session.scalars(
        select(WorkshopSession)
        .where(
            WorkshopSession.municipality == municipality,
            WorkshopSession.workshop == workshop,
            WorkshopSession.starts_at > at,
        )
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
        .with_for_update()
    ).all()
    existing = session.scalar(select(WorkshopSeat).where(WorkshopSeat.key == key))
    if existing is not None:  # looked up under the lock: a racing twin has committed by now
        return existing
    taken = _booked_per_session(session, [s.id for s in sessions])
    free = next((s for s in sessions if taken.get(s.id, 0) < s.capacity), None)
    chosen = free or (sessions[0] if sessions else None)
    return insert_once(
        session,
        WorkshopSeat,
        key,
        session_id=chosen.id if chosen else None,
        case_id=case_id,
        workshop=workshop,
        status="booked" if free else "waitlisted",
        booked_at=at,
    )


def _booked_per_session(session: Session, session_ids: list[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    rows = session.execute(
        select(WorkshopSeat.session_id, func.count())
        .where(WorkshopSeat.session_id.in_(session_ids), WorkshopSeat.status == "booked")
        .group_by(WorkshopSeat.session_id)
    ).all()
    return {session_id: count for session_id, count in rows if session_id is not None}


def seats(session: Session, session_id: int) -> list[WorkshopSeat]:
    """A session's seats, booked first, each group in booking order."""
    return list(
        session.scalars(
            select(WorkshopSeat)
            .where(WorkshopSeat.session_id == session_id)
            .order_by(WorkshopSeat.status, WorkshopSeat.booked_at, WorkshopSeat.id)
        )
    )
