"""Termijnen in the definition language and the pure machine: what a designer can get wrong, and
how a running termijn starts, warns, is suspended (up to its maximum), resumes and is met."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflow.test_termijnen import BESLISTERMIJN
from traject.definition import DefinitionError, compile_file, compile_text
from traject.definition.model import SetDate
from traject.machine import (
    ActionRun,
    Machine,
    Step,
    TermijnChanged,
    TermijnRefused,
    TimerArmed,
)


def changes(step: Step) -> list[tuple[str, str | None]]:
    return [(e.change, e.due) for e in step.effects if isinstance(e, TermijnChanged)]


def timers(step: Step) -> dict[str, str | None]:
    return {e.timer: e.at for e in step.effects if isinstance(e, TimerArmed) and e.at}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "start: {state: wachten}",
            "start: {state: wachtn}",
            "unknown state 'wachtn' (did you mean 'wachten'?)",
        ),
        (
            "start: {state: wachten}",
            "start: {date: besluitdatum}",
            "unknown case date 'besluitdatum'",
        ),
        ("start: {state: wachten}", "start: {state: wachten, event: x}", "exactly one of"),
        ("length: P10D", "length: 10 dagen", "'10 dagen' is not a termijn length"),
        ("met: [besloten]", "met: [besluit]", "unknown state 'besluit'"),
        (
            "roles: [klantmanager], max_times: 2",
            "roles: [klantmanger], max_times: 2",
            "did you mean 'klantmanager'",
        ),
        (
            "on: {besluit_nemen.done: besloten}",
            "on: {besluit_nemen.done: besloten, beslistermijn.expird: besloten}",
            "unknown trigger 'beslistermijn.expird'",
        ),
    ],
)
def test_a_broken_termijn_is_refused_at_its_line(old: str, new: str, message: str) -> None:
    assert old in BESLISTERMIJN
    with pytest.raises(DefinitionError) as error:
        compile_text(BESLISTERMIJN.replace(old, new), "b.yaml")
    assert message in str(error.value)
    assert "b.yaml:" in str(error.value)


def test_a_termijn_runs_warns_is_suspended_and_resumes_by_itself_after_its_maximum() -> None:
    m = Machine(
        compile_text(BESLISTERMIJN.replace("max_length: P20D", "max_length: P4D"), "b.yaml")
    )
    start = m.start("2025-03-03T09:00:00+00:00")
    assert changes(start) == [("started", "2025-03-13")]
    assert timers(start) == {
        "termijn:beslistermijn": "2025-03-14T00:00:00+00:00",
        "termijn:beslistermijn.amber": "2025-03-08T00:00:00+00:00",
    }
    amber = m.fire_timer(start.snapshot, "termijn:beslistermijn.amber", "2025-03-08T00:00:00+00:00")
    assert changes(amber) == [("amber", "2025-03-13")]
    suspended = m.change_termijn(
        amber.snapshot, "beslistermijn", "suspend", "2025-03-09T10:00:00+00:00", "ziek"
    )
    assert changes(suspended) == [("suspend", None)]
    assert timers(suspended) == {"termijn:beslistermijn.resume": "2025-03-13T00:00:00+00:00"}
    assert "termijn:beslistermijn" not in suspended.snapshot.armed
    resumed = m.fire_timer(
        suspended.snapshot, "termijn:beslistermijn.resume", "2025-03-13T00:00:00+00:00"
    )
    assert changes(resumed) == [("resume", "2025-03-17")]  # four days stood still
    with pytest.raises(TermijnRefused, match="not suspended"):
        m.change_termijn(
            resumed.snapshot, "beslistermijn", "resume", "2025-03-13T10:00:00+00:00", "x"
        )
    with pytest.raises(TermijnRefused, match="not running"):
        m.change_termijn(resumed.snapshot, "onbekend", "suspend", "2025-03-13T10:00:00+00:00", "x")
    done = m.complete_task(resumed.snapshot, "besluit_nemen", {}, "2025-03-14T10:00:00+00:00")
    assert changes(done) == [("met", "2025-03-17")]
    assert not any(t.startswith("termijn:") for t in done.snapshot.armed)


def test_wi2021_starts_the_pip_termijn_on_the_duo_date_and_the_term_the_day_after_the_pip() -> None:
    from tests.conftest import DEFINITIONS
    from traject.definition import compile_file

    m = Machine(compile_file(DEFINITIONS / "wi2021.yaml"))
    start = m.start("2025-01-06T09:00:00+00:00", {"duo_melding": "2024-12-23"})
    assert changes(start) == [("started", "2025-03-03")]  # ten weeks from the day after
    assert timers(start)["termijn:pip_termijn.amber"] == "2025-02-17T00:00:00+00:00"


# ------------------------------------------------------------------ a termijn runs from its date
WI2021 = Path(__file__).parents[2] / "definitions" / "wi2021.yaml"
AT = "2026-12-07T10:00:00+00:00"


def started(step: Step) -> dict[str, tuple[str | None, str | None]]:
    return {
        e.name: (e.started, e.due)
        for e in step.effects
        if isinstance(e, TermijnChanged) and e.change == "started"
    }


def test_an_event_that_gives_the_date_starts_the_termijn_as_a_date_given_at_the_start() -> None:
    m = Machine(compile_file(WI2021))
    given_later = m.record_event(
        m.start(AT).snapshot, "duo_melding_ontvangen", "2026-12-07T11:00:00+00:00", "2026-12-01"
    )
    given_at_start = m.start(AT, {"duo_melding": "2026-12-01"})
    assert started(given_later) == started(given_at_start)
    assert started(given_later)["pip_termijn"][0] == "2026-12-01"
    assert "termijn:pip_termijn" in given_later.snapshot.armed
    # and the store hears of the date, as from a set_date action
    (recorded,) = [e for e in given_later.effects if isinstance(e, ActionRun)]
    assert isinstance(recorded.action, SetDate)
    assert (recorded.action.date, recorded.value) == ("duo_melding", "2026-12-01")


def test_a_running_termijn_moves_with_its_date_and_keeps_its_extension() -> None:
    m = Machine(compile_file(WI2021))
    first = m.start(AT, {"duo_melding": "2026-11-01"})
    extended = m.change_termijn(
        first.snapshot, "pip_termijn", "extend", "2026-12-07T12:00:00+00:00", "verdaging", "P2W"
    )
    moved = m.record_event(
        extended.snapshot, "duo_melding_ontvangen", "2026-12-07T13:00:00+00:00", "2026-11-15"
    )
    start_on, due = started(moved)["pip_termijn"]
    fresh = m.start(AT, {"duo_melding": "2026-11-15"})
    fresh_extended = m.change_termijn(
        fresh.snapshot, "pip_termijn", "extend", "2026-12-07T12:00:00+00:00", "verdaging", "P2W"
    )
    assert start_on == "2026-11-15"
    assert due == changes(fresh_extended)[0][1]  # from the new date, still two weeks longer
    assert moved.snapshot.termijnen["pip_termijn"].termijn.started.isoformat() == "2026-11-15"


def test_trajectories_recorded_before_the_fix_replay_as_they_ran() -> None:
    m = Machine(compile_file(WI2021), dates_move_termijnen=False)
    later = m.record_event(
        m.start(AT).snapshot, "duo_melding_ontvangen", "2026-12-07T11:00:00+00:00", "2026-12-01"
    )
    assert later.effects == () and later.snapshot.termijnen == {}
    assert later.snapshot.dates == {"duo_melding": "2026-12-01"}
