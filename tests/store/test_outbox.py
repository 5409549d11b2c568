"""The outbox dispatcher: each message sent once, to the newcomer by first name or to a role, and
marked sent; a message that could not be sent stays in the outbox with its error, to be tried
again. On a store of its own (the dispatcher commits)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from activities.outbox import FileNotifier, dispatch
from tests.conftest import DEFINITIONS
from traject.definition import compile_file
from traject.store import repositories as repo
from traject.store.db import make_engine, session_factory, transaction
from traject.store.models import OutboxMessage


def letters(sessions: sessionmaker[Session], names: list[str]) -> list[str]:
    """A case per first name, each with a letter to the newcomer and a message to a role."""
    at = datetime(2026, 12, 7, 9, tzinfo=UTC)
    with transaction(sessions) as session:
        version = repo.latest_version(session, "voorbeeldgemeente", "pvt1")
        cases = [repo.create_case(session, version, name, "Achternaam") for name in names]
        for case in cases:
            for n, (channel, recipient) in enumerate(
                (("letter", "newcomer"), ("inbox", "trainer"))
            ):
                session.add(
                    OutboxMessage(
                        key=f"{case.workflow_id}:1:a{n}",
                        case_id=case.id,
                        channel=channel,
                        template="uitnodiging_workshop",
                        recipient=recipient,
                        payload={},
                        created_at=at,
                    )
                )
        return [c.id for c in cases]


def test_each_message_is_sent_once_and_marked_sent(
    own_store: sessionmaker[Session], tmp_path: Path
) -> None:
    cases = letters(own_store, ["Amina", "Yonas", "Rahel"])
    mail = tmp_path / "mail"
    assert dispatch(own_store, FileNotifier(mail), limit=4) == 4
    assert dispatch(own_store, FileNotifier(mail)) == 2
    assert dispatch(own_store, FileNotifier(mail)) == 0, "nothing is sent twice"
    sent = [json.loads(f.read_text()) for f in sorted(mail.iterdir())]
    assert len(sent) == 6
    to = {(m["case"], m["channel"]): m["to"] for m in sent}
    assert [to[(c, "letter")] for c in cases] == ["Amina", "Yonas", "Rahel"]
    assert {to[(c, "inbox")] for c in cases} == {"trainer"}
    with own_store() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert all(r.sent_at is not None and r.attempts == 1 for r in rows)


class Failing:
    def send(self, message: OutboxMessage, first_name: str | None) -> None:
        if message.channel == "letter":
            raise OSError("the printer is out of paper")


def test_a_message_that_could_not_be_sent_stays_to_be_tried_again(
    own_store: sessionmaker[Session], tmp_path: Path
) -> None:
    letters(own_store, ["Amina"])
    assert dispatch(own_store, Failing()) == 1
    with own_store() as session:
        letter = session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "letter")
        ).one()
        assert letter.sent_at is None and letter.attempts == 1
        assert letter.last_error == "the printer is out of paper"
    assert dispatch(own_store, FileNotifier(tmp_path / "mail")) == 1
    with own_store() as session:
        letter = session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "letter")
        ).one()
        assert letter.sent_at is not None and letter.attempts == 2


class Checking:
    """A notifier that tries to write to the store while it sends, as the step recorder would."""

    def __init__(self, database: Path) -> None:
        self.database, self.sent = database, 0

    def send(self, message: OutboxMessage, first_name: str | None) -> None:
        other = sqlite3.connect(self.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once while another holds the write lock
            other.execute("ROLLBACK")
        finally:
            other.close()
        self.sent += 1


def test_sending_leaves_the_store_free_for_writers(
    own_store: sessionmaker[Session], tmp_path: Path
) -> None:
    """The messages are marked sent at the commit, not while the others are being sent: on
    SQLite a write holds the store's one write lock until the commit."""
    letters(own_store, ["Amina", "Yonas"])
    checking = Checking(tmp_path / "traject.db")
    assert dispatch(own_store, checking) == 4
    assert checking.sent == 4


def test_workers_dispatching_at_once_send_each_message_once(
    database_url: str, migrated: str
) -> None:
    """Production runs several workers, each with a dispatcher: at the same moment they take
    different messages (locked rows are skipped), so none is sent twice."""
    if not database_url.startswith("postgresql"):
        pytest.skip("one worker dispatches on the embedded default (SQLite)")
    sessions = session_factory(make_engine(migrated))
    with transaction(sessions) as session:  # the definition the letters' cases run on
        repo.ensure_municipality(session, "voorbeeldgemeente", "Voorbeeldgemeente")
        pvt1 = DEFINITIONS / "pvt1.yaml"
        repo.publish(session, compile_file(pvt1), pvt1.read_text(), by="test")
    with sessions() as session:  # messages other tests of this database left unsent
        before = set(session.scalars(select(OutboxMessage.key)).all())
    letters(sessions, [f"Naam{n}" for n in range(10)])
    sent: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(3)

    class SlowNotifier:
        def send(self, message: OutboxMessage, first_name: str | None) -> None:
            time.sleep(0.02)  # a post room that takes its time: the dispatchers overlap
            with lock:
                sent.append(message.key)

    def worker() -> None:
        barrier.wait()
        while dispatch(sessions, SlowNotifier(), limit=4):
            pass

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ours = [key for key in sent if key not in before]
    assert len(ours) == 20 and len(set(ours)) == 20, sorted(ours)
