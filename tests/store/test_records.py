"""Retention and the AVG export, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import DEFINITIONS
from traject.definition import compile_file
from traject.store import repositories as repo
from traject.store.models import AuditEvent, Case, CasePerson, Municipality, Task, TimelineEvent
from traject.store.records import apply_retention, export_person

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def make_case(session: Session, first_name: str, status: str, ended_days_ago: int | None) -> Case:
    version = repo.latest_version(session, "voorbeeldgemeente", "pvt1")
    case = repo.create_case(
        session,
        version,
        first_name,
        last_name="Achternaam",
        bsn="123456782",
        reference=f"REF-{first_name}",
    )
    case.status = status
    case.finished_at = NOW - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    session.add(
        Task(
            key=f"t-{case.id}",
            case_id=case.id,
            municipality=case.municipality,
            name="intake",
            state="intake",
            title="Intake",
            role="klantmanager",
            status="completed",
            created_at=NOW,
            completed_by="km-7",
            form_data={"trede": 2},
            personal_data={"notitie": f"{first_name} heeft twee kinderen"},
        )
    )
    session.add(TimelineEvent(key=f"e-{case.id}", case_id=case.id, seq=1, at=NOW, kind="finished"))
    session.flush()
    return case


def setup(session: Session) -> dict[str, Case]:
    compiled = compile_file(DEFINITIONS / "pvt1.yaml")
    repo.ensure_municipality(session, compiled.municipality, "Voorbeeldgemeente")
    session.get(Municipality, compiled.municipality).retention_days = 30  # type: ignore[union-attr]
    repo.publish(session, compiled, "source", by="designer")
    return {
        "old": make_case(session, "Oud", "finished", 40),
        "recent": make_case(session, "Recent", "finished", 10),
        "cancelled": make_case(session, "Gestopt", "cancelled", 31),
        "running": make_case(session, "Lopend", "running", None),
    }


def test_retention_removes_personal_data_of_ended_cases_past_their_period(session: Session) -> None:
    cases = setup(session)
    result = apply_retention(session, NOW)
    assert sorted(result.anonymised) == sorted([cases["old"].id, cases["cancelled"].id])
    for name in ("old", "cancelled"):
        case = cases[name]
        assert session.get(CasePerson, case.id) is None and case.reference is None
        task = session.scalars(select(Task).where(Task.case_id == case.id)).one()
        assert task.personal_data == {} and task.completed_by is None
        assert task.form_data == {"trede": 2}  # statistics stay
        assert session.scalars(select(TimelineEvent).where(TimelineEvent.case_id == case.id)).all()
    for name in ("recent", "running"):
        assert session.get(CasePerson, cases[name].id) is not None
    assert apply_retention(session, NOW).anonymised == []
    audited = session.scalars(
        select(AuditEvent.case_id).where(AuditEvent.action == "case_anonymised")
    ).all()
    assert sorted(audited) == sorted(result.anonymised)


def test_the_export_holds_everything_about_the_person_and_is_audited(session: Session) -> None:
    case = setup(session)["recent"]
    exported = export_person(session, case.id, "voorbeeldgemeente", actor="privacy-officer")
    assert exported["person"]["first_name"] == "Recent" and exported["person"]["bsn"] == "123456782"
    assert exported["tasks"][0]["answers"] == {"trede": 2, "notitie": "Recent heeft twee kinderen"}
    assert exported["timeline"][0]["what"] == "finished"
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "case_exported" in actions
    moments = [exported["case"]["started_at"], *(e["at"] for e in exported["timeline"])]
    assert moments and all(
        m.endswith("+00:00") and datetime.fromisoformat(m).tzinfo for m in moments
    ), moments  # in UTC and saying so, on SQLite as on PostgreSQL
