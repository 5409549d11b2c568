"""The compiled form: stable hashes, JSON round trips (it is a workflow input), expansion, reuse."""

from __future__ import annotations

from pathlib import Path

from traject.definition import CompiledDefinition, compile_file, compile_text

DEFINITIONS = Path(__file__).parents[2] / "definitions"
SMALL = """
definition: klein
title: Klein
municipality: test
version: 1
roles: {coach: Coach}
outcomes: {klaar: {title: Klaar, expected: P2M}}
initial: lijst
states:
  lijst:
    role: coach
    checklist: [huisarts, bank]
    on: {done: afgerond}
  afgerond: {final: true, outcome: klaar}
"""


def test_the_same_text_gives_the_same_hash_and_a_change_a_new_one() -> None:
    assert compile_text(SMALL).content_hash == compile_text(SMALL).content_hash
    changed = compile_text(SMALL.replace("P2M", "P3M"))
    assert changed.content_hash != compile_text(SMALL).content_hash


def test_every_builtin_definition_round_trips_through_json() -> None:
    for path in sorted(DEFINITIONS.glob("*.yaml")):
        compiled = compile_file(path)
        again = CompiledDefinition.model_validate_json(compiled.model_dump_json())
        assert again == compiled
        assert again.with_hash().content_hash == compiled.content_hash


def test_a_checklist_becomes_a_state_with_one_task_per_item() -> None:
    compiled = compile_text(SMALL)
    lijst = compiled.states["lijst"]
    assert lijst.kind == "compound" and lijst.checklist
    assert lijst.children == ("lijst_open", "lijst_done") and lijst.initial == "lijst_open"
    assert compiled.states["lijst_open"].tasks == ("huisarts", "bank")
    assert {compiled.tasks[t].role for t in ("huisarts", "bank")} == {"coach"}
    assert compiled.states["lijst_done"].kind == "final"


def test_task_reminders_due_dates_and_escalations_become_timers() -> None:
    compiled = compile_text(
        SMALL.replace(
            "    checklist: [huisarts, bank]\n",
            "    checklist: [huisarts, bank]\n    tasks:\n      extra:\n        title: Extra\n"
            "        role: coach\n        due: P1W\n        remind: [P5D]\n"
            "        escalate: {after: P2W, to: coach}\n",
        )
    )
    kinds = {t.id: (t.kind, t.after) for t in compiled.states["lijst"].timers}
    assert kinds == {
        "lijst.extra.remind1": ("reminder", "P5D"),
        "lijst.extra.overdue": ("overdue", "P1W"),
        "lijst.extra.escalate": ("escalation", "P2W"),
    }


def test_extends_merges_params_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "basis.yaml").write_text(
        """
definition: basis
title: Basis
municipality: test
version: 1
params: {looptijd: P18M}
roles: {coach: Coach}
outcomes: {klaar: {title: Klaar, expected: "${looptijd}"}}
initial: begeleiding
states:
  begeleiding:
    title: Begeleiding (${looptijd})
    timers: [{name: einde, after: "${looptijd}", goto: klaar}]
  klaar: {final: true, outcome: klaar}
"""
    )
    (tmp_path / "kort.yaml").write_text(
        "extends: basis\ndefinition: kort\ntitle: Kort\nparams: {looptijd: P12M}\n"
        "states:\n  begeleiding: {kpi: {expected: P12M}}\n"
    )
    base, child = compile_file(tmp_path / "basis.yaml"), compile_file(tmp_path / "kort.yaml")
    assert child.definition == "kort" and child.extends == "basis"
    assert child.states["begeleiding"].timers[0].after == "P12M"
    assert base.states["begeleiding"].timers[0].after == "P18M"
    assert child.states["begeleiding"].title == "Begeleiding (P12M)"
    assert child.outcomes["klaar"].expected == "P12M"
    assert child.states["begeleiding"].kpi is not None


def test_pvt4_reuses_pvt1_and_drops_its_single_workshop() -> None:
    pvt1, pvt4 = compile_file(DEFINITIONS / "pvt1.yaml"), compile_file(DEFINITIONS / "pvt4.yaml")
    assert "workshop" in pvt1.states and "workshop" not in pvt4.states
    assert pvt4.states["ondertekenen"].tasks == pvt1.states["ondertekenen"].tasks
    assert pvt4.roles == pvt1.roles
