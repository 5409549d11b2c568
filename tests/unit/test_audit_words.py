"""Every action code the code base writes to the audit log has words on the audit page, in Dutch
and English (traject/web/i18n.py, `action.<code>`), and no words are kept for a code nothing
writes. The codes are read from the source: the action argument of each `audit(...)` call and
of its wrappers, so a new action without words fails here rather than show as a code."""

from __future__ import annotations

import ast
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path

from traject.web.i18n import LANGUAGES, TEXT
from workflows.messages import ChangeTermijn

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("traject", "activities", "worker")
# the functions that write an audit row, and the position of their action argument
WRITERS = {"audit": 3, "_audit": 2, "_audit_token": 3}
# actions made from a value: the values they take
VARIANTS = {
    "termijn_{change}": typing.get_args(ChangeTermijn.model_fields["change"].annotation),
    "case_{decision}": ("suspend", "resume", "cancel"),  # Traject.decide
}


def f_string_values(
    node: ast.JoinedStr, variants: Mapping[str, Iterable[str]], where: str
) -> set[str]:
    """The strings an f-string with one hole can make, from the values `variants` gives its
    template ('termijn_{change}' → termijn_suspend, ...): a new template must say its values."""
    template = "".join(
        str(part.value) if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
        for part in node.values
        if isinstance(part, ast.Constant | ast.FormattedValue)
    )
    assert template in variants, f"{where}: say which values {template!r} takes in VARIANTS"
    prefix, _, suffix = template.partition("{")
    return {prefix + value + suffix.partition("}")[2] for value in variants[template]}


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _codes(
    node: ast.expr, function: ast.FunctionDef | ast.AsyncFunctionDef, where: str
) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes(node.body, function, where) | _codes(node.orelse, function, where)
    if isinstance(node, ast.JoinedStr):
        return f_string_values(node, VARIANTS, where)
    if isinstance(node, ast.Name):
        if node.id in {a.arg for a in function.args.args}:  # passed on by a writer of its own
            assert function.name in WRITERS, f"{where}: {function.name} writes audit rows"
            return set()
        assigned = [
            found.value
            for found in ast.walk(function)
            if isinstance(found, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in found.targets)
        ]
        assert assigned, f"{where}: where does {node.id} come from?"
        return set().union(*(_codes(value, function, where) for value in assigned))
    raise AssertionError(f"{where}: an action code the test cannot read: {ast.unparse(node)}")


def written_actions() -> set[str]:
    codes: set[str] = set()
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for call in ast.walk(function):
                    if isinstance(call, ast.Call) and _name(call) in WRITERS:
                        where = f"{path.relative_to(ROOT)}:{call.lineno}"
                        at = WRITERS[_name(call) or ""]
                        action = next((k.value for k in call.keywords if k.arg == "action"), None)
                        if action is None:
                            assert len(call.args) > at, f"{where}: no action argument"
                            action = call.args[at]
                        codes |= _codes(action, function, where)
    return codes


def test_every_audit_action_has_words_in_each_language() -> None:
    codes = written_actions()
    # the ones a coordinator meets every day, to be sure the reading above finds anything at all
    assert {"signed_in", "cases_listed", "task_read", "task_completed", "user_deactivated"} <= codes
    assert {"termijn_suspend", "case_cancel", "task_released", "task_assigned"} <= codes
    missing = sorted(c for c in codes if f"action.{c}" not in TEXT)
    assert not missing, f"audit actions without words in traject/web/i18n.py: {missing}"
    for code in codes:
        words = TEXT[f"action.{code}"]
        assert len(words) == len(LANGUAGES) and all(words) and code not in words, (code, words)
    unused = sorted(k for k in TEXT if k.startswith("action.") and k[len("action.") :] not in codes)
    assert not unused, f"words for audit actions nothing writes: {unused}"
