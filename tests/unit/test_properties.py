"""Property tests: random definitions never crash the compiler, random walks never break the machine."""

from __future__ import annotations

import contextlib
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traject.definition import CompiledDefinition, DefinitionError, compile_text
from traject.machine import Machine, MachineError, Snapshot

AT = "2025-01-06T09:00:00+00:00"
NAMES = st.sampled_from(["a", "b", "c", "d", "klaar", "intake", "x_1", "Bad", "1x", ""])
DURATIONS = st.sampled_from(["P1D", "P2W", "P3M", "PT5S", "P1X", "", "P", "10D"])
ACTIONS = st.one_of(
    st.sampled_from(["intake", "sign_declaration", "teleport"]),
    st.fixed_dictionaries({"notify": st.sampled_from(["coach", "nobody", 3])}),
    st.fixed_dictionaries({"record_ladder": st.sampled_from(["t.trede", "t", "x.y"])}),
)
GUARDS = st.one_of(
    st.sampled_from(["all_tasks_done", "whatever"]),
    st.fixed_dictionaries({"ladder_at_least": st.integers(-1, 8)}),
    st.fixed_dictionaries(
        {
            "field": st.sampled_from(["t.route", "t.nope", "q"]),
            "equals": st.sampled_from(["b1", 1, None]),
        }
    ),
)


@st.composite
def states(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in draw(st.lists(NAMES, min_size=1, max_size=4, unique=True)):
        spec: dict[str, Any] = {}
        kind = draw(
            st.sampled_from(["atomic", "final", "compound", "parallel", "checklist", "junk"])
        )
        if kind == "final":
            spec["final"] = draw(st.sampled_from([True, "yes", 1]))
            spec["outcome"] = draw(st.sampled_from(["klaar", "onbekend"]))
        elif kind == "compound" and depth < 2:
            spec["states"] = draw(states(depth + 1))
            spec["initial"] = draw(NAMES)
        elif kind == "parallel" and depth < 2:
            spec["parallel"] = draw(states(depth + 1))
        elif kind == "checklist":
            spec["checklist"] = draw(st.lists(st.sampled_from(["p", "q", "r"]), max_size=3))
            spec["role"] = "coach"
        elif kind == "junk":
            spec[draw(st.sampled_from(["colour", "on", "tasks"]))] = draw(
                st.sampled_from([1, "x", [], {}])
            )
        if draw(st.booleans()):
            spec["tasks"] = {
                "t": {
                    "title": "T",
                    "role": draw(st.sampled_from(["coach", "x"])),
                    "due": draw(DURATIONS),
                    "form": {
                        "route": {"type": "choice", "options": ["b1", "z"]},
                        "trede": {"type": draw(st.sampled_from(["ladder", "int", "rainbow"]))},
                    },
                }
            }
        if draw(st.booleans()):
            spec["on"] = {
                draw(st.sampled_from(["t.done", "done", "evt", "nope.done"])): draw(
                    st.one_of(
                        NAMES,
                        st.lists(
                            st.fixed_dictionaries(
                                {
                                    "target": NAMES,
                                    "guard": GUARDS,
                                    "actions": st.lists(ACTIONS, max_size=2),
                                }
                            ),
                            max_size=2,
                        ),
                    )
                )
            }
        if draw(st.booleans()):
            spec["timers"] = [{"name": "tm", "after": draw(DURATIONS), "goto": draw(NAMES)}]
        if draw(st.booleans()):
            spec["on_entry"] = draw(st.lists(ACTIONS, max_size=2))
        result[name] = spec
    return result


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "definition": "random",
        "title": "Random",
        "municipality": "test",
        "version": draw(st.integers(0, 2)),
        "roles": {"coach": "Coach"},
        "events": {"evt": {"title": "E"}},
        "outcomes": {"klaar": {"title": "Klaar"}},
        "initial": draw(NAMES),
        "states": draw(states()),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_random_definitions_give_only_typed_errors(data: dict[str, Any]) -> None:
    try:
        compiled = compile_text(yaml.safe_dump(data, sort_keys=False))
    except DefinitionError as error:
        assert error.problems and all(p.message for p in error.problems)
        return
    assert CompiledDefinition.model_validate_json(compiled.model_dump_json()) == compiled
    Machine(compiled).start(AT)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_gives_only_typed_errors(text: str) -> None:
    with contextlib.suppress(DefinitionError):  # anything else fails the test
        compile_text(text)


# YAML's structure, which random characters seldom hit: anchors and aliases (also inside their
# own anchor), tags, complex and merge keys, dates that are not dates, flow and block collections.
KEYS = st.sampled_from(
    ["a", "b", "states", "initial", "on", "? [a]", "? {a: 1}", "<<", "2024-02-30"]
)
VALUES = st.sampled_from(
    ["1", "x", "&a", "&a [*a]", "*a", "&b {c: *b}", "*b", "!!int x", "!!map x", "!!str 1",
     "!!python/name:os.system", "2024-02-30", "[*a, 1]", "{k: *a}", "~", "''", "[", "{"]
)  # fmt: skip
LINES = st.tuples(st.integers(0, 3), KEYS, VALUES).map(lambda t: f"{'  ' * t[0]}{t[1]}: {t[2]}")


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES | st.sampled_from(["- *a", "- &a x", "  - [*a]"]), max_size=12))
def test_yaml_shaped_text_gives_only_typed_errors(lines: list[str]) -> None:
    with contextlib.suppress(DefinitionError):  # a RecursionError or ValueError fails the test
        compile_text("\n".join(lines) + "\n")


WALKABLE = """
definition: walk
title: Walk
municipality: test
version: 1
roles: {coach: Coach}
events: {stop: {title: Stop}, ping: {title: Ping}}
outcomes: {klaar: {title: Klaar}, gestopt: {title: Gestopt}}
initial: a
states:
  a:
    tasks:
      t1: {title: T1, role: coach, due: P1W, remind: [P5D], escalate: {after: P2W, to: coach},
           form: {ok: {type: bool, required: true}, trede: {type: ladder}}}
      t2: {title: T2, role: coach}
    timers: [{name: wekker, after: P3W, actions: [{notify: coach}]}]
    on:
      t1.done:
        - {target: p, guard: {all: [all_tasks_done, {field: t1.ok, equals: true}]}}
        - {target: a, guard: {field: t1.ok, equals: false}}
        - {actions: [{record_ladder: t1.trede}]}
      t2.done: {target: p, guard: all_tasks_done}
      stop: {target: einde, outcome: gestopt}
  p:
    on: {done: klaar, stop: {target: einde, outcome: gestopt}}
    parallel:
      r1: {role: coach, checklist: [c1, c2]}
      r2:
        initial: s1
        states:
          s1: {tasks: {t3: {title: T3, role: coach}}, on: {t3.done: s2, ping: s1}}
          s2: {final: true}
  klaar: {final: true, outcome: klaar}
  einde: {final: true, outcome: gestopt}
"""
MACHINE = Machine(compile_text(WALKABLE))
TASKS = ["t1", "t2", "t3", "c1", "c2", "nope"]
MOVES = st.one_of(
    st.tuples(
        st.just("complete"),
        st.sampled_from(TASKS),
        st.fixed_dictionaries(
            {}, optional={"ok": st.sampled_from([True, False, "ja"]), "trede": st.integers(0, 7)}
        ),
    ),
    st.tuples(st.just("event"), st.sampled_from(["stop", "ping", "nope"]), st.just({})),
    st.tuples(
        st.just("timer"),
        st.sampled_from(["a.t1.remind1", "a.t1.overdue", "a.t1.escalate", "a.wekker", "x.y"]),
        st.just({}),
    ),
)


def invariants(snapshot: Snapshot) -> None:
    d = MACHINE.d
    active = {n for leaf in snapshot.active for n in d.ancestors(leaf)}
    assert all(task.state in active for task in snapshot.open_tasks.values())
    assert all(timer.split(".")[0] in active for timer in snapshot.armed)
    top_final = any(
        d.states[n].kind == "final" and d.states[n].parent is None for n in snapshot.active
    )
    assert snapshot.finished == top_final
    assert snapshot.ladder is None or 1 <= snapshot.ladder <= 6


@settings(max_examples=300, deadline=None)
@given(st.lists(MOVES, max_size=25))
def test_random_walks_keep_the_machine_consistent(
    moves: list[tuple[str, str, dict[str, Any]]],
) -> None:
    snapshot = MACHINE.start(AT).snapshot
    for kind, name, data in moves:
        before = snapshot
        try:
            if kind == "complete":
                snapshot = MACHINE.complete_task(snapshot, name, data, AT).snapshot
            elif kind == "event":
                snapshot = MACHINE.record_event(snapshot, name, AT).snapshot
            else:
                snapshot = MACHINE.fire_timer(snapshot, name, AT).snapshot
        except MachineError:
            assert snapshot == before  # a refusal changes nothing
        invariants(snapshot)
