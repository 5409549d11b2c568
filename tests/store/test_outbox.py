"""The transactional outbox: enqueued once per key, claimed oldest first, marked sent or failed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.store.conftest import is_postgresql
from traject.definition.compiled import CompiledDefinition
from traject.store import outbox
from traject.store import repositories as repo
from traject.store.models import Case, OutboxMessage

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_enqueue_is_idempotent_by_key(session: Session, case: Case) -> None:
    first = outbox.enqueue(session, "wf:3:a1", case.id, "letter", "uitnodiging", "newcomer", at=NOW)
    again = outbox.enqueue(
        session, "wf:3:a1", case.id, "email", "other", "klantmanager", {"x": 1}, at=NOW
    )
    assert again.id == first.id and (again.channel, again.template) == ("letter", "uitnodiging")
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_claimed_oldest_first_then_sent_or_failed(session: Session, case: Case) -> None:
    ids = [
        outbox.enqueue(session, f"k{i}", case.id, "inbox", "t", "coach", at=NOW).id
        for i in range(3)
    ]
    assert [m.id for m in outbox.claim_unsent(session, limit=2)] == ids[:2]
    outbox.mark_sent(session, ids[0], at=NOW)
    failed = outbox.mark_failed(session, ids[1], "smtp: connection refused")
    assert (failed.attempts, failed.sent_at, failed.last_error) == (
        1,
        None,
        "smtp: connection refused",
    )
    assert [m.id for m in outbox.claim_unsent(session)] == ids[1:]
    assert [m.id for m in outbox.claim_unsent(session, max_attempts=1)] == [ids[2]]
    sent = session.get(OutboxMessage, ids[0])
    assert sent is not None and sent.sent_at == NOW and sent.attempts == 1
    with pytest.raises(repo.NotFound):
        outbox.mark_sent(session, 10**9)


def test_two_dispatchers_never_claim_the_same_message(
    sessions: sessionmaker[Session], database_url: str, pvt1: CompiledDefinition
) -> None:
    if not is_postgresql(database_url):
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite one dispatcher runs at a time")
    with sessions.begin() as session:
        repo.ensure_municipality(session, pvt1.municipality, "Voorbeeldgemeente")
        version = repo.publish(session, pvt1, "source", by="designer")
        case_id = repo.create_case(session, version, first_name="x").id
        session.execute(delete(OutboxMessage))  # this test counts every unsent message
        for i in range(4):
            outbox.enqueue(session, f"race-{case_id}-{i}", case_id, "inbox", "t", "coach")
    both_claimed = threading.Barrier(2)
    claimed: list[list[int]] = []

    def dispatch() -> None:
        with sessions.begin() as session:
            claimed.append([m.id for m in outbox.claim_unsent(session, limit=2)])
            both_claimed.wait(timeout=10)  # hold the locks until the other has claimed too

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 2 and len(claimed[0]) == len(claimed[1]) == 2
    assert not set(claimed[0]) & set(claimed[1])
