"""Sending what steps put in the outbox: letters, e-mails, inbox messages, reports to DUO.

Steps write messages in their own transaction (a transactional outbox); this dispatcher, running in
the worker process, sends them and marks them sent. A message is sent at least once; the key the
step gave it lets a receiving system drop a repeat. The embedded default "sends" to files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from traject.store.db import transaction
from traject.store.models import CasePerson, OutboxMessage

log = structlog.get_logger()


class Notifier(Protocol):
    def send(self, message: OutboxMessage, first_name: str | None) -> None: ...


@dataclass
class FileNotifier:
    """Writes each message as a file in a mail folder: the embedded default's post room."""

    folder: Path

    def send(self, message: OutboxMessage, first_name: str | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        body = {
            "key": message.key,
            "channel": message.channel,
            "template": message.template,
            "to": first_name if message.recipient == "newcomer" else message.recipient,
            "case": message.case_id,
            "payload": message.payload,
        }
        name = f"{message.id:08d}-{message.channel}-{message.template}.json"
        (self.folder / name).write_text(json.dumps(body, ensure_ascii=False, indent=2))


def dispatch(sessions: sessionmaker[Session], notifier: Notifier, limit: int = 50) -> int:
    """Send up to `limit` unsent messages; returns how many were sent. Workers dispatching at
    the same time (production runs several) take different messages: on PostgreSQL the ones a
    dispatcher holds are locked until its commit and skipped by the others; the embedded
    default runs one worker."""
    sent = 0
    with transaction(sessions) as session, session.no_autoflush:
        # Everything read first, the messages marked sent at the commit: on SQLite the store's
        # one write lock is then held for those updates only, not while the files are written.
        messages = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        names: dict[str, str] = {
            case_id: first_name
            for case_id, first_name in session.execute(
                select(CasePerson.case_id, CasePerson.first_name).where(
                    CasePerson.case_id.in_({m.case_id for m in messages})
                )
            )
        }
        for message in messages:
            message.attempts += 1
            try:
                notifier.send(message, names.get(message.case_id))
            except OSError as error:
                message.last_error = str(error)[:500]
                log.warning("message_not_sent", case_id=message.case_id, template=message.template)
                continue
            message.sent_at = datetime.now(UTC)
            sent += 1
            log.info(
                "message_sent",
                case_id=message.case_id,
                channel=message.channel,
                template=message.template,
                recipient=message.recipient if message.recipient != "newcomer" else "newcomer",
            )
    return sent
