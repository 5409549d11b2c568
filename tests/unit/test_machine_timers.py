"""Timers that move the trajectory (`goto`, escalation `goto`), timers counted from a case date,
events that set dates, and the combined guards, each against answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from traject.definition import compile_text
from traject.machine import (
    ActionRun,
    Machine,
    Snapshot,
    TaskClosed,
    TaskMarked,
    TimerArmed,
    TimerCancelled,
    UnknownEvent,
    timer_due,
    track_timers,
)

AT = "2025-01-06T09:00:00+00:00"
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
TEXT = """
definition: termijnen
title: Termijnen
municipality: test
version: 1
roles: {coach: Coach, coordinator: Coordinator}
case_dates: {registratiedatum: Registratie, pip_datum: PIP}
events:
  duo_melding: {title: Melding DUO, sets_date: registratiedatum}
  nieuws: {title: Nieuws}
outcomes: {klaar: {title: Klaar}, verlopen: {title: Verlopen}, opgeschaald: {title: Opgeschaald}}
initial: wachten
states:
  wachten:
    tasks:
      bellen:
        title: Bellen
        role: coach
        escalate: {after: P2W, to: coordinator, goto: noodgeval}
      aanvraag:
        title: Aanvraag
        role: coach
        form:
          soort: {type: choice, options: [a, b, c]}
          uren: {type: int}
    timers:
      - {name: termijn, after: P10W, from: registratiedatum, goto: verlopen}
      - {name: herinnering, after: P1W, actions: [{notify: coach}]}
    on:
      aanvraag.done:
        - target: snel
          guard: {any: [{field: aanvraag.soort, equals: a}, {field: aanvraag.uren, at_least: 10}]}
        - target: anders
          guard: {not: {field: aanvraag.soort, in: [a, b]}}
        - actions: [{set_date: pip_datum}]
      nieuws:
        - {target: snel, guard: {all: [{date_known: registratiedatum}, {date_known: pip_datum}]}}
  snel:
    tasks: {afronden: {title: Afronden, role: coach}}
    on: {afronden.done: klaar}
  anders:
    tasks: {afronden_anders: {title: Afronden, role: coach}}
    on: {afronden_anders.done: klaar}
  noodgeval:
    tasks: {besluit: {title: Besluit, role: coordinator}}
    timers: [{name: opnieuw, after: P1W, goto: wachten}]
    on: {besluit.done: {target: opgeschaald}}
  verlopen: {final: true, outcome: verlopen}
  opgeschaald: {final: true, outcome: opgeschaald}
  klaar: {final: true, outcome: klaar}
"""


@pytest.fixture(scope="module")
def machine() -> Machine:
    return Machine(compile_text(TEXT))


@pytest.fixture
def waiting(machine: Machine) -> Snapshot:
    return machine.start(AT).snapshot


def test_a_timer_with_goto_leaves_the_state_and_cancels_what_it_held(
    machine: Machine, waiting: Snapshot
) -> None:
    step = machine.fire_timer(waiting, "wachten.termijn", AT)
    assert step.snapshot.finished and step.snapshot.outcome == "verlopen"
    assert {e.timer for e in step.effects if isinstance(e, TimerCancelled)} == {
        "wachten.bellen.escalate",
        "wachten.herinnering",
    }
    assert {(e.task, e.reason) for e in step.effects if isinstance(e, TaskClosed)} == {
        ("bellen", "cancelled"),
        ("aanvraag", "cancelled"),
    }


def test_an_escalation_with_goto_marks_escalates_and_moves(
    machine: Machine, waiting: Snapshot
) -> None:
    step = machine.fire_timer(waiting, "wachten.bellen.escalate", AT)
    assert step.effects[0] == TaskMarked(task="bellen", mark="escalated")
    (escalate,) = [e for e in step.effects if isinstance(e, ActionRun)]
    assert escalate.action.action == "escalate" and escalate.task == "bellen"
    assert step.snapshot.active == ("noodgeval",) and step.moved
    assert set(step.snapshot.open_tasks) == {"besluit"}
    assert step.snapshot.armed == ("noodgeval.opnieuw",)


def test_an_escalation_of_a_completed_task_does_nothing(
    machine: Machine, waiting: Snapshot
) -> None:
    called = machine.complete_task(waiting, "bellen", {}, AT).snapshot
    step = machine.fire_timer(called, "wachten.bellen.escalate", AT)
    assert step.effects == () and not step.moved
    assert step.snapshot.active == ("wachten",)
    assert "wachten.bellen.escalate" not in step.snapshot.armed


def test_a_timer_back_to_an_earlier_state_opens_its_tasks_afresh(
    machine: Machine, waiting: Snapshot
) -> None:
    called = machine.complete_task(waiting, "bellen", {}, AT).snapshot
    assert "bellen" in called.completed
    emergency = machine.fire_timer(waiting, "wachten.bellen.escalate", AT).snapshot
    back = machine.fire_timer(emergency, "noodgeval.opnieuw", AT)
    assert back.snapshot.active == ("wachten",)
    assert set(back.snapshot.open_tasks) == {"bellen", "aanvraag"}
    assert not back.snapshot.open_tasks["bellen"].escalated
    assert [e.timer for e in back.effects if isinstance(e, TimerArmed)] == [
        "wachten.bellen.escalate",
        "wachten.termijn",
        "wachten.herinnering",
    ]


def test_a_state_timer_without_goto_only_runs_its_actions(
    machine: Machine, waiting: Snapshot
) -> None:
    step = machine.fire_timer(waiting, "wachten.herinnering", AT)
    assert [e.action.action for e in step.effects if isinstance(e, ActionRun)] == ["notify"]
    assert not step.moved and step.snapshot.open_tasks == waiting.open_tasks
    assert "wachten.herinnering" not in step.snapshot.armed


@pytest.mark.parametrize(
    ("data", "state"),
    [
        ({"soort": "a"}, "snel"),
        ({"soort": "b", "uren": 12}, "snel"),
        ({"soort": "b", "uren": 9}, "wachten"),
        ({"soort": "c"}, "anders"),
        ({}, "anders"),
    ],
)
def test_any_and_not_guards_pick_the_route(
    machine: Machine, waiting: Snapshot, data: dict[str, object], state: str
) -> None:
    assert machine.complete_task(waiting, "aanvraag", data, AT).snapshot.active == (state,)


def test_the_internal_fallback_sets_a_date_and_stays(machine: Machine, waiting: Snapshot) -> None:
    step = machine.complete_task(waiting, "aanvraag", {"soort": "b"}, "2025-02-03T10:00:00+00:00")
    assert step.snapshot.dates == {"pip_datum": "2025-02-03"}
    (set_date,) = [e for e in step.effects if isinstance(e, ActionRun)]
    assert set_date.value == "2025-02-03" and not step.moved
    assert set(step.snapshot.open_tasks) == {"bellen"}


def test_an_event_sets_its_date_and_a_guard_waits_for_both_dates(
    machine: Machine, waiting: Snapshot
) -> None:
    assert machine.record_event(waiting, "nieuws", AT).snapshot.active == ("wachten",)
    dated = machine.record_event(waiting, "duo_melding", AT, "2024-12-20").snapshot
    assert dated.dates == {"registratiedatum": "2024-12-20"}
    undated = machine.record_event(waiting, "duo_melding", "2025-01-09T08:00:00+00:00").snapshot
    assert undated.dates == {"registratiedatum": "2025-01-09"}
    assert machine.record_event(dated, "nieuws", AT).snapshot.active == ("wachten",)
    both = machine.complete_task(dated, "aanvraag", {"soort": "b"}, AT).snapshot
    assert machine.record_event(both, "nieuws", AT).snapshot.active == ("snel",)
    with pytest.raises(UnknownEvent, match="known: duo_melding, nieuws"):
        machine.record_event(waiting, "verhuisd", AT)


def test_a_timer_from_a_case_date_waits_until_the_date_is_known(
    machine: Machine, waiting: Snapshot
) -> None:
    start = machine.start(AT)
    due: dict[str, datetime | None] = {}
    track_timers(due, start.effects, machine.d, NOW, start.snapshot.dates)
    assert due["wachten.termijn"] is None
    assert due["wachten.herinnering"] == datetime(2025, 1, 13, 9, 0, tzinfo=UTC)
    step = machine.record_event(start.snapshot, "duo_melding", AT, "2024-12-20")
    track_timers(due, step.effects, machine.d, NOW, step.snapshot.dates)
    # ten weeks from the start of the registration day, in the clock's time zone
    assert due["wachten.termijn"] == datetime(2025, 2, 28, 0, 0, tzinfo=UTC)
    due.pop("wachten.termijn")  # a caller forgets a timer it fires, as the workflow does
    left = machine.fire_timer(step.snapshot, "wachten.termijn", AT)
    track_timers(due, left.effects, machine.d, NOW, left.snapshot.dates)
    assert due == {}  # leaving the state cancelled the rest


def test_a_known_date_arms_the_timer_at_once() -> None:
    assert timer_due("registratiedatum", "P1M", NOW, {"registratiedatum": "2025-01-31"}) == (
        datetime(2025, 2, 28, tzinfo=UTC)
    )
    assert timer_due("entry", "PT30S", NOW, {}) == datetime(2025, 1, 6, 9, 0, 30, tzinfo=UTC)
    assert timer_due("pip_datum", "P1W", NOW, {}) is None
