"""How often a termijn may be suspended (`suspend.max_times`), in the pure machine: the suspension
past the limit is refused with a typed error, and the trajectory is left exactly as it was."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from tests.workflow.test_termijnen import BESLISTERMIJN
from traject.definition import compile_text
from traject.machine import (
    Machine,
    MachineError,
    Snapshot,
    Step,
    TermijnChanged,
    TermijnRefused,
    TimerArmed,
)
from workflows.trajectory import rejection

NAME = "beslistermijn"


def changes(step: Step) -> list[tuple[str, str | None]]:
    return [(e.change, e.due) for e in step.effects if isinstance(e, TermijnChanged)]


def at(day: int) -> str:
    return f"2025-03-{day:02d}T10:00:00+00:00"


def suspended_and_resumed(m: Machine, times: int) -> Snapshot:
    """Started on Monday 3 March (last day 13 March), then suspended on day 4 + 2i and resumed
    the day after, `times` times: each suspension costs one day."""
    snapshot = m.start("2025-03-03T09:00:00+00:00").snapshot
    for i in range(times):
        step = m.change_termijn(snapshot, NAME, "suspend", at(4 + 2 * i), "wacht_op_documenten")
        assert changes(step) == [("suspend", None)]
        step = m.change_termijn(step.snapshot, NAME, "resume", at(5 + 2 * i), "ontvangen")
        assert changes(step) == [("resume", f"2025-03-{14 + i}")]
        snapshot = step.snapshot
    return snapshot


def test_a_suspension_past_max_times_is_refused_and_changes_nothing() -> None:
    m = Machine(compile_text(BESLISTERMIJN, "b.yaml"))  # suspend: max_times 2, max_length P20D
    snapshot = suspended_and_resumed(m, 2)
    run = snapshot.termijnen[NAME]
    assert len(run.termijn.suspensions) == 2 and not run.termijn.suspended
    assert run.termijn.due().isoformat() == "2025-03-15"  # two days stood still
    before = snapshot.model_dump()

    for check in (False, True):
        with pytest.raises(TermijnRefused) as refused:
            if check:  # the workflow's update validator asks the same question
                m.check_termijn_change(snapshot, NAME, "suspend", at(10), None)
            else:
                m.change_termijn(snapshot, NAME, "suspend", at(10), "ziek")
        assert str(refused.value) == f"{NAME} can be suspended at most 2 time(s)"
        assert isinstance(refused.value, MachineError)
        assert refused.value.code == "termijn_refused"
    assert snapshot.model_dump() == before  # nothing changed: same state, timers, step count

    # the workflow turns it into a typed, non-retryable failure (the API's 409)
    failure = rejection(refused.value)
    assert isinstance(failure, ApplicationError)
    assert (failure.type, failure.non_retryable) == ("termijn_refused", True)
    assert "at most 2 time(s)" in failure.message

    # the refusal left no trace: the next step carries on from the same snapshot and step count
    extended = m.change_termijn(snapshot, NAME, "extend", at(10), "complex", "P3D")
    assert changes(extended) == [("extend", "2025-03-18")]
    assert extended.snapshot.steps == snapshot.steps + 1
    assert len(extended.snapshot.termijnen[NAME].termijn.suspensions) == 2
    armed = {e.timer: e.at for e in extended.effects if isinstance(e, TimerArmed)}
    assert armed[f"termijn:{NAME}"] == "2025-03-19T00:00:00+00:00"


def test_the_limit_counts_suspensions_not_resumptions() -> None:
    once = BESLISTERMIJN.replace("max_times: 2, max_length: P20D", "max_times: 1")
    assert once != BESLISTERMIJN
    m = Machine(compile_text(once, "b.yaml"))
    start = m.start("2025-03-03T09:00:00+00:00").snapshot
    first = m.change_termijn(start, NAME, "suspend", at(4), "ziek")  # the first is allowed
    assert first.snapshot.termijnen[NAME].termijn.suspended
    with pytest.raises(TermijnRefused, match=r"at most 1 time|already suspended"):  # meanwhile
        m.change_termijn(first.snapshot, NAME, "suspend", at(5), "ziek")
    resumed = m.change_termijn(first.snapshot, NAME, "resume", at(6), "beter").snapshot
    before = resumed.model_dump()
    with pytest.raises(
        TermijnRefused, match=r"^beslistermijn can be suspended at most 1 time\(s\)$"
    ):
        m.change_termijn(resumed, NAME, "suspend", at(7), "verhuizing")
    assert resumed.model_dump() == before
    assert resumed.termijnen[NAME].termijn.due().isoformat() == "2025-03-15"


def test_a_termijn_without_suspend_rules_cannot_be_suspended_at_all() -> None:
    never = BESLISTERMIJN.replace(
        "    suspend: {roles: [klantmanager], max_times: 2, max_length: P20D}\n", ""
    )
    assert never != BESLISTERMIJN
    m = Machine(compile_text(never, "b.yaml"))
    start = m.start("2025-03-03T09:00:00+00:00").snapshot
    before = start.model_dump()
    with pytest.raises(TermijnRefused, match="cannot be suspended"):
        m.change_termijn(start, NAME, "suspend", at(4), "ziek")
    assert start.model_dump() == before
