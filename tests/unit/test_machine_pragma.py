"""The machine on a Pragma-like trajectory: a task on a compound state that stays open while its
children move, checklists in parallel regions, a guarded state timer, and the outcome picked by a
guard. Every expectation is worked out by hand from the definition below."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from traject.definition import compile_text
from traject.machine import (
    ActionRun,
    Finished,
    InvalidForm,
    Machine,
    MachineError,
    Snapshot,
    StateEntered,
    StateExited,
    Step,
    TaskClosed,
    TaskMarked,
    TaskNotOpen,
    TaskOpened,
    TimerArmed,
    TimerCancelled,
    TimerNotArmed,
    TrajectoryFinished,
)

AT = "2025-01-06T09:00:00+00:00"
LATER = "2025-03-03T10:30:00+00:00"
PRAGMA = (Path(__file__).parent / "pragma_test.yaml").read_text()
WELKOM = {"huisvesting_geregeld": True, "trede": 2}
WELKOM_TIMERS = (
    "eerste_opvang.welkom.remind1",
    "eerste_opvang.welkom.overdue",
    "eerste_opvang.welkom.escalate",
)


@pytest.fixture(scope="module")
def machine() -> Machine:
    return Machine(compile_text(PRAGMA))


def in_traject(machine: Machine, welkom: Mapping[str, object] = WELKOM) -> Snapshot:
    start = machine.start(AT).snapshot
    return machine.complete_task(start, "welkom", welkom, AT).snapshot


def entered(step: Step) -> list[str]:
    return [e.state for e in step.effects if isinstance(e, StateEntered)]


def exited(step: Step) -> list[str]:
    return [e.state for e in step.effects if isinstance(e, StateExited)]


def cancelled_timers(step: Step) -> list[str]:
    return [e.timer for e in step.effects if isinstance(e, TimerCancelled)]


def test_start_enters_opens_and_arms_in_this_order(machine: Machine) -> None:
    step = machine.start(AT)
    assert step.effects == (
        StateEntered(state="eerste_opvang"),
        TaskOpened(task="welkom", state="eerste_opvang", role="vrijwilliger", due="P1W"),
        TimerArmed(timer=WELKOM_TIMERS[0], after="P5D", anchor="entry"),
        TimerArmed(timer=WELKOM_TIMERS[1], after="P1W", anchor="entry"),
        TimerArmed(timer=WELKOM_TIMERS[2], after="P2W", anchor="entry"),
    )
    assert step.snapshot.active == ("eerste_opvang",) and step.snapshot.armed == WELKOM_TIMERS
    assert step.snapshot.steps == 1 and step.moved and not step.snapshot.finished


def test_invalid_data_is_refused_field_by_field_and_changes_nothing(machine: Machine) -> None:
    start = machine.start(AT).snapshot
    frozen = start.model_dump()
    with pytest.raises(InvalidForm) as refused:
        machine.complete_task(start, "welkom", {"trede": 7, "adres": "Dam 1", "kleur": "rood"}, AT)
    assert refused.value.task == "welkom"
    assert refused.value.errors == {
        "kleur": "unknown field 'kleur'",
        "huisvesting_geregeld": "required: answer yes or no",
        "trede": "a participatieladder step is 1 to 6",
        "adres": "personal data stays in the store: it is never sent to a trajectory",
    }
    assert start.model_dump() == frozen
    # the refused call left nothing behind: the same snapshot still accepts valid data
    assert machine.complete_task(start, "welkom", WELKOM, AT).snapshot.active == (
        "weten_open",
        "kunnen_open",
    )


def test_completing_welkom_records_the_ladder_and_enters_both_regions(machine: Machine) -> None:
    start = machine.start(AT).snapshot
    step = machine.complete_task(start, "welkom", WELKOM, AT)
    snap = step.snapshot
    assert snap.ladder == 2 and snap.completed == {"welkom": WELKOM}
    assert snap.active == ("weten_open", "kunnen_open")
    assert set(snap.open_tasks) == {"uitstroom", "zorgverzekering", "huisarts", "bankzaken"}
    assert snap.open_tasks["uitstroom"].state == "traject"
    assert snap.armed == ("zelfredzaamheid.jaar",)
    assert cancelled_timers(step) == list(WELKOM_TIMERS)
    assert entered(step) == [
        "traject",
        "zelfredzaamheid",
        "weten",
        "kunnen",
        "weten_open",
        "kunnen_open",
    ]
    (ladder,) = [e for e in step.effects if isinstance(e, ActionRun)]
    assert ladder.value == 2 and ladder.state == "eerste_opvang" and ladder.key == "1.0"


def test_a_ladder_step_sent_as_a_float_is_recorded(machine: Machine) -> None:
    snapshot = in_traject(machine, {"huisvesting_geregeld": False, "trede": 4.0})
    assert snapshot.ladder == 4 and isinstance(snapshot.ladder, int)


def test_completing_twice_is_refused_as_already_completed(machine: Machine) -> None:
    snapshot = in_traject(machine)
    with pytest.raises(TaskNotOpen, match="task 'welkom' is already completed"):
        machine.complete_task(snapshot, "welkom", WELKOM, AT)
    with pytest.raises(TaskNotOpen, match="task 'afsluiten' is not open"):
        machine.complete_task(snapshot, "afsluiten", {}, AT)


def test_parallel_checklists_complete_into_the_next_child(machine: Machine) -> None:
    snapshot = in_traject(machine)
    snapshot = machine.complete_task(snapshot, "bankzaken", {}, AT).snapshot
    assert snapshot.active == ("weten_open", "kunnen_done")
    snapshot = machine.complete_task(snapshot, "huisarts", {}, AT).snapshot
    assert snapshot.active == ("weten_open", "kunnen_done")
    step = machine.complete_task(snapshot, "zorgverzekering", {}, AT)
    assert step.snapshot.active == ("spreekuur",)
    assert set(step.snapshot.open_tasks) == {"uitstroom", "afsluiten"}
    assert cancelled_timers(step) == ["zelfredzaamheid.jaar"]
    # the nested final `klaar` ends `traject`'s children, not the trajectory
    done = machine.complete_task(step.snapshot, "afsluiten", {}, AT).snapshot
    assert done.active == ("klaar",) and not done.finished
    assert set(done.open_tasks) == {"uitstroom"}


@pytest.mark.parametrize(
    ("uitkomst", "outcome"),
    [
        ("betaalde_baan", "betaalde_baan"),
        ("vrijwilligerswerk", "vrijwilligerswerk"),
        (None, "vrijwilligerswerk"),
    ],
)
def test_the_task_of_the_parent_ends_everything_below_it(
    machine: Machine, uitkomst: str | None, outcome: str
) -> None:
    snapshot = in_traject(machine)
    snapshot = machine.complete_task(snapshot, "bankzaken", {}, AT).snapshot
    data = {} if uitkomst is None else {"uitkomst": uitkomst}
    step = machine.complete_task(snapshot, "uitstroom", data, LATER)
    snap = step.snapshot
    assert snap.finished and snap.outcome == outcome and snap.active == ("uitgestroomd",)
    assert snap.open_tasks == {} and snap.armed == ()
    cancelled = [e.task for e in step.effects if isinstance(e, TaskClosed)]
    assert cancelled == ["uitstroom", "zorgverzekering", "huisarts"]
    assert [e.reason for e in step.effects if isinstance(e, TaskClosed)] == [
        "completed",
        "cancelled",
        "cancelled",
    ]
    order = exited(step)
    assert sorted(order) == sorted(
        ["weten_open", "weten", "kunnen_done", "kunnen", "zelfredzaamheid", "traject"]
    )
    for child, parent in [("weten_open", "weten"), ("kunnen_done", "kunnen"), ("weten", "traject")]:
        assert order.index(child) < order.index(parent)  # innermost first, as SCXML exits
    assert step.effects[-1] == Finished(state="uitgestroomd", outcome=outcome)


def test_the_state_timer_acts_only_while_its_guard_holds(machine: Machine) -> None:
    low = machine.fire_timer(in_traject(machine), "zelfredzaamheid.jaar", LATER)
    assert [e.action.action for e in low.effects if isinstance(e, ActionRun)] == ["notify"]
    assert low.snapshot.active == ("weten_open", "kunnen_open") and not low.moved
    assert low.snapshot.armed == ()  # fired once: it is not armed again while the state lasts
    assert len(low.snapshot.open_tasks) == 4
    high = in_traject(machine, {"huisvesting_geregeld": True, "trede": 3})
    quiet = machine.fire_timer(high, "zelfredzaamheid.jaar", LATER)
    assert not any(isinstance(e, ActionRun) for e in quiet.effects)
    assert quiet.snapshot.armed == () and quiet.snapshot.steps == high.steps + 1


def test_task_timers_mark_the_task_and_escalate_to_the_coordinator(machine: Machine) -> None:
    snapshot = machine.start(AT).snapshot
    reminded = machine.fire_timer(snapshot, WELKOM_TIMERS[0], AT)
    assert reminded.effects[0] == TaskMarked(task="welkom", mark="reminded")
    (notify,) = [e for e in reminded.effects if isinstance(e, ActionRun)]
    assert notify.action.to == "vrijwilliger" and notify.task == "welkom"  # type: ignore[union-attr]
    overdue = machine.fire_timer(reminded.snapshot, WELKOM_TIMERS[1], AT)
    assert overdue.effects == (TaskMarked(task="welkom", mark="overdue"),)
    escalated = machine.fire_timer(overdue.snapshot, WELKOM_TIMERS[2], AT)
    task = escalated.snapshot.open_tasks["welkom"]
    assert task.overdue and task.escalated
    (escalate,) = [e for e in escalated.effects if isinstance(e, ActionRun)]
    assert escalate.action.to == "coordinator"  # type: ignore[union-attr]
    assert escalated.snapshot.armed == () and escalated.snapshot.active == ("eerste_opvang",)
    with pytest.raises(TimerNotArmed, match=r"eerste_opvang\.welkom\.escalate"):
        machine.fire_timer(escalated.snapshot, WELKOM_TIMERS[2], AT)
    with pytest.raises(TimerNotArmed):
        machine.fire_timer(escalated.snapshot, "zelfredzaamheid.jaar", AT)


def test_every_request_after_the_finish_is_refused(machine: Machine) -> None:
    snapshot = machine.complete_task(
        in_traject(machine), "uitstroom", {"uitkomst": "betaalde_baan"}, AT
    ).snapshot
    assert snapshot.finished
    refusals: list[Callable[[], object]] = [
        lambda: machine.complete_task(snapshot, "uitstroom", {}, AT),
        lambda: machine.complete_task(snapshot, "welkom", WELKOM, AT),
        lambda: machine.check_completion(snapshot, "huisarts", {}),
        lambda: machine.fire_timer(snapshot, "zelfredzaamheid.jaar", AT),
        lambda: machine.record_event(snapshot, "verhuisd", AT),
        lambda: machine.check_event(snapshot, "verhuisd"),
    ]
    for refuse in refusals:
        with pytest.raises(TrajectoryFinished):
            refuse()


def test_only_the_public_form_data_reaches_the_snapshot(machine: Machine) -> None:
    snapshot = in_traject(machine)
    assert "adres" not in snapshot.completed["welkom"]
    assert "Dam" not in Snapshot.model_validate(snapshot.model_dump()).model_dump_json()


def test_a_ladder_measured_outside_a_task_is_checked(machine: Machine) -> None:
    snapshot = in_traject(machine)
    assert machine.record_ladder(snapshot, 5).ladder == 5
    for step in (0, 7):
        with pytest.raises(MachineError, match="1 to 6"):
            machine.record_ladder(snapshot, step)
    quiet = machine.fire_timer(machine.record_ladder(snapshot, 5), "zelfredzaamheid.jaar", LATER)
    assert not any(isinstance(e, ActionRun) for e in quiet.effects)


Call = Callable[[Machine, Snapshot], Step]
MAIN_ROUTE: list[Call] = [
    lambda m, s: m.fire_timer(s, WELKOM_TIMERS[0], AT),
    lambda m, s: m.complete_task(s, "welkom", WELKOM, AT),
    lambda m, s: m.complete_task(s, "huisarts", {}, AT),
    lambda m, s: m.fire_timer(s, "zelfredzaamheid.jaar", LATER),
    lambda m, s: m.complete_task(s, "bankzaken", {}, LATER),
    lambda m, s: m.complete_task(s, "zorgverzekering", {}, LATER),
    lambda m, s: m.complete_task(s, "uitstroom", {"uitkomst": "betaalde_baan"}, LATER),
]
SHORT_ROUTE: list[Call] = [
    lambda m, s: m.fire_timer(s, WELKOM_TIMERS[2], AT),
    lambda m, s: m.complete_task(s, "welkom", {"huisvesting_geregeld": False, "trede": 5}, AT),
    lambda m, s: m.complete_task(s, "uitstroom", {}, LATER),
]


def walk(machine: Machine, route: list[Call]) -> list[Step]:
    steps = [machine.start(AT, {"vestigingsdatum": "2024-12-01"})]
    for call in route:
        steps.append(call(machine, steps[-1].snapshot))
    return steps


def dumps(steps: list[Step]) -> list[dict[str, Any]]:
    return [step.model_dump() for step in steps]


def test_the_same_calls_give_the_same_steps_on_any_machine() -> None:
    first, second = Machine(compile_text(PRAGMA)), Machine(compile_text(PRAGMA))
    assert dumps(walk(first, MAIN_ROUTE)) == dumps(walk(second, MAIN_ROUTE))
    assert walk(first, MAIN_ROUTE)[-1].snapshot.outcome == "betaalde_baan"


def test_one_machine_serves_many_cases_without_mixing_them() -> None:
    main_alone = dumps(walk(Machine(compile_text(PRAGMA)), MAIN_ROUTE))
    short_alone = dumps(walk(Machine(compile_text(PRAGMA)), SHORT_ROUTE))
    shared = Machine(compile_text(PRAGMA))
    main = [shared.start(AT, {"vestigingsdatum": "2024-12-01"})]
    short = [shared.start(AT, {"vestigingsdatum": "2024-12-01"})]
    for index, call in enumerate(MAIN_ROUTE):
        main.append(call(shared, main[-1].snapshot))
        if index < len(SHORT_ROUTE):
            short.append(SHORT_ROUTE[index](shared, short[-1].snapshot))
    assert dumps(main) == main_alone and dumps(short) == short_alone
    assert short[-1].snapshot.outcome == "vrijwilligerswerk" and short[-1].snapshot.ladder == 5


def test_snapshots_and_steps_survive_json(machine: Machine) -> None:
    for step in walk(machine, MAIN_ROUTE):
        assert Step.model_validate_json(step.model_dump_json()) == step
