"""Store tests run on SQLite always and on PostgreSQL when 127.0.0.1:5432 answers.

Each test session gets fresh databases (a temporary SQLite file, a new PostgreSQL database that is
dropped afterwards), migrated with alembic exactly as `make up` does it.
"""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from traject.devserver import temporal_binary
from traject.store.db import make_engine, session_factory
from traject.store.migrate import upgrade
from workflows.trajectory import SEARCH_ATTRIBUTES

PG_ADMIN = os.environ.get("TRAJECT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_answers() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", 5432)) == 0


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        PG_ADMIN.replace("postgresql://", "postgresql://", 1), autocommit=True
    ) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'traject.db'}"
        return
    if not postgres_answers():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    name = f"traject_test_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
def sessions(migrated: str) -> sessionmaker[Session]:
    return session_factory(make_engine(migrated))


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is rolled back after the test."""
    with sessions() as session:
        session.begin()
        try:
            yield session
        finally:
            session.rollback()


DEFINITIONS = Path(__file__).parents[1] / "definitions"


# ------------------------------------------------------------------------ a real Temporal server
# One local dev server (the bundled binary) per test session, started by the first test that asks.
@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
        dev_server_startup_timeout=timedelta(seconds=60),
    )
    async with env:
        yield env


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"
