"""The audit log is append-only: no store code updates or deletes it, and the ORM refuses to."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from traject.store import outbox, records, workshops
from traject.store import repositories as repo
from traject.store.errors import AppendOnly
from traject.store.models import AuditEvent, Case, Municipality

STORE = Path(repo.__file__).parent
NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
CHANGES_AUDIT_LOG = re.compile(r"^\s*(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log)", re.I)


def test_no_store_module_builds_an_update_or_delete_of_the_audit_log() -> None:
    offenders = []
    for path in STORE.rglob("*.py"):
        if "versions" in path.parts:
            continue  # migrations change schemas, not entries
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("update", "delete")
                and any(getattr(arg, "id", None) == "AuditEvent" for arg in node.args)
            ):
                offenders.append(f"{path.name}:{node.lineno}")
        if re.search(r"(UPDATE|DELETE FROM)\s+audit_log", path.read_text(), re.I):
            offenders.append(f"{path.name}: SQL text")
    assert offenders == []


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection, "before_cursor_execute", record)


def test_every_repository_write_leaves_the_audit_log_alone(
    session: Session, case: Case, statements: list[str]
) -> None:
    repo.audit(session, case.municipality, "km-1", "case_read", case.id)
    session.flush()
    before = session.scalars(select(AuditEvent)).all()
    municipality = session.get(Municipality, case.municipality)
    assert municipality is not None
    municipality.retention_days = 1
    plan = workshops.add_session(session, case.municipality, "w", "W", NOW, "Zaal", 1)
    workshops.book_seat(session, case.municipality, "w", case.id, "seat", NOW - timedelta(days=1))
    message = outbox.enqueue(session, "m", case.id, "letter", "t", "newcomer")
    outbox.mark_failed(session, message.id, "down")
    outbox.mark_sent(session, message.id)
    repo.claim_step(session, case.workflow_id, 1, NOW)
    records.export_person(session, case.id, case.municipality, actor="privacy-officer")
    case.status, case.finished_at = "finished", NOW - timedelta(days=30)
    assert records.apply_retention(session, NOW).anonymised == [case.id]
    session.flush()
    assert plan.id and [s for s in statements if CHANGES_AUDIT_LOG.match(s)] == []
    after = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert after[: len(before)] == list(before)
    assert [e.action for e in after[len(before) :]] == ["case_exported", "case_anonymised"]


def test_the_orm_refuses_to_change_or_delete_an_entry(session: Session, case: Case) -> None:
    repo.audit(session, case.municipality, "km-1", "case_read", case.id)
    session.flush()
    entry = session.scalars(select(AuditEvent)).one()
    with pytest.raises(AppendOnly), session.begin_nested():
        entry.actor = "someone else"
        session.flush()
    with pytest.raises(AppendOnly), session.begin_nested():
        session.delete(entry)
        session.flush()
    assert session.scalars(select(AuditEvent.actor)).all() == ["km-1"]
