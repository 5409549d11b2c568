"""Queries and writes on the store. The caller owns the transaction; nothing here commits.

Every write an activity makes is keyed (`key` columns, unique; see `keyed`): writing the same key
twice writes nothing the second time, so retried activities and replayed workflows never duplicate
a row. Workshops, the outbox and users have their own modules; the names most callers need are
re-exported here.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from traject.definition.compiled import CompiledDefinition
from traject.store.errors import DefinitionConflict as DefinitionConflict
from traject.store.errors import NotFound as NotFound
from traject.store.errors import StoreError as StoreError
from traject.store.keyed import insert_ignoring_conflict
from traject.store.keyed import insert_once as insert_once
from traject.store.keyed import now as now
from traject.store.models import (
    AppliedStep,
    AuditEvent,
    Case,
    CaseDate,
    CasePerson,
    DefinitionVersion,
    LadderMeasurement,
    Municipality,
    Task,
    TimelineEvent,
)
from traject.store.outbox import enqueue as enqueue
from traject.store.workshops import add_session as add_session
from traject.store.workshops import book_seat as book_seat


# ------------------------------------------------------------------------------- municipalities
def ensure_municipality(
    session: Session, slug: str, name: str, retention_days: int | None = None
) -> Municipality:
    found = session.get(Municipality, slug)
    if found is None:
        found = Municipality(slug=slug, name=name, policy={"fines": False})
        if retention_days is not None:
            found.retention_days = retention_days
        session.add(found)
        session.flush()
    return found


# ---------------------------------------------------------------------------------- definitions
def publish(
    session: Session, compiled: CompiledDefinition, source: str, by: str, note: str | None = None
) -> DefinitionVersion:
    """Publish an immutable version. The same content again is a no-op; other content under an
    existing version number is refused with `DefinitionConflict`."""
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
        status="published",
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
    """The highest published version: the one a new case starts on (retired ones never)."""
    query = select(DefinitionVersion).where(
        DefinitionVersion.definition == definition, DefinitionVersion.status == "published"
    )
    if municipality:
        query = query.where(DefinitionVersion.municipality == municipality)
    found = session.scalar(query.order_by(DefinitionVersion.version.desc()).limit(1))
    if found is None:
        raise NotFound(f"no published definition '{definition}'")
    return found


def version_of(session: Session, case: Case) -> DefinitionVersion:
    version = session.get(DefinitionVersion, case.definition_version_id)
    if version is None:
        raise NotFound(f"case {case.id} has no definition version")
    return version


def compiled_of(version: DefinitionVersion) -> CompiledDefinition:
    return CompiledDefinition.model_validate(version.compiled)


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
    birth_date: date | None = None,
    contact: dict[str, Any] | None = None,
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
    session.add(
        CasePerson(
            case_id=case_id,
            first_name=first_name,
            last_name=last_name,
            bsn=bsn,
            birth_date=birth_date,
            contact=contact or {},
        )
    )
    for name, value in (dates or {}).items():
        session.add(CaseDate(case_id=case_id, name=name, value=value))
    session.flush()
    return case


def get_case(session: Session, case_id: str, municipality: str | None = None) -> Case:
    case = session.get(Case, case_id)
    if case is None or (municipality is not None and case.municipality != municipality):
        raise NotFound(f"no case '{case_id}'")  # another municipality's case does not exist for you
    return case


def list_cases(
    session: Session, municipality: str | None = None, status: str | None = None, limit: int = 50
) -> Sequence[Case]:
    query = select(Case).order_by(Case.started_at.desc()).limit(limit)
    if municipality:
        query = query.where(Case.municipality == municipality)
    if status:
        query = query.where(Case.status == status)
    return session.scalars(query).all()


def case_dates(session: Session, case_id: str) -> dict[str, date]:
    rows = session.scalars(select(CaseDate).where(CaseDate.case_id == case_id))
    return {row.name: row.value for row in rows}


def timeline(session: Session, case_id: str) -> Sequence[TimelineEvent]:
    return session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.case_id == case_id)
        .order_by(TimelineEvent.seq, TimelineEvent.id)
    ).all()


def ladder_history(session: Session, case_id: str) -> Sequence[LadderMeasurement]:
    """Every measurement of the case, oldest first; the last one is the current step."""
    return session.scalars(
        select(LadderMeasurement)
        .where(LadderMeasurement.case_id == case_id)
        .order_by(LadderMeasurement.measured_at, LadderMeasurement.id)
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


def overdue_tasks(
    session: Session, municipality: str, at: datetime, limit: int = 100
) -> Sequence[Task]:
    """Open tasks marked overdue by their timer, or past their due moment."""
    return session.scalars(
        select(Task)
        .where(
            Task.municipality == municipality,
            Task.status == "open",
            or_(Task.overdue, Task.due_at < at),
        )
        .order_by(Task.due_at, Task.id)
        .limit(limit)
    ).all()


def get_task(session: Session, task_id: int, municipality: str | None = None) -> Task:
    task = session.get(Task, task_id)
    if task is None or (municipality is not None and task.municipality != municipality):
        raise NotFound(f"no task {task_id}")
    return task


# --------------------------------------------------------------------------------------- steps
def claim_step(session: Session, workflow_id: str, sequence: int, at: datetime) -> bool:
    """Mark a workflow's step as applied; False when it was applied before (write nothing then).
    Claim first, then write: a concurrent attempt waits for this transaction, then gets False."""
    return insert_ignoring_conflict(
        session,
        AppliedStep,
        ["workflow_id", "sequence"],
        workflow_id=workflow_id,
        sequence=sequence,
        applied_at=at,
    )


# ---------------------------------------------------------------------------------------- audit
def audit(
    session: Session,
    municipality: str,
    actor: str,
    action: str,
    case_id: str | None = None,
    **detail: Any,
) -> None:
    """Append to the audit log (never personal data in `detail`). The only write on that table."""
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
