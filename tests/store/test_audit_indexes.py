"""The audit page reads a page of a long audit log in order, without sorting all of it: every read
of a case is logged, so the log of a municipality grows into the millions, and a page that sorted
them all would take longer each month. The plans are read with the database's own EXPLAIN, on
SQLite and on PostgreSQL, with the table filled and its statistics taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from traject.store import queries
from traject.store.models import AuditEvent, Municipality

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def plan(session: Session, statement: object) -> str:
    dialect = session.get_bind().dialect.name
    compiled = statement.compile(  # type: ignore[attr-defined]
        dialect=postgresql.dialect() if dialect == "postgresql" else sqlite.dialect(),
        compile_kwargs={"literal_binds": True},
    )
    if dialect == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))  # the index or a sort: which?
        rows = session.execute(text(f"EXPLAIN {compiled}")).scalars()
    else:
        rows = (r[-1] for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    return "\n".join(rows)


def test_a_page_of_the_audit_log_is_read_in_the_order_of_an_index(session: Session) -> None:
    for slug in ("audit-a", "audit-b"):
        if session.get(Municipality, slug) is None:
            session.add(Municipality(slug=slug, name=slug))
    session.flush()
    session.execute(
        insert(AuditEvent),
        [
            {
                "at": T0 + timedelta(minutes=i),
                "municipality": ("audit-a", "audit-b")[i % 2],
                "actor": f"user:{i % 7}",
                "action": ("case.read", "task.completed", "task.claimed")[i % 3],
                "case_id": f"case-{i % 500}",
                "detail": {},
            }
            for i in range(6_000)
        ],
    )
    session.execute(text("ANALYZE"))
    for statement in (
        queries.audit_query("audit-a").limit(50),
        queries.audit_query("audit-a", action="task.completed").limit(50),
    ):
        found = plan(session, statement)
        assert "ix_audit_municipality" in found, found
        assert "Sort" not in found and "TEMP B-TREE" not in found, found
    page = queries.audit_log(session, "audit-a", action="task.completed", size=50)
    assert len(page.items) == 50 and page.total == 1_000
    assert all(e.municipality == "audit-a" and e.action == "task.completed" for e in page.items)
    assert [e.at for e in page.items] == sorted((e.at for e in page.items), reverse=True)
