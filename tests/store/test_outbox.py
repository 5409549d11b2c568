"""The outbox dispatcher: each message sent once, to the newcomer by first name or to a role, and
marked sent; a message that could not be sent stays in the outbox with its error, to be tried
again. On a store of its own (the dispatcher commits)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from activities.outbox import FileNotifier, dispatch
from tests.conftest import DEFINITIONS
from traject.seed import seed
from traject.store import repositories as repo
from traject.store.db import make_engine, session_factory, transaction
from traject.store.migrate import upgrade
from traject.store.models import OutboxMessage


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'traject.db'}"
    upgrade(url)
    made = session_factory(make_engine(url))
    seed(made, DEFINITIONS)
    return made


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
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    cases = letters(sessions, ["Amina", "Yonas", "Rahel"])
    mail = tmp_path / "mail"
    assert dispatch(sessions, FileNotifier(mail), limit=4) == 4
    assert dispatch(sessions, FileNotifier(mail)) == 2
    assert dispatch(sessions, FileNotifier(mail)) == 0, "nothing is sent twice"
    sent = [json.loads(f.read_text()) for f in sorted(mail.iterdir())]
    assert len(sent) == 6
    to = {(m["case"], m["channel"]): m["to"] for m in sent}
    assert [to[(c, "letter")] for c in cases] == ["Amina", "Yonas", "Rahel"]
    assert {to[(c, "inbox")] for c in cases} == {"trainer"}
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert all(r.sent_at is not None and r.attempts == 1 for r in rows)


class Failing:
    def send(self, message: OutboxMessage, first_name: str | None) -> None:
        if message.channel == "letter":
            raise OSError("the printer is out of paper")


def test_a_message_that_could_not_be_sent_stays_to_be_tried_again(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    letters(sessions, ["Amina"])
    assert dispatch(sessions, Failing()) == 1
    with sessions() as session:
        letter = session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "letter")
        ).one()
        assert letter.sent_at is None and letter.attempts == 1
        assert letter.last_error == "the printer is out of paper"
    assert dispatch(sessions, FileNotifier(tmp_path / "mail")) == 1
    with sessions() as session:
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
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The messages are marked sent at the commit, not while the others are being sent: on
    SQLite a write holds the store's one write lock until the commit."""
    letters(sessions, ["Amina", "Yonas"])
    checking = Checking(tmp_path / "traject.db")
    assert dispatch(sessions, checking) == 4
    assert checking.sent == 4
