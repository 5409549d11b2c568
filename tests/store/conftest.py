"""Store fixtures on top of the backends in tests/conftest.py (SQLite always, PostgreSQL when it
answers on 127.0.0.1:5432).

`session` is the savepoint pattern: the test's session runs inside a savepoint of an outer
transaction that is rolled back afterwards, so even a test that commits leaves nothing behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import DEFINITIONS, PG_ADMIN, _admin
from traject.definition import compile_file
from traject.definition.compiled import CompiledDefinition
from traject.store import repositories as repo
from traject.store.models import Case, DefinitionVersion


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    engine = sessions.kw["bind"]
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the same backend with nothing in it, dropped after the test."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"traject_empty_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def is_postgresql(session_or_url: Session | str) -> bool:
    if isinstance(session_or_url, str):
        return session_or_url.startswith("postgresql")
    return session_or_url.get_bind().dialect.name == "postgresql"


@pytest.fixture(scope="session")
def pvt1() -> CompiledDefinition:
    return compile_file(DEFINITIONS / "pvt1.yaml")


@pytest.fixture
def version(session: Session, pvt1: CompiledDefinition) -> DefinitionVersion:
    repo.ensure_municipality(session, pvt1.municipality, "Voorbeeldgemeente")
    return repo.publish(session, pvt1, "source", by="designer")


@pytest.fixture
def case(session: Session, version: DefinitionVersion) -> Case:
    return repo.create_case(session, version, first_name="Amina", last_name="Haddad")
