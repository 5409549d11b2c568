"""Engines: SQLite gets its pragmas, its folder and real transactions; URLs default sensibly."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from traject.store import db


def test_sqlite_engines_enforce_foreign_keys_in_wal_mode_with_a_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'nested' / 'folder' / 'traject.db'}")
    assert (tmp_path / "nested" / "folder").is_dir()
    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "journal_mode", "busy_timeout")
        }
    engine.dispose()
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": db.BUSY_TIMEOUT_MS}


def test_sqlite_transactions_roll_back_and_savepoints_work(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 't.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.connect() as connection:
        with connection.begin():
            connection.execute(text("INSERT INTO t VALUES (1)"))
            nested = connection.begin_nested()
            connection.execute(text("INSERT INTO t VALUES (2)"))
            nested.rollback()
        outer = connection.begin()
        connection.execute(text("INSERT INTO t VALUES (3)"))
        outer.rollback()
        assert connection.execute(text("SELECT x FROM t")).scalars().all() == [1]
    engine.dispose()


def test_transaction_commits_on_success_and_rolls_back_on_error(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 't.db'}")
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(RuntimeError), db.transaction(sessions) as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
        raise RuntimeError("boom")
    with sessions() as session:
        assert session.execute(text("SELECT x FROM t")).scalars().all() == [1]
    engine.dispose()


def test_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAJECT_DATABASE_URL", raising=False)
    assert db.default_url() == "sqlite:///.data/traject.db"
    monkeypatch.setenv("TRAJECT_DATABASE_URL", "postgresql://traject@db/traject")
    assert db.default_url() == "postgresql://traject@db/traject"
    assert db.normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalise_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.make_engine().dialect.driver == "psycopg"
