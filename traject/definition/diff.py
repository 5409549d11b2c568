"""What changed between two versions of a definition, in words a process designer reads: its
title, description and legal basis; roles, case dates, events, outcomes, states, tasks and
termijnen added or removed, or retitled; durations changed (KPIs, task deadlines, timers,
termijnen, outcome targets). One short line each: a long text (a description, a legal basis) is
said to have changed, not repeated."""

from __future__ import annotations

from dataclasses import dataclass

from traject.definition.compiled import CompiledDefinition, CTermijn


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, changed
    what: (
        str  # definition, legal basis, role, case date, event, state, task, timer, termijn, outcome
    )
    name: str
    text: str


def diff(old: CompiledDefinition, new: CompiledDefinition) -> list[Change]:
    changes: list[Change] = []
    key = new.definition
    _changed(changes, "definition", key, "title", old.title, new.title)
    if old.description != new.description:
        changes.append(
            Change("changed", "definition", key, f"definition '{key}': its description changed")
        )
    if old.legal_basis != new.legal_basis:
        changes.append(
            Change("changed", "definition", key, f"definition '{key}': its legal basis changed")
        )
    for what, before, after in (
        ("state", old.states, new.states),
        ("task", old.tasks, new.tasks),
        ("termijn", old.termijnen, new.termijnen),
        ("outcome", old.outcomes, new.outcomes),
        ("role", old.roles, new.roles),
        ("case date", old.case_dates, new.case_dates),
        ("event", old.event_titles, new.event_titles),
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
        _changed(changes, "task", name, "title", ta.title, tb.title)
        if ta.description != tb.description:
            changes.append(
                Change("changed", "task", name, f"task '{name}': its description changed")
            )
        if sorted(ta.form) != sorted(tb.form):
            changes.append(Change("changed", "task", name, f"task '{name}': form fields changed"))
    for name in sorted(set(old.termijnen) & set(new.termijnen)):
        ka, kb = old.termijnen[name], new.termijnen[name]
        _changed(changes, "termijn", name, "length", ka.length, kb.length)
        _changed(changes, "termijn", name, "title", ka.title, kb.title)
        if ka.legal_basis != kb.legal_basis:
            changes.append(
                Change("changed", "termijn", name, f"termijn '{name}': its legal basis changed")
            )
        if (ka.start_kind, ka.start) != (kb.start_kind, kb.start):
            changes.append(
                Change("changed", "termijn", name, f"termijn '{name}': its start changed")
            )
        if _rules(ka) != _rules(kb):
            changes.append(
                Change("changed", "termijn", name, f"termijn '{name}': its other rules changed")
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
        _changed(
            changes, "outcome", name, "title", old.outcomes[name].title, new.outcomes[name].title
        )
    for name in sorted(set(old.roles) & set(new.roles)):
        _changed(changes, "role", name, "title", old.roles[name], new.roles[name])
    for name in sorted(set(old.case_dates) & set(new.case_dates)):
        _changed(changes, "case date", name, "title", old.case_dates[name], new.case_dates[name])
    for name in sorted(set(old.event_titles) & set(new.event_titles)):
        _changed(changes, "event", name, "title", old.event_titles[name], new.event_titles[name])
        _changed(
            changes,
            "event",
            name,
            "case date",
            old.events.get(name) or None,
            new.events.get(name) or None,
        )
    return changes


# what a termijn does besides its length, title, legal basis and start: said in one line
_SAID = {"name", "title", "length", "legal_basis", "start_kind", "start"}


def _rules(termijn: CTermijn) -> dict[str, object]:
    return termijn.model_dump(mode="json", exclude=_SAID)


def _kpi(kpi: object, field: str) -> str | None:
    return getattr(kpi, field, None) if kpi is not None else None


def _changed(
    changes: list[Change], what: str, name: str, field: str, a: str | None, b: str | None
) -> None:
    if a != b:
        changes.append(
            Change("changed", what, name, f"{what} '{name}': {field} {a or '-'} → {b or '-'}")
        )
