"""Moving a running trajectory from version N of its definition to a later version: an explicit,
checked operation with a state mapping. Pure: the workflow applies what `plan` returns, the
service runs the same `plan` for a dry run, so both always agree.

Checked before anything changes: the new version is a later version of the same definition; every
current state is mapped (a state whose name still exists maps to itself unless mapped otherwise)
onto states of the new version that form a valid configuration (one child of each compound state,
every region of a parallel one); no open task is lost (it exists in the new version, in one of
the states the case will be in). Timers of the new states start afresh from the migration;
termijnen that the new version still has keep running, with their dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from traject.definition.compiled import CompiledDefinition
from traject.machine import (
    Effect,
    MachineError,
    OpenTask,
    Snapshot,
    Step,
    TimerArmed,
    TimerCancelled,
)


class MigrationRefused(MachineError):
    code = "migration_refused"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.errors = {f"problem_{i + 1}": p for i, p in enumerate(problems)}
        super().__init__("the migration is refused: " + "; ".join(problems))


@dataclass(frozen=True)
class Plan:
    step: Step
    mapping: dict[str, str]  # every current leaf → its state in the new version


def plan(
    old: CompiledDefinition,
    new: CompiledDefinition,
    snapshot: Snapshot,
    mapping: Mapping[str, str],
    at: str,
) -> Plan:
    problems = _same_definition(old, new)
    full = {leaf: mapping.get(leaf, leaf) for leaf in snapshot.active}
    problems += [f"'{m}' is not a current state of this case" for m in mapping if m not in full]
    for leaf, target in full.items():
        if target not in new.states:
            how = (
                "is mapped to"
                if leaf in mapping
                else "has no mapping and no state of the same name"
            )
            problems.append(f"current state '{leaf}' {how} '{target}' in version {new.version}")
        elif new.states[target].children:
            problems.append(f"'{target}' has substates: map '{leaf}' onto one of them")
    if snapshot.finished:
        problems.append("the trajectory has finished")
    if problems:
        raise MigrationRefused(problems)
    leaves = tuple(dict.fromkeys(full.values()))
    problems += _configuration(new, leaves)
    active_states = {n for leaf in leaves for n in new.ancestors(leaf)}
    tasks: dict[str, OpenTask] = {}
    for name, task in snapshot.open_tasks.items():
        spec = new.tasks.get(name)
        if spec is None:
            problems.append(f"open task '{name}' does not exist in version {new.version}")
        elif spec.state not in active_states:
            problems.append(
                f"open task '{name}' belongs to '{spec.state}' in version {new.version}, "
                "which the case would not be in"
            )
        else:
            tasks[name] = task.model_copy(update={"state": spec.state, "role": spec.role})
    if problems:
        raise MigrationRefused(problems)
    return Plan(_step(old, new, snapshot, leaves, active_states, tasks, at), full)


def _same_definition(old: CompiledDefinition, new: CompiledDefinition) -> list[str]:
    if (new.municipality, new.definition) != (old.municipality, old.definition):
        return [f"{new.key} is not a version of {old.definition}"]
    if new.version <= old.version:
        return [f"version {new.version} is not later than the case's version {old.version}"]
    return []


def _configuration(d: CompiledDefinition, leaves: tuple[str, ...]) -> list[str]:
    """One child of each compound state, all regions of each parallel state, one top state."""
    active = {n for leaf in leaves for n in d.ancestors(leaf)}
    problems = []
    if len({n for n in active if d.states[n].parent is None}) != 1:
        problems.append("the mapped states lie in more than one top-level state")
    for name in sorted(active):
        state = d.states[name]
        inside = [c for c in state.children if c in active]
        if state.kind == "parallel" and len(inside) != len(state.children):
            missing = sorted(set(state.children) - set(inside))
            problems.append(f"parallel state '{name}' needs a state in region(s) {missing}")
        elif state.kind != "parallel" and state.children and len(inside) != 1:
            problems.append(
                f"'{name}' would be in {len(inside)} of its substates at once: {inside}"
            )
    return problems


def _step(
    old: CompiledDefinition,
    new: CompiledDefinition,
    snapshot: Snapshot,
    leaves: tuple[str, ...],
    active_states: set[str],
    tasks: dict[str, OpenTask],
    at: str,
) -> Step:
    effects: list[Effect] = []
    kept_termijn_timers = [
        t
        for t in snapshot.armed
        if t.startswith("termijn:") and t.split(":")[1].split(".")[0] in new.termijnen
    ]
    for armed_id in snapshot.armed:
        if armed_id not in kept_termijn_timers:
            effects.append(TimerCancelled(timer=armed_id))
    armed = list(kept_termijn_timers)
    for name in new.states:  # parents before children, as the machine enters them
        if name not in active_states:
            continue
        for timer in new.states[name].timers:
            if timer.task and timer.task not in tasks:
                continue
            armed.append(timer.id)
            effects.append(TimerArmed(timer=timer.id, after=timer.after, anchor=timer.anchor))
    datetime.fromisoformat(at)  # a malformed clock fails here, before anything is applied
    migrated = snapshot.model_copy(
        update={
            "active": leaves,
            "open_tasks": tasks,
            "armed": tuple(armed),
            "termijnen": {k: v for k, v in snapshot.termijnen.items() if k in new.termijnen},
            "steps": snapshot.steps + 1,
        }
    )
    return Step(snapshot=migrated, effects=tuple(effects), moved=leaves != snapshot.active)
