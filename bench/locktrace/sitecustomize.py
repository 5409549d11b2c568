"""Loaded by the Python processes `bench/throughput_bench.py --lock-stats` starts (it puts this
folder on their PYTHONPATH): records, for every transaction of theirs that writes to a SQLite
store, how long its first write waited for SQLite's one write lock (the statement's time, busy
waits included) and how long it then held it (first write to commit or rollback). One line per
transaction, appended to `<TRAJECT_BENCH_LOCKTRACE>/<pid>.tsv`: wall-clock end, wait, hold.

A diagnostic, not part of Traject: it costs a few microseconds a statement."""

from __future__ import annotations

import atexit
import os
import time

FOLDER = os.environ.get("TRAJECT_BENCH_LOCKTRACE")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

if FOLDER:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    os.makedirs(FOLDER, exist_ok=True)
    _out = open(os.path.join(FOLDER, f"{os.getpid()}.tsv"), "a", buffering=1 << 16)  # noqa: SIM115
    atexit.register(_out.close)

    def _writes(conn: object, statement: str) -> bool:
        dialect = conn.dialect.name  # type: ignore[attr-defined]
        return dialect == "sqlite" and statement.lstrip()[:7].upper().startswith(WRITES)

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "lock_since" not in conn.info and _writes(conn, statement):
            conn.info["lock_asked"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        asked = conn.info.pop("lock_asked", None)
        if asked is not None:
            now = time.perf_counter()
            conn.info["lock_since"], conn.info["lock_wait"] = now, now - asked

    def _ended(conn) -> None:  # type: ignore[no-untyped-def]
        since = conn.info.pop("lock_since", None)
        wait = conn.info.pop("lock_wait", 0.0)
        conn.info.pop("lock_asked", None)
        if since is not None:
            _out.write(f"{time.time():.6f}\t{wait:.6f}\t{time.perf_counter() - since:.6f}\n")

    event.listen(Engine, "commit", _ended)
    event.listen(Engine, "rollback", _ended)
