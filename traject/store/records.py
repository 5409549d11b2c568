"""Records management: retention (personal data removed once a case has ended and the
municipality's retention period has passed) and the export of one newcomer's data (AVG inzage).

Retention keeps what the statistics need — the case, its states, tasks, timeline, ladder steps,
outcome — and removes what identifies a person: the person row, personal form answers, assignee
names. Every run and every export is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traject.store import repositories as repo
from traject.store.models import (
    Case,
    CaseDate,
    CasePerson,
    Declaration,
    LadderMeasurement,
    Municipality,
    OutboxMessage,
    Task,
)


@dataclass(frozen=True)
class RetentionResult:
    anonymised: list[str]


def apply_retention(session: Session, now: datetime, actor: str = "retention") -> RetentionResult:
    """Anonymise every ended case whose retention period has passed; idempotent."""
    anonymised = []
    for municipality in session.scalars(select(Municipality)).all():
        cutoff = now - timedelta(days=municipality.retention_days)
        ended = session.scalars(
            select(Case).where(
                Case.municipality == municipality.slug,
                Case.status.in_(("finished", "cancelled")),
                Case.finished_at.is_not(None),
                Case.finished_at < cutoff,
            )
        ).all()
        for case in ended:
            if _anonymise(session, case):
                anonymised.append(case.id)
                repo.audit(
                    session,
                    case.municipality,
                    actor,
                    "case_anonymised",
                    case.id,
                    retention_days=municipality.retention_days,
                )
    return RetentionResult(anonymised)


def _anonymise(session: Session, case: Case) -> bool:
    person = session.get(CasePerson, case.id)
    tasks = session.scalars(select(Task).where(Task.case_id == case.id)).all()
    personal = [t for t in tasks if t.personal_data or t.assignee or t.completed_by]
    if person is None and not personal and case.reference is None:
        return False
    if person is not None:
        session.delete(person)
    for task in personal:
        task.personal_data, task.assignee, task.completed_by = {}, None, None
    case.reference = None
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)):
        message.payload = {}
    session.flush()
    return True


def export_person(session: Session, case_id: str, municipality: str, actor: str) -> dict[str, Any]:
    """Everything Traject holds about the newcomer of one case, for an AVG inzageverzoek."""
    case = repo.get_case(session, case_id, municipality)
    person = session.get(CasePerson, case.id)
    version = repo.version_of(session, case)
    repo.audit(session, municipality, actor, "case_exported", case.id)
    return {
        "case": {
            "id": case.id,
            "reference": case.reference,
            "trajectory": version.title,
            "status": case.status,
            "outcome": case.outcome,
            "started_at": _iso(case.started_at),
            "finished_at": _iso(case.finished_at),
        },
        "person": None
        if person is None
        else {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "bsn": person.bsn,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "contact": person.contact,
        },
        "dates": {
            d.name: d.value.isoformat()
            for d in session.scalars(select(CaseDate).where(CaseDate.case_id == case.id))
        },
        "tasks": [
            {
                "title": t.title,
                "status": t.status,
                "completed_at": _iso(t.completed_at),
                "answers": {**t.form_data, **t.personal_data},
            }
            for t in session.scalars(select(Task).where(Task.case_id == case.id).order_by(Task.id))
        ],
        "ladder": [
            {"step": m.step, "measured_at": _iso(m.measured_at)}
            for m in session.scalars(
                select(LadderMeasurement).where(LadderMeasurement.case_id == case.id)
            )
        ],
        "declaration_signed": [
            _iso(d.signed_at)
            for d in session.scalars(select(Declaration).where(Declaration.case_id == case.id))
        ],
        "timeline": [
            {"at": _iso(e.at), "what": e.kind, "subject": e.subject}
            for e in repo.timeline(session, case.id)
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    """A stored moment in UTC, as the API writes it (SQLite hands moments back without their
    zone; every moment Traject stores is UTC)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat() if moment.tzinfo else f"{moment.isoformat()}+00:00"
