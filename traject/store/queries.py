"""Reads for the inbox, the case list and the case page: paged, filtered, always within one
municipality. Writes to the read model happen in activities only; nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, Text, and_, cast, func, or_, select, true
from sqlalchemy.orm import Session, defer

from traject.store.models import (
    AuditEvent,
    Case,
    CasePerson,
    CaseTermijn,
    DefinitionVersion,
    LadderMeasurement,
    Task,
    TimelineEvent,
    User,
)

T = TypeVar("T")
TaskView = Literal["mine", "team", "unassigned", "overdue", "deadline", "all"]
TASK_VIEWS: tuple[TaskView, ...] = ("mine", "team", "unassigned", "overdue", "deadline", "all")
DEADLINE_SOON = timedelta(days=14)  # the `deadline` view: a termijn ends within two weeks
MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000  # pages past it are past the end of any list here (and of the database's offset)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True)
class Scope:
    """Whose view: the municipality always; groups and user for the inbox; oversight for all."""

    municipality: str
    user: str  # "user:<id>", as assignees are stored
    groups: frozenset[str]
    oversees: bool = False
    volunteer_only: bool = False


def _bounds(page: int, size: int) -> tuple[int, int]:
    """A page number and size within bounds."""
    return bounded(page), min(max(size, 1), MAX_PAGE_SIZE)


def bounded(page: int) -> int:
    """A page number asked for (from an address, by hand) as one the store can page to."""
    return min(max(page, 1), MAX_PAGE)


def _total(
    session: Session, query: Select[*tuple[Any, ...]], page: int, size: int, found: int
) -> int:
    """How many rows `query` has in all, `found` of them on this page: a page that is not full
    and not past the end says so itself (most pages: a case's timeline, a short inbox), and
    only a full page or one past the end costs a count."""
    if 0 < found < size or (page == 1 and found == 0):
        return (page - 1) * size + found
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# ---------------------------------------------------------------------------------------- tasks
def _termijn_due() -> Any:
    """The nearest last day of the task's case's open termijnen (a correlated subquery)."""
    return (
        select(func.min(CaseTermijn.due_on))
        .where(CaseTermijn.case_id == Task.case_id, CaseTermijn.status.in_(("running", "expired")))
        .scalar_subquery()
    )


def _view_condition(scope: Scope, view: TaskView) -> ColumnElement[bool]:
    """Which open tasks of the municipality a view holds, for this user."""
    visible = Task.role.in_(scope.groups) | (Task.assignee == scope.user)
    everything = scope.oversees and not scope.volunteer_only
    if view == "mine":
        return Task.assignee == scope.user
    if view == "team":
        return Task.role.in_(scope.groups)
    extra: list[ColumnElement[bool]] = [] if everything else [visible]
    if view == "unassigned":
        extra.append(Task.assignee.is_(None))
    elif view == "overdue":
        extra.append(Task.overdue.is_(True))
    elif view == "deadline":  # the case has a termijn past, warned or within two weeks of its end
        today = datetime.now(UTC).date()
        urgent = select(CaseTermijn.case_id).where(
            CaseTermijn.municipality == scope.municipality,
            (CaseTermijn.status == "expired")
            | (
                (CaseTermijn.status == "running")
                & (CaseTermijn.warned.is_(True) | (CaseTermijn.due_on <= today + DEADLINE_SOON))
            ),
        )
        extra.append(Task.case_id.in_(urgent))
    return and_(true(), *extra)


def _open_tasks(scope: Scope) -> list[ColumnElement[bool]]:
    return [Task.municipality == scope.municipality, Task.status == "open"]


def _task_query(scope: Scope, view: TaskView) -> Select[Task]:
    return select(Task).where(*_open_tasks(scope), _view_condition(scope, view))


def tasks(
    session: Session,
    scope: Scope,
    view: TaskView = "team",
    case_id: str | None = None,
    definition: str | None = None,
    page: int = 1,
    size: int = 25,
) -> Page[tuple[Task, str | None]]:
    """Open tasks with their case's first name, soonest due first (no due date last)."""
    query = _task_query(scope, view)
    if case_id:
        query = query.where(Task.case_id == case_id)
    if definition:
        query = query.where(
            Task.case_id.in_(
                select(Case.id)
                .join(DefinitionVersion, Case.definition_version_id == DefinitionVersion.id)
                .where(DefinitionVersion.definition == definition)
            )
        )
    page, size = _bounds(page, size)
    rows = session.execute(
        query.add_columns(CasePerson.first_name)
        .outerjoin(CasePerson, CasePerson.case_id == Task.case_id)
        .order_by(
            *((_termijn_due(),) if view == "deadline" else ()),
            Task.due_at.is_(None),
            Task.due_at,
            Task.id,
        )
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    total = _total(session, query, page, size, len(rows))
    return Page([(row[0], row[1]) for row in rows], total, page, size)


def task_counts(session: Session, scope: Scope) -> dict[str, int]:
    """How many open tasks each inbox view holds: one pass over the municipality's open tasks."""
    views = [v for v in TASK_VIEWS if v != "all" or scope.oversees]
    counts = session.execute(
        select(*(func.count().filter(_view_condition(scope, v)) for v in views)).where(
            *_open_tasks(scope)
        )
    ).one()
    return {view: int(n or 0) for view, n in zip(views, counts, strict=True)}


# ---------------------------------------------------------------------------------------- cases
def cases(
    session: Session,
    scope: Scope,
    status: str | None = None,
    definition: str | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    search: str | None = None,
    page: int = 1,
    size: int = 25,
) -> Page[tuple[Case, CasePerson | None, DefinitionVersion]]:
    query = (
        select(Case, CasePerson, DefinitionVersion)
        .outerjoin(CasePerson, CasePerson.case_id == Case.id)
        .join(DefinitionVersion, Case.definition_version_id == DefinitionVersion.id)
        .where(Case.municipality == scope.municipality)
        # a list needs a version's name and title, not its source and compiled form (large)
        .options(defer(DefinitionVersion.source), defer(DefinitionVersion.compiled))
    )
    if scope.volunteer_only:  # only the cases of tasks they hold
        query = query.where(
            Case.id.in_(select(Task.case_id).where(Task.assignee == scope.user).distinct())
        )
    if status:
        query = query.where(Case.status == status)
    if definition:
        query = query.where(DefinitionVersion.definition == definition)
    if overdue is not None:
        query = query.where(Case.overdue.is_(overdue))
    if search:
        term = f"%{search.strip().lower()}%"
        matches = [func.lower(CasePerson.first_name).like(term), Case.id == search.strip()]
        if not scope.volunteer_only:  # a volunteer sees a first name only: no probing for more
            matches += [
                func.lower(Case.reference).like(term),
                func.lower(CasePerson.last_name).like(term),
            ]
        query = query.where(or_(*matches))
    if state:  # a slug inside the JSON list's text: portable across SQLite and PostgreSQL
        query = query.where(cast(Case.current_states, Text).like(f'%"{state}"%'))
    page, size = _bounds(page, size)
    rows: list[tuple[Case, CasePerson | None, DefinitionVersion]] = [
        (row[0], row[1], row[2])
        for row in session.execute(
            query.order_by(Case.started_at.desc(), Case.id).offset((page - 1) * size).limit(size)
        ).all()
    ]
    return Page(rows, _total(session, query, page, size, len(rows)), page, size)


def case_termijnen(session: Session, case_id: str) -> Sequence[CaseTermijn]:
    return session.scalars(
        select(CaseTermijn).where(CaseTermijn.case_id == case_id).order_by(CaseTermijn.started_on)
    ).all()


def case_task_termijnen(session: Session, case_ids: Sequence[str]) -> dict[str, list[CaseTermijn]]:
    """The termijnen of these cases that still matter to an open task: running, suspended, or
    expired without being met (for the inbox's deadline column; expired is the most urgent)."""
    found: dict[str, list[CaseTermijn]] = {}
    if case_ids:
        for row in session.scalars(
            select(CaseTermijn).where(
                CaseTermijn.case_id.in_(set(case_ids)),
                CaseTermijn.status.in_(("running", "suspended", "expired")),
            )
        ):
            found.setdefault(row.case_id, []).append(row)
    return found


def case_tasks(session: Session, case_id: str) -> Sequence[Task]:
    return session.scalars(
        select(Task).where(Task.case_id == case_id).order_by(Task.created_at, Task.id)
    ).all()


def held_cases(session: Session, user: str, case_ids: Sequence[str]) -> set[str]:
    """Which of these cases `user` ('user:<id>') holds a task of, open or done: the cases a
    volunteer may read (their tasks' cases, as `cases` lists them for a volunteer)."""
    if not case_ids:
        return set()
    return set(
        session.scalars(
            select(Task.case_id)
            .where(Task.case_id.in_(set(case_ids)), Task.assignee == user)
            .distinct()
        )
    )


def open_task_ids(session: Session, scope: Scope, case_id: str) -> dict[str, int]:
    """The store ids of a case's open tasks, by name, that `scope` may work on (a volunteer:
    the ones they hold); none for a case of another municipality."""
    query = (
        select(Task.name, Task.id)
        .join(Case, Case.id == Task.case_id)
        .where(
            Task.case_id == case_id,
            Task.status == "open",
            Case.municipality == scope.municipality,
        )
    )
    if scope.volunteer_only:
        query = query.where(Task.assignee == scope.user)
    return {name: task_id for name, task_id in session.execute(query)}


def latest_ladder(session: Session, case_id: str) -> LadderMeasurement | None:
    """The case's latest participatieladder measurement (none measured: None)."""
    return session.scalar(
        select(LadderMeasurement)
        .where(LadderMeasurement.case_id == case_id)
        .order_by(LadderMeasurement.measured_at.desc(), LadderMeasurement.id.desc())
        .limit(1)
    )


def suspended_cases(session: Session, case_ids: Sequence[str]) -> set[str]:
    """Those of these cases that are suspended."""
    if not case_ids:
        return set()
    return set(
        session.scalars(
            select(Case.id).where(Case.id.in_(set(case_ids)), Case.status == "suspended")
        )
    )


def suspended_for(session: Session, case_id: str) -> str | None:
    """The reason (a code) the case was last suspended for, if one was given."""
    found = suspension(session, case_id)
    return found[0] if found else None


def suspension(session: Session, case_id: str) -> tuple[str | None, datetime] | None:
    """The case's last suspension: its reason (a code, if one was given) and when."""
    row = session.execute(
        select(TimelineEvent.detail, TimelineEvent.at)
        .where(TimelineEvent.case_id == case_id, TimelineEvent.kind == "suspended")
        .order_by(TimelineEvent.seq.desc(), TimelineEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    reason = (row.detail or {}).get("reason")
    return (reason if isinstance(reason, str) and reason else None), row.at


def timeline(
    session: Session, case_id: str, page: int = 1, size: int = 100, newest_first: bool = False
) -> Page[TimelineEvent]:
    query = select(TimelineEvent).where(TimelineEvent.case_id == case_id)
    page, size = _bounds(page, size)
    order = (TimelineEvent.seq, TimelineEvent.id)
    items = session.scalars(
        query.order_by(*(c.desc() for c in order) if newest_first else order)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page(items, _total(session, query, page, size, len(items)), page, size)


def audit_log(
    session: Session,
    municipality: str,
    case_id: str | None = None,
    page: int = 1,
    size: int = 50,
    action: str | None = None,
) -> Page[AuditEvent]:
    query = audit_query(municipality, case_id, action)
    page, size = _bounds(page, size)
    items = session.scalars(query.offset((page - 1) * size).limit(size)).all()
    return Page(items, _total(session, query, page, size, len(items)), page, size)


def audit_query(
    municipality: str, case_id: str | None = None, action: str | None = None
) -> Select[AuditEvent]:
    """A municipality's audit events, newest first: of one case, of one kind of action (the audit
    page's filter). Indexes serve each order (models.AuditEvent): a page reads its rows and
    stops, however long the log."""
    query = select(AuditEvent).where(AuditEvent.municipality == municipality)
    if case_id:
        query = query.where(AuditEvent.case_id == case_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def users_of_refs(session: Session, refs: set[str]) -> dict[str, User]:
    """'user:<id>' → the user, for showing who claimed or did what."""
    ids = [int(r.split(":", 1)[1]) for r in refs if r and r.startswith("user:")]
    if not ids:
        return {}
    return {f"user:{u.id}": u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def case_references(session: Session, municipality: str, case_ids: Sequence[str]) -> dict[str, str]:
    """Case id → its kenmerk (reference), for the cases of these that have one."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Case.id, Case.reference).where(
            Case.municipality == municipality,
            Case.id.in_(set(case_ids)),
            Case.reference.is_not(None),
            Case.reference != "",
        )
    ).all()
    return {case_id: reference for case_id, reference in rows if reference}


def user_names(session: Session, refs: set[str]) -> dict[str, str]:
    """'user:<id>' → display name."""
    return {ref: u.display_name for ref, u in users_of_refs(session, refs).items()}


def running_cases(
    session: Session, municipality: str, version_ids: Sequence[int]
) -> list[tuple[Case, int]]:
    """Running cases on these definition versions, with their version number (no names: a
    migration is about the process, not the person)."""
    rows = session.execute(
        select(Case, DefinitionVersion.version)
        .join(DefinitionVersion, Case.definition_version_id == DefinitionVersion.id)
        .where(
            Case.municipality == municipality,
            Case.definition_version_id.in_(version_ids),
            Case.status.in_(("running", "suspended")),
        )
        .order_by(DefinitionVersion.version, Case.started_at)
        .limit(500)
    ).all()
    return [(row[0], int(row[1])) for row in rows]


def cases_with_reference(session: Session, municipality: str, reference: str) -> list[str]:
    """The ids of the municipality's cases with this kenmerk (at most two: one is the answer)."""
    return list(
        session.scalars(
            select(Case.id)
            .where(Case.municipality == municipality, Case.reference == reference)
            .limit(2)
        )
    )


def case_people(session: Session, case_ids: Sequence[str]) -> dict[str, CasePerson]:
    """Case id → its person (personal data: for those who may read it, and audited)."""
    if not case_ids:
        return {}
    found = session.scalars(select(CasePerson).where(CasePerson.case_id.in_(set(case_ids))))
    return {person.case_id: person for person in found}


def last_timeline_kinds(session: Session, case_ids: Sequence[str]) -> dict[str, str]:
    """Case id → the kind of the latest entry of its timeline (`migrated`: nothing happened to
    the case since it was moved to another version, so the move may still be undone)."""
    if not case_ids:
        return {}
    latest = (
        select(TimelineEvent.case_id, func.max(TimelineEvent.seq).label("seq"))
        .where(TimelineEvent.case_id.in_(set(case_ids)))
        .group_by(TimelineEvent.case_id)
        .subquery()
    )
    rows = session.execute(
        select(TimelineEvent.case_id, TimelineEvent.kind).join(
            latest,
            and_(TimelineEvent.case_id == latest.c.case_id, TimelineEvent.seq == latest.c.seq),
        )
    ).all()
    return {case_id: kind for case_id, kind in rows}
