"""The pure machine: effects of each step, guards, timers, refusals that change nothing."""

from __future__ import annotations

import pytest

from traject.definition import compile_text
from traject.machine import (
    ActionRun,
    InvalidForm,
    Machine,
    Snapshot,
    StateEntered,
    TaskNotOpen,
    TaskOpened,
    TimerArmed,
    TimerCancelled,
    TimerNotArmed,
    TrajectoryFinished,
    UnknownEvent,
)

AT = "2025-01-06T09:00:00+00:00"
TEXT = """
definition: machine_test
title: Machine test
municipality: test
version: 1
roles: {klantmanager: K, coordinator: C}
case_dates: {registratiedatum: R, pip_datum: P}
events: {duo_melding: {title: DUO, sets_date: registratiedatum}, verhuisd: {title: Verhuisd}}
outcomes: {b1: {title: B1}, z: {title: Z}, weg: {title: Weg}}
initial: intake
states:
  intake:
    tasks:
      gesprek:
        title: Gesprek
        role: klantmanager
        due: P1W
        remind: [P5D]
        escalate: {after: P2W, to: coordinator}
        form:
          trede: {type: ladder, required: true}
          route: {type: choice, options: [b1, z], required: true}
          notitie: {type: text, personal: true}
      documenten: {title: Documenten, role: klantmanager}
    timers:
      - {name: termijn, after: P10W, from: registratiedatum, actions: [{escalate: coordinator}]}
    on:
      gesprek.done:
        - {target: route, guard: all_tasks_done, actions: [{record_ladder: gesprek.trede}, {set_date: pip_datum}]}
        - {actions: [{record_ladder: gesprek.trede}]}
      documenten.done: {target: route, guard: all_tasks_done, actions: [{set_date: pip_datum}]}
      verhuisd: {target: einde, outcome: weg}
  route:
    on:
      done:
        - {target: einde, guard: {field: gesprek.route, equals: b1}, outcome: b1}
        - {target: einde, guard: {all: [{ladder_at_least: 2}, {not: {date_known: registratiedatum}}]}, outcome: z}
        - {target: einde, outcome: z}
    parallel:
      taal:
        initial: les
        states:
          les:
            tasks: {examen: {title: Examen, role: klantmanager}}
            on: {examen.done: taal_klaar}
          taal_klaar: {final: true}
      pvt:
        role: klantmanager
        checklist: [workshop, verklaring]
  einde: {final: true, outcomes: [b1, z, weg]}
"""


@pytest.fixture
def machine() -> Machine:
    return Machine(compile_text(TEXT))


def done_intake(machine: Machine, route: str = "b1") -> Snapshot:
    step = machine.start(AT)
    step = machine.complete_task(step.snapshot, "documenten", {}, AT)
    step = machine.complete_task(step.snapshot, "gesprek", {"trede": 2, "route": route}, AT)
    return step.snapshot


def test_start_enters_the_initial_state_opens_its_tasks_and_arms_its_timers(
    machine: Machine,
) -> None:
    step = machine.start(AT, {"registratiedatum": "2025-01-02"})
    kinds = [type(e).__name__ for e in step.effects]
    assert kinds[0] == "StateEntered" and step.snapshot.active == ("intake",)
    assert {e.task for e in step.effects if isinstance(e, TaskOpened)} == {"gesprek", "documenten"}
    armed = {e.timer: e.anchor for e in step.effects if isinstance(e, TimerArmed)}
    assert armed == {
        "intake.gesprek.remind1": "entry",
        "intake.gesprek.overdue": "entry",
        "intake.gesprek.escalate": "entry",
        "intake.termijn": "registratiedatum",
    }


def test_unknown_case_dates_are_refused(machine: Machine) -> None:
    with pytest.raises(UnknownEvent):
        machine.start(AT, {"geboortedatum": "1990-01-01"})


def test_invalid_form_is_refused_with_per_field_errors_and_changes_nothing(
    machine: Machine,
) -> None:
    start = machine.start(AT).snapshot
    with pytest.raises(InvalidForm) as refused:
        machine.complete_task(start, "gesprek", {"trede": 8, "notitie": "x"}, AT)
    assert set(refused.value.errors) == {"trede", "route", "notitie"}
    assert "personal data" in refused.value.errors["notitie"]
    assert "gesprek" in start.open_tasks and start.steps == 1


def test_all_tasks_done_waits_for_the_last_task(machine: Machine) -> None:
    step = machine.start(AT)
    step = machine.complete_task(step.snapshot, "gesprek", {"trede": 3, "route": "z"}, AT)
    assert step.snapshot.active == ("intake",) and step.snapshot.ladder == 3
    assert not step.moved
    step = machine.complete_task(step.snapshot, "documenten", {}, AT)
    assert step.snapshot.active == ("les", "pvt_open")
    assert step.snapshot.dates["pip_datum"] == "2025-01-06"


def test_completing_twice_is_refused(machine: Machine) -> None:
    snapshot = done_intake(machine)
    with pytest.raises(TaskNotOpen, match="already completed"):
        machine.complete_task(snapshot, "gesprek", {"trede": 2, "route": "b1"}, AT)
    with pytest.raises(TaskNotOpen, match="not open"):
        machine.complete_task(snapshot, "onbekend", {}, AT)


def test_parallel_completion_and_field_guard_pick_the_outcome(machine: Machine) -> None:
    snapshot = done_intake(machine, route="b1")
    for task in ("examen", "workshop"):
        snapshot = machine.complete_task(snapshot, task, {}, AT).snapshot
        assert not snapshot.finished
    step = machine.complete_task(snapshot, "verklaring", {}, AT)
    assert step.snapshot.finished and step.snapshot.outcome == "b1"
    assert step.snapshot.open_tasks == {} and step.snapshot.armed == ()
    with pytest.raises(TrajectoryFinished):
        machine.record_event(step.snapshot, "verhuisd", AT)


def test_combined_guards(machine: Machine) -> None:
    snapshot = done_intake(machine, route="z")
    for task in ("examen", "workshop", "verklaring"):
        snapshot = machine.complete_task(snapshot, task, {}, AT).snapshot
    assert snapshot.outcome == "z"


def test_task_timers_mark_remind_and_escalate_only_while_the_task_is_open(machine: Machine) -> None:
    snapshot = machine.start(AT).snapshot
    reminded = machine.fire_timer(snapshot, "intake.gesprek.remind1", AT)
    assert [e.action.action for e in reminded.effects if isinstance(e, ActionRun)] == ["notify"]
    overdue = machine.fire_timer(reminded.snapshot, "intake.gesprek.overdue", AT)
    assert overdue.snapshot.open_tasks["gesprek"].overdue
    escalated = machine.fire_timer(overdue.snapshot, "intake.gesprek.escalate", AT)
    assert escalated.snapshot.open_tasks["gesprek"].escalated
    assert [e.action.action for e in escalated.effects if isinstance(e, ActionRun)] == ["escalate"]
    with pytest.raises(TimerNotArmed):
        machine.fire_timer(escalated.snapshot, "intake.gesprek.escalate", AT)


def test_a_state_timer_runs_its_actions_without_leaving_the_state(machine: Machine) -> None:
    snapshot = machine.start(AT, {"registratiedatum": "2025-01-02"}).snapshot
    step = machine.fire_timer(snapshot, "intake.termijn", AT)
    assert step.snapshot.active == ("intake",) and not step.moved
    assert [e.action.action for e in step.effects if isinstance(e, ActionRun)] == ["escalate"]


def test_leaving_a_state_cancels_its_timers_and_open_tasks(machine: Machine) -> None:
    snapshot = machine.start(AT).snapshot
    step = machine.record_event(snapshot, "verhuisd", AT)
    cancelled = {e.timer for e in step.effects if isinstance(e, TimerCancelled)}
    assert cancelled == set(snapshot.armed)
    assert step.snapshot.finished and step.snapshot.outcome == "weg"


def test_events_set_case_dates(machine: Machine) -> None:
    snapshot = machine.start(AT).snapshot
    step = machine.record_event(snapshot, "duo_melding", AT, "2024-12-20")
    assert step.snapshot.dates["registratiedatum"] == "2024-12-20"
    with pytest.raises(UnknownEvent):
        machine.record_event(step.snapshot, "onbekend", AT)


def test_only_public_form_data_is_kept_in_the_snapshot(machine: Machine) -> None:
    snapshot = done_intake(machine)
    assert snapshot.completed["gesprek"] == {"trede": 2, "route": "b1"}


def test_the_same_calls_give_the_same_snapshots_and_effects() -> None:
    runs = []
    for _ in range(2):
        m = Machine(compile_text(TEXT))
        step = m.start(AT)
        trail = [step]
        trail.append(m.complete_task(step.snapshot, "documenten", {}, AT))
        trail.append(m.complete_task(trail[-1].snapshot, "gesprek", {"trede": 2, "route": "z"}, AT))
        runs.append([s.model_dump() for s in trail])
    assert runs[0] == runs[1]


def test_entry_effects_come_outermost_first(machine: Machine) -> None:
    snapshot = machine.start(AT).snapshot
    snapshot = machine.complete_task(snapshot, "documenten", {}, AT).snapshot
    step = machine.complete_task(snapshot, "gesprek", {"trede": 2, "route": "b1"}, AT)
    entered = [e.state for e in step.effects if isinstance(e, StateEntered)]
    assert entered.index("route") < entered.index("taal") < entered.index("les")
