"""The API's request and response bodies. Responses carry no more personal data than the caller's
role may see; the OpenAPI document at /openapi.json is generated from these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from traject.casework import CaseDetail, CaseRow, Person, TaskDetail
from traject.service import bsn_ok
from traject.store.models import AuditEvent, Task, TimelineEvent
from workflows.messages import TrajectoryView

T = TypeVar("T")
SLUG = r"^[a-z][a-z0-9_]*$"
TEXT = r"^[^\x00]*$"  # PostgreSQL stores no NUL


def _utc(moment: datetime) -> datetime:
    """The store keeps UTC without saying so; the API says so (an ISO 8601 moment ending in Z)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


Moment = Annotated[datetime, AfterValidator(_utc)]


def _not_bool(value: Any) -> Any:
    """JSON's true is not the number 1 (pydantic's lax mode would take it as one)."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


WholeNumber = Annotated[int, BeforeValidator(_not_bool)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------- requests
class Login(Body):
    municipality: str = Field(max_length=64, pattern=TEXT)
    username: str = Field(max_length=100, pattern=TEXT)
    password: str = Field(max_length=1000, pattern=TEXT)


class NewToken(Body):
    name: str = Field(min_length=1, max_length=100, pattern=TEXT)


class StartCase(Body):
    definition: str = Field(pattern=SLUG, max_length=64)
    first_name: str = Field(min_length=1, max_length=100, pattern=TEXT)
    last_name: str | None = Field(default=None, max_length=100, pattern=TEXT)
    bsn: str | None = Field(default=None, description="Burgerservicenummer (9 digits, elfproef)")
    reference: str | None = Field(default=None, max_length=100, pattern=TEXT)
    dates: dict[str, date] = Field(default_factory=dict, max_length=20)

    @field_validator("bsn")
    @classmethod
    def _bsn(cls, value: str | None) -> str | None:
        if value is not None and not bsn_ok(value):
            raise ValueError("not a valid BSN: 9 digits that pass the elfproef")
        return value


class CompleteTask(Body):
    data: dict[str, Any] = Field(default_factory=dict, max_length=100)


class Assign(Body):
    user_id: WholeNumber = Field(ge=1, le=2**31 - 1)


class OutsideEvent(Body):
    event: str = Field(pattern=SLUG, max_length=64)
    date: dt.date | None = Field(default=None, description="When it happened (default: today)")


class Ladder(Body):
    step: WholeNumber = Field(ge=1, le=6, description="Participatieladder step, 1 to 6")


REASON_CODES = (
    "A code. The pages offer the ones in traject/reasons.py (e.g. wacht_op_documenten, verhuisd,"
    " anders); any other code of lower case letters, digits and _ is taken too and shown as it is"
)


class TermijnChange(Body):
    reason: str = Field(pattern=SLUG, max_length=64, description=REASON_CODES)
    length: str | None = Field(
        default=None,
        max_length=40,
        description="extend only: P4W, P2M or '10 werkdagen'; also in words, '6 weken', "
        "'2 maanden', '2 months' (kept as P6W, P2M)",
    )
    note: str | None = Field(
        default=None, max_length=2000, pattern=TEXT, description="Stays in the audit log"
    )


class Decision(Body):
    reason: str = Field(pattern=SLUG, max_length=64, description=REASON_CODES)
    note: str | None = Field(
        default=None, max_length=2000, pattern=TEXT, description="Stays in the audit log"
    )


# --------------------------------------------------------------------------------- responses
class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int
    pages: int


def page_of(items: Sequence[Any], page: int, size: int) -> dict[str, Any]:
    """One page of a short list that is read whole (a municipality's definitions, versions or
    users), in the shape of `Page`: a page past the end is empty, with the true total."""
    start = (page - 1) * size
    return {
        "items": list(items[start : start + size]),
        "total": len(items),
        "page": page,
        "size": size,
        "pages": max(1, -(-len(items) // size)),
    }


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    municipality: str
    roles: list[str]
    groups: list[str]
    csrf_token: str | None = None


class TokenInfo(BaseModel):
    """An API token as its user sees it later: never its text."""

    id: int
    name: str
    created_at: Moment
    last_used_at: Moment | None = Field(description="To the minute")
    revoked_at: Moment | None


class TokenOut(TokenInfo):
    token: str = Field(description="Shown once; send it as 'Authorization: Bearer …'")


class PersonOut(BaseModel):
    first_name: str
    last_name: str | None
    bsn: str | None

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        return cls(first_name=person.first_name, last_name=person.last_name, bsn=person.bsn)


class CaseOut(BaseModel):
    id: str
    definition: str
    version: int
    title: str
    status: str
    states: list[str]
    outcome: str | None
    overdue: bool
    reference: str | None
    started_at: Moment
    finished_at: Moment | None
    person: PersonOut

    @classmethod
    def of(cls, row: CaseRow) -> CaseOut:
        c = row.case
        return cls(
            id=c.id,
            definition=row.definition,
            version=row.version,
            title=row.title,
            status=c.status,
            states=list(c.current_states),
            outcome=c.outcome,
            overdue=c.overdue,
            reference=c.reference,
            started_at=c.started_at,
            finished_at=c.finished_at,
            person=PersonOut.of(row.person),
        )


class TaskOut(BaseModel):
    id: int
    case_id: str
    name: str
    title: str
    state: str
    role: str
    status: str
    assignee: str | None
    due_at: Moment | None
    overdue: bool
    escalated: bool
    completed_at: Moment | None
    first_name: str | None = None
    termijn_status: str | None = Field(default=None, description="the case's most urgent termijn")
    termijn_due_on: date | None = None

    @classmethod
    def of(cls, task: Task, first_name: str | None = None) -> TaskOut:
        return cls(
            id=task.id,
            case_id=task.case_id,
            name=task.name,
            title=task.title,
            state=task.state,
            role=task.role,
            status=task.status,
            assignee=task.assignee,
            due_at=task.due_at,
            overdue=task.overdue,
            escalated=task.escalated,
            completed_at=task.completed_at,
            first_name=first_name,
        )


class FieldOut(BaseModel):
    name: str
    type: str
    label: str | None
    required: bool
    options: list[str] | None = None  # the codes, which an answer holds
    option_labels: dict[str, str] | None = None  # each code's label, as the pages show it
    minimum: float | None = None
    maximum: float | None = None


class TaskDetailOut(TaskOut):
    description: str | None
    form: list[FieldOut]

    @classmethod
    def of_detail(cls, detail: TaskDetail) -> TaskDetailOut:
        base = TaskOut.of(detail.task, detail.person.first_name).model_dump()
        fields = [
            FieldOut(
                name=name,
                type=spec.type,
                label=spec.label,
                required=spec.required,
                options=list(spec.options) if spec.options else None,
                option_labels=spec.option_labels() if spec.options else None,
                minimum=spec.min,
                maximum=spec.max,
            )
            for name, spec in detail.form.items()
        ]
        return cls(**base, description=detail.description, form=fields)


class TimelineOut(BaseModel):
    at: Moment
    kind: str
    subject: str | None
    detail: dict[str, Any]
    actor: str | None

    @classmethod
    def of(cls, event: TimelineEvent) -> TimelineOut:
        return cls(
            at=event.at,
            kind=event.kind,
            subject=event.subject,
            detail=event.detail,
            actor=event.actor,
        )


class TermijnOut(BaseModel):
    name: str
    title: str
    status: str = Field(description="on_time, amber, red, suspended, met or expired")
    started_on: date
    due_on: date | None
    days_left: int | None


class CaseDetailOut(CaseOut):
    dates: dict[str, date]
    termijnen: list[TermijnOut]
    tasks: list[TaskOut]
    timeline: Page[TimelineOut]

    @classmethod
    def of_detail(cls, d: CaseDetail) -> CaseDetailOut:
        row = CaseRow(d.case, d.person, d.definition.definition, d.definition.version, "")
        base = CaseOut.of(row).model_dump()
        base["title"] = d.definition.title
        t = d.timeline
        return cls(
            **base,
            dates=d.dates,
            termijnen=[
                TermijnOut(
                    name=v.name,
                    title=v.title,
                    status=v.status,
                    started_on=v.started_on,
                    due_on=v.due_on,
                    days_left=v.days_left,
                )
                for v in d.termijnen
            ],
            tasks=[TaskOut.of(task) for task in d.tasks],
            timeline=Page[TimelineOut](
                items=[TimelineOut.of(e) for e in t.items],
                total=t.total,
                page=t.page,
                size=t.size,
                pages=t.pages,
            ),
        )


class OpenTaskOut(BaseModel):
    id: int | None = Field(
        default=None,
        description="The task's id, to claim or complete it next (absent for a task the user "
        "may not work on)",
    )
    name: str
    state: str
    role: str
    overdue: bool
    escalated: bool
    assignee: str | None


class StateOut(BaseModel):
    """The trajectory's state right after a change, as the workflow answered, with the ids of
    the open tasks the user may work on next."""

    case_id: str
    active: list[str]
    open_tasks: list[OpenTaskOut]
    finished: bool
    cancelled: bool
    suspended: bool
    outcome: str | None
    ladder: int | None

    @classmethod
    def of(cls, view: TrajectoryView, ids: Mapping[str, int]) -> StateOut:
        return cls(
            case_id=view.case_id,
            active=view.active,
            open_tasks=[OpenTaskOut(id=ids.get(t.name), **t.model_dump()) for t in view.open_tasks],
            finished=view.finished,
            cancelled=view.cancelled,
            suspended=view.suspended,
            outcome=view.outcome,
            ladder=view.ladder,
        )


class AuditOut(BaseModel):
    at: Moment
    actor: str
    action: str
    case_id: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditOut:
        return cls(
            at=event.at,
            actor=event.actor,
            action=event.action,
            case_id=event.case_id,
            detail=event.detail,
        )


class DefinitionOut(BaseModel):
    definition: str
    version: int
    title: str
    content_hash: str
    published_at: Moment | None
    case_dates: list[str]
    events: list[str]


class UserOut(BaseModel):
    id: int
    display_name: str
    groups: list[str]


class Deactivate(Body):
    release_tasks: bool = Field(
        default=False,
        description="Hand the open tasks they hold back to their groups (through each task's "
        "workflow); without it the tasks stay theirs until a coordinator hands them over",
    )


class MemberOut(BaseModel):
    """A user of the municipality as a coordinator sees them."""

    id: int
    username: str
    display_name: str
    roles: list[str]
    groups: list[str]
    active: bool
    held_tasks: int = Field(description="Open tasks claimed by or handed to them")


class MemberChangeOut(BaseModel):
    member: MemberOut
    changed: bool = Field(description="False when the user already was so: nothing changed")
    released: list[int] = Field(description="Tasks handed back to their groups")
    not_released: dict[str, str] = Field(
        description="Task → why its workflow refused to hand it back (it closed meanwhile)"
    )
