"""Keyed writes: the same key written twice writes nothing the second time.

Every row an activity writes carries a unique idempotency key, so a retried activity or a replayed
workflow never duplicates it. The insert is `INSERT … ON CONFLICT DO NOTHING` (PostgreSQL and SQLite
both have it): two transactions racing with one key do not fail, the later one waits for the earlier
and then finds its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from traject.store.models import Base

Row = TypeVar("Row", bound=Base)


def now() -> datetime:
    return datetime.now(UTC)


def insert_ignoring_conflict(
    session: Session, model: type[Base], conflict_on: Sequence[str], **values: Any
) -> bool:
    """Insert one row unless a row with the same `conflict_on` columns exists; True if inserted."""
    statement = _insert(session, model).values(**values)
    statement = statement.on_conflict_do_nothing(index_elements=conflict_on)
    column = model.__table__.c[conflict_on[0]]
    return session.execute(statement.returning(column)).first() is not None


def insert_once(session: Session, model: type[Row], key: str, **values: Any) -> Row:
    """The row with this idempotency key: a new one, or the existing one (unchanged)."""
    statement = _insert(session, model).values(key=key, **values)
    statement = statement.on_conflict_do_nothing(index_elements=["key"])
    row = session.scalars(statement.returning(model)).first()
    if row is None:
        column = model.key  # type: ignore[attr-defined]  # every keyed table has a unique `key`
        row = session.scalars(select(model).where(column == key)).one()
    return row


def _insert(session: Session, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    session.flush()  # a pending row with the same key must conflict now, not at the next flush
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"the store runs on PostgreSQL or SQLite, not {dialect}")
