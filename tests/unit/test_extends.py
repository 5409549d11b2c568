"""`extends` and `params`: a municipality's variant is a small file on top of a shared base, and a
problem is reported in the file (and at the line) where the designer wrote the offending text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from traject.definition import CompiledDefinition, DefinitionError, Problem, compile_file

Rejected = Callable[..., list[Problem]]  # the `rejected` fixture of conftest.py

BASE = """\
definition: basis
title: Basis
municipality: test
version: 1
params: {looptijd: P18M, dagdelen: 2, regio: Zaanstreek}
roles: {coach: Coach}
outcomes: {klaar: {title: Klaar, expected: "${looptijd}"}}
initial: intake
states:
  intake:
    title: Intake ${regio}
    on_entry: [{schedule_workshop: {workshop: kennismaking, dagdelen: "${dagdelen}"}}]
    tasks:
      gesprek: {title: Gesprek, role: coach, remind: [P1W, P2W]}
    on: {gesprek.done: begeleiding}
  begeleiding:
    title: Begeleiding
    timers: [{name: einde, after: "${looptijd}", goto: klaar}]
    tasks: {afsluiten: {title: Afsluiten, role: coach}}
    on: {afsluiten.done: klaar}
  klaar: {final: true, outcome: klaar}
"""
CHILD = """\
extends: basis
definition: kort
title: Kort
params: {looptijd: P12M}
roles: {coordinator: Coordinator}
states:
  begeleiding: {title: Korte begeleiding}
  intake:
    tasks:
      gesprek: {remind: [P3D]}
"""


def write(folder: Path, **files: str) -> None:
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    (line,) = [i for i, t in enumerate(text.splitlines(), 1) if fragment in t]
    return line


@pytest.fixture
def child(tmp_path: Path) -> CompiledDefinition:
    write(tmp_path, basis=BASE, kort=CHILD)
    return compile_file(tmp_path / "kort.yaml")


def test_the_child_overrides_a_param_everywhere_the_base_uses_it(child: CompiledDefinition) -> None:
    assert child.states["begeleiding"].timers[0].after == "P12M"
    assert child.outcomes["klaar"].expected == "P12M"


def test_a_whole_param_keeps_its_type_and_a_param_in_text_is_filled_in(
    child: CompiledDefinition,
) -> None:
    (workshop,) = child.states["intake"].on_entry
    assert workshop.dagdelen == 2  # type: ignore[union-attr]
    assert child.states["intake"].title == "Intake Zaanstreek"


def test_mappings_merge_key_by_key_and_lists_are_replaced(child: CompiledDefinition) -> None:
    assert child.definition == "kort" and child.title == "Kort" and child.version == 1
    assert child.states["begeleiding"].title == "Korte begeleiding"
    assert child.states["begeleiding"].tasks == ("afsluiten",)  # the rest of the state stays
    assert child.roles == {"coach": "Coach", "coordinator": "Coordinator"}
    assert child.tasks["gesprek"].title == "Gesprek"
    reminders = [t.after for t in child.states["intake"].timers if t.kind == "reminder"]
    assert reminders == ["P3D"]


def test_the_base_compiles_on_its_own_unchanged(tmp_path: Path, child: CompiledDefinition) -> None:
    base = compile_file(tmp_path / "basis.yaml")
    assert base.states["begeleiding"].timers[0].after == "P18M"
    assert base.states["begeleiding"].title == "Begeleiding"
    assert base.content_hash != child.content_hash


def test_a_chain_of_three_files_applies_each_layer_in_turn(tmp_path: Path) -> None:
    write(
        tmp_path,
        basis=BASE,
        kort=CHILD,
        zaanstad="extends: kort\ndefinition: zaanstad\nparams: {regio: Zaanstad, dagdelen: 4}\n",
    )
    compiled = compile_file(tmp_path / "zaanstad.yaml")
    assert compiled.states["intake"].title == "Intake Zaanstad"
    assert compiled.states["intake"].on_entry[0].dagdelen == 4  # type: ignore[union-attr]
    assert compiled.states["begeleiding"].timers[0].after == "P12M"
    assert compiled.extends == "kort"


def test_null_removes_a_state_and_what_still_points_at_it_is_reported_in_the_base(
    rejected: Rejected, tmp_path: Path
) -> None:
    write(tmp_path, basis=BASE)
    problems = rejected(
        "extends: basis\ndefinition: zonder\nstates:\n  begeleiding: null\n", "zonder.yaml"
    )
    assert problems == [
        Problem(
            str(tmp_path / "basis.yaml"),
            line_of(BASE, "gesprek.done: begeleiding"),
            "states.intake.on.gesprek.done",
            "unknown target 'begeleiding'",
        )
    ]


def test_a_problem_in_the_child_points_into_the_child(rejected: Rejected, tmp_path: Path) -> None:
    write(tmp_path, basis=BASE)
    text = CHILD.replace("begeleiding: {title: Korte begeleiding}", "begeleiding: {titel: Kort}")
    (problem,) = rejected(text, "kort.yaml")
    assert problem == Problem(
        str(tmp_path / "kort.yaml"),
        line_of(text, "titel"),
        "states.begeleiding.titel",
        "unknown key 'titel'",
    )


def test_a_param_the_child_gives_the_wrong_kind_of_value_is_reported_where_the_base_uses_it(
    rejected: Rejected, tmp_path: Path
) -> None:
    write(tmp_path, basis=BASE)
    problems = rejected(CHILD.replace("looptijd: P12M", "looptijd: een jaar"), "kort.yaml")
    assert {(p.file, p.line, p.path) for p in problems} == {
        (str(tmp_path / "basis.yaml"), line_of(BASE, "expected: "), "outcomes.klaar.expected"),
        (
            str(tmp_path / "basis.yaml"),
            line_of(BASE, "name: einde"),
            "states.begeleiding.timers[0].after",
        ),
    }


def test_a_base_may_leave_a_param_to_its_children(rejected: Rejected, tmp_path: Path) -> None:
    base = BASE.replace(", regio: Zaanstreek", "")
    write(tmp_path, basis=base)
    (problem,) = rejected(base, "basis.yaml")
    assert problem.line == line_of(base, "title: Intake ${regio}")
    assert problem.message == "unknown parameter 'regio'"
    write(tmp_path, kind="extends: basis\ndefinition: kind\nparams: {regio: Purmerend}\n")
    assert compile_file(tmp_path / "kind.yaml").states["intake"].title == "Intake Purmerend"


def test_extends_names_a_file_not_a_path(rejected: Rejected, tmp_path: Path) -> None:
    write(tmp_path, basis=BASE)
    (problem,) = rejected("definition: x\nextends: ../basis\n", "x.yaml")
    assert (problem.line, problem.path, problem.message) == (
        2,
        "extends",
        "extends names a definition file",
    )


def test_a_base_with_a_problem_stops_its_children(tmp_path: Path) -> None:
    broken = BASE.replace("role: coach, remind", "role: kaoch, remind")
    write(tmp_path, basis=broken, kort=CHILD)
    with pytest.raises(DefinitionError) as error:
        compile_file(tmp_path / "kort.yaml")
    assert [(p.file, p.line) for p in error.value.problems] == [
        (str(tmp_path / "basis.yaml"), line_of(broken, "kaoch"))
    ]
