"""Messages in and out of `TrajectoryWorkflow`: one model per message, no personal data in any.

A case is named by an opaque case id; names, BSN and contact details stay in the store. Form fields a
definition marks `personal` are removed before a completion is sent (see `traject.definition.forms`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidatorFunctionWrapHandler, WrapValidator

from traject.definition.compiled import CompiledDefinition
from traject.machine import Effect, OpenTask, Snapshot

_DEFINITIONS: dict[str, CompiledDefinition] = {}  # content hash → the definition, decoded
_DEFINITIONS_MAX = 256


def _decoded_once(value: Any, decode: ValidatorFunctionWrapHandler) -> CompiledDefinition:
    """A definition a message carries, decoded once per process: every trajectory's input holds
    its definition whole (4 KB for PVT1, more for the Wet inburgering route), and decoding it is
    most of decoding a start. A published definition's content hash covers all of it, so one
    decoded before under the same hash is the same definition; one without a hash (a designer's
    unpublished draft) is decoded each time."""
    if isinstance(value, dict) and (digest := value.get("content_hash")):
        found = _DEFINITIONS.get(digest)
        if found is not None:
            return found
    definition: CompiledDefinition = decode(value)
    if definition.content_hash:
        if len(_DEFINITIONS) >= _DEFINITIONS_MAX:
            _DEFINITIONS.pop(next(iter(_DEFINITIONS)), None)
        _DEFINITIONS[definition.content_hash] = definition
    return definition


CarriedDefinition = Annotated[CompiledDefinition, WrapValidator(_decoded_once)]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Carried(Message):
    """What a run hands to the next after continue-as-new."""

    snapshot: Snapshot
    due: dict[str, str | None]  # armed timer → ISO moment it fires (None: waits for a case date)
    paused: dict[str, float] = {}  # while suspended: timer → seconds left
    suspended: bool = False
    termijnen_run: bool = False  # suspended since "termijnen-run-while-suspended": they run on
    applied_updates: list[str] = []  # recent update ids, to refuse a retried update twice
    records: int  # step records written so far: the next record's idempotency number
    assigned: dict[str, str] = {}  # open task → who claimed it
    started_at: str
    manual_now: str | None = None
    # Whether the trajectory keeps its states in the TrajectState search attribute: runs
    # continued by an older release did (and say nothing here); runs since the v5 histories
    # leave it out.
    states_searchable: bool = True


class TrajectoryInput(Message):
    case_id: str
    definition: CarriedDefinition
    dates: dict[str, str] = {}
    carried: Carried | None = None
    history_limit: int = Field(default=4_000, ge=10)
    clock_start: str | None = Field(default=None, description="Where a manual clock starts (ISO)")
    manual_clock: bool = Field(
        default=False,
        description="Sandbox mode: time stands still until an advance_clock update moves it "
        "(designers trying a definition on the real engine, training, clock-jump drills).",
    )


class CompleteTask(Message):
    task: str
    data: dict[str, Any] = {}
    actor: str


class AssignTask(Message):
    """Claim (assignee = actor), hand over (another assignee) or release (None) an open task.
    Without `override`, a task someone else holds is refused: a coordinator may override."""

    task: str
    assignee: str | None = Field(default=None, pattern=r"^user:\d+$")
    actor: str
    override: bool = False


class Migrate(Message):
    """Move this trajectory to a later version of its definition (see traject.migration)."""

    definition: CarriedDefinition
    mapping: dict[str, str] = {}  # current state → state in the new version (same name: implied)
    actor: str


class RevertMigration(Message):
    """Undo the last migration, allowed while the trajectory has not moved since."""

    actor: str


class ChangeTermijn(Message):
    """Suspend (opschorten), resume or extend (verlengen) a running termijn, with a reason code."""

    name: str
    change: Literal["suspend", "resume", "extend"]
    reason: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    length: str | None = Field(default=None, max_length=40)  # extend: P4W or '10 werkdagen'
    actor: str


class RecordEvent(Message):
    event: str
    date: str | None = None
    actor: str


class RecordLadder(Message):
    step: int = Field(ge=1, le=6)
    actor: str


class AdvanceClock(Message):
    """Move a manual-clock trajectory's time forward; timers due by then fire in order."""

    duration: str
    actor: str


class CaseDecision(Message):
    """Suspend, resume or cancel, with a reason code (free text stays in the audit log, in SQL)."""

    reason: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    actor: str


class TaskView(Message):
    name: str
    state: str
    role: str
    overdue: bool
    escalated: bool
    assignee: str | None = None

    @classmethod
    def of(cls, task: OpenTask, assignee: str | None = None) -> TaskView:
        return cls(
            name=task.name,
            state=task.state,
            role=task.role,
            overdue=task.overdue,
            escalated=task.escalated,
            assignee=assignee,
        )


class TrajectoryView(Message):
    """What an update returns and the `view` query answers."""

    case_id: str
    definition: str
    version: int
    active: list[str]
    open_tasks: list[TaskView]
    finished: bool
    cancelled: bool
    suspended: bool
    outcome: str | None
    steps: int
    recorded: int  # step records the store has confirmed: its read model is this far
    timers: dict[str, str | None]
    ladder: int | None
    dates: dict[str, str]
    now: str  # the trajectory's clock (a manual clock stands still between advances)


class StepRecord(Message):
    """One machine step (or a decision or measurement), for the activity that writes it to the store
    in one transaction. `sequence` numbers the records of a workflow: the idempotency key."""

    case_id: str
    workflow_id: str
    sequence: int
    at: str
    actor: str | None
    effects: list[Effect]
    active: list[str]
    finished: bool
    outcome: str | None
    status: str  # running, suspended, finished, cancelled
    overdue: bool
    decision: str | None = None  # suspended, resumed, cancelled
    reason: str | None = None
    ladder: int | None = None  # a measurement recorded outside a task
    event: str | None = None  # an outside event recorded by a case worker
    event_date: str | None = None  # ... and the date they gave it (ISO), if any
    timer: str | None = None  # the timer whose firing this step is
    assigned_task: str | None = None  # a claim, hand-over or release of this open task ...
    assignee: str | None = None  # ... to this user (None: released)
    definition_version: int | None = None  # migrated (or reverted) to this version
    completed: dict[
        str, dict[str, Any]
    ] = {}  # task → the (non-personal) data it was completed with
