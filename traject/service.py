"""Case operations shared by the CLI and the API: start a trajectory, complete a task, record an
event, read a case. State changes go to the workflow as updates; this layer only registers the
newcomer (personal data, SQL only) and keeps the personal answers of a form out of the workflow.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from traject.definition.forms import split_personal, validate_form
from traject.definition.termijnen import canonical, written_length
from traject.migration import MigrationRefused
from traject.migration import plan as plan_migration
from traject.store import repositories as repo
from traject.store.db import transaction
from traject.store.models import AuditEvent, Case, CasePerson, Task
from workflows.messages import (
    AssignTask,
    CaseDecision,
    ChangeTermijn,
    CompleteTask,
    Migrate,
    RecordEvent,
    RecordLadder,
    RevertMigration,
    TrajectoryInput,
    TrajectoryView,
)
from workflows.trajectory import TrajectoryWorkflow, start_attributes

Handle = WorkflowHandle[TrajectoryWorkflow, TrajectoryView]
DUTCH_TIME = ZoneInfo("Europe/Amsterdam")  # what 'today' is for a municipality
CATCH_UP_ATTEMPTS = 20
CATCH_UP_PAUSE = 0.5  # seconds; a lost workflow task is redone within the task timeout (10 s)


def _completion_id(task_id: int, data: dict[str, Any], actor: str) -> str:
    """The same completion sent twice (a retry, a double click) is applied once by the workflow;
    a different completion of the same task is refused as 'already completed'."""
    digest = hashlib.sha256(
        json.dumps([data, actor], sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"complete-task-{task_id}-{digest[:16]}"


def _completion_audited(session: Session, task: Task) -> bool:
    """Whether a request has written the audit event of this task's completion already."""
    details = session.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.case_id == task.case_id, AuditEvent.action == "task_completed"
        )
    ).all()
    return any(detail.get("task_id") == task.id for detail in details)


class Refused(Exception):
    """A request Traject refuses; nothing changed. `code` says why, `errors` names bad fields."""

    def __init__(self, code: str, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.errors = code, errors or {}


def bsn_ok(bsn: str) -> bool:
    """The elfproef of a burgerservicenummer: 9 digits, weighted sum divisible by 11."""
    if len(bsn) != 9 or not bsn.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(bsn[:8], range(9, 1, -1), strict=True))
    return (total - int(bsn[8])) % 11 == 0


def _control(text: str) -> bool:
    return any(ord(c) < 32 and c not in "\t" for c in text)


def check_person(
    first_name: str, last_name: str | None, bsn: str | None, reference: str | None
) -> None:
    """What a case is started with, checked for every way in (API, pages, CLI): names and
    reference plain text, a BSN that passes the elfproef; Refused names each bad field."""
    texts = {"first_name": first_name, "last_name": last_name, "reference": reference}
    bad = {k: "must not contain control characters" for k, v in texts.items() if v and _control(v)}
    if bad:
        raise Refused("invalid", "names and references are plain text", bad)
    if bsn is not None and not bsn_ok(bsn):
        raise Refused("invalid", "not a valid BSN", {"bsn": "not a valid BSN: 9 digits, elfproef"})


@dataclass
class Traject:
    sessions: sessionmaker[Session]
    client: Client
    task_queue: str

    # ----------------------------------------------------------------------------------- cases
    async def start_case(
        self,
        definition: str,
        first_name: str,
        *,
        municipality: str | None = None,
        last_name: str | None = None,
        bsn: str | None = None,
        reference: str | None = None,
        dates: dict[str, date] | None = None,
        actor: str = "system",
    ) -> Case:
        check_person(first_name, last_name, bsn, reference)
        with transaction(self.sessions) as session:
            try:
                version = repo.latest_version(session, municipality, definition)
            except repo.NotFound as error:
                raise Refused("not_found", str(error)) from None
            compiled = repo.compiled_of(version)
            unknown = sorted(set(dates or {}) - set(compiled.case_dates))
            if unknown:
                raise Refused(
                    "invalid", f"unknown case date(s) {unknown}; known: {list(compiled.case_dates)}"
                )
            case = repo.create_case(session, version, first_name, last_name, bsn, reference, dates)
            repo.audit(
                session,
                version.municipality,
                actor,
                "case_started",
                case.id,
                definition=compiled.key,
            )
        params = TrajectoryInput(
            case_id=case.id,
            definition=compiled,
            dates={k: v.isoformat() for k, v in (dates or {}).items()},
        )
        await self.client.start_workflow(
            TrajectoryWorkflow.run,
            params,
            id=case.workflow_id,
            task_queue=self.task_queue,
            search_attributes=start_attributes(compiled),
        )
        return case

    def handle(self, case: Case) -> Handle:
        return self.client.get_workflow_handle_for(TrajectoryWorkflow.run, case.workflow_id)

    async def view(self, case: Case) -> TrajectoryView:
        return await self.handle(case).query(TrajectoryWorkflow.view)

    def show(
        self, case_id: str, municipality: str | None = None, actor: str = "system"
    ) -> dict[str, Any]:
        with transaction(self.sessions) as session:
            try:
                case = repo.get_case(session, case_id, municipality)
            except repo.NotFound as error:
                raise Refused("not_found", str(error)) from None
            person = session.get(CasePerson, case.id)
            repo.audit(session, case.municipality, actor, "case_read", case.id)
            return {
                "case": case,
                "first_name": person.first_name if person else None,
                "tasks": list(repo.list_tasks(session, case_id=case.id, status=None)),
                "timeline": list(repo.timeline(session, case.id)),
            }

    # ----------------------------------------------------------------------------------- tasks
    async def complete_task(
        self,
        task_or_id: Task | int,
        data: dict[str, Any],
        actor: str,
        municipality: str | None = None,
    ) -> TrajectoryView:
        """Complete a task: by id, or the task a caller has just read and checked (not read again)."""
        with self.sessions() as session:
            if isinstance(task_or_id, Task):
                task, task_id = task_or_id, task_or_id.id
            else:
                task_id = task_or_id
                try:
                    task = repo.get_task(session, task_id, municipality)
                except repo.NotFound as error:
                    raise Refused("not_found", str(error)) from None
            # Completed by this actor: maybe by this very completion, sent before, whose answer
            # was lost (a timeout, a crash). Then it is sent again (the workflow applies it once)
            # and what follows the update below is done once too.
            again = task.status == "completed" and task.completed_by == actor
            if task.status != "open" and not again:
                raise Refused("task_not_open", f"task {task_id} is {task.status}")
            case, version = repo.case_and_version(session, task.case_id)
            form = repo.compiled_of(version).tasks[task.name].form
        errors = validate_form(form, data)
        if errors:
            raise Refused("invalid_form", "the form is not valid", errors)
        public, personal = split_personal(form, data)
        if again and task.form_data != public:
            raise Refused("task_not_open", f"task {task_id} is {task.status}")
        request = CompleteTask(task=task.name, data=public, actor=actor)
        try:
            view = await self._complete(
                case, task_id, request, _completion_id(task_id, data, actor)
            )
        except Refused as refused:
            if not again or refused.code not in ("task_not_open", "finished"):
                raise
            view = await self.view(case)  # applied before, and the workflow agrees
        with transaction(self.sessions) as session:
            # One request writes what follows a completion: two sent at once (same answers, so
            # one workflow update) are one 200 and one 409, with one audit event between them.
            stored = session.get(Task, task_id, with_for_update=True)
            assert stored is not None
            if _completion_audited(session, stored):
                raise Refused("task_not_open", f"task {task_id} is completed")
            stored.personal_data = personal  # personal answers stay here, never in the workflow
            repo.audit(
                session,
                case.municipality,
                actor,
                "task_completed",
                case.id,
                task=task.name,
                task_id=task_id,
            )
        return view

    async def _complete(
        self, case: Case, task_id: int, request: CompleteTask, update_id: str
    ) -> TrajectoryView:
        """After a worker crash the store can show a task the workflow has not reached again yet
        (the step was written, the workflow task that took it was lost and is being redone). Then
        "not open" is wait-and-retry, not a refusal; it is a refusal once the store agrees."""
        for attempt in range(CATCH_UP_ATTEMPTS):
            try:
                return await self._update(
                    case, TrajectoryWorkflow.complete_task, request, update_id
                )
            except Refused as refused:
                if refused.code != "task_not_open" or attempt == CATCH_UP_ATTEMPTS - 1:
                    raise
                with self.sessions() as session:
                    if repo.get_task(session, task_id).status != "open":
                        raise
            await asyncio.sleep(CATCH_UP_PAUSE)
        raise AssertionError("unreachable")

    async def record_event(
        self,
        case_id: str,
        event: str,
        actor: str,
        when: date | None = None,
        municipality: str | None = None,
    ) -> TrajectoryView:
        case = self._case(case_id, municipality)
        if when is not None and when > datetime.now(DUTCH_TIME).date():
            raise Refused(  # an event is recorded when it has happened; its date may start a termijn
                "invalid", "the date lies in the future", {"date": "not after today"}
            )
        request = RecordEvent(event=event, date=when.isoformat() if when else None, actor=actor)
        view = await self._update(case, TrajectoryWorkflow.record_event, request, None)
        self._audit(case, actor, "event_recorded", event=event)
        return view

    async def record_ladder(
        self, case_id: str, step: int, actor: str, municipality: str | None = None
    ) -> TrajectoryView:
        case = self._case(case_id, municipality)
        if step not in range(1, 7):
            raise Refused("invalid", "a participatieladder step is 1 to 6", {"step": "1 to 6"})
        request = RecordLadder(step=step, actor=actor)
        view = await self._update(case, TrajectoryWorkflow.record_ladder, request, None)
        self._audit(case, actor, "ladder_recorded", step=step)
        return view

    # ------------------------------------------------------------------------------ migration
    async def migrate(
        self,
        case_id: str,
        to_version: int,
        mapping: dict[str, str],
        actor: str,
        municipality: str | None = None,
        dry_run: bool = True,
    ) -> dict[str, Any]:
        """Check (dry run) or apply the move of one running case to a later version. The same
        pure `plan` decides both; applying is an update, refused (changing nothing) on a problem."""
        with self.sessions() as session:
            case = self._case(case_id, municipality)
            current = repo.version_of(session, case)
            try:
                target = repo.get_version(
                    session, case.municipality, current.definition, to_version
                )
            except repo.NotFound as error:
                raise Refused("not_found", str(error)) from None
            old, new = repo.compiled_of(current), repo.compiled_of(target)
        result: dict[str, Any] = {"case_id": case_id, "from_version": old.version}
        if dry_run:
            snapshot = await self.handle(case).query(TrajectoryWorkflow.current)
            if snapshot is None:
                raise Refused("starting", "the trajectory has not taken its first step yet")
            try:
                planned = plan_migration(old, new, snapshot, mapping, datetime.now(UTC).isoformat())
            except MigrationRefused as refused:
                return {**result, "ok": False, "problems": refused.problems}
            return {**result, "ok": True, "problems": [], "mapping": planned.mapping}
        request = Migrate(definition=new, mapping=mapping, actor=actor)
        try:
            view = await self._update(case, TrajectoryWorkflow.migrate, request, None)
        except Refused as refused:
            if refused.code != "migration_refused":
                raise
            return {**result, "ok": False, "problems": list(refused.errors.values())}
        self._audit(case, actor, "case_migrated", to_version=new.version, mapping=mapping)
        return {**result, "ok": True, "problems": [], "to_version": view.version}

    async def revert_migration(
        self, case_id: str, actor: str, municipality: str | None = None
    ) -> TrajectoryView:
        case = self._case(case_id, municipality)
        view = await self._update(
            case, TrajectoryWorkflow.revert_migration, RevertMigration(actor=actor), None
        )
        self._audit(case, actor, "case_migration_reverted", to_version=view.version)
        return view

    async def change_termijn(
        self,
        case_id: str,
        name: str,
        change: str,
        reason: str,
        actor: str,
        municipality: str | None = None,
        length: str | None = None,
        note: str | None = None,
    ) -> TrajectoryView:
        """Suspend, resume or extend a running termijn; the workflow checks its rules. `reason`
        is a code (it goes to the workflow); `note` is free text and stays in the audit log. An
        extension's `length` may be written as a case worker writes it ('2 maanden', '10
        werkdagen', 'P6W'); the workflow gets it in the one form it keeps (P2M, 10 werkdagen)."""
        case = self._case(case_id, municipality)
        if change == "extend":
            read = written_length(length or "")
            if read is None:
                raise Refused(
                    "invalid",
                    f"'{length or ''}' is not a termijn length: write 6 weken, 2 maanden,"
                    " 10 werkdagen or P2M",
                    {"length": "not a termijn length"},
                )
            length = canonical(read)
        try:
            request = ChangeTermijn(
                name=name,
                change=change,
                reason=reason,
                length=length,
                actor=actor,
            )
        except ValueError:
            raise Refused(
                "invalid",
                "change is suspend, resume or extend; a reason is a code such as ziekte",
                {"reason": "a code: lower case letters, digits and _"},
            ) from None
        view = await self._update(case, TrajectoryWorkflow.change_termijn, request, None)
        self._audit(
            case, actor, f"termijn_{change}", termijn=name, reason=reason, length=length, note=note
        )
        return view

    async def assign_task(
        self,
        task_id: int,
        assignee: str | None,
        actor: str,
        municipality: str | None = None,
        override: bool = False,
    ) -> TrajectoryView:
        """Claim (assignee = actor), hand over or release an open task, through the workflow:
        it refuses a task that closed meanwhile or that someone else holds."""
        with self.sessions() as session:
            try:
                task = repo.get_task(session, task_id, municipality)
            except repo.NotFound as error:
                raise Refused("not_found", str(error)) from None
            if task.status != "open":
                raise Refused("task_not_open", f"task {task_id} is {task.status}")
            case = repo.get_case(session, task.case_id)
        request = AssignTask(task=task.name, assignee=assignee, actor=actor, override=override)
        view = await self._update(case, TrajectoryWorkflow.assign_task, request, None)
        action = "task_released" if assignee is None else "task_assigned"
        self._audit(case, actor, action, task=task.name, assignee=assignee)
        return view

    async def decide(
        self,
        case_id: str,
        decision: str,
        reason: str,
        actor: str,
        municipality: str | None = None,
        note: str | None = None,
    ) -> TrajectoryView:
        """Suspend, resume or cancel. `reason` is a code (it goes to the workflow); `note` is free
        text for colleagues and stays in the audit log, in SQL."""
        case = self._case(case_id, municipality)
        update = {
            "suspend": TrajectoryWorkflow.suspend,
            "resume": TrajectoryWorkflow.resume,
            "cancel": TrajectoryWorkflow.cancel,
        }.get(decision)
        if update is None:
            raise Refused("invalid", f"unknown decision '{decision}': suspend, resume or cancel")
        try:
            request = CaseDecision(reason=reason, actor=actor)
        except ValueError:
            raise Refused(
                "invalid",
                "a reason is a short code: lower case letters, digits and _",
                {"reason": "a code such as waiting_for_documents"},
            ) from None
        view = await self._update(case, update, request, None)
        self._audit(case, actor, f"case_{decision}", reason=reason, note=note)
        return view

    def _audit(self, case: Case, actor: str, action: str, **detail: Any) -> None:
        with transaction(self.sessions) as session:
            repo.audit(session, case.municipality, actor, action, case.id, **detail)

    def _case(self, case_id: str, municipality: str | None) -> Case:
        with self.sessions() as session:
            try:
                return repo.get_case(session, case_id, municipality)
            except repo.NotFound as error:
                raise Refused("not_found", str(error)) from None

    async def _update(
        self, case: Case, update: Any, request: Any, update_id: str | None
    ) -> TrajectoryView:
        try:
            view: TrajectoryView = await self.handle(case).execute_update(
                update, request, id=update_id
            )
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                details = cause.details[0] if cause.details else {}
                raise Refused(
                    cause.type or "refused",
                    cause.message,
                    details if isinstance(details, dict) else {},
                ) from None
            raise
        except RPCError as error:
            if "already completed" in str(error):
                raise Refused("finished", "the trajectory has ended") from None
            raise
        return view
