"""Queries and writes on the store. The caller owns the transaction; nothing here commits.

Every write an activity makes is keyed (`key` columns, unique): writing the same key twice writes
nothing the second time, so retried activities and replayed workflows never duplicate a row.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from traject.definition.compiled import CompiledDefinition
from traject.store.models import (
    AuditEvent,
    Base,
    Case,
    CaseDate,
    CasePerson,
    DefinitionDraft,
    DefinitionVersion,
    Municipality,
    Task,
    TimelineEvent,
    User,
    WorkshopSeat,
    WorkshopSession,
)

Row = TypeVar("Row", bound=Base)


class StoreError(Exception):
    """A request the store refuses; nothing was written."""


class DefinitionConflict(StoreError):
    pass


MAX_ID = 2**31 - 1  # the largest integer key the store holds (PostgreSQL's integer)


def is_key(value: int) -> bool:
    """Whether `value` can be an integer key here: a number from a URL or form outside this
    range names nothing (and would overflow the database's integer, not find nothing)."""
    return 1 <= value <= MAX_ID


class NotFound(StoreError):
    pass


def now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------------- municipalities
def ensure_municipality(session: Session, slug: str, name: str) -> Municipality:
    found = session.get(Municipality, slug)
    if found is None:
        found = Municipality(slug=slug, name=name, policy={"fines": False})
        session.add(found)
        session.flush()
    return found


# ---------------------------------------------------------------------------------- definitions
def publish(
    session: Session, compiled: CompiledDefinition, source: str, by: str, note: str | None = None
) -> DefinitionVersion:
    """Publish an immutable version. The same content again is a no-op; other content under an
    existing version number is refused."""
    existing = session.scalar(
        select(DefinitionVersion).where(
            DefinitionVersion.municipality == compiled.municipality,
            DefinitionVersion.definition == compiled.definition,
            DefinitionVersion.version == compiled.version,
        )
    )
    if existing is not None:
        if existing.content_hash != compiled.content_hash:
            raise DefinitionConflict(
                f"{compiled.key} is already published with other content: raise 'version' to publish"
                " a change"
            )
        return existing
    version = DefinitionVersion(
        municipality=compiled.municipality,
        definition=compiled.definition,
        version=compiled.version,
        content_hash=compiled.content_hash,
        title=compiled.title,
        source=source,
        compiled=compiled.model_dump(mode="json"),
        published_by=by,
        published_at=now(),
        note=note,
    )
    session.add(version)
    session.flush()
    return version


def list_definition_versions(
    session: Session, municipality: str | None = None
) -> Sequence[DefinitionVersion]:
    query = select(DefinitionVersion).order_by(
        DefinitionVersion.municipality,
        DefinitionVersion.definition,
        DefinitionVersion.version.desc(),
    )
    if municipality:
        query = query.where(DefinitionVersion.municipality == municipality)
    return session.scalars(query).all()


def latest_version(
    session: Session, municipality: str | None, definition: str
) -> DefinitionVersion:
    query = (
        select(DefinitionVersion)
        .where(DefinitionVersion.definition == definition)
        .options(defer(DefinitionVersion.source), defer(DefinitionVersion.compiled))
    )
    if municipality:
        query = query.where(DefinitionVersion.municipality == municipality)
    found = session.scalar(query.order_by(DefinitionVersion.version.desc()).limit(1))
    if found is None:
        raise NotFound(f"no published definition '{definition}'")
    return found


def get_version(
    session: Session, municipality: str, definition: str, version: int
) -> DefinitionVersion:
    if not is_key(version):
        raise NotFound(f"no published version {version} of '{definition}'")
    found = session.scalar(
        select(DefinitionVersion).where(
            DefinitionVersion.municipality == municipality,
            DefinitionVersion.definition == definition,
            DefinitionVersion.version == version,
        )
    )
    if found is None:
        raise NotFound(f"no published version {version} of '{definition}'")
    return found


def running_cases_per_version(session: Session, version_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Case.definition_version_id, func.count())
        .where(
            Case.definition_version_id.in_(version_ids),
            Case.status.in_(("starting", "running", "suspended")),
        )
        .group_by(Case.definition_version_id)
    ).all()
    return {int(v): int(n) for v, n in rows}


def version_of(session: Session, case: Case) -> DefinitionVersion:
    """The case's version row, without its source and compiled form (loaded on first use)."""
    version = session.get(
        DefinitionVersion,
        case.definition_version_id,
        options=[defer(DefinitionVersion.source), defer(DefinitionVersion.compiled)],
    )
    if version is None:
        raise NotFound(f"case {case.id} has no definition version")
    return version


def case_and_version(session: Session, case_id: str) -> tuple[Case, DefinitionVersion]:
    """The case with its version row (without source and compiled form), in one read."""
    found = session.execute(
        select(Case, DefinitionVersion)
        .join(DefinitionVersion, DefinitionVersion.id == Case.definition_version_id)
        .where(Case.id == case_id)
        .options(defer(DefinitionVersion.source), defer(DefinitionVersion.compiled))
    ).first()
    if found is None:
        raise NotFound(f"no case '{case_id}'")
    case, version = found
    return case, version


_COMPILED: dict[str, CompiledDefinition] = {}  # content hash → compiled form
_COMPILED_MAX = 256


def compiled_of(version: DefinitionVersion) -> CompiledDefinition:
    """The compiled form of a published version. A published version never changes and its
    content hash covers all of its compiled form (municipality and version number included), so
    it is read and validated once per process: doing that on every request cost more than the
    rest of the request. The form is frozen, so sharing it is safe."""
    key = version.content_hash
    found = _COMPILED.get(key) if key else None
    if found is None:
        found = CompiledDefinition.model_validate(version.compiled)
        if key:
            if len(_COMPILED) >= _COMPILED_MAX:
                _COMPILED.pop(next(iter(_COMPILED)), None)
            _COMPILED[key] = found
    return found


# --------------------------------------------------------------------------------------- drafts
def get_draft(session: Session, municipality: str, definition: str) -> DefinitionDraft | None:
    return session.scalar(
        select(DefinitionDraft).where(
            DefinitionDraft.municipality == municipality,
            DefinitionDraft.definition == definition,
        )
    )


def list_drafts(session: Session, municipality: str) -> Sequence[DefinitionDraft]:
    return session.scalars(
        select(DefinitionDraft)
        .where(DefinitionDraft.municipality == municipality)
        .order_by(DefinitionDraft.definition)
    ).all()


def save_draft(
    session: Session, municipality: str, definition: str, source: str, by: str
) -> DefinitionDraft:
    """The definition's draft, replaced by `source` (or made)."""
    draft = get_draft(session, municipality, definition)
    if draft is None:
        draft = DefinitionDraft(municipality=municipality, definition=definition)
        session.add(draft)
    draft.source, draft.saved_by, draft.saved_at = source, by, now()
    session.flush()
    return draft


def delete_draft(session: Session, draft: DefinitionDraft) -> None:
    session.delete(draft)
    session.flush()


# ---------------------------------------------------------------------------------------- cases
def new_case_id() -> str:
    """Opaque and random: a case id reveals nothing about the person."""
    return "case-" + secrets.token_hex(6)


def create_case(
    session: Session,
    version: DefinitionVersion,
    first_name: str,
    last_name: str | None = None,
    bsn: str | None = None,
    reference: str | None = None,
    dates: dict[str, date] | None = None,
) -> Case:
    case_id = new_case_id()
    case = Case(
        id=case_id,
        municipality=version.municipality,
        definition_version_id=version.id,
        workflow_id=f"trajectory-{case_id}",
        reference=reference,
        status="starting",
        started_at=now(),
    )
    session.add(case)
    session.flush()
    session.add(CasePerson(case_id=case_id, first_name=first_name, last_name=last_name, bsn=bsn))
    for name, value in (dates or {}).items():
        session.add(CaseDate(case_id=case_id, name=name, value=value))
    session.flush()
    return case


def get_case(session: Session, case_id: str, municipality: str | None = None) -> Case:
    case = session.get(Case, case_id)
    if case is None or (municipality is not None and case.municipality != municipality):
        raise NotFound(f"no case '{case_id}'")  # another municipality's case does not exist for you
    return case


def case_status(session: Session, case_id: str) -> str | None:
    """Only the status (polled while a case starts)."""
    return session.scalar(select(Case.status).where(Case.id == case_id))


def list_cases(
    session: Session, municipality: str | None = None, limit: int = 50
) -> Sequence[Case]:
    query = select(Case).order_by(Case.started_at.desc()).limit(limit)
    if municipality:
        query = query.where(Case.municipality == municipality)
    return session.scalars(query).all()


def case_dates(session: Session, case_id: str) -> Sequence[CaseDate]:
    return session.scalars(
        select(CaseDate).where(CaseDate.case_id == case_id).order_by(CaseDate.name)
    ).all()


def get_user(session: Session, user_id: int, municipality: str) -> User | None:
    user = session.get(User, user_id) if is_key(user_id) else None
    return user if user is not None and user.municipality == municipality else None


def timeline(session: Session, case_id: str) -> Sequence[TimelineEvent]:
    return session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.case_id == case_id)
        .order_by(TimelineEvent.seq, TimelineEvent.id)
    ).all()


# ---------------------------------------------------------------------------------------- tasks
def list_tasks(
    session: Session,
    municipality: str | None = None,
    case_id: str | None = None,
    role: str | None = None,
    status: str | None = "open",
    limit: int = 100,
) -> Sequence[Task]:
    query = select(Task).order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(limit)
    for column, value in (
        (Task.municipality, municipality),
        (Task.case_id, case_id),
        (Task.role, role),
        (Task.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    return session.scalars(query).all()


def get_task(session: Session, task_id: int, municipality: str | None = None) -> Task:
    task = session.get(Task, task_id) if is_key(task_id) else None
    if task is None or (municipality is not None and task.municipality != municipality):
        raise NotFound(f"no task {task_id}")
    return task


# ------------------------------------------------------------------------------------- workshops
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
    """A seat in the earliest future session with room; else a place on the waiting list.
    Sessions are locked while counting: FOR UPDATE on PostgreSQL; on SQLite, which has one
    writer, by taking the write lock first (a transaction that has not written yet reads
    outside it, and two steps booking at once would both find the last seat free). Two reads
    however many sessions are full: the sessions, then their booked seats counted."""
    existing = session.scalar(select(WorkshopSeat).where(WorkshopSeat.key == key))
    if existing is not None:
        return existing
    if session.get_bind().dialect.name == "sqlite":  # a write that changes nothing takes the lock
        session.execute(
            update(WorkshopSession)
            .where(WorkshopSession.id == -1)
            .values(capacity=WorkshopSession.capacity)
        )
    sessions = session.execute(
        select(WorkshopSession.id, WorkshopSession.capacity)
        .where(
            WorkshopSession.municipality == municipality,
            WorkshopSession.workshop == workshop,
            WorkshopSession.starts_at > at,
        )
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
        .with_for_update()
    ).all()
    booked: dict[int | None, int] = {}
    if sessions:
        counted = session.execute(
            select(WorkshopSeat.session_id, func.count())
            .where(
                WorkshopSeat.session_id.in_([s.id for s in sessions]),
                WorkshopSeat.status == "booked",
            )
            .group_by(WorkshopSeat.session_id)
        )
        booked = {session_id: n for session_id, n in counted}
    room = next((s.id for s in sessions if booked.get(s.id, 0) < s.capacity), None)
    seat = WorkshopSeat(
        key=key,
        session_id=room,
        case_id=case_id,
        workshop=workshop,
        status="booked" if room is not None else "waitlisted",
        booked_at=at,
    )
    session.add(seat)
    session.flush()
    return seat


# ---------------------------------------------------------------------------------------- audit
def audit(
    session: Session,
    municipality: str,
    actor: str,
    action: str,
    case_id: str | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEvent(
            at=now(),
            municipality=municipality,
            actor=actor,
            action=action,
            case_id=case_id,
            detail=detail,
        )
    )
