"""Engines and sessions. SQLite for the embedded default (WAL, foreign keys, a busy timeout),
PostgreSQL (psycopg 3) in production. The caller owns the transaction: repositories never commit.

On SQLite every transaction starts with `BEGIN IMMEDIATE`: it takes the single write lock up front
(waiting up to the busy timeout), so a transaction that reads and then writes — most do, reading a
case audits it — never fails half-way because another writer committed in between. Driving BEGIN
ourselves also makes savepoints and transactional DDL work on SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///.data/traject.db"
BUSY_TIMEOUT_MS = 30_000


def default_url() -> str:
    """TRAJECT_DATABASE_URL, else the embedded SQLite file."""
    return os.environ.get("TRAJECT_DATABASE_URL") or DEFAULT_URL


def normalise_url(url: str) -> str:
    """`postgresql://…` means psycopg 3 here; a SQLite file gets its folder."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def make_engine(url: str | None = None, **options: Any) -> Engine:
    url = normalise_url(url or default_url())
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **options)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _sqlite_connect(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # the driver opens no transactions; `_sqlite_begin` does
    cursor = connection.cursor()
    for pragma in (
        "foreign_keys=ON",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with sessions.begin() as session:
        yield session
