"""Every kind of timeline entry the code base writes has words on the case page, in Dutch and
English (traject/web/i18n.py, `kind.<kind>`), and no words are kept for a kind nothing writes.
The kinds are read from the source, as tests/unit/test_audit_words.py reads the audit actions:
the kind argument of each `timeline(...)` call of the step recorder (activities/effects.py), the
machine's effects whose own `kind` it passes on, and the decisions the workflow records (each
`decision=` of workflows/*.py, written as the entry's kind). A kind without words would show as
its key ("kind.migrated") on the case page."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

from tests.unit.test_audit_words import f_string_values
from traject import machine
from traject.web.i18n import LANGUAGES, TEXT

ROOT = Path(__file__).resolve().parents[2]
WRITERS = ("activities",)  # where timeline rows are made: StepRows.timeline(kind, ...)
DECIDERS = ("workflows",)  # where a decision is recorded: StepRecord(decision=...)


def _literal(model: type, field: str) -> tuple[str, ...]:
    annotation = model.model_fields[field].annotation  # type: ignore[attr-defined]
    values = typing.get_args(annotation)
    assert values and all(isinstance(v, str) for v in values), (model, field)
    return values


# kinds made from a value: the values it takes (read from the models that type it)
VARIANTS = {
    "termijn_{effect.change}": _literal(machine.TermijnChanged, "change"),
    "task_{effect.reason}": _literal(machine.TaskClosed, "reason"),
    "task_{effect.mark}": _literal(machine.TaskMarked, "mark"),
    "workshop_{seat.status}": ("booked", "waitlisted"),  # repositories.book_seat
}
# a kind passed on from an effect: the effects it is passed on from
PASSED_ON = {"effect.kind": (machine.StateEntered, machine.StateExited)}
# a kind passed on from the step's record: where its values are written
RECORDED = {"record.decision"}


def _kinds(node: ast.expr, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _kinds(node.body, where) | _kinds(node.orelse, where)
    if isinstance(node, ast.JoinedStr):
        return f_string_values(node, VARIANTS, where)
    written = ast.unparse(node)
    if written in PASSED_ON:
        return {_literal(effect, "kind")[0] for effect in PASSED_ON[written]}
    if written in RECORDED:
        return decisions()
    raise AssertionError(f"{where}: a timeline kind the test cannot read: {written}")


def _calls(sources: tuple[str, ...]) -> list[tuple[ast.Call, str]]:
    found = []
    for source in sources:
        for path in sorted((ROOT / source).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    found.append((node, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def decisions() -> set[str]:
    """The decisions the workflow records (suspended, resumed, cancelled, migrated, ...)."""
    found = set()
    for call, where in _calls(DECIDERS):
        for keyword in call.keywords:
            if keyword.arg == "decision":
                value = keyword.value
                assert isinstance(value, ast.Constant) and isinstance(value.value, str), where
                found.add(value.value)
    return found


def written_kinds() -> set[str]:
    kinds: set[str] = set()
    for call, where in _calls(WRITERS):
        if isinstance(call.func, ast.Attribute) and call.func.attr == "timeline":
            kind = next((k.value for k in call.keywords if k.arg == "kind"), None)
            if kind is None:
                assert call.args, f"{where}: a timeline entry without its kind"
                kind = call.args[0]
            kinds |= _kinds(kind, where)
    return kinds


def test_every_timeline_kind_has_words_in_each_language() -> None:
    kinds = written_kinds()
    # kinds a case worker meets every day, and the ones that once showed as their key: the
    # reading above finds what it should
    assert {"state_entered", "task_opened", "task_completed", "event_recorded"} <= kinds
    assert {"termijn_extend", "workshop_waitlisted", "ladder_measured", "finished"} <= kinds
    assert {"suspended", "resumed", "cancelled", "migrated", "migration_reverted"} <= kinds
    missing = sorted(k for k in kinds if f"kind.{k}" not in TEXT)
    assert not missing, f"timeline kinds without words in traject/web/i18n.py: {missing}"
    for kind in kinds:
        words = TEXT[f"kind.{kind}"]
        assert len(words) == len(LANGUAGES) and all(words) and kind not in words, (kind, words)
    unused = sorted(k for k in TEXT if k.startswith("kind.") and k[len("kind.") :] not in kinds)
    assert not unused, f"words for timeline kinds nothing writes: {unused}"


def test_the_reading_refuses_a_kind_it_cannot_read() -> None:
    call = ast.parse("step.timeline(f'x_{y}', None)").body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    try:
        _kinds(call.value.args[0], "here")
    except AssertionError as error:
        assert "VARIANTS" in str(error)
    else:
        raise AssertionError("an unknown variant was read")
