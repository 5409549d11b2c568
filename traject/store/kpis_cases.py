"""Dashboard reads about single cases, never about persons: stuck cases (no progress beyond
their state's KPI), cases whose workflow never recorded a step, and the scoreboard rows (progress
without names). Same scope and rules as `traject.store.kpis`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from traject.store.kpis import OPEN, Scope, in_scope
from traject.store.models import Case, Task
from traject.store.queries import bounded


@dataclass(frozen=True)
class StuckCase:
    case_id: str
    workflow_id: str
    states: tuple[str, ...]
    status: str
    idle_since: datetime


def stuck(
    session: Session, scope: Scope, limits: dict[str, float], show: int = 100
) -> tuple[dict[str, int], list[StuckCase]]:
    """Open cases without progress for longer than the limit (days) of their set of states
    (`limits`: Combo.text → days): how many per set, and the `show` longest idle."""
    if not limits:
        return {}, []
    key = cast(Case.current_states, Text)
    idle = func.coalesce(Case.last_progress_at, Case.started_at)
    over = or_(
        *(
            and_(key == text, idle < scope.now - timedelta(days=days))
            for text, days in limits.items()
        )
    )
    where = [*in_scope(scope), Case.status.in_(OPEN), over]
    counts = dict(session.execute(select(key, func.count()).where(*where).group_by(key)).all())
    rows = session.execute(
        select(Case.id, Case.workflow_id, Case.current_states, Case.status, idle)
        .where(*where)
        .order_by(idle, Case.id)
        .limit(show)
    )
    return counts, [StuckCase(i, w, tuple(s), st, at) for i, w, s, st, at in rows]


def not_recorded(
    session: Session, scope: Scope, older_than: timedelta = timedelta(minutes=10)
) -> list[StuckCase]:
    """Cases whose workflow never recorded a first step: its activity fails, or no worker runs."""
    rows = session.execute(
        select(Case.id, Case.workflow_id, Case.current_states, Case.status, Case.started_at)
        .where(
            *in_scope(scope), Case.status == "starting", Case.started_at < scope.now - older_than
        )
        .order_by(Case.started_at)
        .limit(100)
    )
    return [StuckCase(i, w, tuple(s), st, at) for i, w, s, st, at in rows]


# ------------------------------------------------------------------------------ scoreboard
@dataclass
class Progress:
    case_id: str
    started_at: datetime
    states: tuple[str, ...]
    status: str
    completed: set[str] = field(default_factory=set)  # names of completed tasks
    open_tasks: int = 0
    step: int | None = None  # latest participatieladder step (as kept on the case)


def scoreboard(session: Session, scope: Scope, page: int, size: int) -> tuple[int, list[Progress]]:
    """Open cases, oldest first, one page: their states, tasks done and latest ladder step."""
    where = [*in_scope(scope), Case.status.in_(OPEN)]
    total = session.scalar(select(func.count()).where(*where)) or 0
    rows = session.execute(
        select(Case.id, Case.started_at, Case.current_states, Case.status, Case.ladder_step)
        .where(*where)
        .order_by(Case.started_at, Case.id)
        .offset((bounded(page) - 1) * size)
        .limit(size)
    )
    found = {
        i: Progress(i, at, tuple(states), status, step=step) for i, at, states, status, step in rows
    }
    if not found:
        return total, []
    tasks = session.execute(
        select(Task.case_id, Task.name, Task.status).where(
            Task.case_id.in_(found), Task.status.in_(("open", "completed"))
        )
    )
    for case_id, name, status in tasks:
        if status == "completed":
            found[case_id].completed.add(name)
        else:
            found[case_id].open_tasks += 1
    return total, list(found.values())
