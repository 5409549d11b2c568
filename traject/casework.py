"""What a signed-in user may see and do with cases and tasks: the one policy layer under both the
REST API and the web pages. It checks roles and municipality, shapes what a role may see (a
volunteer never sees a BSN or a surname), writes the audit log for every read of personal data,
and sends every change through the `Traject` service (a Temporal update).

Another municipality's case or task does not exist for a user: it is "not found", not "forbidden".
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from traject.definition.compiled import CompiledDefinition, CTermijn
from traject.service import Refused, Traject
from traject.store import queries
from traject.store import repositories as repo
from traject.store.accounts import Principal
from traject.store.db import transaction
from traject.store.models import (
    Case,
    CasePerson,
    CaseTermijn,
    DefinitionVersion,
    LadderMeasurement,
    Task,
    TimelineEvent,
)
from workflows.messages import TrajectoryView

STARTERS = ("caseworker", "coordinator")
CASE_READERS = ("caseworker", "coordinator", "volunteer")
DECISIONS = {"suspend": STARTERS, "resume": STARTERS, "cancel": ("coordinator",)}


class Forbidden(Refused):
    def __init__(self, message: str) -> None:
        super().__init__("forbidden", message)


def require(user: Principal, *roles: str) -> None:
    if not user.has(*roles):
        raise Forbidden(f"this needs the role {' or '.join(roles)}")


def designer_only(user: Principal) -> bool:
    """A process designer who works no cases (no role of CASE_READERS): the Ontwerpen pages are
    theirs; an inbox, a case list or a case they would be refused."""
    return user.has("designer") and not user.has(*CASE_READERS)


def scope_of(user: Principal) -> queries.Scope:
    return queries.Scope(
        municipality=user.municipality,
        user=user.ref,
        groups=user.groups,
        oversees=user.oversees,
        volunteer_only=user.volunteer_only,
    )


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str | None
    bsn: str | None

    @classmethod
    def of(cls, person: CasePerson | None, user: Principal) -> Person:
        if person is None:
            return cls("?", None, None)
        if user.volunteer_only:
            return cls(person.first_name, None, None)
        return cls(person.first_name, person.last_name, person.bsn)


@dataclass(frozen=True)
class CaseRow:
    case: Case
    person: Person
    definition: str
    version: int
    title: str
    states: tuple[str, ...] = ()  # the titles of the states the case is in, for people


@dataclass(frozen=True)
class TermijnView:
    """A termijn as a case worker sees it: how much is used and how urgent it is."""

    name: str
    title: str
    status: str  # on_time, amber, red, suspended, met, expired
    started_on: date
    due_on: date | None
    used: float  # share of the time used (0..1+), for the deadline bar
    days_left: int | None
    can_suspend: bool = False
    can_extend: bool = False

    @classmethod
    def of(cls, row: CaseTermijn, today: date, spec: CTermijn | None = None) -> TermijnView:
        used, left = 0.0, None
        status = row.status
        if row.due_on is not None:
            total = max((row.due_on - row.started_on).days, 1)
            used = (today - row.started_on).days / total
            left = (row.due_on - today).days
        if status == "running":
            amber = spec.amber if spec else 0.8
            status = "red" if left is not None and left <= 0 else "on_time"
            if status == "on_time" and (row.warned or used >= amber):
                status = "amber"
        return cls(row.name, row.title, status, row.started_on, row.due_on, used, left)


URGENCY = {"expired": 0, "red": 1, "amber": 2, "suspended": 3, "on_time": 4, "met": 5}


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    person: Person
    definition: CompiledDefinition
    tasks: list[Task]
    timeline: queries.Page[TimelineEvent]
    dates: dict[str, date]
    names: dict[str, str]  # user:<id> → display name
    termijnen: list[TermijnView]
    ladder: LadderMeasurement | None = None  # the newcomer's latest participatieladder step
    suspended: tuple[str | None, datetime] | None = None  # while suspended: reason code, since


@dataclass(frozen=True)
class CaseDates:
    """What a page checks an outside event against before it records it: the case's status, its
    definition (which event sets which case date) and the dates it has now."""

    status: str
    definition: CompiledDefinition
    dates: dict[str, date]
    states: tuple[str, ...] = ()  # where the case is now


def works_on(user: Principal, task: Task) -> bool:
    """Whether the task is one of the user's group's (or the user oversees every group)."""
    return task.role in user.groups or user.oversees


def held_by_other(user: Principal, task: Task) -> bool:
    """Whether someone else has claimed the task: then only they can complete it."""
    return task.assignee not in (None, user.ref)


def sees_personal_answers(user: Principal, task: Task) -> bool:
    """Personal answers of a form are for those who see a newcomer's personal data (not a
    volunteer, see `Person.of`), and for whoever gave them."""
    return not user.volunteer_only or task.completed_by == user.ref


@dataclass(frozen=True)
class TaskDetail:
    task: Task
    case: Case
    person: Person
    definition: CompiledDefinition
    names: dict[str, str]
    deactivated: set[str] = field(default_factory=set)  # of the names: who is deactivated
    # the personal answers (`personal` form fields, kept in the store only) when they were asked
    # for and the reader may see them; None otherwise
    personal: dict[str, Any] | None = None
    may_work: bool = False  # the task is for the reader's group (or they oversee all)
    may_complete: bool = False  # open, theirs to do, not claimed by someone else, case not on hold
    # the case is suspended (opgeschort): no task of it can be claimed or completed until it is
    # resumed; the reason it was suspended for (a code of traject/reasons.py), if it was given
    suspended: bool = False
    suspended_for: str | None = None

    @property
    def form(self) -> dict[str, Any]:
        return dict(self.definition.tasks[self.task.name].form)

    @property
    def description(self) -> str | None:
        return self.definition.tasks[self.task.name].description


@dataclass
class Casework:
    traject: Traject

    # ------------------------------------------------------------------------------------ reads
    def inbox(
        self, user: Principal, view: queries.TaskView = "team", page: int = 1, size: int = 25
    ) -> tuple[queries.Page[tuple[Task, str | None]], dict[str, int]]:
        if view == "all" and not user.oversees:
            raise Forbidden("all tasks of the municipality are for coordinators")
        with self.traject.sessions() as session:
            scope = scope_of(user)
            found = queries.tasks(session, scope, view, page=page, size=size)
            return found, queries.task_counts(session, scope)

    def inbox_names(
        self, user: Principal, tasks: Sequence[Task]
    ) -> tuple[dict[str, str], dict[str, str]]:
        """What the inbox names beside its tasks: each case's kenmerk (case id → reference; none
        for a volunteer, who sees a first name only) and who holds a claimed task ('user:<id>' →
        display name)."""
        with self.traject.sessions() as session:
            references = (
                {}
                if user.volunteer_only
                else queries.case_references(
                    session, user.municipality, [task.case_id for task in tasks]
                )
            )
            holders = queries.user_names(session, {t.assignee for t in tasks if t.assignee})
        return references, holders

    def openable(self, user: Principal, case_ids: Sequence[str]) -> set[str]:
        """Which of these cases (of the user's municipality) the user may open, so that a page
        links only those: every one for a case worker or coordinator; for a volunteer, the cases
        where they hold a task (as `case` allows; a task of their group they have not taken on
        shows its first name, not its case); none for anyone else."""
        if not user.has(*CASE_READERS):
            return set()
        if not user.volunteer_only:
            return set(case_ids)
        with self.traject.sessions() as session:
            return queries.held_cases(session, user.ref, case_ids)

    def suspended(self, case_ids: Sequence[str]) -> set[str]:
        """Which of these cases are suspended (for the inbox: their tasks wait until resumed)."""
        with self.traject.sessions() as session:
            return queries.suspended_cases(session, case_ids)

    def deadlines(self, case_ids: list[str]) -> dict[str, TermijnView]:
        """The most urgent open termijn of each of these cases (for the inbox)."""
        today = datetime.now(UTC).date()
        with self.traject.sessions() as session:
            rows = queries.case_task_termijnen(session, case_ids)
        return {
            case_id: min(
                (TermijnView.of(row, today) for row in found), key=lambda v: URGENCY[v.status]
            )
            for case_id, found in rows.items()
        }

    def cases(
        self, user: Principal, page: int = 1, size: int = 25, **filters: Any
    ) -> queries.Page[CaseRow]:
        require(user, *CASE_READERS)
        if filters.get("search"):  # PostgreSQL text holds no NUL; nothing can match one
            filters["search"] = filters["search"].replace("\x00", "")
        with transaction(self.traject.sessions) as session:
            found = queries.cases(session, scope_of(user), page=page, size=size, **filters)
            rows = [
                CaseRow(
                    case,
                    Person.of(person, user),
                    v.definition,
                    v.version,
                    v.title,
                    _state_titles(repo.compiled_of(v), case.current_states),
                )
                for case, person, v in found.items
            ]
            if rows:  # names of newcomers were shown: that is a read of personal data
                repo.audit(
                    session,
                    user.municipality,
                    user.ref,
                    "cases_listed",
                    None,
                    cases=[r.case.id for r in rows],
                )
        return queries.Page(rows, found.total, found.page, found.size)

    def case(
        self,
        user: Principal,
        case_id: str,
        timeline_page: int = 1,
        *,
        audited: bool = True,
        newest_first: bool = False,
    ) -> CaseDetail:
        """The case as its reader may see it, the read written to the audit log. `audited=False`
        only for the answer to a start: what its caller has just given, which the start's own
        row (case_started) already records. The timeline runs oldest first, or with
        `newest_first` (the case page: what happened last is what a case worker reads first)."""
        require(user, *CASE_READERS)
        with transaction(self.traject.sessions) as session:
            case = self._case(session, user, case_id)
            tasks = list(queries.case_tasks(session, case.id))
            if user.volunteer_only:
                tasks = [t for t in tasks if t.assignee == user.ref]
            timeline = queries.timeline(session, case.id, timeline_page, newest_first=newest_first)
            version = repo.version_of(session, case)
            person = Person.of(session.get(CasePerson, case.id), user)
            dates = {d.name: d.value for d in repo.case_dates(session, case.id)}
            refs = {t.assignee or "" for t in tasks} | {t.completed_by or "" for t in tasks}
            refs |= {e.actor or "" for e in timeline.items}
            refs |= {str((e.detail or {}).get("assignee") or "") for e in timeline.items}
            compiled = repo.compiled_of(version)
            today = datetime.now(UTC).date()
            termijnen = [
                replace(
                    TermijnView.of(row, today, compiled.termijnen.get(row.name)),
                    can_suspend=self._may(user, compiled, row.name, "suspend"),
                    can_extend=self._may(user, compiled, row.name, "extend"),
                )
                for row in queries.case_termijnen(session, case.id)
            ]
            names = queries.user_names(session, refs)
            ladder = queries.latest_ladder(session, case.id)
            suspended = queries.suspension(session, case.id) if case.status == "suspended" else None
            if audited:  # last: on SQLite a write holds the store's one write lock until commit
                repo.audit(session, case.municipality, user.ref, "case_read", case.id)
            return CaseDetail(
                case=case,
                person=person,
                definition=compiled,
                tasks=tasks,
                timeline=timeline,
                dates=dates,
                names=names,
                termijnen=termijnen,
                ladder=ladder,
                suspended=suspended,
            )

    def task(self, user: Principal, task_id: int, *, personal: bool = False) -> TaskDetail:
        """The task as its reader may see it; with `personal`, its personal answers too when the
        reader may see them (the read of them is then in the audit log)."""
        with transaction(self.traject.sessions) as session:
            task = self._task(session, user, task_id)
            case = repo.get_case(session, task.case_id)
            version = repo.version_of(session, case)
            person = Person.of(session.get(CasePerson, case.id), user)
            people = queries.users_of_refs(session, {task.assignee or "", task.completed_by or ""})
            names = {ref: u.display_name for ref, u in people.items()}
            out = {ref for ref, u in people.items() if not u.active and ref == task.assignee}
            answers = (
                dict(task.personal_data or {})
                if personal and sees_personal_answers(user, task)
                else None
            )
            read = {"personal": True} if answers else {}
            repo.audit(
                session, case.municipality, user.ref, "task_read", case.id, task=task.id, **read
            )
            may_work = works_on(user, task)
            suspended = case.status == "suspended"
            return TaskDetail(
                task=task,
                case=case,
                person=person,
                definition=repo.compiled_of(version),
                names=names,
                deactivated=out,
                personal=answers,
                may_work=may_work,
                may_complete=task.status == "open"
                and may_work
                and not held_by_other(user, task)
                and not suspended,
                suspended=suspended,
                suspended_for=queries.suspended_for(session, case.id) if suspended else None,
            )

    def audit_log(
        self,
        user: Principal,
        case_id: str | None = None,
        page: int = 1,
        size: int = 50,
        action: str | None = None,
    ) -> queries.Page[Any]:
        require(user, "coordinator")
        with self.traject.sessions() as session:
            if case_id:  # a case by its id or by its kenmerk, as the pages show it
                case_id = self._case_by_id_or_reference(session, user, case_id).id
            return queries.audit_log(session, user.municipality, case_id, page, size, action)

    def _case_by_id_or_reference(self, session: Any, user: Principal, text: str) -> Case:
        """The case with this id, or else the one case of the municipality with this kenmerk
        (none, or more than one: not found)."""
        try:
            return self._case(session, user, text)
        except Refused:
            found = queries.cases_with_reference(session, user.municipality, text)
            if len(found) != 1:
                raise Refused("not_found", f"no case '{text}'") from None
            return self._case(session, user, found[0])

    def references(self, user: Principal, case_ids: set[str]) -> dict[str, str]:
        """Case id → kenmerk, for the municipality's cases among these that have one."""
        with self.traject.sessions() as session:
            return queries.case_references(session, user.municipality, sorted(case_ids))

    def definitions(self, user: Principal) -> list[DefinitionVersion]:
        """The published definitions a user may start: the newest version of each."""
        with self.traject.sessions() as session:
            versions = repo.list_definition_versions(session, user.municipality)
            newest: dict[str, DefinitionVersion] = {}
            for v in versions:
                if v.definition not in newest or v.version > newest[v.definition].version:
                    newest[v.definition] = v
            return sorted(newest.values(), key=lambda v: v.title)

    # ---------------------------------------------------------------------------------- changes
    async def start(
        self,
        user: Principal,
        definition: str,
        first_name: str,
        last_name: str | None = None,
        bsn: str | None = None,
        reference: str | None = None,
        dates: dict[str, date] | None = None,
    ) -> Case:
        require(user, *STARTERS)
        case = await self.traject.start_case(
            definition,
            first_name,
            municipality=user.municipality,
            last_name=last_name,
            bsn=bsn,
            reference=reference,
            dates=dates,
            actor=user.ref,
        )
        await self._first_step(case.id)
        return case

    async def _first_step(self, case_id: str, patience: float = 5.0) -> None:
        """Wait (briefly) until the workflow has recorded its first step, so the caller sees the
        case with its first tasks rather than 'starting'. After that, it is not an error. The
        first look comes after about what a first step takes unloaded (the workflow has only just
        been started), then less and less often: under load each look that finds nothing yet is
        a query for nothing."""
        waited, pause = 0.0, 0.01
        while waited < patience:
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 1.5, 0.05)
            with self.traject.sessions() as session:
                if repo.case_status(session, case_id) != "starting":
                    return

    async def claim(self, user: Principal, task_id: int) -> TrajectoryView:
        task = self._task_for_work(user, task_id)
        return await self.traject.assign_task(task.id, user.ref, user.ref, user.municipality)

    async def release(self, user: Principal, task_id: int) -> TrajectoryView:
        task = self._task_for_work(user, task_id)
        if held_by_other(user, task) and not user.oversees:
            raise Refused("claimed", "this task is claimed by someone else")
        return await self.traject.assign_task(
            task.id, None, user.ref, user.municipality, override=user.oversees
        )

    async def assign(self, user: Principal, task_id: int, assignee_id: int) -> TrajectoryView:
        """A coordinator hands a task to a colleague of the task's group."""
        require(user, "coordinator")
        with self.traject.sessions() as session:
            task = self._task(session, user, task_id)
            colleague = repo.get_user(session, assignee_id, user.municipality)
            if colleague is None or not colleague.active:
                raise Refused("not_found", f"no user {assignee_id}")
            if task.role not in colleague.groups:
                raise Refused(
                    "invalid",
                    f"{colleague.display_name} is not in the group '{task.role}' of this task",
                    {"user_id": f"not in the group {task.role}"},
                )
        return await self.traject.assign_task(
            task_id, f"user:{assignee_id}", user.ref, user.municipality, override=True
        )

    async def complete(self, user: Principal, task_id: int, data: dict[str, Any]) -> TrajectoryView:
        """Complete a task the user holds; an unclaimed task of their group is claimed by doing it."""
        task = self._task_for_work(user, task_id)
        if held_by_other(user, task):
            raise Refused(
                "claimed", "this task is claimed by someone else: ask them or a coordinator"
            )
        return await self.traject.complete_task(task, data, user.ref, user.municipality)

    async def change_termijn(
        self,
        user: Principal,
        case_id: str,
        name: str,
        change: str,
        reason: str,
        length: str | None = None,
        note: str | None = None,
    ) -> TrajectoryView:
        """Suspend, resume or extend a termijn: for the roles its definition names (and
        coordinators); how often and how long is the workflow's to check."""
        require(user, *STARTERS)
        with self.traject.sessions() as session:
            case = self._case(session, user, case_id)
            compiled = repo.compiled_of(repo.version_of(session, case))
        if name not in compiled.termijnen:
            raise Refused("not_found", f"no termijn '{name}' in this trajectory")
        if change not in ("suspend", "resume", "extend"):
            raise Refused("invalid", "change is suspend, resume or extend")
        if not self._may(user, compiled, name, change):
            raise Forbidden(f"you may not {change} the termijn '{name}'")
        return await self.traject.change_termijn(
            case_id, name, change, reason, user.ref, user.municipality, length, note
        )

    @staticmethod
    def _may(user: Principal, d: CompiledDefinition, name: str, change: str) -> bool:
        spec = d.termijnen.get(name)
        rule = None if spec is None else (spec.extend if change == "extend" else spec.suspend)
        if rule is None:
            return False
        return user.oversees or bool(user.groups & set(rule.roles))

    def case_dates(self, user: Principal, case_id: str) -> CaseDates:
        """The case's dates as the store has them, for who may record an event (the case page
        asks before an event replaces one). Nothing personal is read: no read to audit."""
        require(user, *STARTERS)
        with self.traject.sessions() as session:
            case = self._case(session, user, case_id)
            compiled = repo.compiled_of(repo.version_of(session, case))
            dates = {d.name: d.value for d in repo.case_dates(session, case.id)}
            return CaseDates(case.status, compiled, dates, tuple(case.current_states or ()))

    async def record_event(
        self, user: Principal, case_id: str, event: str, when: date | None = None
    ) -> TrajectoryView:
        require(user, *STARTERS)
        return await self.traject.record_event(case_id, event, user.ref, when, user.municipality)

    async def record_ladder(self, user: Principal, case_id: str, step: int) -> TrajectoryView:
        require(user, *STARTERS)
        return await self.traject.record_ladder(case_id, step, user.ref, user.municipality)

    async def decide(
        self, user: Principal, case_id: str, decision: str, reason: str, note: str | None = None
    ) -> TrajectoryView:
        if decision not in DECISIONS:
            raise Refused("invalid", f"unknown decision '{decision}': suspend, resume or cancel")
        require(user, *DECISIONS[decision])
        return await self.traject.decide(
            case_id, decision, reason, user.ref, user.municipality, note=note
        )

    # ---------------------------------------------------------------------------------- helpers
    def open_task_ids(self, user: Principal, case_id: str) -> dict[str, int]:
        """The ids of the case's open tasks the user may work on, by name: what an answer to a
        change carries so the case worker can go on with the next task without reading the
        case again. The step that opened them is in the store once the workflow has answered."""
        with self.traject.sessions() as session:
            return queries.open_task_ids(session, scope_of(user), case_id)

    def _case(self, session: Any, user: Principal, case_id: str) -> Case:
        try:
            case = repo.get_case(session, case_id, user.municipality)
        except repo.NotFound as error:
            raise Refused("not_found", str(error)) from None
        if user.volunteer_only and not queries.held_cases(session, user.ref, [case.id]):
            raise Refused("not_found", f"no case '{case_id}'")
        return case

    def _task(self, session: Any, user: Principal, task_id: int) -> Task:
        try:
            task = repo.get_task(session, task_id, user.municipality)
        except repo.NotFound as error:
            raise Refused("not_found", str(error)) from None
        if user.volunteer_only and task.assignee != user.ref and task.role not in user.groups:
            raise Refused("not_found", f"no task {task_id}")
        return task

    def _task_for_work(self, user: Principal, task_id: int) -> Task:
        with self.traject.sessions() as session:
            task = self._task(session, user, task_id)
        if not works_on(user, task):
            raise Forbidden(f"this task is for the group '{task.role}', which you are not in")
        if task.status != "open":
            raise Refused("task_not_open", f"task {task_id} is {task.status}")
        return task


def _state_titles(d: CompiledDefinition, names: Sequence[str]) -> tuple[str, ...]:
    return tuple(d.states[n].title if n in d.states else n for n in names)


def days_left(task: Task, today: datetime) -> int | None:
    if task.due_at is None:
        return None
    due = task.due_at if task.due_at.tzinfo else task.due_at.replace(tzinfo=today.tzinfo)
    return (due - today).days
