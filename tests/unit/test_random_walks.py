"""Property tests on generated VALID definitions (chains, branches, compound, parallel, checklists,
timers, escalations, events, transitions into one region of a parallel state), complementing the fixed definition of `test_properties.py`:

- every generated definition compiles and survives its own JSON;
- random walks never raise anything but a `MachineError`, never refuse a request that is valid, and
  keep the configuration consistent after every step;
- completing every open task with valid data always ends the trajectory (the graph checks promised a
  way out of every state);
- small mutations of a valid definition give a `DefinitionError` or a definition that runs.
"""

from __future__ import annotations

import copy
from itertools import pairwise
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traject.definition import CompiledDefinition, DefinitionError, compile_text
from traject.definition.forms import validate_form
from traject.machine import (
    InvalidForm,
    Machine,
    MachineError,
    Snapshot,
    TaskNotOpen,
    TimerNotArmed,
    TrajectoryFinished,
    UnknownEvent,
)

AT = "2025-01-06T09:00:00+00:00"
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMS: dict[str, dict[str, Any]] = {
    "route": {"type": "choice", "options": ["b1", "z"]},
    "akkoord": {"type": "bool"},
    "uren": {"type": "int", "min": 0, "max": 40},
    "trede": {"type": "ladder"},
    "notitie": {"type": "text", "personal": True},
}
FIELD_GUARDS: dict[str, list[dict[str, Any]]] = {
    "route": [{"equals": "b1"}, {"in": ["z"]}, {"not_equals": "z"}],
    "akkoord": [{"equals": True}, {}],
    "uren": [{"at_least": 10}, {"at_most": 5, "at_least": 1}],
    "trede": [{"at_least": 3}],
}
DURATIONS = st.sampled_from(["P1D", "P5D", "P1W", "P2W", "P1M", "PT30S"])


# ------------------------------------------------------------------------------ generation
class _Draft:
    """Collects what the generated states use, so the definition declares exactly that."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.stop_used = False


def _task(draft: _Draft, name: str) -> tuple[dict[str, Any], list[str]]:
    draw = draft.draw
    fields = draw(st.lists(st.sampled_from(sorted(FORMS)), max_size=3, unique=True))
    task: dict[str, Any] = {"title": name.replace("_", " "), "role": "coach"}
    if fields:
        task["form"] = {f: dict(FORMS[f], required=draw(st.booleans())) for f in fields}
    if draw(st.booleans()):
        task["due"] = draw(DURATIONS)
    if draw(st.booleans()):
        task["remind"] = draw(st.lists(DURATIONS, min_size=1, max_size=2))
    return task, [f for f in fields if f in FIELD_GUARDS]


def _guard(draft: _Draft, task: str, fields: list[str]) -> Any:
    draw = draft.draw
    simple = [
        "all_tasks_done",
        {"ladder_at_least": draw(st.integers(1, 6))},
        {"ladder_below": draw(st.integers(1, 6))},
    ] + [{"field": f"{task}.{field}", **check} for field in fields for check in FIELD_GUARDS[field]]
    guard = draw(st.sampled_from(simple))
    wrap = draw(st.sampled_from(["none", "not", "all", "any"]))
    if wrap == "not":
        return {"not": guard}
    if wrap in ("all", "any"):
        return {wrap: [guard, draw(st.sampled_from(simple))]}
    return guard


def _leaf(draft: _Draft, name: str, exits: list[str]) -> dict[str, Any]:
    """A state with one or two tasks; its last transition, unguarded, leads to `exits[0]`."""
    draw = draft.draw
    task_name = f"{name}_taak"
    task, fields = _task(draft, task_name)
    if draw(st.booleans()):
        task["escalate"] = {"after": draw(DURATIONS), "to": "coordinator"}
        if draw(st.booleans()):
            task["escalate"]["goto"] = draw(st.sampled_from(exits))
    onward: dict[str, Any] = {"target": exits[0]}
    if "trede" in task.get("form", {}) and draw(st.booleans()):
        onward["actions"] = [{"record_ladder": f"{task_name}.trede"}]
    transitions = [onward]
    if draw(st.booleans()):
        branch = {"target": draw(st.sampled_from(exits)), "guard": _guard(draft, task_name, fields)}
        transitions.insert(0, branch)
    state: dict[str, Any] = {"tasks": {task_name: task}, "on": {f"{task_name}.done": transitions}}
    if draw(st.booleans()):  # a second task: the state moves on once both are done
        state["tasks"][f"{name}_extra"] = {"title": "Extra", "role": "coach"}
        both = {"target": exits[0], "guard": "all_tasks_done"}
        state["on"] = {f"{task_name}.done": [both], f"{name}_extra.done": [both]}
    if draw(st.booleans()):
        timer: dict[str, Any] = {"name": "wekker", "after": draw(DURATIONS)}
        if draw(st.booleans()):
            timer["goto"] = draw(st.sampled_from(exits))
        else:
            timer["actions"] = [{"notify": "coordinator"}]
        state["timers"] = [timer]
    return state


def _region(draft: _Draft, name: str, depth: int) -> dict[str, Any]:
    """A compound state or checklist that ends in a final child of its own."""
    draw = draft.draw
    if draw(st.booleans()):
        items = [f"{name}_punt{i}" for i in range(draw(st.integers(1, 3)))]
        return {"role": "coach", "checklist": items}
    length = draw(st.integers(1, 2))
    children = [f"{name}_{i}" for i in range(length)]
    states: dict[str, Any] = {}
    for i, child in enumerate(children):
        later = [*children[i + 1 :], f"{name}_af"]
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            states[child] = _parallel(draft, child, depth + 1)
            states[child]["on"] = {"done": later[0]}
        else:
            states[child] = _leaf(draft, child, later)
    states[f"{name}_af"] = {"final": True}
    return {"initial": children[0], "states": states}


def _parallel(draft: _Draft, name: str, depth: int) -> dict[str, Any]:
    count = draft.draw(st.integers(2, 3))
    return {
        "parallel": {f"{name}_r{i}": _region(draft, f"{name}_r{i}", depth) for i in range(count)}
    }


@st.composite
def valid_definitions(draw: st.DrawFn) -> dict[str, Any]:
    draft = _Draft(draw)
    length = draw(st.integers(1, 4))
    names = [f"s{i}" for i in range(length)]
    states: dict[str, Any] = {}
    for i, name in enumerate(names):
        exits = [*names[i + 1 :], "klaar"]
        kind = draw(st.sampled_from(["leaf", "leaf", "compound", "parallel"]))
        if kind == "leaf":
            state = _leaf(draft, name, exits)
        else:
            state = _region(draft, name, 1) if kind == "compound" else _parallel(draft, name, 1)
            done: Any = exits[0]
            if draw(st.booleans()):
                done = [
                    {"target": draw(st.sampled_from(exits)), "guard": {"ladder_at_least": 3}},
                    {"target": exits[0]},
                ]
            state["on"] = {"done": done}
        if draw(st.integers(0, 2)) == 0:
            state.setdefault("on", {})["stop"] = {"target": "gestopt", "outcome": "gestopt"}
            draft.stop_used = True
        if draw(st.integers(0, 2)) == 0:
            state.setdefault("on", {})["ping"] = {"actions": [{"notify": "coach"}]}
        states[name] = state
    for before, after in pairwise(names):  # into one region, from outside
        regions = [r for r, spec in states[after].get("parallel", {}).items() if "states" in spec]
        if "tasks" in states[before] and regions and draw(st.integers(0, 2)) == 0:
            inner = states[after]["parallel"][draw(st.sampled_from(regions))]["initial"]
            for way in states[before]["on"].values():
                for transition in way if isinstance(way, list) else [way]:
                    if transition.get("target") == after:
                        transition["target"] = inner  # the other regions start as well
    states["klaar"] = {"final": True, "outcome": "klaar"}
    outcomes = {"klaar": {"title": "Klaar"}}
    if draft.stop_used:
        states["gestopt"] = {"final": True, "outcome": "gestopt"}
        outcomes["gestopt"] = {"title": "Gestopt"}
    return {
        "definition": "gegenereerd",
        "title": "Gegenereerd",
        "municipality": "test",
        "version": 1,
        "roles": {"coach": "Coach", "coordinator": "Coordinator"},
        "events": {"stop": {"title": "Stop"}, "ping": {"title": "Ping"}},
        "outcomes": outcomes,
        "initial": "s0",
        "states": states,
    }


def compiled_from(data: dict[str, Any]) -> CompiledDefinition:
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        return compile_text(text)
    except DefinitionError as error:  # a generated definition is valid by construction
        raise AssertionError(f"{error}\n---\n{text}") from None


# ------------------------------------------------------------------------------ invariants
def active_closure(d: CompiledDefinition, snapshot: Snapshot) -> set[str]:
    return {name for leaf in snapshot.active for name in d.ancestors(leaf)}


def check_invariants(d: CompiledDefinition, snapshot: Snapshot) -> None:
    active = active_closure(d, snapshot)
    assert len(set(snapshot.active)) == len(snapshot.active)
    assert all(not d.states[leaf].children for leaf in snapshot.active), snapshot.active
    assert len([s for s in d.top_level() if s.name in active]) == 1, snapshot.active
    for name in active:  # a legal configuration: one child of a compound, every region
        state = d.states[name]
        inside = [c for c in state.children if c in active]
        if state.kind == "compound":
            assert len(inside) == 1, (name, snapshot.active)
        elif state.kind == "parallel":
            assert inside == list(state.children), (name, snapshot.active)
    for open_task in snapshot.open_tasks.values():
        assert open_task.state == d.tasks[open_task.name].state and open_task.state in active
    for name in active:  # a task of an active state is open or done, never lost
        for task in d.states[name].tasks:
            assert task in snapshot.open_tasks or task in snapshot.completed, (task, snapshot)
    assert len(set(snapshot.armed)) == len(snapshot.armed)
    assert all(d.timer(timer).state in active for timer in snapshot.armed)
    finals = [s for s in d.top_level() if s.kind == "final" and s.name in active]
    assert snapshot.finished == bool(finals)
    if finals:
        assert snapshot.open_tasks == {} and snapshot.armed == ()
        assert snapshot.outcome in (finals[0].outcomes or (None,))
    assert snapshot.ladder is None or snapshot.ladder in range(1, 7)
    assert Snapshot.model_validate_json(snapshot.model_dump_json()) == snapshot


def form_data(data: st.DataObject, form: dict[str, Any]) -> dict[str, Any]:
    values = {
        "choice": st.sampled_from(["b1", "z", "b2"]),
        "bool": st.sampled_from([True, False, "ja"]),
        "int": st.integers(-1, 41),
        "ladder": st.sampled_from([1, 2, 3, 4, 5, 6, 0, 3.0]),
        "text": st.just("Dam 1"),
    }
    answer: dict[str, Any] = {}
    for name, spec in form.items():
        if data.draw(st.integers(0, 3)):
            answer[name] = data.draw(values[spec.type])
    if data.draw(st.integers(0, 9)) == 0:
        answer["kleur"] = "rood"
    return answer


def acceptable(machine: Machine, snapshot: Snapshot, task: str, answer: dict[str, Any]) -> bool:
    form = machine.d.tasks[task].form
    if any(name in form and form[name].personal for name in answer):
        return False
    return not validate_form(form, answer)


# ------------------------------------------------------------------------------------ tests
@SETTINGS
@given(valid_definitions())
def test_generated_definitions_compile_and_survive_json(data: dict[str, Any]) -> None:
    compiled = compiled_from(data)
    assert CompiledDefinition.model_validate_json(compiled.model_dump_json()) == compiled
    check_invariants(compiled, Machine(compiled).start(AT).snapshot)


@SETTINGS
@given(valid_definitions(), st.data())
def test_random_walks_keep_the_configuration_consistent(
    definition: dict[str, Any], data: st.DataObject
) -> None:
    machine = Machine(compiled_from(definition))
    d = machine.d
    snapshot = machine.start(AT).snapshot
    check_invariants(d, snapshot)
    all_timers = sorted(t.id for s in d.states.values() for t in s.timers)
    for _ in range(data.draw(st.integers(1, 30))):
        move = data.draw(st.sampled_from(["task", "task", "task", "timer", "timer", "event"]))
        steps_before = snapshot.steps
        try:
            if move == "task":
                tasks = sorted(snapshot.open_tasks) or sorted(d.tasks)
                task = data.draw(st.sampled_from(tasks))
                answer = form_data(data, dict(d.tasks[task].form))
                must_accept = task in snapshot.open_tasks and acceptable(
                    machine, snapshot, task, answer
                )
                try:
                    snapshot = machine.complete_task(snapshot, task, answer, AT).snapshot
                except (InvalidForm, TaskNotOpen, TrajectoryFinished):
                    assert not must_accept, (task, answer)
                    raise
            elif move == "timer":
                armed_only = bool(snapshot.armed) and data.draw(st.booleans())
                timers = list(snapshot.armed) if armed_only else all_timers
                if not timers:
                    continue
                timer = data.draw(st.sampled_from(timers))
                try:
                    snapshot = machine.fire_timer(snapshot, timer, AT).snapshot
                except (TimerNotArmed, TrajectoryFinished):
                    assert timer not in snapshot.armed or snapshot.finished
                    raise
            else:
                event = data.draw(st.sampled_from(["stop", "ping", "onbekend"]))
                try:
                    snapshot = machine.record_event(snapshot, event, AT).snapshot
                except (UnknownEvent, TrajectoryFinished):
                    assert event == "onbekend" or snapshot.finished
                    raise
        except MachineError:  # refused, and the refusal was checked to be right above
            pass
        assert snapshot.steps >= steps_before
        check_invariants(d, snapshot)


@SETTINGS
@given(valid_definitions(), st.data())
def test_completing_every_open_task_ends_the_trajectory(
    definition: dict[str, Any], data: st.DataObject
) -> None:
    machine = Machine(compiled_from(definition))
    snapshot = machine.start(AT).snapshot
    for _ in range(100):
        if snapshot.finished:
            break
        assert snapshot.open_tasks, f"stuck without open tasks in {snapshot.active}"
        task = data.draw(st.sampled_from(sorted(snapshot.open_tasks)))
        answer = {}
        for name, spec in machine.d.tasks[task].form.items():
            if spec.personal:
                continue
            choices: dict[str, list[Any]] = {
                "choice": ["b1", "z"],
                "bool": [True, False],
                "int": [0, 12, 40],
            }
            answer[name] = data.draw(st.sampled_from(choices.get(spec.type, [1, 3, 6])))
        snapshot = machine.complete_task(snapshot, task, answer, AT).snapshot
    assert snapshot.finished and snapshot.outcome == "klaar"


MUTATION_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [
        None,
        0,
        7,
        -1,
        True,
        "",
        "x",
        "klaar",
        "s0",
        "s1",
        "coach",
        "P1X",
        "P2W",
        "done",
        [],
        {},
        ["s0"],
    ]
)
MUTATION_KEYS = st.sampled_from(
    [
        "target",
        "initial",
        "final",
        "goto",
        "guard",
        "on",
        "states",
        "parallel",
        "checklist",
        "tasks",
        "done",
        "colour",
        "outcome",
        "role",
        "after",
        "from",
    ]
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found.extend(_paths(inner, (*path, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_paths(inner, (*path, index)))
    return found


def _fresh(value: Any) -> Any:
    """A copy of a drawn value: MUTATION_VALUES holds one [] and one {} for every example, and a
    later mutation that adds to it would change what every following example draws (Hypothesis
    then refuses the run as inconsistent when it replays one)."""
    return copy.deepcopy(value)


def _mutate(data: dict[str, Any], draw: st.DataObject) -> dict[str, Any]:
    mutated = copy.deepcopy(data)
    for _ in range(draw.draw(st.integers(1, 3))):
        path = draw.draw(st.sampled_from(_paths(mutated)[1:]))
        *parents, last = path
        holder: Any = mutated
        for part in parents:
            holder = holder[part]
        action = draw.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete" and isinstance(holder, dict):
            del holder[last]
        elif action == "add" and isinstance(holder[last], dict):
            holder[last][draw.draw(MUTATION_KEYS)] = _fresh(draw.draw(MUTATION_VALUES))
        else:
            holder[last] = _fresh(draw.draw(MUTATION_VALUES))
    return mutated


@SETTINGS
@given(valid_definitions(), st.data())
def test_mutated_definitions_give_typed_errors_or_run(
    definition: dict[str, Any], data: st.DataObject
) -> None:
    mutated = _mutate(definition, data)
    try:
        compiled = compile_text(yaml.safe_dump(mutated, sort_keys=False))
    except DefinitionError as error:
        assert error.problems and all(p.message for p in error.problems)
        lines = [(p.file, p.line or 0) for p in error.problems]
        assert lines == sorted(lines)
        return
    assert CompiledDefinition.model_validate_json(compiled.model_dump_json()) == compiled
    machine = Machine(compiled)
    snapshot = machine.start(AT).snapshot
    check_invariants(compiled, snapshot)
    for _ in range(10):  # a short walk through whatever the mutation made of it
        if not snapshot.open_tasks or snapshot.finished:
            break
        task = sorted(snapshot.open_tasks)[0]
        try:
            snapshot = machine.complete_task(snapshot, task, {}, AT).snapshot
        except InvalidForm:
            break
        check_invariants(compiled, snapshot)


def _outcome(machine: Machine, snapshot: Snapshot, move: tuple[Any, ...]) -> Any:
    """A move's Step, or the refusal it met (its type and message)."""
    kind, *args = move
    try:
        if kind == "task":
            return machine.complete_task(snapshot, args[0], args[1], AT)
        if kind == "timer":
            return machine.fire_timer(snapshot, args[0], AT)
        return machine.record_event(snapshot, args[0], AT)
    except MachineError as error:
        return type(error), str(error)


def _walk(machine: Machine, data: st.DataObject) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """A random walk from the start: its moves, and what the machine answered to each."""
    d = machine.d
    all_timers = sorted(t.id for s in d.states.values() for t in s.timers)
    snapshot = machine.start(AT).snapshot
    moves, answers = [], []
    for _ in range(data.draw(st.integers(1, 25))):
        kind = data.draw(st.sampled_from(["task", "task", "task", "timer", "event"]))
        if kind == "task":
            task = data.draw(st.sampled_from(sorted(snapshot.open_tasks) or sorted(d.tasks)))
            move: tuple[Any, ...] = (kind, task, form_data(data, dict(d.tasks[task].form)))
        elif kind == "timer":
            timers = list(snapshot.armed) if snapshot.armed else all_timers
            if not timers:
                continue
            move = (kind, data.draw(st.sampled_from(timers)))
        else:
            move = (kind, data.draw(st.sampled_from(["stop", "ping"])))
        answer = _outcome(machine, snapshot, move)
        moves.append(move)
        answers.append(answer)
        if not isinstance(answer, tuple):
            snapshot = answer.snapshot
    return moves, answers


@SETTINGS
@given(valid_definitions(), st.data())
def test_remembered_routes_give_the_steps_transitions_gives(
    definition: dict[str, Any], data: st.DataObject
) -> None:
    """A machine that remembers `transitions`' routes takes every step exactly as one that asks
    `transitions` each time, effects, snapshots and refusals alike: over several walks (each
    with its own moves and form data, so routes learnt on one are tried on the others) and over
    each walk again (every route remembered)."""
    compiled = compiled_from(definition)
    walks = [_walk(Machine(compiled, remember_routes=False), data) for _ in range(4)]
    remembering = Machine(compiled)
    for moves, answers in [*walks, *walks]:
        snapshot = remembering.start(AT).snapshot
        for move, wanted in zip(moves, answers, strict=True):
            answer = _outcome(remembering, snapshot, move)
            assert answer == wanted, move
            if not isinstance(answer, tuple):
                snapshot = answer.snapshot
    assert remembering._routes, "the walks remembered no route"
