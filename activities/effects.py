"""What each effect of a step writes to the store. Every row carries a key made of the workflow id,
the step's sequence number and the effect's position (unique in the store). The step recorder
writes a step in one transaction and only when its `applied_steps` row is missing, so a retried
step writes nothing twice; a concurrent attempt trips over the unique keys and rolls back whole.
Rows are therefore added without looking for them first, and flushed together."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from traject.definition.compiled import CompiledDefinition
from traject.definition.duration import Duration
from traject.definition.model import (
    Escalate,
    Intake,
    Invite,
    Notify,
    RecordLadder,
    Report,
    ScheduleWorkshop,
    SetDate,
    SignDeclaration,
)
from traject.machine import (
    ActionRun,
    Finished,
    StateEntered,
    StateExited,
    TaskClosed,
    TaskMarked,
    TaskOpened,
    TermijnChanged,
)
from traject.store import repositories as repo
from traject.store.models import (
    Case,
    CaseDate,
    CaseTermijn,
    Declaration,
    Escalation,
    LadderMeasurement,
    OutboxMessage,
    Task,
    TimelineEvent,
    WorkshopSession,
)
from traject.store.repositories import Row
from workflows.messages import StepRecord


class StepRows:
    """One step being written: its session, case, keys and timeline numbering, and what it has
    made so far (the unit of work does not flush while a step is read: see apply). Its timeline
    rows (append-only, never read back in the step) are inserted together at the end, in one
    statement, rather than as objects of the unit of work."""

    def __init__(
        self, session: Session, case: Case, d: CompiledDefinition, record: StepRecord, at: datetime
    ):
        self.session, self.case, self.d, self.record, self.at = session, case, d, record, at
        self.position = 0
        self.history: list[dict[str, Any]] = []
        # rows this step made, not in the database until it is written: by task / termijn / date
        self.opened: dict[str, Task] = {}
        self.termijnen: dict[str, CaseTermijn] = {}
        self.dates: dict[str, CaseDate] = {}

    def key(self, suffix: str) -> str:
        return f"{self.record.workflow_id}:{self.record.sequence}:{suffix}"

    def add(self, model: type[Row], suffix: str, **values: Any) -> Row:
        row = model(key=self.key(suffix), **values)
        self.session.add(row)
        return row

    def timeline(self, kind: str, subject: str | None = None, **detail: Any) -> None:
        self.position += 1
        self.history.append(
            {
                "key": self.key(f"t{self.position}"),
                "case_id": self.case.id,
                "seq": self.record.sequence * 1000 + self.position,
                "at": self.at,
                "kind": kind,
                "subject": subject,
                "detail": detail,
                "actor": self.record.actor,
            }
        )

    def write_timeline(self) -> None:
        if self.history:
            self.session.connection().execute(insert(TimelineEvent), self.history)

    def outbox(
        self, suffix: str, channel: str, template: str, recipient: str, **payload: Any
    ) -> None:
        self.add(
            OutboxMessage,
            suffix,
            case_id=self.case.id,
            channel=channel,
            template=template,
            recipient=recipient,
            payload=payload,
            created_at=self.at,
        )


def apply(
    session: Session, case: Case, d: CompiledDefinition, record: StepRecord, at: datetime
) -> StepRows:
    """Read what the step needs and make its rows; the caller writes them (the flush, then
    `StepRows.write_timeline`). Run with the session's autoflush off: on SQLite a transaction
    holds the store's one write lock from its first write to its commit, and the step's reads
    would otherwise write what it made so far first (rows it made are found in `StepRows`)."""
    step = StepRows(session, case, d, record, at)
    _notes(step)
    for index, effect in enumerate(record.effects):
        if isinstance(effect, StateEntered | StateExited):
            step.timeline(effect.kind, effect.state)
        elif isinstance(effect, TaskOpened):
            _task_opened(step, effect, index)
        elif isinstance(effect, TaskClosed):
            _task_closed(step, effect)
        elif isinstance(effect, TaskMarked):
            _task_marked(step, effect)
        elif isinstance(effect, ActionRun):
            _action(step, effect)
        elif isinstance(effect, Finished):
            case.outcome, case.finished_at = effect.outcome, at
            step.timeline("finished", effect.state, outcome=effect.outcome)
        elif isinstance(effect, TermijnChanged):
            _termijn(step, effect)
    case.status = record.status
    case.current_states = list(record.active)
    case.overdue = record.overdue
    if any(isinstance(e, StateEntered) for e in record.effects) or case.last_progress_at is None:
        case.last_progress_at = at
    if record.status == "cancelled":
        for task in repo.list_tasks(session, case_id=case.id, status="open"):
            task.status = "cancelled"
    return step


def _notes(step: StepRows) -> None:
    record = step.record
    if record.timer:
        step.timeline("timer_fired", record.timer)
    if record.event:
        on = {"date": record.event_date} if record.event_date else {}
        step.timeline("event_recorded", record.event, **on)
    if record.decision:
        step.timeline(
            record.decision, None, reason=record.reason, version=record.definition_version
        )
    if record.definition_version is not None:  # open tasks may sit in renamed states now
        for task in repo.list_tasks(step.session, case_id=step.case.id, status="open"):
            if task.name in step.d.tasks:
                task.state = step.d.tasks[task.name].state
    if record.ladder is not None:
        _ladder(step, record.ladder, "manual", "m")
    if record.assigned_task is not None:
        _assigned(step, record.assigned_task, record.assignee)


_TERMIJN_STATUS = {"met": "met", "ended": "ended", "expired": "expired", "suspend": "suspended"}


def _termijn(step: StepRows, effect: TermijnChanged) -> None:
    """Keep the case's row for this termijn as it now stands, and note the change."""
    row = step.termijnen.get(effect.name) or step.session.scalar(
        select(CaseTermijn).where(
            CaseTermijn.case_id == step.case.id, CaseTermijn.name == effect.name
        )
    )
    if row is None:
        spec = step.d.termijnen[effect.name]
        row = CaseTermijn(
            case_id=step.case.id,
            municipality=step.case.municipality,
            name=effect.name,
            title=spec.title,
            status="running",
            started_on=date.fromisoformat(effect.started or step.at.date().isoformat()),
            warned=False,
            suspensions=0,
            extensions=0,
        )
        step.session.add(row)
        step.termijnen[effect.name] = row
    row.status = _TERMIJN_STATUS.get(
        effect.change, row.status if row.status != "suspended" else "running"
    )
    if effect.change == "started" and effect.started:  # also a running one its date moved
        row.started_on = date.fromisoformat(effect.started)
    row.due_on = date.fromisoformat(effect.due) if effect.due else None
    # the warning belongs to the deadline it warned of: a termijn started again (its date moved)
    # or extended warns again when its new last fifth comes, as the workflow's timers do
    row.warned = effect.change == "amber" or (row.warned and effect.change not in RENEWED)
    row.suspensions += effect.change == "suspend"
    row.extensions += effect.change == "extend"
    row.updated_at = step.at
    step.timeline(f"termijn_{effect.change}", effect.name, due=effect.due, reason=effect.reason)


RENEWED = ("started", "extend")


def _assigned(step: StepRows, name: str, assignee: str | None) -> None:
    for task in repo.list_tasks(step.session, case_id=step.case.id, status="open"):
        if task.name == name:
            task.assignee = assignee
    # a claim is the actor taking the task; a coordinator handing it to someone else assigns it
    if assignee is None:
        step.timeline("task_released", name, assignee=None)
    elif assignee == step.record.actor:
        step.timeline("task_claimed", name, assignee=assignee)
    else:
        step.timeline("task_assigned", name, assignee=assignee)


def _task_opened(step: StepRows, effect: TaskOpened, index: int) -> None:
    spec = step.d.tasks[effect.task]
    due = Duration.parse(effect.due).add_to(step.at) if effect.due else None
    step.opened[effect.task] = step.add(
        Task,
        f"task{index}:{effect.task}",
        case_id=step.case.id,
        municipality=step.case.municipality,
        name=effect.task,
        state=effect.state,
        title=spec.title,
        role=effect.role,
        status="open",
        created_at=step.at,
        due_at=due,
    )
    step.timeline("task_opened", effect.task, role=effect.role)


def _open_task(step: StepRows, name: str) -> Task | None:
    """The case's open task of this name: one this step opened, else the stored one (unless
    this step closed it already)."""
    made = step.opened.get(name)
    if made is not None and made.status == "open":
        return made
    stored = step.session.scalar(
        select(Task).where(Task.case_id == step.case.id, Task.name == name, Task.status == "open")
    )
    return stored if stored is not None and stored.status == "open" else None


def _task_closed(step: StepRows, effect: TaskClosed) -> None:
    task = _open_task(step, effect.task)
    if task is not None:
        task.status = effect.reason
        task.completed_at = step.at
        if effect.reason == "completed":
            task.completed_by = step.record.actor
            task.form_data = step.record.completed.get(effect.task, {})
    step.timeline(f"task_{effect.reason}", effect.task)


def _task_marked(step: StepRows, effect: TaskMarked) -> None:
    task = _open_task(step, effect.task)
    if task is not None and effect.mark == "overdue":
        task.overdue = True
    if task is not None and effect.mark == "escalated":
        task.escalated = True
    step.timeline(f"task_{effect.mark}", effect.task)


def _ladder(step: StepRows, value: int, source: str, suffix: str) -> None:
    step.add(
        LadderMeasurement,
        f"ladder:{suffix}",
        case_id=step.case.id,
        step=value,
        measured_at=step.at,
        measured_by=step.record.actor,
        source=source,
    )
    step.timeline("ladder_measured", None, step=value, source=source)


def _action(step: StepRows, effect: ActionRun) -> None:
    action, key = effect.action, f"a{effect.key}"
    if isinstance(action, Intake):
        step.timeline("intake_started", None, intake=action.kind)
    elif isinstance(action, ScheduleWorkshop):  # book_seat counts the seats under the lock
        seat = repo.book_seat(
            step.session,
            step.case.municipality,
            action.workshop,
            step.case.id,
            step.key(key),
            step.at,
        )
        held = step.session.get(WorkshopSession, seat.session_id) if seat.session_id else None
        when = {"title": held.title, "starts_at": held.starts_at.isoformat()} if held else {}
        step.timeline(f"workshop_{seat.status}", action.workshop, session=seat.session_id, **when)
    elif isinstance(action, Invite):
        step.outbox(key, "letter", action.template, "newcomer")
        step.timeline("invited", action.template)
    elif isinstance(action, SignDeclaration):
        step.add(
            Declaration,
            key,
            case_id=step.case.id,
            signed_at=step.at,
            recorded_by=step.record.actor,
        )
        step.timeline("declaration_signed", None)
    elif isinstance(action, Notify):
        template = action.template or "notification"
        step.outbox(key, "inbox", template, action.to, task=effect.task)
        step.timeline("notified", action.to, template=template)
    elif isinstance(action, RecordLadder) and isinstance(effect.value, int):
        _ladder(step, effect.value, f"task:{action.field}", key)
    elif isinstance(action, Escalate):
        step.add(
            Escalation,
            key,
            case_id=step.case.id,
            task=effect.task,
            to_role=action.to,
            reason=action.reason,
            created_at=step.at,
        )
        step.outbox(key, "inbox", "escalation", action.to, task=effect.task, reason=action.reason)
        step.timeline("escalated", action.to, task=effect.task, reason=action.reason)
    elif isinstance(action, SetDate) and isinstance(effect.value, str):
        _set_date(step, action.date, effect.value)
    elif isinstance(action, Report):
        step.outbox(key, action.to, action.indicator, action.to)
        step.timeline("reported", action.indicator, to=action.to)


def _set_date(step: StepRows, name: str, value: str) -> None:
    day = datetime.fromisoformat(value).date()
    row = step.dates.get(name) or step.session.get(CaseDate, (step.case.id, name))
    if row is None:
        step.dates[name] = CaseDate(case_id=step.case.id, name=name, value=day)
        step.session.add(step.dates[name])
    else:
        row.value = day
    step.timeline("date_set", name, value=value)
