"""The termijnen of a running trajectory: when each starts, is met or expires, and the moments its
durable timers fire. Pure, like the machine that calls it: dates come from the step's clock.

Timers per running termijn: `termijn:<name>` at the start of the day after its last day (expiry),
`termijn:<name>.amber` on the first day its used share reaches `amber`, and, while suspended with a
maximum suspension, `termijn:<name>.resume` when that maximum is used up (the clock restarts on its
own). A suspension or extension cancels the old timers and arms new ones, so no stale one fires.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from traject.definition.compiled import CTermijn
from traject.definition.duration import Duration
from traject.definition.termijnen import length_of
from traject.termijn import Length, Status, Termijn, TermijnError, Unit, add_months

Change = Literal["suspend", "resume", "extend"]
EXPIRY, AMBER, RESUME = "", ".amber", ".resume"
TIMER_PREFIX = "termijn:"  # every timer of a termijn is named so


class TermijnRun(BaseModel):
    """A termijn in a trajectory's snapshot: its arithmetic state and how it ended."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: dict[str, Any]  # traject.termijn.Termijn.to_dict()
    outcome: Literal["running", "met", "expired", "ended"] = "running"
    warned: bool = False

    @property
    def termijn(self) -> Termijn:
        return Termijn.from_dict(self.state)

    def with_termijn(self, termijn: Termijn, **changes: Any) -> TermijnRun:
        return self.model_copy(update={"state": termijn.to_dict(), **changes})

    def status(self, today: date) -> Status | Literal["met", "ended"]:
        if self.outcome != "running":
            return self.outcome
        found = self.termijn.status(today)
        return "amber" if found == "on_time" and self.warned else found


def timer_id(name: str, kind: str = EXPIRY) -> str:
    return f"{TIMER_PREFIX}{name}{kind}"


def parse_timer(timer: str) -> tuple[str, str]:
    """'termijn:pip.amber' → ('pip', '.amber'); 'termijn:pip' → ('pip', '')."""
    body = timer.removeprefix(TIMER_PREFIX)
    for kind in (AMBER, RESUME):
        if body.endswith(kind):
            return body.removesuffix(kind), kind
    return body, EXPIRY


def begin(t: CTermijn, on: date, before: TermijnRun | None = None) -> TermijnRun:
    """A termijn starting `on`; `before`: the same termijn as it ran from an earlier date, whose
    extensions (and suspensions, where they still fall after the new start) it keeps."""
    termijn = Termijn(
        name=t.name,
        started=on,
        length=length_of(t.length),
        from_day_after=t.from_day_after,
        atw=t.atw,
        amber=t.amber,
        max_extensions=t.extend.max_times if t.extend else 0,
    )
    if before is None:
        return TermijnRun(state=termijn.to_dict())
    old = before.termijn
    for kept in (
        {"suspensions": old.suspensions, "extensions": old.extensions},
        {"extensions": old.extensions},
    ):
        try:
            termijn = dataclasses.replace(termijn, **kept)
            break
        except TermijnError:  # a suspension from before the new start: it no longer counts
            continue
    return TermijnRun(state=termijn.to_dict())


def moved(
    termijnen: Mapping[str, CTermijn],
    running: Mapping[str, TermijnRun],
    dates_before: Mapping[str, str],
    dates_after: Mapping[str, str],
) -> dict[str, date]:
    """The running termijnen whose start date this step set to another day, with that day: a
    termijn runs from its date, so a corrected date (or one a later step records again, such as
    the PIP's dagtekening) moves it."""
    found = {}
    for name, run in running.items():
        t = termijnen.get(name)
        if t is None or t.start_kind != "date" or run.outcome != "running":
            continue
        before, after = dates_before.get(t.start), dates_after.get(t.start)
        if before is not None and after is not None and before != after:
            found[name] = date.fromisoformat(after)
    return found


def starting(
    termijnen: Mapping[str, CTermijn],
    running: Mapping[str, TermijnRun],
    entered: set[str],
    trigger: str,
    dates_before: Mapping[str, str],
    dates_after: Mapping[str, str],
    today: date,
) -> dict[str, date]:
    """The termijnen this step starts, with their start day."""
    started = {}
    for name, t in termijnen.items():
        if name in running:
            continue
        if (t.start_kind == "state" and t.start in entered) or (
            t.start_kind == "event" and trigger == f"event:{t.start}"
        ):
            started[name] = today
        elif (
            t.start_kind == "date"
            and t.start in dates_after
            and dates_before.get(t.start) != dates_after[t.start]
        ):
            started[name] = date.fromisoformat(dates_after[t.start])
    return started


def moments(
    name: str, run: TermijnRun, t: CTermijn, today: date, tz: tzinfo | None
) -> dict[str, str]:
    """The timers a termijn needs now (timer id → ISO moment); none once it has ended."""
    if run.outcome != "running":
        return {}
    termijn = run.termijn
    if termijn.suspended:
        if t.suspend is None or t.suspend.max_length is None:
            return {}
        left = _days(t.suspend.max_length) - termijn.suspended_days(today, so_far=True)
        start = termijn.suspensions[-1].start
        resume_on = max(start + timedelta(days=max(left, 0)), today)
        return {timer_id(name, RESUME): _midnight(resume_on, tz)}
    due = termijn.due()
    found = {timer_id(name): _midnight(due + timedelta(days=1), tz)}
    if not run.warned and (t.amber < 1 or t.warn_before):
        day = _warning_day(termijn, t, today, due)
        if day <= due:
            found[timer_id(name, AMBER)] = _midnight(day, tz)
    return found


def _warning_day(termijn: Termijn, t: CTermijn, today: date, due: date) -> date:
    """`warn_before` the last day (e.g. DUO's letter two months before the end), or the first day
    the used share reaches `amber`; never before today."""
    if t.warn_before:
        before = Duration.parse(t.warn_before)
        day = add_months(due, -(before.years * 12 + before.months))
        day -= timedelta(days=before.weeks * 7 + before.days)
        return max(day, today)
    day = max(today, termijn.first_day)
    while day <= due and termijn.status(day) == "on_time":
        day += timedelta(days=1)
    return day


def change(
    run: TermijnRun, t: CTermijn, what: Change, at: date, reason: str, length: str | None
) -> TermijnRun:
    """Suspend, resume or extend, within the termijn's rules; TermijnError says why not."""
    if run.outcome != "running":
        raise TermijnError(f"{t.name} has {run.outcome}: it cannot be changed")
    termijn = run.termijn
    if what == "suspend":
        if t.suspend is None:
            raise TermijnError(f"{t.name} cannot be suspended")
        if termijn.suspended:  # the plainer reason first: a second suspension is not a new one
            raise TermijnError(f"{t.name} is already suspended: resume it first")
        if len(termijn.suspensions) >= t.suspend.max_times:
            raise TermijnError(f"{t.name} can be suspended at most {t.suspend.max_times} time(s)")
        if t.suspend.max_length and termijn.suspended_days(at) >= _days(t.suspend.max_length):
            raise TermijnError(f"{t.name} has been suspended for {t.suspend.max_length} already")
        return run.with_termijn(termijn.suspend(at, reason))
    if what == "resume":
        return run.with_termijn(termijn.resume(at))
    if t.extend is None:
        raise TermijnError(f"{t.name} cannot be extended")
    extra = length_of(length or "")
    if t.extend.max_length and _length_days(extra) > _days(t.extend.max_length):
        raise TermijnError(f"{t.name} can be extended by at most {t.extend.max_length}")
    return run.with_termijn(termijn.extend(extra, reason, at), warned=False)


def _days(duration: str) -> float:
    return Duration.parse(duration).approx_days()


def _length_days(length: Length) -> float:
    per = {Unit.DAYS: 1, Unit.WEEKS: 7, Unit.MONTHS: 30.44, Unit.YEARS: 365.25}
    return length.n * (7 / 5 if length.unit is Unit.WERKDAGEN else per[length.unit])


def _midnight(day: date, tz: tzinfo | None) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=tz).isoformat()
