"""`CompiledDefinition`: the checked, flattened, immutable form a running trajectory is given.

It is what the durable workflow receives as input (so it is plain JSON through pydantic), what the
machine is built from and what the simulator samples. Checklists are expanded into states and tasks,
task reminders/escalations become timers, triggers get canonical names:

    task:<task>      a human task was completed
    done:<state>     a compound or parallel state reached its final configuration
    event:<event>    an outside event was recorded (DUO notice received, housing date, ...)
    timer:<id>       a durable timer elapsed
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict

from traject.definition.model import (
    Action,
    FormField,
    Guard,
    Kpi,
    Outcome,
    SetDate,
    Simulate,
)
from traject.definition.words import in_words as in_words  # the pages and the diagram ask here

StateKind = Literal["atomic", "compound", "parallel", "final"]
TimerKind = Literal["timer", "reminder", "overdue", "escalation"]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CTask(Frozen):
    name: str
    state: str
    title: str
    role: str
    description: str | None = None
    due: str | None = None
    form: dict[str, FormField] = {}
    simulate: Simulate | None = None


class CTimer(Frozen):
    """A durable timer armed when `state` is entered and cancelled when it is left."""

    id: str
    state: str
    kind: TimerKind
    after: str
    anchor: str = "entry"  # "entry" or the name of a case date
    task: str | None = None  # reminders, overdue marks and escalations belong to a task
    escalate_to: str | None = None

    @property
    def trigger(self) -> str:
        return f"timer:{self.id}"


class CTransition(Frozen):
    trigger: str
    source: str
    target: str | None  # None: an internal transition that only runs its actions
    guard: Guard | None = None
    actions: tuple[Action, ...] = ()
    outcome: str | None = None
    simulate: Simulate | None = None
    label: str  # the trigger as the designer wrote it, for diagrams and messages


class CState(Frozen):
    name: str
    path: str  # names from the top, joined by '/'
    parent: str | None
    kind: StateKind
    title: str
    initial: str | None = None
    children: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    on_entry: tuple[Action, ...] = ()
    on_exit: tuple[Action, ...] = ()
    timers: tuple[CTimer, ...] = ()
    transitions: tuple[CTransition, ...] = ()
    outcomes: tuple[str, ...] = ()
    kpi: Kpi | None = None
    simulate: Simulate | None = None
    checklist: bool = False


class CTermijnRule(Frozen):
    roles: tuple[str, ...]
    max_times: int
    max_length: str | None = None


class CTermijn(Frozen):
    """A named legal deadline; its timers are `termijn:<name>` (expiry) and `…:amber`."""

    name: str
    title: str
    legal_basis: str | None = None
    start_kind: Literal["state", "date", "event"]
    start: str
    length: str  # as written: P10W, P3Y, '15 werkdagen'
    from_day_after: bool = True
    atw: bool = True
    amber: float = 0.8
    warn_before: str | None = None
    met: tuple[str, ...] = ()
    on_warning: tuple[Action, ...] = ()
    on_expiry: tuple[Action, ...] = ()
    suspend: CTermijnRule | None = None
    extend: CTermijnRule | None = None

    @property
    def trigger(self) -> str:
        return f"termijn:{self.name}"


class CompiledDefinition(Frozen):
    definition: str
    title: str
    municipality: str
    variant: str | None
    version: int
    description: str | None
    legal_basis: tuple[str, ...]
    extends: str | None
    roles: dict[str, str]
    case_dates: dict[str, str]
    events: dict[str, str]  # event → the case date it sets ("" when none)
    event_titles: dict[str, str]
    outcomes: dict[str, Outcome]
    initial: str
    states: dict[str, CState]  # by unique name, parents before children
    tasks: dict[str, CTask]
    termijnen: dict[str, CTermijn] = {}
    content_hash: str = ""

    @property
    def key(self) -> str:
        return f"{self.municipality}/{self.definition}@{self.version}"

    @property
    def start_dates(self) -> dict[str, str]:
        """The case dates someone can know when a trajectory starts (a notice's date, a benefit's
        first day), with their titles: all but those a step of the process records itself (a
        `set_date` action, such as the PIP's date when the PIP is decided)."""
        actions = [
            action
            for state in self.states.values()
            for action in (
                *state.on_entry,
                *state.on_exit,
                *(a for t in state.transitions for a in t.actions),
            )
        ]
        actions += [a for t in self.termijnen.values() for a in (*t.on_warning, *t.on_expiry)]
        recorded = {a.date for a in actions if isinstance(a, SetDate)}
        return {name: title for name, title in self.case_dates.items() if name not in recorded}

    def top_level(self) -> list[CState]:
        return [s for s in self.states.values() if s.parent is None]

    def ancestors(self, name: str) -> list[str]:
        """The state itself, then its parent, up to the top."""
        chain = []
        current: str | None = name
        while current is not None:
            chain.append(current)
            current = self.states[current].parent
        return chain

    def timer(self, timer_id: str) -> CTimer:
        state = self.states.get(timer_id.split(".", 1)[0])
        found = next((t for t in state.timers if t.id == timer_id), None) if state else None
        if found is None:
            raise KeyError(f"no timer '{timer_id}'")
        return found

    def with_hash(self) -> CompiledDefinition:
        # Without termijnen the body is what it was before they existed: published hashes stay.
        unset = {"termijnen"} if not self.termijnen else set()
        body = self.model_dump(mode="json", exclude={"content_hash", *unset})
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        return self.model_copy(update={"content_hash": digest})
