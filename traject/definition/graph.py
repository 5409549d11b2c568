"""Graph checks on a compiled definition: reachability, ways out, final states, livelock, shadowing.

The graph is drawn between *leaf* states (atomic and final), the states a trajectory actually rests in.
Entering a compound state enters its initial leaf; entering a parallel state enters a leaf in every
region. A transition declared on a state applies to every leaf inside it. A final leaf inside a compound
state leads on through that state's `done` transition (for a parallel state: once all regions are done).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise

from traject.definition.compiled import CompiledDefinition, CState
from traject.definition.errors import Problem

ProblemAt = Callable[[str, str], Problem]


def check(d: CompiledDefinition, problem_at: ProblemAt) -> list[Problem]:
    problems = [*_check_shape(d, problem_at), *_check_shadowing(d, problem_at)]
    if problems:
        return problems
    edges = leaf_edges(d)
    reachable = _reach(entry_leaves(d, d.initial), edges)
    problems.extend(_unreachable(d, reachable, problem_at))
    problems.extend(_no_way_out(d, reachable, edges, problem_at))
    problems.extend(_livelock(d, reachable, edges, problem_at))
    return problems


def entry_leaves(d: CompiledDefinition, name: str) -> list[str]:
    state = d.states[name]
    if state.kind == "compound" and state.initial:
        return entry_leaves(d, state.initial)
    if state.kind == "parallel":
        return [leaf for region in state.children for leaf in entry_leaves(d, region)]
    return [name]


def entered_leaves(d: CompiledDefinition, source: str, target: str) -> list[str]:
    """The leaves a transition from `source` enters at `target`: the target's own, and for every
    parallel state it enters on the way down (one `source` is not in) the other regions' initial
    leaves: entering a state in one region of a parallel state starts all of its regions."""
    leaves = entry_leaves(d, target)
    around_source = set(d.ancestors(source))
    line = d.ancestors(target)
    for child, parent in pairwise(line):
        if parent in around_source:
            break
        if d.states[parent].kind == "parallel":
            for region in d.states[parent].children:
                if region != child:
                    leaves += entry_leaves(d, region)
    return leaves


def leaves_under(d: CompiledDefinition, name: str) -> Iterator[str]:
    state = d.states[name]
    if not state.children:
        yield name
    for child in state.children:
        yield from leaves_under(d, child)


def leaf_edges(d: CompiledDefinition) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {n: set() for n, s in d.states.items() if not s.children}
    for state in d.states.values():
        for t in state.transitions:
            if t.target is None:
                continue
            targets = entered_leaves(d, state.name, t.target)
            sources = (
                _completing_leaves(d, state)
                if t.trigger.startswith("done:")
                else leaves_under(d, state.name)
            )
            for leaf in sources:
                edges[leaf].update(targets)
    return edges


def _completing_leaves(d: CompiledDefinition, state: CState) -> list[str]:
    """The final leaves whose arrival completes `state`."""
    if state.kind == "parallel":
        return [
            leaf for region in state.children for leaf in _completing_leaves(d, d.states[region])
        ]
    return [c for c in state.children if d.states[c].kind == "final"]


def _reach(start: list[str], edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _check_shape(d: CompiledDefinition, problem_at: ProblemAt) -> Iterator[Problem]:
    if not any(s.kind == "final" for s in d.top_level()):
        yield problem_at(d.initial, "no final state at the top level: add one with 'final: true'")
    for state in d.states.values():
        if (
            state.kind == "compound"
            and not any(d.states[c].kind == "final" for c in state.children)
            and any(t.trigger == f"done:{state.name}" for t in state.transitions)
        ):
            yield problem_at(state.name, "has a 'done' transition but no final substate")


def _check_shadowing(d: CompiledDefinition, problem_at: ProblemAt) -> Iterator[Problem]:
    """On one trigger, only the last transition may go without a guard: later ones never run."""
    for state in d.states.values():
        by_trigger: dict[str, list[bool]] = {}
        for t in state.transitions:
            by_trigger.setdefault(t.trigger, []).append(t.guard is None)
        for trigger, unguarded in by_trigger.items():
            if any(unguarded[:-1]):
                yield problem_at(
                    state.name,
                    f"on '{trigger.split(':', 1)[1]}' a transition without "
                    "a guard comes before others, which can then never be taken",
                )


def _unreachable(
    d: CompiledDefinition, reachable: set[str], problem_at: ProblemAt
) -> Iterator[Problem]:
    for state in d.states.values():
        if state.parent is not None and d.states[state.parent].checklist:
            continue
        if not any(leaf in reachable for leaf in leaves_under(d, state.name)):
            parent = state.parent
            if parent is None or any(leaf in reachable for leaf in leaves_under(d, parent)):
                yield problem_at(
                    state.name, f"state '{state.name}' is unreachable: no transition leads to it"
                )


def _no_way_out(
    d: CompiledDefinition, reachable: set[str], edges: dict[str, set[str]], problem_at: ProblemAt
) -> Iterator[Problem]:
    reverse: dict[str, set[str]] = {n: set() for n in edges}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    finals = [s.name for s in d.top_level() if s.kind == "final"]
    can_finish = _reach(finals, reverse)
    stuck = sorted(leaf for leaf in reachable if leaf not in can_finish)
    dead_ends = [leaf for leaf in stuck if not edges[leaf]]
    for leaf in dead_ends:
        shown = d.states[leaf].parent if d.states[leaf].kind == "final" else leaf
        what = (
            "its 'done' has no transition"
            if d.states[leaf].kind == "final"
            else "no transition leaves it"
        )
        yield problem_at(
            shown or leaf, f"state '{shown}' has no way out: {what}, and it is not final"
        )
    if dead_ends:
        return
    for leaf in stuck:
        yield problem_at(leaf, f"state '{leaf}' can never reach a final state (it only cycles)")


def _livelock(
    d: CompiledDefinition, reachable: set[str], edges: dict[str, set[str]], problem_at: ProblemAt
) -> Iterator[Problem]:
    """A cycle through states that never wait (no task, timer or outside event) would spin forever."""
    instant = {leaf for leaf in reachable if not _waits(d, leaf)}
    for leaf in sorted(instant):
        if leaf in _reach(
            [n for n in edges[leaf] if n in instant], {n: edges[n] & instant for n in instant}
        ):
            yield problem_at(
                leaf,
                f"state '{leaf}' is on a cycle without any task, timer or "
                "event: the trajectory would loop forever",
            )
            return


def _waits(d: CompiledDefinition, leaf: str) -> bool:
    for name in d.ancestors(leaf):
        state = d.states[name]
        if state.tasks or state.timers:
            return True
        if any(t.trigger.startswith(("event:", "task:")) for t in state.transitions):
            return True
    return False
