"""Fixtures of the store tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import DEFINITIONS
from traject.seed import seed
from traject.store.db import make_engine, session_factory
from traject.store.migrate import upgrade


@pytest.fixture
def own_store(tmp_path: Path) -> sessionmaker[Session]:
    """A migrated and seeded SQLite store of the test's own (`tmp_path/traject.db`), for code
    that commits: the step recorder, the outbox dispatcher."""
    url = f"sqlite:///{tmp_path / 'traject.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    seed(sessions, DEFINITIONS)
    return sessions
