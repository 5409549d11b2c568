"""Alembic environment: migrations run against the URL `traject.store.migrate` configures.

On SQLite, `batch_alter_table` rebuilds a table (copy, drop, rename), which foreign key enforcement
would refuse for a referenced table such as `cases`: enforcement is off while migrating, and
`PRAGMA foreign_key_check` must come back empty before the migration commits.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import event, pool

from traject.store.db import make_engine
from traject.store.models import Base

target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _foreign_keys_off(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA foreign_keys=OFF")


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url, poolclass=pool.NullPool)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "connect", _foreign_keys_off)  # after make_engine's own pragmas
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            transactional_ddl=True,  # SQLite included: db.py drives BEGIN itself
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
