"""Every built-in definition compiles cleanly and passes its scenario files on the pure machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from traject.definition import compile_file
from traject.machine import Machine
from traject.scenario import load_scenario, run_scenario, scenario_files

DEFINITIONS = Path(__file__).parents[2] / "definitions"
FILES = sorted(DEFINITIONS.glob("*.yaml"))
EXPECTED = {
    "zaanstad_pvt",
    "vip18",
    "vip12",
    "pvt1",
    "pvt4",
    "pragma",
    "enschede_mpact",
    "leiden_jas",
    "wi2021",
}
SCENARIOS = [(f, s) for f in FILES for s in scenario_files(f, compile_file(f))]


def test_every_seed_variant_has_a_definition() -> None:
    assert {f.stem for f in FILES} == EXPECTED
    assert {compile_file(f).definition for f in FILES} == EXPECTED


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_definition_has_scenarios_for_its_main_paths(path: Path) -> None:
    compiled = compile_file(path)
    files = scenario_files(path, compiled)
    assert len(files) >= 2, f"{path.name} needs scenarios for its main paths"
    outcomes = set()
    for file in files:
        outcomes.add(run_scenario(Machine(compiled), load_scenario(file)).snapshot.outcome)
    assert len(outcomes - {None}) >= 1


@pytest.mark.parametrize(
    ("path", "scenario"), SCENARIOS, ids=[f"{f.stem}/{s.stem}" for f, s in SCENARIOS]
)
def test_scenario_passes_on_the_machine(path: Path, scenario: Path) -> None:
    run_scenario(Machine(compile_file(path)), load_scenario(scenario))


def test_every_task_of_every_definition_is_reached_by_some_scenario() -> None:
    """Scenarios that skip whole parts of a definition test less than they seem to."""
    missing = {}
    for path in FILES:
        compiled = compile_file(path)
        opened: set[str] = set()
        for file in scenario_files(path, compiled):
            run = run_scenario(Machine(compiled), load_scenario(file))
            opened |= run.opened_tasks
        never = set(compiled.tasks) - opened
        if len(never) > len(compiled.tasks) // 3:
            missing[path.stem] = sorted(never)
    assert not missing, f"tasks no scenario reaches: {missing}"


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_remembered_routes_run_every_scenario_as_transitions_does(path: Path) -> None:
    """One machine remembering routes runs all of a definition's scenarios twice (the second time
    on routes remembered from the first) and ends each as a machine that asks `transitions` at
    every step: the same snapshot, actions, timers and tasks opened."""
    compiled = compile_file(path)
    remembering = Machine(compiled)
    for _walk in range(2):
        for file in scenario_files(path, compiled):
            scenario = load_scenario(file)
            asked = run_scenario(Machine(compiled, remember_routes=False), scenario)
            run = run_scenario(remembering, scenario)
            assert (run.snapshot, run.actions, run.due, run.opened_tasks) == (
                asked.snapshot,
                asked.actions,
                asked.due,
                asked.opened_tasks,
            ), file.name
    assert remembering._routes
