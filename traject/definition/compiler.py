"""Compile a `Definition` into a `CompiledDefinition`, collecting every problem with its file and line.

The compiler resolves names (states, tasks, roles, case dates, events, outcomes), expands checklists,
turns task reminders and escalations into timers, then checks the graph (see `graph.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from traject.definition import graph
from traject.definition.compiled import CompiledDefinition, CState, CTask, CTimer, CTransition
from traject.definition.errors import DefinitionError, Problem, did_you_mean
from traject.definition.forms import check_form
from traject.definition.loader import LoadedDefinition, Path_, SourceMap, load_definition, load_text
from traject.definition.model import (
    Action,
    AllOf,
    AllTasksDone,
    AnyOf,
    DateKnown,
    Definition,
    Escalate,
    FieldCheck,
    Guard,
    Not,
    Notify,
    RecordLadder,
    SetDate,
    State,
    Task,
    Transition,
)
from traject.definition.termijnen import compile_termijnen


def compile_file(path: str | Path) -> CompiledDefinition:
    return compile_loaded(load_definition(path))


def compile_text(
    text: str, name: str = "<definition>", bases: Mapping[str, str] | None = None
) -> CompiledDefinition:
    """Compile YAML text; `bases` (name → text) are the definitions it may extend."""
    return compile_loaded(load_text(text, name, bases))


def compile_loaded(loaded: LoadedDefinition) -> CompiledDefinition:
    return _Compiler(loaded.definition, loaded.source).run()


class _Compiler:
    def __init__(self, definition: Definition, source: SourceMap) -> None:
        self.d, self.source = definition, source
        self.problems: list[Problem] = []
        self.states: dict[str, dict[str, Any]] = {}  # name → CState fields, parents first
        self.where: dict[str, Path_] = {}  # state or task name → its YAML path
        self.tasks: dict[str, CTask] = {}
        self.pending: list[
            tuple[str, str, Transition, Path_]
        ] = []  # (state, key, transition, path)

    def problem(self, path: Path_, message: str) -> None:
        self.problems.append(self.source.problem(path, message))

    # --------------------------------------------------------------------------------------- run
    def run(self) -> CompiledDefinition:
        d = self.d
        for name, state in d.states.items():
            self._state(name, state, None, ("states", name))
        for event_name, event in d.events.items():
            if event.sets_date and event.sets_date not in d.case_dates:
                self._unknown(
                    ("events", event_name, "sets_date"), "case date", event.sets_date, d.case_dates
                )
        if d.initial not in d.states:
            self._unknown(("initial",), "initial state", d.initial, d.states)
        self.termijnen = compile_termijnen(
            d, self.states, self.problem, self._unknown, self._check_actions
        )
        transitions = [self._transition(*pending) for pending in self.pending]
        for transition in transitions:
            if transition is not None:
                self.states[transition.source]["transitions"].append(transition)
        if self.problems:  # the graph checks need resolved names
            raise DefinitionError(self.problems)
        compiled = self._build()
        self.problems.extend(graph.check(compiled, self._problem_for))
        if self.problems:
            raise DefinitionError(self.problems)
        return compiled.with_hash()

    def _problem_for(self, state: str, message: str) -> Problem:
        return self.source.problem(self.where.get(state, ("states",)), message)

    def _build(self) -> CompiledDefinition:
        d = self.d
        states = {}
        for name, fields in self.states.items():
            fields["transitions"] = tuple(fields["transitions"])
            fields["timers"] = tuple(fields["timers"])
            states[name] = CState(name=name, **fields)
        return CompiledDefinition(
            definition=d.definition,
            title=d.title,
            municipality=d.municipality,
            variant=d.variant,
            version=d.version,
            description=d.description,
            legal_basis=tuple(d.legal_basis),
            extends=d.extends,
            roles=d.roles,
            case_dates=d.case_dates,
            events={name: e.sets_date or "" for name, e in d.events.items()},
            event_titles={name: e.title for name, e in d.events.items()},
            outcomes=d.outcomes,
            initial=d.initial,
            states=states,
            tasks=self.tasks,
            termijnen=self.termijnen,
        )

    # ------------------------------------------------------------------------------------ states
    def _state(self, name: str, state: State, parent: str | None, path: Path_) -> None:
        if name in self.states:
            self.problem(
                path,
                f"duplicate state name '{name}' (also at "
                f"{self.source.problem(self.where[name], '').path}); state names are unique",
            )
            return
        if name in self.tasks:  # a task declared before the state: `_task` cannot see it yet
            self.problem(
                path,
                f"duplicate name '{name}' (also a task at "
                f"{self.source.problem(self.where[name], '').path}): "
                "task names are unique and differ from state names",
            )
        self.where[name] = path
        kinds = [k for k in ("states", "parallel", "checklist") if getattr(state, k) is not None]
        if state.final:
            kinds.append("final")
        if len(kinds) > 1:
            self.problem(path, f"a state is one kind: it has {' and '.join(kinds)}")
        kind = {
            "states": "compound",
            "parallel": "parallel",
            "checklist": "compound",
            "final": "final",
        }.get(kinds[0] if kinds else "", "atomic")
        record: dict[str, Any] = {
            "path": "/".join([*self._path_of(parent), name]),
            "parent": parent,
            "kind": kind,
            "title": state.title or name.replace("_", " ").capitalize(),
            "on_entry": tuple(state.on_entry),
            "on_exit": tuple(state.on_exit),
            "timers": [],
            "transitions": [],
            "kpi": state.kpi,
            "simulate": state.simulate,
            "tasks": (),
            "checklist": state.checklist is not None,
        }
        self.states[name] = record
        self._check_actions(state.on_entry, (*path, "on_entry"))
        self._check_actions(state.on_exit, (*path, "on_exit"))
        if kind == "final":
            self._final(state, record, path)
        if state.initial is not None and kind != "compound":
            self.problem((*path, "initial"), "only a state with 'states' has an initial substate")
        if state.role is not None and state.checklist is None:
            self.problem((*path, "role"), "'role' belongs to a checklist state")
        record["tasks"] = tuple(
            self._task(n, t, name, (*path, "tasks", n)) for n, t in state.tasks.items()
        )
        for i, timer in enumerate(state.timers):
            self._timer(name, timer, (*path, "timers", i))
        for key, transitions in state.on.items():
            for i, transition in enumerate(transitions):
                self.pending.append((name, key, transition, (*path, "on", key, i)))
        if state.states is not None:
            self._children(name, record, state.states, state.initial, (*path, "states"))
        elif state.parallel is not None:
            record["children"] = tuple(state.parallel)
            for region_name, region in state.parallel.items():
                if region.states is None and region.checklist is None:
                    self.problem(
                        (*path, "parallel", region_name),
                        "a parallel region needs 'states' or a 'checklist'",
                    )
                self._state(region_name, region, name, (*path, "parallel", region_name))
        elif state.checklist is not None:
            self._checklist(name, state, record, path)

    def _path_of(self, name: str | None) -> list[str]:
        return self.states[name]["path"].split("/") if name else []

    def _children(
        self,
        name: str,
        record: dict[str, Any],
        children: dict[str, State],
        initial: str | None,
        path: Path_,
    ) -> None:
        record["children"] = tuple(children)
        if initial is None:
            self.problem(path[:-1], "a state with 'states' needs 'initial'")
        elif initial not in children:
            self._unknown((*path[:-1], "initial"), "initial substate", initial, children)
        record["initial"] = initial
        for child_name, child in children.items():
            self._state(child_name, child, name, (*path, child_name))

    def _final(self, state: State, record: dict[str, Any], path: Path_) -> None:
        for key in ("tasks", "timers", "on"):
            if getattr(state, key):
                self.problem((*path, key), f"a final state has no {key}")
        outcomes = ([state.outcome] if state.outcome else []) + list(state.outcomes or [])
        for outcome in outcomes:
            if outcome not in self.d.outcomes:
                self._unknown((*path, "outcome"), "outcome", outcome, self.d.outcomes)
        record["outcomes"] = tuple(outcomes)

    def _checklist(self, name: str, state: State, record: dict[str, Any], path: Path_) -> None:
        """A checklist is a compound state: `<name>_open` holds one task per item, `<name>_done`."""
        open_name, done_name = f"{name}_open", f"{name}_done"
        record["children"], record["initial"] = (open_name, done_name), open_name
        taken = [c for c in (open_name, done_name) if c in self.states or c in self.tasks]
        if taken:  # overwriting it would silently replace the designer's state
            self.problem(
                (*path, "checklist"),
                f"a checklist makes the states {open_name} and {done_name}: "
                f"'{taken[0]}' is already used at "
                f"{self.source.problem(self.where[taken[0]], '').path}",
            )
            return
        items = state.checklist or {}
        if not items:
            self.problem((*path, "checklist"), "a checklist needs at least one item")
        for child, kind in ((open_name, "atomic"), (done_name, "final")):
            self.where[child] = path
            self.states[child] = {
                "path": f"{record['path']}/{child}",
                "parent": name,
                "kind": kind,
                "title": "Bezig" if kind == "atomic" else "Afgerond",
                "timers": [],
                "transitions": [],
            }
        tasks = []
        for item_name, item in items.items():
            role = item.role or state.role
            if role is None:
                self.problem(
                    (*path, "checklist", item_name),
                    "a checklist item needs a role "
                    "(set 'role' on the checklist state or on the item)",
                )
                continue
            task = Task(title=item.title, role=role, simulate=item.simulate)
            tasks.append(self._task(item_name, task, open_name, (*path, "checklist", item_name)))
        self.states[open_name]["tasks"] = tuple(tasks)
        self.states[open_name]["transitions"] = [
            CTransition(
                trigger=f"task:{t}",
                source=open_name,
                target=done_name,
                guard=_ALL_TASKS_DONE,
                label=f"{t}.done",
            )
            for t in tasks
        ]

    # ------------------------------------------------------------------------------------- tasks
    def _task(self, name: str, task: Task, state: str, path: Path_) -> str:
        if name in self.tasks or name in self.states:
            self.problem(
                path, f"duplicate name '{name}': task names are unique and differ from state names"
            )
        self.where[name] = path
        self._role(task.role, (*path, "role"))
        for field_name, message in check_form(task.form):
            self.problem((*path, "form", field_name), message)
        self.tasks[name] = CTask(
            name=name,
            state=state,
            title=task.title,
            role=task.role,
            description=task.description,
            due=task.due,
            form=task.form,
            simulate=task.simulate,
        )
        timers = self.states[state]["timers"]
        for i, after in enumerate(task.remind):
            timers.append(
                CTimer(
                    id=f"{state}.{name}.remind{i + 1}",
                    state=state,
                    kind="reminder",
                    after=after,
                    task=name,
                )
            )
        if task.due:
            timers.append(
                CTimer(
                    id=f"{state}.{name}.overdue",
                    state=state,
                    kind="overdue",
                    after=task.due,
                    task=name,
                )
            )
        if task.escalate:
            self._role(task.escalate.to, (*path, "escalate", "to"))
            timer = CTimer(
                id=f"{state}.{name}.escalate",
                state=state,
                kind="escalation",
                after=task.escalate.after,
                task=name,
                escalate_to=task.escalate.to,
            )
            timers.append(timer)
            if task.escalate.goto:
                self.pending.append(
                    (
                        state,
                        timer.trigger,
                        Transition(target=task.escalate.goto),
                        (*path, "escalate", "goto"),
                    )
                )
        return name

    def _timer(self, state: str, timer: Any, path: Path_) -> None:
        timer_id = f"{state}.{timer.name}"
        if any(t.id == timer_id for t in self.states[state]["timers"]):
            self.problem((*path, "name"), f"duplicate timer name '{timer.name}' in this state")
        if timer.from_ != "entry" and timer.from_ not in self.d.case_dates:
            self._unknown((*path, "from"), "case date", timer.from_, [*self.d.case_dates, "entry"])
        ctimer = CTimer(
            id=timer_id, state=state, kind="timer", after=timer.after, anchor=timer.from_
        )
        self.states[state]["timers"].append(ctimer)
        transition = Transition(target=timer.goto, guard=timer.guard, actions=timer.actions)
        self.pending.append((state, ctimer.trigger, transition, path))

    # ------------------------------------------------------------------------------- transitions
    def _transition(self, state: str, key: str, t: Transition, path: Path_) -> CTransition | None:
        trigger = self._trigger(state, key, path)
        label = key
        if key.startswith("timer:"):
            label = key.removeprefix(f"timer:{state}.")
        target = t.target
        if target is not None and target not in self.states:
            where = (
                path if path[-1] == "goto" else (*path, "goto" if "timers" in path else "target")
            )
            self._unknown(where, "target", target, self.states)
            return None
        if t.guard is not None:
            self._check_guard(t.guard, (*path, "guard"))
        self._check_actions(t.actions, (*path, "actions"))
        outcome = t.outcome
        if target is not None and self.states[target]["kind"] == "final":
            allowed = self.states[target].get("outcomes", ())
            if outcome is None and len(allowed) > 1:
                self.problem(
                    path,
                    f"'{target}' has several outcomes: say which with 'outcome' "
                    f"({', '.join(allowed)})",
                )
            elif outcome is not None and outcome not in allowed:
                self._unknown((*path, "outcome"), f"outcome of '{target}'", outcome, allowed)
        elif outcome is not None:
            self.problem((*path, "outcome"), "'outcome' belongs on a transition into a final state")
        if trigger is None:
            return None
        return CTransition(
            trigger=trigger,
            source=state,
            target=target,
            guard=t.guard,
            actions=tuple(t.actions),
            outcome=outcome,
            simulate=t.simulate,
            label=label,
        )

    def _trigger(self, state: str, key: str, path: Path_) -> str | None:
        if key.startswith("timer:"):
            return key
        if key == "done":
            if self.states[state]["kind"] not in ("compound", "parallel"):
                self.problem(
                    path[:-1],
                    "'done' is the completion of a state with 'states', 'parallel' or 'checklist'",
                )
                return None
            return f"done:{state}"
        if key.endswith(".done"):
            task = key.removesuffix(".done")
            owner = self.tasks[task].state if task in self.tasks else None
            if owner is None:
                self._unknown(path[:-1], "task", task, self.tasks)
                return None
            if state not in self._ancestors(owner):
                self.problem(
                    path[:-1],
                    f"task '{task}' belongs to state '{owner}', which is not "
                    f"'{state}' or inside it",
                )
                return None
            return f"task:{task}"
        if key in self.d.events:
            return f"event:{key}"
        if key.endswith(".expired") and key.removesuffix(".expired") in self.d.termijnen:
            return f"termijn:{key.removesuffix('.expired')}"
        known = [
            *self.d.events,
            *(f"{t}.done" for t in self.tasks),
            *(f"{t}.expired" for t in self.d.termijnen),
            "done",
        ]
        self.problem(
            path[:-1],
            f"unknown trigger '{key}'{did_you_mean(key, known)}: use "
            "'<task>.done', 'done', '<termijn>.expired' or an event declared under 'events'",
        )
        return None

    def _ancestors(self, name: str) -> list[str]:
        chain: list[str] = []
        current: str | None = name
        while current is not None:
            chain.append(current)
            current = self.states[current]["parent"]
        return chain

    # -------------------------------------------------------------------------- guards, actions
    def _check_guard(self, guard: Guard, path: Path_) -> None:
        if isinstance(guard, AllOf | AnyOf):
            for i, sub in enumerate(guard.of):
                self._check_guard(sub, (*path, guard.guard, i))
        elif isinstance(guard, Not):
            self._check_guard(guard.negated, (*path, "not"))
        elif isinstance(guard, DateKnown) and guard.date not in self.d.case_dates:
            self._unknown(path, "case date", guard.date, self.d.case_dates)
        elif isinstance(guard, FieldCheck):
            self._check_field_guard(guard, path)

    def _check_field_guard(self, guard: FieldCheck, path: Path_) -> None:
        spec = self._field(guard.field, path)
        if spec is None:
            return
        if spec.personal:
            self.problem(path, f"'{guard.field}' is personal data: a guard may not read it")
        values = [
            v for v in (guard.equals, guard.not_equals, *(guard.one_of or [])) if v is not None
        ]
        if spec.type == "choice":
            labels = {label: code for code, label in spec.option_labels().items()}
            for value in values:
                if value in (spec.options or []):
                    continue
                if value in labels:  # a guard compares the answer, which holds the code
                    self.problem(
                        path,
                        f"'{value}' is the label of option '{labels[value]}' of "
                        f"'{guard.field}': a guard compares the code",
                    )
                    continue
                self.problem(
                    path,
                    f"'{value}' is not an option of '{guard.field}'"
                    f"{did_you_mean(str(value), spec.options or [])}",
                )
        if (guard.at_least is not None or guard.at_most is not None) and spec.type not in (
            "int",
            "number",
            "ladder",
        ):
            self.problem(path, f"'{guard.field}' is {spec.type}: at_least/at_most need a number")

    def _field(self, ref: str, path: Path_) -> Any:
        task_name, field_name = ref.split(".", 1)
        task = self.tasks.get(task_name)
        if task is None:
            self._unknown(path, "task", task_name, self.tasks)
            return None
        if field_name not in task.form:
            self._unknown(path, f"field of task '{task_name}'", field_name, task.form)
            return None
        return task.form[field_name]

    def _check_actions(self, actions: Any, path: Path_) -> None:
        for i, action in enumerate(actions):
            self._check_action(action, (*path, i))

    def _check_action(self, action: Action, path: Path_) -> None:
        if isinstance(action, Notify | Escalate):
            self._role(action.to, (*path, action.action, "to"))
        elif isinstance(action, SetDate) and action.date not in self.d.case_dates:
            self._unknown(path, "case date", action.date, self.d.case_dates)
        elif isinstance(action, RecordLadder):
            spec = self._field(action.field, path)
            if spec is not None and spec.type != "ladder":
                self.problem(
                    path, f"'{action.field}' is {spec.type}, record_ladder needs a ladder field"
                )

    def _role(self, role: str, path: Path_) -> None:
        if role not in self.d.roles:
            self._unknown(path, "role", role, self.d.roles)

    def _unknown(self, path: Path_, what: str, name: str, known: Any) -> None:
        self.problem(path, f"unknown {what} '{name}'{did_you_mean(name, list(known))}")


_ALL_TASKS_DONE = AllTasksDone(guard="all_tasks_done")
