"""Mermaid `stateDiagram-v2` of a compiled definition: nested states, parallel regions, finals.

Mermaid cannot draw an arrow between states inside two different composite states, so each arrow is
drawn in the innermost composite that holds both ends, between the ancestors of source and target that
live there. Internal transitions (timers that only run actions) are listed in a state's note instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from traject.definition.compiled import CompiledDefinition, CState, CTransition
from traject.definition.model import Guard


def mermaid(d: CompiledDefinition, highlight: Iterable[str] = ()) -> str:
    lines = ["stateDiagram-v2", "  direction LR"]
    lines += _block(d, None, "  ")
    marked = [name for name in highlight if name in d.states]
    if marked:
        lines.append("  classDef current fill:#ffd54f,stroke:#e65100,stroke-width:3px")
        lines += [f"  class {name} current" for name in marked]
    return "\n".join(lines) + "\n"


def _block(d: CompiledDefinition, parent: str | None, indent: str) -> list[str]:
    children = [s for s in d.states.values() if s.parent == parent]
    initial = d.initial if parent is None else d.states[parent].initial
    lines = [f"{indent}[*] --> {initial}"] if initial else []
    for state in children:
        lines += _state(d, state, indent)
    for state in children:
        if state.kind == "final" and (parent is None or not d.states[parent].checklist):
            lines.append(f"{indent}{state.name} --> [*]")
    for source, target, label in _arrows(d, parent):
        lines.append(f"{indent}{source} --> {target}" + (f" : {label}" if label else ""))
    return lines


def _state(d: CompiledDefinition, state: CState, indent: str) -> list[str]:
    title = state.title.replace('"', "'")
    lines = [f'{indent}state "{title}" as {state.name}']
    if state.kind == "parallel":
        lines.append(f"{indent}state {state.name} {{")
        for i, region in enumerate(state.children):
            if i:
                lines.append(f"{indent}  --")
            lines += _state(d, d.states[region], indent + "  ")
        lines.append(f"{indent}}}")
    elif state.children:
        lines.append(f"{indent}state {state.name} {{")
        lines += _block(d, state.name, indent + "  ")
        lines.append(f"{indent}}}")
    notes = [f"{d.tasks[t].title} ({d.tasks[t].role})" for t in state.tasks]
    if notes and not state.children:
        lines.append(f"{indent}note right of {state.name}")
        lines += [f"{indent}  {note}" for note in notes]
        lines.append(f"{indent}end note")
    return lines


def _arrows(d: CompiledDefinition, scope: str | None) -> list[tuple[str, str, str]]:
    arrows = []
    for state in d.states.values():
        for t in state.transitions:
            if t.target is None:
                continue
            ends = _ends_in_scope(d, t, scope)
            if ends:
                arrows.append((*ends, _label(t)))
    return arrows


def _ends_in_scope(
    d: CompiledDefinition, t: CTransition, scope: str | None
) -> tuple[str, str] | None:
    """The ancestors of source and target that are children of `scope`, if this is their innermost
    common composite."""
    source_chain, target_chain = d.ancestors(t.source), d.ancestors(t.target or "")
    common = next(
        (n for n in source_chain if n in target_chain and n not in (t.source, t.target)), None
    )
    if common != scope or d.states[t.source].checklist:
        return None
    below = {n for n in source_chain if d.states[n].parent == scope}
    above = {n for n in target_chain if d.states[n].parent == scope}
    if not below or not above:
        return None
    return below.pop(), above.pop()


def _label(t: CTransition) -> str:
    label = t.label
    if t.guard is not None:
        label += f" [{describe_guard(t.guard)}]"
    if t.outcome:
        label += f" / {t.outcome}"
    return label.replace(":", " ")


def describe_guard(guard: Guard) -> str:
    data = guard.model_dump(exclude_none=True, by_alias=True)
    kind = data.pop("guard")
    if kind == "field":
        field = data.pop("field")
        return f"{field} " + " ".join(f"{k} {v}" for k, v in data.items())
    if kind in ("all", "any"):
        return f" {'and' if kind == 'all' else 'or'} ".join(describe_guard(g) for g in guard.of)  # type: ignore[union-attr]
    if kind == "not":
        return f"not {describe_guard(guard.negated)}"  # type: ignore[union-attr]
    return f"{kind} {' '.join(str(v) for v in data.values())}".strip()
