"""What changed between two versions of a definition, in words a process designer reads: states
and tasks added or removed, durations changed (KPIs, task deadlines, timers, termijnen, outcome
targets)."""

from __future__ import annotations

from dataclasses import dataclass

from traject.definition.compiled import CompiledDefinition


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, changed
    what: str  # state, task, timer, termijn, outcome
    name: str
    text: str


def diff(old: CompiledDefinition, new: CompiledDefinition) -> list[Change]:
    changes: list[Change] = []
    for what, before, after in (
        ("state", old.states, new.states),
        ("task", old.tasks, new.tasks),
        ("termijn", old.termijnen, new.termijnen),
        ("outcome", old.outcomes, new.outcomes),
    ):
        for name in sorted(set(after) - set(before)):
            changes.append(Change("added", what, name, f"{what} '{name}' added"))
        for name in sorted(set(before) - set(after)):
            changes.append(Change("removed", what, name, f"{what} '{name}' removed"))
    for name in sorted(set(old.states) & set(new.states)):
        a, b = old.states[name], new.states[name]
        _changed(
            changes,
            "state",
            name,
            "expected time",
            _kpi(a.kpi, "expected"),
            _kpi(b.kpi, "expected"),
        )
        _changed(
            changes, "state", name, "maximum time", _kpi(a.kpi, "maximum"), _kpi(b.kpi, "maximum")
        )
        _changed(changes, "state", name, "title", a.title, b.title)
        timers_a = {t.id: t.after for t in a.timers}
        timers_b = {t.id: t.after for t in b.timers}
        for timer in sorted(set(timers_a) & set(timers_b)):
            _changed(changes, "timer", timer, "after", timers_a[timer], timers_b[timer])
        for timer in sorted(set(timers_b) - set(timers_a)):
            changes.append(
                Change("added", "timer", timer, f"timer '{timer}' added ({timers_b[timer]})")
            )
        for timer in sorted(set(timers_a) - set(timers_b)):
            changes.append(Change("removed", "timer", timer, f"timer '{timer}' removed"))
        targets_a = sorted(f"{t.label}→{t.target}" for t in a.transitions)
        targets_b = sorted(f"{t.label}→{t.target}" for t in b.transitions)
        if targets_a != targets_b:
            changes.append(
                Change("changed", "state", name, f"state '{name}': its transitions changed")
            )
    for name in sorted(set(old.tasks) & set(new.tasks)):
        ta, tb = old.tasks[name], new.tasks[name]
        _changed(changes, "task", name, "due", ta.due, tb.due)
        _changed(changes, "task", name, "role", ta.role, tb.role)
        _changed(changes, "task", name, "state", ta.state, tb.state)
        if sorted(ta.form) != sorted(tb.form):
            changes.append(Change("changed", "task", name, f"task '{name}': form fields changed"))
    for name in sorted(set(old.termijnen) & set(new.termijnen)):
        _changed(
            changes,
            "termijn",
            name,
            "length",
            old.termijnen[name].length,
            new.termijnen[name].length,
        )
    for name in sorted(set(old.outcomes) & set(new.outcomes)):
        _changed(
            changes,
            "outcome",
            name,
            "target",
            old.outcomes[name].expected,
            new.outcomes[name].expected,
        )
    return changes


def _kpi(kpi: object, field: str) -> str | None:
    return getattr(kpi, field, None) if kpi is not None else None


def _changed(
    changes: list[Change], what: str, name: str, field: str, a: str | None, b: str | None
) -> None:
    if a != b:
        changes.append(
            Change("changed", what, name, f"{what} '{name}': {field} {a or '-'} → {b or '-'}")
        )
