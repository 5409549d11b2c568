"""Alembic, configured in code: `upgrade(url)` brings any database to the models' schema, and
`migrated_engine(url)` opens a store only once it is there at the code's migration."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import OperationalError

from traject.store.db import make_engine, normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreUnavailable(Exception):
    """The store is not there, does not answer, or is not at the code's migration."""


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(config(url), revision)


@cache
def head() -> str:
    """The migration this code expects the store at (read from the scripts once a process)."""
    found = ScriptDirectory.from_config(config("sqlite://")).get_current_head()
    assert found is not None
    return found


def migrated_engine(url: str) -> Engine:
    """An engine on the store at `url` once it answers and is at `head()`; StoreUnavailable
    otherwise, with nothing made: an SQLite file is looked for, not created (connecting to a
    missing one would create it, and its folder)."""
    parsed = make_url(url)
    database = parsed.database or ""
    on_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if on_file and not Path(database).is_file():
        raise StoreUnavailable(f"no Traject store at {database}")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as error:
        engine.dispose()
        raise StoreUnavailable(f"the store does not answer ({error.orig})") from None
    expected = head()
    if current != expected:
        engine.dispose()
        shown = parsed.render_as_string(hide_password=True)
        raise StoreUnavailable(
            f"the store at {shown} is at migration {current or 'nothing'}, this code expects "
            f"{expected}: run `traject migrate`"
        )
    return engine
