"""A compiled definition as a pure, deterministic state machine built on `transitions`.

`Machine` never reads a clock, a database or a random source: every call takes the current `Snapshot`
(plus the moment `at` the caller observed, for dates it records) and returns a `Step` — the new snapshot
and the effects the caller must carry out: tasks to open or close, timers to arm or cancel, actions to
run as activities. The durable workflow, the scenario runner and the tests drive it the same way.

Only what guards need crosses into the snapshot: form fields marked `personal` are dropped here, so they
never reach a workflow history.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from transitions.extensions import HierarchicalMachine
from transitions.extensions.nesting import NestedState

from traject import termijn_runtime as runtime
from traject.definition.compiled import CompiledDefinition, CState, CTimer, CTransition
from traject.definition.duration import Duration
from traject.definition.forms import public_fields, validate_form
from traject.definition.model import (
    Action,
    AllOf,
    AllTasksDone,
    AnyOf,
    DateKnown,
    FieldCheck,
    Guard,
    LadderAtLeast,
    LadderBelow,
    Not,
    RecordLadder,
    SetDate,
)
from traject.termijn import TermijnError
from traject.termijn_runtime import TermijnRun

_START = "__start__"
_ACTIONS: TypeAdapter[Action] = TypeAdapter(Action)
_MARKS: dict[str, Literal["overdue", "escalated", "reminded"]] = {
    "reminder": "reminded",
    "overdue": "overdue",
    "escalation": "escalated",
}
_BEGIN = "__begin__"


class _State(NestedState):
    separator = "/"  # state names are slugs with underscores, the default separator


class _HSM(HierarchicalMachine):
    state_cls = _State


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------------------------ snapshot
class OpenTask(Frozen):
    name: str
    state: str
    role: str
    overdue: bool = False
    escalated: bool = False


class Snapshot(Frozen):
    """Everything the machine needs to continue a trajectory; small and JSON-serialisable."""

    active: tuple[str, ...] = ()  # active leaf states
    open_tasks: dict[str, OpenTask] = {}
    completed: dict[str, dict[str, Any]] = {}  # task → its non-personal form data
    armed: tuple[str, ...] = ()  # timer ids
    dates: dict[str, str] = {}
    ladder: int | None = None
    outcome: str | None = None
    finished: bool = False
    steps: int = 0
    termijnen: dict[str, TermijnRun] = {}


# ------------------------------------------------------------------------------------- effects
class StateEntered(Frozen):
    kind: Literal["state_entered"] = "state_entered"
    state: str


class StateExited(Frozen):
    kind: Literal["state_exited"] = "state_exited"
    state: str


class TaskOpened(Frozen):
    kind: Literal["task_opened"] = "task_opened"
    task: str
    state: str
    role: str
    due: str | None


class TaskClosed(Frozen):
    kind: Literal["task_closed"] = "task_closed"
    task: str
    reason: Literal["completed", "cancelled"]


class TaskMarked(Frozen):
    kind: Literal["task_marked"] = "task_marked"
    task: str
    mark: Literal["overdue", "escalated", "reminded"]


class TimerArmed(Frozen):
    kind: Literal["timer_armed"] = "timer_armed"
    timer: str
    after: str = ""
    anchor: str = "entry"
    at: str | None = None  # an absolute moment (termijnen), instead of `after` from `anchor`


class TimerCancelled(Frozen):
    kind: Literal["timer_cancelled"] = "timer_cancelled"
    timer: str


class ActionRun(Frozen):
    """An activity to start. `key` is unique within the trajectory: step number and position."""

    kind: Literal["action"] = "action"
    key: str
    state: str
    action: Action
    task: str | None = None
    value: int | str | None = None  # what record_ladder measured, the date set_date recorded


class Finished(Frozen):
    kind: Literal["finished"] = "finished"
    state: str
    outcome: str | None


class TermijnChanged(Frozen):
    """A termijn started, was met, warned (amber), expired, or was suspended/resumed/extended."""

    kind: Literal["termijn"] = "termijn"
    name: str
    change: Literal["started", "met", "ended", "amber", "expired", "suspend", "resume", "extend"]
    due: str | None  # the last day (ISO date) after the change; None while suspended
    started: str | None = None  # the day it started (ISO date)
    reason: str | None = None


Effect = Annotated[
    StateEntered
    | StateExited
    | TaskOpened
    | TaskClosed
    | TaskMarked
    | TimerArmed
    | TimerCancelled
    | ActionRun
    | Finished
    | TermijnChanged,
    Field(discriminator="kind"),
]


class Step(Frozen):
    snapshot: Snapshot
    effects: tuple[Effect, ...]
    moved: bool  # whether the active states changed


# -------------------------------------------------------------------------------------- errors
class MachineError(Exception):
    """A request the trajectory cannot accept in its current state; nothing changed."""

    code = "rejected"


class TrajectoryFinished(MachineError):
    code = "finished"


class TaskNotOpen(MachineError):
    code = "task_not_open"


class InvalidForm(MachineError):
    code = "invalid_form"

    def __init__(self, task: str, errors: dict[str, str]) -> None:
        self.task, self.errors = task, errors
        detail = "; ".join(f"{field}: {message}" for field, message in errors.items())
        super().__init__(f"form of task '{task}' is not valid: {detail}")


class UnknownEvent(MachineError):
    code = "unknown_event"


class TimerNotArmed(MachineError):
    code = "timer_not_armed"


class TermijnRefused(MachineError):
    code = "termijn_refused"


# ------------------------------------------------------------------------------------- machine
_MACHINES: dict[tuple[str, bool], Machine] = {}  # (content hash, dates_move_termijnen) → machine
_MACHINES_MAX = 256
_ROUTES_MAX = 1024  # per machine


class _Route(NamedTuple):
    """The way `transitions` took through the chart for one trigger: the callbacks it made, in
    order (("enter", state), ("exit", state) or ("transition", CTransition)), and where it ended."""

    calls: tuple[tuple[str, Any], ...]
    active: tuple[str, ...]


class _Reads(NamedTuple):
    """What of a snapshot's data the chart's decisions can depend on, besides its configuration,
    its open tasks and its ladder: the form fields guards compare or record_ladder reads (a
    ladder guard may read what record_ladder set in the same step), and the dates date guards
    look for."""

    fields: tuple[tuple[str, str], ...]
    dates: tuple[str, ...]

    @classmethod
    def of(cls, d: CompiledDefinition) -> _Reads:
        fields: set[tuple[str, str]] = set()
        dates: set[str] = set()

        def guard(g: Guard) -> None:
            if isinstance(g, FieldCheck):
                task, field = g.field.split(".", 1)
                fields.add((task, field))
            elif isinstance(g, DateKnown):
                dates.add(g.date)
            elif isinstance(g, AllOf | AnyOf):
                for inner in g.of:
                    guard(inner)
            elif isinstance(g, Not):
                guard(g.negated)

        for state in d.states.values():
            actions = [*state.on_entry, *state.on_exit]
            for t in state.transitions:
                actions.extend(t.actions)
                if t.guard is not None:
                    guard(t.guard)
            for action in actions:
                if isinstance(action, RecordLadder):
                    task, field = action.field.split(".", 1)
                    fields.add((task, field))
        return cls(tuple(sorted(fields)), tuple(sorted(dates)))


class Machine:
    """One compiled definition as a machine. Thread-safe: steps are serialised by a lock.

    `transitions` finds each step's way through the chart; the machine remembers it (up to
    1,024 per definition), keyed by all that way depends on, and takes a remembered way again
    without asking (see `_route_key`). `remember_routes=False` asks every time, which the
    property tests compare against."""

    @classmethod
    def of(cls, definition: CompiledDefinition, dates_move_termijnen: bool = True) -> Machine:
        """The process's machine for a published definition: building one costs more than a
        step (0.4 ms for PVT1, 1.5 ms for the Wet inburgering route), and every trajectory on
        the definition would build the same. A machine holds nothing between steps, and the
        content hash covers all of the definition, so sharing it changes no outcome."""
        if not definition.content_hash:
            return cls(definition, dates_move_termijnen=dates_move_termijnen)
        key = (definition.content_hash, dates_move_termijnen)
        found = _MACHINES.get(key)
        if found is None:
            found = cls(definition, dates_move_termijnen=dates_move_termijnen)
            if len(_MACHINES) >= _MACHINES_MAX:
                _MACHINES.pop(next(iter(_MACHINES)), None)
            _MACHINES[key] = found
        return found

    def __init__(
        self,
        definition: CompiledDefinition,
        remember_routes: bool = True,
        dates_move_termijnen: bool = True,
    ) -> None:
        """`dates_move_termijnen`: a termijn that runs from a case date starts when an event
        gives that date, and moves with the date when a later step sets it again. Before
        2026-12-07 neither happened (the event's date went unnoticed, a running termijn kept its
        first date); trajectories recorded then replay with False (see the workflow's patch)."""
        self.d = definition
        self.dates_move_termijnen = dates_move_termijnen
        self._lock = threading.Lock()
        self._work: _Work | None = None
        # transitions' routes through the chart, by what they depend on (see `_route_key`)
        self._routes: dict[Hashable, _Route] | None = {} if remember_routes else None
        self._reads = _Reads.of(definition)
        self._model = _Model()
        self._hsm = _HSM(
            model=None,
            states=[{"name": _START}, *self._states(definition.top_level())],
            transitions=[
                self._transition(t) for s in definition.states.values() for t in s.transitions
            ],
            initial=_START,
            auto_transitions=False,
            ignore_invalid_triggers=True,
            send_event=True,
            queued=False,
        )
        self._hsm.add_transition(_BEGIN, _START, definition.initial)
        self._hsm.add_model(self._model, initial=_START)

    # ---------------------------------------------------------------------------- public API
    def start(self, at: str, dates: Mapping[str, str] | None = None) -> Step:
        unknown = sorted(set(dates or {}) - set(self.d.case_dates))
        if unknown:
            raise UnknownEvent(f"unknown case date(s): {', '.join(unknown)}")
        return self._run(Snapshot(active=(_START,), dates=dict(dates or {})), at, _BEGIN)

    def check_completion(self, snapshot: Snapshot, task: str, data: Mapping[str, Any]) -> None:
        """Raise if `task` cannot be completed with `data` now. Pure: the update validator."""
        self._check_running(snapshot)
        if task not in snapshot.open_tasks:
            state = "already completed" if task in snapshot.completed else "not open"
            raise TaskNotOpen(f"task '{task}' is {state}")
        form = self.d.tasks[task].form
        errors = validate_form(
            public_fields(form),
            {k: v for k, v in data.items() if k not in form or not form[k].personal},
        )
        for name in data:
            if name in form and form[name].personal:
                errors[name] = "personal data stays in the store: it is never sent to a trajectory"
        if errors:
            raise InvalidForm(task, errors)

    def complete_task(
        self, snapshot: Snapshot, task: str, data: Mapping[str, Any], at: str
    ) -> Step:
        self.check_completion(snapshot, task, data)
        kept = dict(data)  # check_completion refused personal fields
        open_tasks = {k: v for k, v in snapshot.open_tasks.items() if k != task}
        prepared = snapshot.model_copy(
            update={"open_tasks": open_tasks, "completed": {**snapshot.completed, task: kept}}
        )
        return self._run(prepared, at, f"task:{task}", [TaskClosed(task=task, reason="completed")])

    def check_event(self, snapshot: Snapshot, event: str) -> None:
        self._check_running(snapshot)
        if event not in self.d.events:
            raise UnknownEvent(
                f"unknown event '{event}'; known: {', '.join(self.d.events) or 'none'}"
            )

    def record_event(
        self, snapshot: Snapshot, event: str, at: str, date: str | None = None
    ) -> Step:
        self.check_event(snapshot, event)
        sets = self.d.events[event]
        if not sets:
            return self._run(snapshot, at, f"event:{event}")
        day = date or at[:10]
        given = snapshot.model_copy(update={"dates": {**snapshot.dates, sets: day}})
        if not self.dates_move_termijnen:
            return self._run(given, at, f"event:{event}")
        # the date, as a set_date action would record it (the store keeps the case's dates),
        # and a termijn that runs from it starts: the dates before the event are the known ones
        recorded = ActionRun(
            key=f"{snapshot.steps}.0",
            state=snapshot.active[0] if snapshot.active else "",
            action=SetDate(action="set_date", date=sets),
            value=day,
        )
        return self._run(given, at, f"event:{event}", (recorded,), snapshot.dates)

    def record_ladder(self, snapshot: Snapshot, step: int) -> Snapshot:
        """A measurement taken outside any task (a coach's periodic check)."""
        if step not in range(1, 7):
            raise MachineError("a participatieladder step is 1 to 6")
        return snapshot.model_copy(update={"ladder": step})

    def fire_timer(self, snapshot: Snapshot, timer_id: str, at: str) -> Step:
        self._check_running(snapshot)
        if timer_id not in snapshot.armed:
            raise TimerNotArmed(f"timer '{timer_id}' is not armed")
        disarmed = snapshot.model_copy(
            update={"armed": tuple(t for t in snapshot.armed if t != timer_id)}
        )
        if timer_id.startswith("termijn:"):
            return self._termijn_timer(disarmed, timer_id, at)
        timer = self.d.timer(timer_id)
        if timer.kind == "timer":
            return self._run(disarmed, at, timer.trigger)
        return self._task_timer(disarmed, timer, at)

    # ------------------------------------------------------------------------------ stepping
    def _check_running(self, snapshot: Snapshot) -> None:
        if snapshot.finished:
            raise TrajectoryFinished("the trajectory has finished")

    def _task_timer(self, snapshot: Snapshot, timer: CTimer, at: str) -> Step:
        task = snapshot.open_tasks.get(timer.task or "")
        if task is None:
            return Step(snapshot=snapshot, effects=(), moved=False)
        effects: list[Effect] = [TaskMarked(task=task.name, mark=_MARKS[timer.kind])]
        if timer.kind == "reminder":
            action = _action({"action": "notify", "to": task.role, "template": "task_reminder"})
            effects.append(
                ActionRun(
                    key=f"{snapshot.steps}.0", state=task.state, action=action, task=task.name
                )
            )
        flags = {
            "overdue": task.overdue or timer.kind == "overdue",
            "escalated": task.escalated or timer.kind == "escalation",
        }
        updated = snapshot.model_copy(
            update={"open_tasks": {**snapshot.open_tasks, task.name: task.model_copy(update=flags)}}
        )
        if timer.kind == "escalation":
            action = _action(
                {"action": "escalate", "to": timer.escalate_to, "reason": "task_overdue"}
            )
            effects.append(
                ActionRun(
                    key=f"{snapshot.steps}.0", state=task.state, action=action, task=task.name
                )
            )
            if any(t.trigger == timer.trigger for t in self.d.states[timer.state].transitions):
                return self._run(updated, at, timer.trigger, effects)
        done = updated.model_copy(update={"steps": snapshot.steps + 1})
        return Step(snapshot=done, effects=tuple(effects), moved=False)

    def _run(
        self,
        snapshot: Snapshot,
        at: str,
        trigger: str,
        pre: Iterable[Effect] = (),
        dates_before: Mapping[str, str] | None = None,
    ) -> Step:
        """Take `trigger` from `snapshot`; `dates_before`: the case's dates before this step,
        when the step itself set some before it ran (an event with a date)."""
        with self._lock:
            work = _Work(self.d, snapshot, at)
            work.effects.extend(pre)
            work.actions = sum(isinstance(e, ActionRun) for e in work.effects)
            key = self._route_key(snapshot, trigger)
            routes = self._routes if key is not None else None
            route = routes.get(key) if routes is not None else None
            if route is None:
                route = self._route(work, snapshot.active, trigger)
                if routes is not None:
                    if len(routes) >= _ROUTES_MAX:
                        routes.pop(next(iter(routes)))
                    routes[key] = route
            else:
                work.replay(route.calls)
        active = route.active
        step = work.finish(active, moved=active != snapshot.active)
        if not self.d.termijnen:
            return step
        known = snapshot.dates if dates_before is None else dates_before
        return self._follow_termijnen(known, step, at, trigger)

    def _route(self, work: _Work, active: tuple[str, ...], trigger: str) -> _Route:
        """Let `transitions` take `trigger` from `active`, the callbacks writing into `work`."""
        work.calls = []
        self._work = work
        try:
            self._hsm.set_state(_hsm_state(self.d, active), self._model)
            self._model.trigger(trigger)
            self._enter_left_out_regions(work)
            self._complete_states(work)
            return _Route(tuple(work.calls), _leaves(self._model.state))
        finally:
            self._work = None

    def _route_key(self, snapshot: Snapshot, trigger: str) -> Hashable | None:
        """What `transitions`' route for `trigger` depends on: the configuration, and what the
        guards can read as the route unfolds (the open tasks, the fields and dates they check,
        the ladder). A route found before for an equal key is the route again: `transitions`
        decides from nothing else, and the callbacks replayed write the step's own effects.
        Building the route is most of a step's cost, and trajectories of one definition take the
        same few routes over and over. None (do not remember) for a field value JSON cannot
        write; JSON keeps `true`, `1` and `1.0` apart, which record_ladder tells apart too."""
        reads = self._reads
        fields = ""
        if reads.fields:
            completed = snapshot.completed
            try:
                fields = json.dumps([completed.get(t, {}).get(f) for t, f in reads.fields])
            except (TypeError, ValueError):
                return None
        dates = tuple(d in snapshot.dates for d in reads.dates)
        return (
            snapshot.active,
            trigger,
            frozenset(snapshot.open_tasks),
            fields,
            dates,
            snapshot.ladder,
        )

    # ---------------------------------------------------------------------------- termijnen
    def _follow_termijnen(
        self, dates_before: Mapping[str, str], step: Step, at: str, trigger: str
    ) -> Step:
        """Start the termijnen this step starts, move those whose date it set again, mark those
        it meets, and arm their timers."""
        now = datetime.fromisoformat(at)
        entered = {e.state for e in step.effects if isinstance(e, StateEntered)}
        runs = dict(step.snapshot.termijnen)
        effects: list[Effect] = []
        known = {} if trigger == _BEGIN else dates_before  # the start's dates are all new
        starts = runtime.starting(
            self.d.termijnen, runs, entered, trigger, known, step.snapshot.dates, now.date()
        )
        if self.dates_move_termijnen:
            starts.update(runtime.moved(self.d.termijnen, runs, known, step.snapshot.dates))
        for name, day in starts.items():
            runs[name] = runtime.begin(self.d.termijnen[name], day, runs.get(name))
            effects.append(_note(name, "started", runs[name]))
        for name, run in list(runs.items()):
            t = self.d.termijnen[name]
            if run.outcome != "running":
                continue
            if entered & set(t.met):
                runs[name] = run.model_copy(update={"outcome": "met"})
                effects.append(_note(name, "met", run))
            elif step.snapshot.finished:  # the trajectory ended another way: nothing to meet
                runs[name] = run.model_copy(update={"outcome": "ended"})
                effects.append(_note(name, "ended", run))
        if not effects and runs == step.snapshot.termijnen:
            return step
        snapshot = step.snapshot.model_copy(update={"termijnen": runs})
        snapshot, timers = self._retime(snapshot, {*starts, *runs}, now)
        return step.model_copy(
            update={"snapshot": snapshot, "effects": (*step.effects, *effects, *timers)}
        )

    def _retime(
        self, snapshot: Snapshot, names: Iterable[str], now: datetime
    ) -> tuple[Snapshot, list[Effect]]:
        """Cancel the timers of these termijnen and arm what each needs now."""
        armed, effects = list(snapshot.armed), list[Effect]()
        for name in sorted(set(names)):
            for timer in [
                t for t in armed if runtime.parse_timer(t)[0] == name and t.startswith("termijn:")
            ]:
                armed.remove(timer)
                effects.append(TimerCancelled(timer=timer))
            run = snapshot.termijnen.get(name)
            if run is None:
                continue
            wanted = runtime.moments(name, run, self.d.termijnen[name], now.date(), now.tzinfo)
            for timer, moment in wanted.items():
                armed.append(timer)
                effects.append(TimerArmed(timer=timer, at=moment))
        return snapshot.model_copy(update={"armed": tuple(armed)}), effects

    def check_termijn_change(
        self, snapshot: Snapshot, name: str, change: runtime.Change, at: str, length: str | None
    ) -> None:
        self.change_termijn(snapshot, name, change, at, "check", length)

    def change_termijn(
        self,
        snapshot: Snapshot,
        name: str,
        change: runtime.Change,
        at: str,
        reason: str,
        length: str | None = None,
    ) -> Step:
        """Suspend, resume or extend a running termijn; its timers follow."""
        self._check_running(snapshot)
        t, run = self.d.termijnen.get(name), snapshot.termijnen.get(name)
        if t is None or run is None:
            raise TermijnRefused(f"termijn '{name}' is not running in this trajectory")
        now = datetime.fromisoformat(at)
        try:
            changed = runtime.change(run, t, change, now.date(), reason, length)
        except TermijnError as error:
            raise TermijnRefused(str(error)) from None
        updated = snapshot.model_copy(
            update={"termijnen": {**snapshot.termijnen, name: changed}, "steps": snapshot.steps + 1}
        )
        updated, timers = self._retime(updated, [name], now)
        note = _note(name, change, changed, reason)
        return Step(snapshot=updated, effects=(note, *timers), moved=False)

    def _termijn_timer(self, snapshot: Snapshot, timer: str, at: str) -> Step:
        name, kind = runtime.parse_timer(timer)
        run = snapshot.termijnen.get(name)
        if run is None or run.outcome != "running":
            return Step(snapshot=snapshot, effects=(), moved=False)
        if kind == runtime.RESUME:  # the longest suspension allowed is used up
            return self.change_termijn(snapshot, name, "resume", at, "max_suspension")
        if kind == runtime.AMBER:
            warned = run.model_copy(update={"warned": True})
            done = snapshot.model_copy(
                update={
                    "termijnen": {**snapshot.termijnen, name: warned},
                    "steps": snapshot.steps + 1,
                }
            )
            state = snapshot.active[0] if snapshot.active else self.d.initial
            effects: list[Effect] = [_note(name, "amber", run)]
            for i, action in enumerate(self.d.termijnen[name].on_warning):
                effects.append(ActionRun(key=f"{snapshot.steps}.{i}", state=state, action=action))
            return Step(snapshot=done, effects=tuple(effects), moved=False)
        t = self.d.termijnen[name]
        expired = snapshot.model_copy(
            update={
                "termijnen": {
                    **snapshot.termijnen,
                    name: run.model_copy(update={"outcome": "expired"}),
                }
            }
        )
        pre: list[Effect] = [_note(name, "expired", run)]
        state = snapshot.active[0] if snapshot.active else self.d.initial
        for i, action in enumerate(t.on_expiry):
            pre.append(ActionRun(key=f"{snapshot.steps}.{i}", state=state, action=action))
        return self._run(expired, at, t.trigger, pre)

    def _complete_states(self, work: _Work) -> None:
        """Fire `done:<state>` for states whose final configuration was reached (SCXML's done.state)."""
        tried: set[str] = set()
        while True:
            leaves = _leaves(self._model.state)
            done = [
                n
                for n in _completed(self.d, leaves)
                if f"done:{n}" not in tried and self._has_done(n)
            ]
            if not done:
                return
            deepest = max(done, key=lambda n: len(self.d.ancestors(n)))
            tried.add(f"done:{deepest}")
            self._model.trigger(f"done:{deepest}")
            self._enter_left_out_regions(work)

    def _enter_left_out_regions(self, work: _Work) -> None:
        """A transition into a state inside one region of a parallel state enters that
        parallel state, so every other region of it starts too, at its initial state (as in
        SCXML, and as the simulator has it). `transitions` 0.9.3 enters only the targeted
        region, which left the others out for good: the parallel state could never complete.
        The regions left out are entered here, in the definition's order, each with its
        initial states, their callbacks in the route like any other."""
        order = {name: i for i, name in enumerate(self.d.states)}
        while True:
            leaves = _leaves(self._model.state)
            active = _configuration(self.d, leaves)
            left_out = sorted(
                (
                    region
                    for name in active
                    if self.d.states[name].kind == "parallel"
                    for region in self.d.states[name].children
                    if region not in active
                ),
                key=order.__getitem__,
            )
            if not left_out:
                return
            entered = self._enter_at_initial(work, left_out[0])
            new_leaves = sorted({*leaves, *entered}, key=order.__getitem__)
            self._hsm.set_state(_hsm_state(self.d, tuple(new_leaves)), self._model)

    def _enter_at_initial(self, work: _Work, name: str) -> list[str]:
        """Enter `name` and its initial states (every region of a parallel one); the leaves."""
        work.call("enter", name)
        state = self.d.states[name]
        if state.kind == "parallel":
            return [
                leaf for region in state.children for leaf in self._enter_at_initial(work, region)
            ]
        if state.initial is not None:
            return self._enter_at_initial(work, state.initial)
        return [name]

    def _has_done(self, name: str) -> bool:
        return any(t.trigger == f"done:{name}" for t in self.d.states[name].transitions)

    # ---------------------------------------------------------------------------- building
    def _states(self, states: Iterable[CState]) -> list[dict[str, Any]]:
        # Final states are not marked final for `transitions`: completion is detected here
        # (`_complete_states`), and transitions' own on_final check fails at the root of a
        # parallel configuration in 0.9.3.
        built = []
        for state in states:
            spec: dict[str, Any] = {
                "name": state.name,
                "on_enter": [self._callback("enter", state.name)],
                "on_exit": [self._callback("exit", state.name)],
            }
            children = self._states(self.d.states[c] for c in state.children)
            if state.kind == "parallel":
                spec["parallel"] = children
            elif children:
                spec["children"], spec["initial"] = children, state.initial
            built.append(spec)
        return built

    def _transition(self, t: CTransition) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "trigger": t.trigger,
            "source": self.d.states[t.source].path,
            "dest": self.d.states[t.target].path if t.target else None,
            "before": [self._callback("transition", t)],
        }
        if t.guard is not None:
            spec["conditions"] = [self._guard(t.guard, t.source)]
        return spec

    def _callback(self, kind: str, subject: Any) -> Callable[[Any], None]:
        def callback(_event: Any) -> None:
            work = self._work
            if work is None:
                raise RuntimeError("machine callback outside a step")
            work.call(kind, subject)

        return callback

    def _guard(self, guard: Guard, source: str) -> Callable[[Any], bool]:
        def condition(_event: Any) -> bool:
            work = self._work
            return work is not None and evaluate(guard, work.snapshot_view(), self.d, source)

        return condition


class _Model:
    state: Any
    trigger: Callable[[str], bool]


def _action(data: dict[str, Any]) -> Action:
    return _ACTIONS.validate_python(data)


class _Work:
    """The snapshot being built during one step, and the effects it produces, in order."""

    def __init__(self, d: CompiledDefinition, snapshot: Snapshot, at: str) -> None:
        self.d, self.at = d, at
        self.step = snapshot.steps
        self.open_tasks = dict(snapshot.open_tasks)
        self.completed = dict(snapshot.completed)
        self.armed = list(snapshot.armed)
        self.dates = dict(snapshot.dates)
        self.ladder = snapshot.ladder
        self.termijnen = snapshot.termijnen
        self.outcome: str | None = snapshot.outcome
        self.pending_outcome: str | None = None
        self.effects: list[Effect] = []
        self.actions = 0
        self.calls: list[tuple[str, Any]] = []  # the route taken, as `transitions` calls back

    def call(self, kind: str, subject: Any) -> None:
        self.calls.append((kind, subject))
        if kind == "enter":
            self.enter(subject)
        elif kind == "exit":
            self.exit(subject)
        else:
            self.transition(subject)

    def replay(self, calls: Iterable[tuple[str, Any]]) -> None:
        """Take a remembered route again: the same callbacks, this step's snapshot and moment."""
        for kind, subject in calls:
            if kind == "enter":
                self.enter(subject)
            elif kind == "exit":
                self.exit(subject)
            else:
                self.transition(subject)

    def snapshot_view(self) -> Snapshot:
        return Snapshot.model_construct(
            open_tasks=self.open_tasks,
            completed=self.completed,
            dates=self.dates,
            ladder=self.ladder,
        )

    def enter(self, name: str) -> None:
        if name == _START:
            return
        state = self.d.states[name]
        self.effects.append(StateEntered(state=name))
        for task_name in state.tasks:
            task = self.d.tasks[task_name]
            self.open_tasks[task_name] = OpenTask(name=task_name, state=name, role=task.role)
            self.completed.pop(task_name, None)  # re-entering a state opens its tasks afresh
            self.effects.append(
                TaskOpened(task=task_name, state=name, role=task.role, due=task.due)
            )
        for timer in state.timers:
            self.armed.append(timer.id)
            self.effects.append(TimerArmed(timer=timer.id, after=timer.after, anchor=timer.anchor))
        self.run_actions(state.on_entry, name)
        if state.kind == "final" and state.parent is None:
            self.outcome = self.pending_outcome or (
                state.outcomes[0] if len(state.outcomes) == 1 else None
            )
            self.effects.append(Finished(state=name, outcome=self.outcome))

    def exit(self, name: str) -> None:
        if name == _START:
            return
        state = self.d.states[name]
        for timer in state.timers:
            if timer.id in self.armed:
                self.armed.remove(timer.id)
                self.effects.append(TimerCancelled(timer=timer.id))
        for task_name in state.tasks:
            if self.open_tasks.pop(task_name, None) is not None:
                self.effects.append(TaskClosed(task=task_name, reason="cancelled"))
        self.run_actions(state.on_exit, name)
        self.effects.append(StateExited(state=name))

    def transition(self, t: CTransition) -> None:
        self.pending_outcome = t.outcome
        self.run_actions(t.actions, t.source)

    def run_actions(self, actions: Iterable[Action], state: str) -> None:
        for action in actions:
            value: int | str | None = None
            if isinstance(action, RecordLadder):
                task, field = action.field.split(".", 1)
                measured = self.completed.get(task, {}).get(field)
                # a validated ladder field holds a whole number 1..6, possibly sent as 3.0
                if isinstance(measured, int | float) and not isinstance(measured, bool):
                    self.ladder = value = int(measured)
            elif isinstance(action, SetDate):
                self.dates[action.date] = value = self.at[:10]
            key = f"{self.step}.{self.actions}"
            self.effects.append(ActionRun(key=key, state=state, action=action, value=value))
            self.actions += 1

    def finish(self, active: tuple[str, ...], moved: bool) -> Step:
        finished = any(
            self.d.states[n].kind == "final" and self.d.states[n].parent is None for n in active
        )
        snapshot = Snapshot(
            active=active,
            open_tasks=self.open_tasks,
            completed=self.completed,
            armed=tuple(self.armed),
            dates=self.dates,
            ladder=self.ladder,
            outcome=self.outcome,
            finished=finished,
            steps=self.step + 1,
            termijnen=self.termijnen,
        )
        return Step(snapshot=snapshot, effects=tuple(self.effects), moved=moved)


def _due(run: TermijnRun) -> str | None:
    termijn = run.termijn
    return None if termijn.suspended else termijn.due().isoformat()


def _note(name: str, change: str, run: TermijnRun, reason: str | None = None) -> TermijnChanged:
    return TermijnChanged(
        name=name,
        change=change,
        due=_due(run),
        started=run.termijn.started.isoformat(),
        reason=reason,
    )


# ------------------------------------------------------------------------------------- timers
def timer_due(
    anchor: str, after: str, now: datetime, dates: Mapping[str, str], at: str | None = None
) -> datetime | None:
    """When an armed timer fires: at `at`, or `after` from `now` (its state's entry) or from a case
    date, which counts from the start of that day in `now`'s time zone; None while it is unknown."""
    if at is not None:
        return datetime.fromisoformat(at)
    if anchor == "entry":
        start = now
    else:
        known = dates.get(anchor)
        if known is None:
            return None
        start = datetime.fromisoformat(known).replace(tzinfo=now.tzinfo)
    return Duration.parse(after).add_to(start)


def track_timers(
    due: dict[str, datetime | None],
    effects: Iterable[Effect],
    d: CompiledDefinition,
    now: datetime,
    dates: Mapping[str, str],
) -> None:
    """Keep `due` (armed timer → when it fires) in step with a step's effects, and start the timers
    that waited for a case date this step recorded. Shared by the workflow and the scenario runner."""
    for effect in effects:  # by kind: isinstance is slow in Temporal's sandbox
        if effect.kind == "timer_armed":
            due[effect.timer] = timer_due(effect.anchor, effect.after, now, dates, effect.at)
        elif effect.kind == "timer_cancelled":
            due.pop(effect.timer, None)
    for timer_id, when in due.items():
        if when is None:
            timer = d.timer(timer_id)
            due[timer_id] = timer_due(timer.anchor, timer.after, now, dates)


# ------------------------------------------------------------------------------------- guards
def evaluate(guard: Guard, snapshot: Snapshot, d: CompiledDefinition, source: str) -> bool:
    """Evaluate a guard of the fixed library against a snapshot. Pure."""
    if isinstance(guard, AllTasksDone):
        return not any(source in d.ancestors(t.state) for t in snapshot.open_tasks.values())
    if isinstance(guard, LadderAtLeast):
        return snapshot.ladder is not None and snapshot.ladder >= guard.step
    if isinstance(guard, LadderBelow):
        return snapshot.ladder is None or snapshot.ladder < guard.step
    if isinstance(guard, DateKnown):
        return guard.date in snapshot.dates
    if isinstance(guard, AllOf):
        return all(evaluate(g, snapshot, d, source) for g in guard.of)
    if isinstance(guard, AnyOf):
        return any(evaluate(g, snapshot, d, source) for g in guard.of)
    if isinstance(guard, Not):
        return not evaluate(guard.negated, snapshot, d, source)
    return _field(guard, snapshot)


def _field(guard: FieldCheck, snapshot: Snapshot) -> bool:
    task, field = guard.field.split(".", 1)
    value = snapshot.completed.get(task, {}).get(field)
    checks = []
    if guard.equals is not None:
        checks.append(value == guard.equals)
    if guard.not_equals is not None:
        checks.append(value != guard.not_equals)
    if guard.one_of is not None:
        checks.append(value in guard.one_of)
    if guard.at_least is not None:
        checks.append(isinstance(value, int | float) and value >= guard.at_least)
    if guard.at_most is not None:
        checks.append(isinstance(value, int | float) and value <= guard.at_most)
    if not checks:  # `{field: x}` alone: the field was answered (truthy)
        checks.append(bool(value))
    return all(checks)


# ------------------------------------------------------------------------- configurations
def _leaves(state: Any) -> tuple[str, ...]:
    if isinstance(state, list | tuple):
        return tuple(leaf for s in state for leaf in _leaves(s))
    return (str(state).rsplit("/", 1)[-1],)


def _hsm_state(d: CompiledDefinition, active: tuple[str, ...]) -> Any:
    if active == (_START,):
        return _START
    paths = [d.states[leaf].path for leaf in active]
    return paths[0] if len(paths) == 1 else paths


def _configuration(d: CompiledDefinition, leaves: tuple[str, ...]) -> set[str]:
    """The active leaves and every state they are in."""
    return {n for leaf in leaves if leaf in d.states for n in d.ancestors(leaf)}


def _completed(d: CompiledDefinition, leaves: tuple[str, ...]) -> list[str]:
    """Compound and parallel states whose final configuration the active leaves reach."""
    active = _configuration(d, leaves)

    def complete(name: str) -> bool:
        state = d.states[name]
        if state.kind == "parallel":
            return all(complete(region) for region in state.children)
        if state.kind == "compound":
            return any(c in active and d.states[c].kind == "final" for c in state.children)
        return False

    return [n for n in active if d.states[n].kind in ("compound", "parallel") and complete(n)]
