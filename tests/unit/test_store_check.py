"""`migrated_engine`: the one check of a store that the doctor and the case commands share. It
opens a store only when it answers at the code's migration, and makes nothing where none is."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from traject.store.migrate import StoreUnavailable, head, migrated_engine, upgrade


def test_a_missing_sqlite_store_is_refused_and_not_made(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'traject.db'}"
    with pytest.raises(StoreUnavailable, match=r"no Traject store at .*traject\.db"):
        migrated_engine(url)
    assert list(tmp_path.iterdir()) == []  # neither the file nor its folder


def test_a_store_without_the_schema_is_refused_with_what_to_run(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "traject.db").close()  # there, but never migrated
    with pytest.raises(StoreUnavailable) as refused:
        migrated_engine(f"sqlite:///{tmp_path / 'traject.db'}")
    assert f"at migration nothing, this code expects {head()}" in str(refused.value)
    assert "run `traject migrate`" in str(refused.value)


def test_a_store_behind_the_code_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'traject.db'}"
    upgrade(url, "0001")
    with pytest.raises(StoreUnavailable, match=f"at migration 0001, this code expects {head()}"):
        migrated_engine(url)


def test_a_store_that_does_not_answer_is_refused_without_its_password() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreUnavailable, match="the store does not answer") as refused:
        migrated_engine(f"postgresql://traject:geheim@127.0.0.1:{port}/traject")
    assert "geheim" not in str(refused.value)


def test_a_migrated_store_opens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'traject.db'}"
    upgrade(url)
    engine = migrated_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM cases")).scalar() == 0
    finally:
        engine.dispose()
