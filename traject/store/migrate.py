"""Alembic, configured in code: `upgrade(url)` brings any database to the models' schema, with no
alembic.ini needed (the scripts ship inside the package)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from traject.store.db import default_url, make_engine, normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url or default_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str | None, revision: str) -> None:
    command.downgrade(config(url), revision)


def head() -> str | None:
    """The revision the code expects."""
    return ScriptDirectory.from_config(config("sqlite://")).get_current_head()


def current(url: str | None = None) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
