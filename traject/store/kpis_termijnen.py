"""Termijnen on the dashboard: per termijn and per team (the role of the case's open tasks), how
many running cases are past their deadline, near it, on time or suspended."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from traject.store.kpis import Scope, in_scope
from traject.store.models import Case, CaseTermijn, Task

NEAR = timedelta(days=14)  # as the inbox's "deadline" view
BUCKETS = ("expired", "near", "on_time", "suspended")


@dataclass(frozen=True)
class TermijnTeam:
    termijn: str
    title: str
    team: str
    expired: int
    near: int
    on_time: int
    suspended: int


def by_team(session: Session, scope: Scope) -> list[TermijnTeam]:
    """Each open case counts once per termijn and per team that has an open task in it (a case
    without open tasks counts under '—')."""
    today = scope.now.date()
    bucket = case(
        (CaseTermijn.status == "expired", "expired"),
        (CaseTermijn.status == "suspended", "suspended"),
        (CaseTermijn.warned.is_(True) | (CaseTermijn.due_on <= today + NEAR), "near"),
        else_="on_time",
    )
    rows = session.execute(
        select(CaseTermijn.name, CaseTermijn.title, Task.role, bucket, CaseTermijn.case_id)
        .join(Case, Case.id == CaseTermijn.case_id)
        .outerjoin(Task, (Task.case_id == CaseTermijn.case_id) & (Task.status == "open"))
        .where(
            *in_scope(scope),
            Case.status.in_(("running", "suspended")),
            CaseTermijn.status.in_(("running", "suspended", "expired")),
        )
        .distinct()
    ).all()
    counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(BUCKETS, 0)
    )
    for name, title, role, kind, _case_id in rows:
        counts[(name, title, role or "—")][kind] += 1
    return [
        TermijnTeam(name, title, team, **found)
        for (name, title, team), found in sorted(counts.items())
    ]
