"""The transactional outbox: a step writes the letters, e-mails and inbox messages it causes in its
own transaction (`enqueue`, keyed, so a retried step writes each once); a dispatcher later claims
unsent messages, sends them and marks them. A message is sent at least once: receivers drop a
repeat by its key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traject.store.errors import NotFound
from traject.store.keyed import insert_once, now
from traject.store.models import OutboxMessage


def enqueue(
    session: Session,
    key: str,
    case_id: str,
    channel: str,
    template: str,
    recipient: str,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> OutboxMessage:
    """Put a message in the outbox once. `recipient` is a role or "newcomer"; the payload holds
    no personal data (the sender looks the newcomer's details up when it sends)."""
    return insert_once(
        session,
        OutboxMessage,
        key,
        case_id=case_id,
        channel=channel,
        template=template,
        recipient=recipient,
        payload=payload or {},
        created_at=at or now(),
    )


def claim_unsent(
    session: Session, limit: int = 50, max_attempts: int | None = None
) -> Sequence[OutboxMessage]:
    """The oldest unsent messages, locked for this transaction. On PostgreSQL a second dispatcher
    skips the locked ones (`FOR UPDATE SKIP LOCKED`) and takes the next, so none is sent twice by
    dispatchers running side by side."""
    query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    if max_attempts is not None:
        query = query.where(OutboxMessage.attempts < max_attempts)
    return session.scalars(
        query.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
    ).all()


def mark_sent(session: Session, message_id: int, at: datetime | None = None) -> OutboxMessage:
    message = _message(session, message_id)
    message.attempts += 1
    message.sent_at = at or now()
    message.last_error = None
    return message


def mark_failed(session: Session, message_id: int, error: str) -> OutboxMessage:
    """Count a failed attempt; the message stays unsent and is claimed again later."""
    message = _message(session, message_id)
    message.attempts += 1
    message.last_error = error[:500]
    return message


def _message(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message {message_id}")
    return message
