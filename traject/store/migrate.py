"""Alembic, configured in code: `upgrade(url)` brings any database to the models' schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from traject.store.db import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(config(url), revision)
