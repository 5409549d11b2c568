"""Scenario files: a designer's executable examples of a definition ("given these events, expect this").

A scenario walks a trajectory step by step: complete a task (or expect a completion to be rejected),
record an outside event, let time pass (`advance: P3W` fires every timer due by then, in order), and
check what is active, which tasks are open, which actions ran and how it ended. `traject test` runs them
against the pure machine with a virtual clock; the durable tests run the same files through Temporal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import date as Date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from traject.definition.compiled import CompiledDefinition
from traject.definition.duration import Duration, normalise
from traject.definition.errors import DefinitionError, Problem
from traject.definition.loader import SourceMap, parse_yaml, validation_problems
from traject.machine import (
    ActionRun,
    Machine,
    MachineError,
    Snapshot,
    Step,
    TaskOpened,
    track_timers,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    states: list[str] | None = None  # exactly these leaf states are active
    active: list[str] | None = None  # these states (any level) are active
    not_active: list[str] | None = None
    open_tasks: list[str] | None = None  # exactly these tasks are open
    actions: list[str] | None = None  # these actions ran since the previous expect
    overdue: list[str] | None = None
    escalated: list[str] | None = None
    ladder: int | None = None
    dates: list[str] | None = None  # these case dates are known
    finished: bool | None = None
    outcome: str | None = None


class ScenarioStep(_Strict):
    expect: Expect | None = None
    complete: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    rejected: str | None = None
    event: str | None = None
    date: Date | None = None
    advance: str | None = None
    ladder: int | None = Field(default=None, ge=1, le=6)

    @field_validator("advance")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        return normalise(value) if value is not None else None

    def kind(self) -> str:
        kinds = [
            k
            for k in ("expect", "complete", "event", "advance", "ladder")
            if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise ValueError("a step does one thing: expect, complete, event, advance or ladder")
        return kinds[0]


class Scenario(_Strict):
    scenario: str
    description: str | None = None
    start: date = date(2025, 1, 6)
    case_dates: dict[str, date] = Field(default_factory=dict)
    steps: list[ScenarioStep] = Field(min_length=1)


@dataclass
class LoadedScenario:
    scenario: Scenario
    file: str
    source: SourceMap

    def line(self, index: int) -> int | None:
        return self.source.entries.get(("steps", index), (self.file, None))[1]


def load_scenario(path: str | Path) -> LoadedScenario:
    text = Path(path).read_text(encoding="utf-8")
    data, source = parse_yaml(text, str(path))
    try:
        scenario = Scenario.model_validate(data)
        for i, step in enumerate(scenario.steps):
            try:
                step.kind()
            except ValueError as error:
                raise DefinitionError([source.problem(("steps", i), str(error))]) from None
    except ValidationError as error:
        raise DefinitionError(validation_problems(error, data, source)) from None
    return LoadedScenario(scenario, str(path), source)


def scenario_files(definition_file: str | Path, definition: CompiledDefinition) -> list[Path]:
    folder = Path(definition_file).parent / "scenarios" / definition.definition
    return sorted(folder.glob("*.yaml"))


class ScenarioFailure(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass
class ScenarioRun:
    """Drives a machine with a virtual clock, as the workflow drives it with Temporal's."""

    machine: Machine
    now: datetime
    snapshot: Snapshot = field(default_factory=Snapshot)
    due: dict[str, datetime | None] = field(
        default_factory=dict
    )  # armed timer → when (None: date unknown)
    actions: list[str] = field(default_factory=list)
    opened_tasks: set[str] = field(default_factory=set)

    def apply(self, step: Step) -> None:
        self.snapshot = step.snapshot
        track_timers(self.due, step.effects, self.machine.d, self.now, self.snapshot.dates)
        for effect in step.effects:
            if isinstance(effect, ActionRun):
                self.actions.append(effect.action.action)
            elif isinstance(effect, TaskOpened):
                self.opened_tasks.add(effect.task)

    def at(self) -> str:
        return self.now.isoformat()

    def advance(self, duration: str) -> None:
        until = Duration.parse(duration).add_to(self.now)
        while True:
            pending = [
                (when, tid) for tid, when in self.due.items() if when is not None and when <= until
            ]
            if not pending or self.snapshot.finished:
                break
            when, timer_id = min(pending)
            self.now = max(self.now, when)
            self.due.pop(timer_id)
            self.apply(self.machine.fire_timer(self.snapshot, timer_id, self.at()))
        self.now = until


def run_scenario(machine: Machine, loaded: LoadedScenario) -> ScenarioRun:
    """Run one scenario; raises ScenarioFailure naming the file, line and step that failed."""
    sc = loaded.scenario
    run = ScenarioRun(machine, datetime.combine(sc.start, datetime.min.time()) + timedelta(hours=9))
    dates = {k: v.isoformat() for k, v in sc.case_dates.items()}
    try:
        run.apply(machine.start(run.at(), dates))
    except MachineError as error:
        raise ScenarioFailure(Problem(loaded.file, None, "case_dates", str(error))) from None
    for index, step in enumerate(sc.steps):
        message = _run_step(run, step)
        if message:
            raise ScenarioFailure(
                Problem(loaded.file, loaded.line(index), f"steps[{index}]", message)
            )
    return run


def _run_step(run: ScenarioRun, step: ScenarioStep) -> str | None:
    kind = step.kind()
    if kind == "expect":
        assert step.expect is not None
        message = _check(run, step.expect)
        run.actions.clear()
        return message
    try:
        if kind == "advance":
            run.advance(step.advance or "")
            return None
        if kind == "ladder":
            run.snapshot = run.machine.record_ladder(run.snapshot, step.ladder or 0)
            return None
        if kind == "complete":
            result = run.machine.complete_task(
                run.snapshot, step.complete or "", step.data, run.at()
            )
        else:
            result = run.machine.record_event(
                run.snapshot, step.event or "", run.at(), _iso(step.date)
            )
    except MachineError as error:
        if step.rejected is not None and step.rejected.lower() in str(error).lower():
            return None
        return f"{kind} was rejected: {error}"
    if step.rejected is not None:
        return f"{kind} '{step.complete or step.event}' was accepted, expected a rejection ({step.rejected})"
    run.apply(result)
    return None


@dataclass(frozen=True)
class Observed:
    """What a trajectory shows at one moment, whoever runs it (pure machine or durable workflow)."""

    active: tuple[str, ...]
    open_tasks: dict[str, tuple[bool, bool]]  # task → (overdue, escalated)
    actions: list[str]  # action names run since the previous expect
    ladder: int | None
    dates: frozenset[str]
    finished: bool
    outcome: str | None

    @classmethod
    def of(cls, run: ScenarioRun) -> Observed:
        snap = run.snapshot
        return cls(
            active=snap.active,
            open_tasks={n: (t.overdue, t.escalated) for n, t in snap.open_tasks.items()},
            actions=list(run.actions),
            ladder=snap.ladder,
            dates=frozenset(snap.dates),
            finished=snap.finished,
            outcome=snap.outcome,
        )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _check(run: ScenarioRun, expect: Expect) -> str | None:
    return check_expectation(expect, Observed.of(run), run.machine.d)


def check_expectation(expect: Expect, seen: Observed, d: CompiledDefinition) -> str | None:
    """Every way `seen` differs from `expect`, as one message; None when it matches."""
    active = {n for leaf in seen.active for n in d.ancestors(leaf)}
    tasks = seen.open_tasks
    checks: list[tuple[bool, str]] = [
        (
            expect.states is None or set(expect.states) == set(seen.active),
            f"active states are {sorted(seen.active)}, expected {sorted(expect.states or [])}",
        ),
        (
            expect.active is None or set(expect.active) <= active,
            f"expected {sorted(set(expect.active or []) - active)} to be active; active: {sorted(active)}",
        ),
        (
            expect.not_active is None or not set(expect.not_active) & active,
            f"expected {sorted(set(expect.not_active or []) & active)} not to be active",
        ),
        (
            expect.open_tasks is None or set(expect.open_tasks) == set(tasks),
            f"open tasks are {sorted(tasks)}, expected {sorted(expect.open_tasks or [])}",
        ),
        (
            expect.actions is None or all(a in seen.actions for a in expect.actions),
            f"actions run: {seen.actions}, expected {expect.actions}",
        ),
        (
            expect.overdue is None or all(tasks.get(t, (False, False))[0] for t in expect.overdue),
            f"expected overdue tasks {expect.overdue}",
        ),
        (
            expect.escalated is None
            or all(tasks.get(t, (False, False))[1] for t in expect.escalated),
            f"expected escalated tasks {expect.escalated}",
        ),
        (
            expect.ladder is None or seen.ladder == expect.ladder,
            f"ladder step is {seen.ladder}, expected {expect.ladder}",
        ),
        (
            expect.dates is None or set(expect.dates) <= seen.dates,
            f"known dates are {sorted(seen.dates)}, expected {expect.dates}",
        ),
        (
            expect.finished is None or seen.finished == expect.finished,
            f"finished is {seen.finished}, expected {expect.finished}",
        ),
        (
            expect.outcome is None or seen.outcome == expect.outcome,
            f"outcome is {seen.outcome}, expected {expect.outcome}",
        ),
    ]
    failed = [message for ok, message in checks if not ok]
    return "; ".join(failed) if failed else None
