"""Legal deadlines (termijnen): a length added to a start, the Algemene termijnenwet (Atw), and a
running termijn a case worker can suspend (opschorten), resume and extend (verlengen).

Pure: stdlib `datetime` only, no clock, no I/O, no randomness; every value is a frozen dataclass
that serialises to a plain dict, so it can travel in Temporal workflow messages.

Counting (decisions, with the rules they follow):

* `from_day_after=True` (the default): the termijn starts the day after the start event, as in
  Awb art. 6:8 ("met ingang van de dag na die waarop het besluit ... is bekendgemaakt") and the
  Wet inburgering 2021 inburgeringstermijn (starts the day after the PIP). The last day is then the
  same date n weeks/months later: 6 weeks from Monday 1 September ends Monday 13 October.
  With `from_day_after=False` the start day is day one and the termijn ends a day earlier.
* Months and years are calendar months: the same day of the month, clamped to the month end
  (31 January + 1 month = 28 or 29 February; 29 February 2028 + 1 year = 28 February 2029).
* Werkdagen are counted on the municipality's `DutchCalendar`; the start day never counts when
  counting from the day after.
* `atw=True` marks a statutory termijn (wet or AMvB, Atw art. 5). Then Atw art. 1 lid 1 (a last day
  on a Saturday, Sunday or algemeen erkende feestdag moves to the next day that is none of these)
  and art. 2 (a termijn of at least three days contains at least two such days) apply, except where
  art. 4 sub a excludes the termijn: more than 90 days (werkdagen counted as days), more than 12
  weeks, more than 3 months, or any number of years. The 3-year inburgeringstermijn is therefore
  not extended; a 10-week PIP termijn is. Backward-counted termijnen (art. 1 lid 2) are not modelled:
  a `Length` is always positive. The Atw applies once, to the final last day.
* Suspension (Awb art. 4:15: opschorting "met ingang van de dag na" the suspending event): a
  suspension from `start` until `until` stops the clock for `until - start` days: both events take
  effect the day after they happen, so a same-day suspend and resume costs nothing. A calendar
  termijn moves by that many calendar days; a werkdagen termijn moves by the werkdagen inside the
  suspension (`workdays_between(start, until)`), so it resumes with the same werkdagen remaining.
* Extension (verlengen, verdagen; Awb art. 7:10 lid 3 allows one verdaging of at most six weeks):
  each extension adds its length to the last day reached so far, in order; `max_extensions`
  defaults to 1.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal

from traject.calendar_nl import CalendarError, DutchCalendar, check_date

Status = Literal["on_time", "amber", "red", "suspended", "expired"]
_DAY = timedelta(days=1)


class TermijnError(ValueError):
    """An invalid termijn or an operation it refuses (suspend twice, resume when running, ...)."""


class Unit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"
    WERKDAGEN = "werkdagen"


_APPROX_DAYS = {"days": 1.0, "weeks": 7.0, "months": 31.0, "years": 366.0, "werkdagen": 1.4}
_ATW_MAX = {"days": 90, "weeks": 12, "months": 3, "years": 0, "werkdagen": 90}  # Atw art. 4 sub a
MAX_DAYS = 100 * 366  # a longer termijn is a typo


def _date(value: object, what: str) -> date:
    try:
        return check_date(value, what)
    except CalendarError as error:
        raise TermijnError(str(error)) from None


def _reason(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TermijnError("a suspension or extension needs a reason")
    return value


@dataclass(frozen=True, slots=True)
class Length:
    """A positive number of days, weeks, months, years or werkdagen."""

    n: int
    unit: Unit

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or isinstance(self.n, bool) or self.n < 1:
            raise TermijnError(f"a termijn length must be a positive whole number, not {self.n!r}")
        try:
            unit = Unit(self.unit)
        except ValueError:
            raise TermijnError(f"unknown unit {self.unit!r}; use one of {list(Unit)}") from None
        object.__setattr__(self, "unit", unit)
        if self.n * _APPROX_DAYS[unit] > MAX_DAYS:
            raise TermijnError(f"{self} is longer than 100 years")

    def __str__(self) -> str:
        return f"{self.n} {self.unit.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "unit": self.unit.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Length:
        return cls(data["n"], data["unit"])


def add_months(d: date, n: int) -> date:
    """The same day n months later (earlier for n < 0), clamped to the end of that month."""
    years, month0 = divmod(d.month - 1 + n, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def add_length(d: date, length: Length, calendar: DutchCalendar) -> date:
    """`d` plus `length`: the last day of a termijn counted from the day after `d`."""
    n, unit = length.n, length.unit
    if unit is Unit.WERKDAGEN:
        return calendar.add_workdays(d, n)
    if unit in (Unit.MONTHS, Unit.YEARS):
        return add_months(d, n * (12 if unit is Unit.YEARS else 1))
    return d + timedelta(days=n * (7 if unit is Unit.WEEKS else 1))


def last_day(start: date, length: Length, from_day_after: bool, calendar: DutchCalendar) -> date:
    """The last day of the termijn before the Atw is applied."""
    if from_day_after:
        return add_length(start, length, calendar)
    n, unit = length.n, length.unit
    if unit is Unit.WERKDAGEN:  # the start day is day one when it is a werkdag
        return calendar.add_workdays(start, n - 1 if calendar.is_workday(start) else n)
    if unit in (Unit.DAYS, Unit.WEEKS):
        return start + timedelta(days=n * (7 if unit is Unit.WEEKS else 1) - 1)
    # the day before the same day of the month n months later, clamped to that month's end
    months = n * (12 if unit is Unit.YEARS else 1)
    first_of_target = add_months(start.replace(day=1), months)
    if start.day == 1:
        return first_of_target - _DAY
    days_in_month = monthrange(first_of_target.year, first_of_target.month)[1]
    return first_of_target.replace(day=min(start.day - 1, days_in_month))


def atw_applies(length: Length) -> bool:
    """False for the termijnen Atw art. 4 sub a excludes (long ones, and any number of years)."""
    return length.n <= _ATW_MAX[length.unit.value]


def atw_extend(first: date, last: date, length: Length, calendar: DutchCalendar) -> date:
    """`last` extended by Atw art. 1 lid 1 and, for a `length` of at least three days (as the
    termijn is expressed: 3+ days or werkdagen, any weeks or months), art. 2."""
    end = calendar.next_atw_day(last)
    if length.unit not in (Unit.DAYS, Unit.WERKDAGEN) or length.n >= 3:
        while not _atw_days_at_least(first, end, 2, calendar):
            end = calendar.next_atw_day(end + _DAY)
    return end


def _atw_days_at_least(first: date, end: date, k: int, calendar: DutchCalendar) -> bool:
    d, found = first, 0
    while d <= end and found < k:
        found += not calendar.is_atw_day_off(d)
        d += _DAY
    return found >= k


def deadline(
    start: date,
    length: Length,
    from_day_after: bool = True,
    calendar: DutchCalendar | None = None,
    atw: bool = True,
) -> date:
    """The last day (inclusive) of a termijn of `length` from `start`; see the module docstring."""
    start = _date(start, "start")
    cal = calendar if calendar is not None else DutchCalendar()
    end = last_day(start, length, from_day_after, cal)
    if atw and atw_applies(length):
        end = atw_extend(start + _DAY if from_day_after else start, end, length, cal)
    return end


@dataclass(frozen=True, slots=True)
class Suspension:
    """The clock stopped after `start` and, once `until` is set, runs again after `until`."""

    start: date
    until: date | None
    reason: str

    def __post_init__(self) -> None:
        _date(self.start, "a suspension's start")
        _reason(self.reason)
        if self.until is not None and _date(self.until, "a suspension's end") < self.start:
            raise TermijnError(f"a suspension cannot end ({self.until}) before it starts")

    def to_dict(self) -> dict[str, Any]:
        until = self.until.isoformat() if self.until is not None else None
        return {"start": self.start.isoformat(), "until": until, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suspension:
        until = data["until"]
        return cls(
            date.fromisoformat(data["start"]),
            date.fromisoformat(until) if until is not None else None,
            data["reason"],
        )


@dataclass(frozen=True, slots=True)
class Extension:
    length: Length
    reason: str
    at: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.length, Length):
            raise TermijnError(f"an extension needs a Length, not {self.length!r}")
        _reason(self.reason)
        if self.at is not None:
            _date(self.at, "an extension's date")

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat() if self.at is not None else None
        return {"length": self.length.to_dict(), "reason": self.reason, "at": at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Extension:
        at = data.get("at")
        return cls(
            Length.from_dict(data["length"]),
            data["reason"],
            date.fromisoformat(at) if at is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Termijn:
    """A running termijn: operations return a new value and never change this one."""

    name: str
    started: date
    length: Length
    from_day_after: bool = True
    atw: bool = True
    calendar: DutchCalendar = field(default_factory=DutchCalendar)
    suspensions: tuple[Suspension, ...] = ()
    extensions: tuple[Extension, ...] = ()
    amber: float = 0.8
    red: float = 1.0
    max_extensions: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise TermijnError("a termijn needs a name")
        _date(self.started, "started")
        if not isinstance(self.length, Length):
            raise TermijnError(f"length must be a Length, not {self.length!r}")
        if not isinstance(self.calendar, DutchCalendar):
            raise TermijnError("calendar must be a DutchCalendar")
        for flag in ("from_day_after", "atw"):
            if not isinstance(getattr(self, flag), bool):
                raise TermijnError(f"{flag} must be true or false")
        object.__setattr__(self, "suspensions", tuple(self.suspensions))
        object.__setattr__(self, "extensions", tuple(self.extensions))
        previous_end = self.started
        for i, s in enumerate(self.suspensions):
            if not isinstance(s, Suspension):
                raise TermijnError(f"suspensions[{i}] is not a Suspension")
            if s.start < previous_end:
                what = "the start" if i == 0 else "the previous resumption"
                raise TermijnError(f"a suspension on {s.start} is before {what} ({previous_end})")
            if s.until is None and i != len(self.suspensions) - 1:
                raise TermijnError("only the last suspension can still be open")
            previous_end = s.until or s.start
        if not all(isinstance(e, Extension) for e in self.extensions):
            raise TermijnError("extensions must be Extension values")
        if type(self.max_extensions) is not int or self.max_extensions < 0:
            raise TermijnError(f"max_extensions must be 0 or more, not {self.max_extensions!r}")
        if len(self.extensions) > self.max_extensions:
            raise TermijnError(f"at most {self.max_extensions} extension(s) allowed")
        ok = all(
            isinstance(t, int | float) and not isinstance(t, bool) for t in (self.amber, self.red)
        )
        if not ok or not 0 < self.amber <= self.red <= 1:
            raise TermijnError(f"need 0 < amber <= red <= 1, not {self.amber!r}, {self.red!r}")

    @property
    def first_day(self) -> date:
        return self.started + _DAY if self.from_day_after else self.started

    @property
    def suspended(self) -> bool:
        return bool(self.suspensions) and self.suspensions[-1].until is None

    def _count(self, a: date, b: date) -> int:
        if self.length.unit is Unit.WERKDAGEN:
            return self.calendar.workdays_between(a, b)
        return (b - a).days

    def suspended_days(self, as_of: date | None = None, *, so_far: bool = False) -> int:
        """Days (werkdagen for a werkdagen termijn) the clock stood still. An open suspension runs
        up to `as_of` (required then); with `so_far`, only the days up to `as_of` count."""
        total = 0
        for s in self.suspensions:
            end = s.until if s.until is not None else as_of
            if end is None:
                raise TermijnError(f"suspended since {s.start}: pass the date to count up to")
            if so_far and as_of is not None:
                end = min(end, as_of)
            if end > s.start:
                total += self._count(s.start, end)
        return total

    def due(self, as_of: date | None = None) -> date:
        """The last day (inclusive), Atw applied. While suspended the deadline is not fixed: it is
        the deadline if the termijn resumed on `as_of`, which is then required."""
        if as_of is not None:
            _date(as_of, "as_of")
        end = last_day(self.started, self.length, self.from_day_after, self.calendar)
        for extension in self.extensions:
            end = add_length(end, extension.length, self.calendar)
        shift = self.suspended_days(as_of)
        if shift and self.length.unit is Unit.WERKDAGEN:
            end = self.calendar.add_workdays(end, shift)
        elif shift:
            end += timedelta(days=shift)
        if self.atw and atw_applies(self.length):
            end = atw_extend(self.first_day, end, self.length, self.calendar)
        return end

    def elapsed_share(self, today: date) -> float:
        """The share of the termijn used on `today` (suspended days not counted): 1.0 on the last
        day, more after it, 0.0 before the termijn starts."""
        due = self.due(as_of=today)
        origin = self.first_day - _DAY
        total = self._count(origin, due) - self.suspended_days(today)
        elapsed = self._count(origin, today) - self.suspended_days(today, so_far=True)
        return max(elapsed, 0) / max(total, 1)

    def status(self, today: date) -> Status:
        """`suspended` while the clock stands still, `expired` after the last day, `red` from the
        red share (1.0: the last day itself), `amber` from the amber share, else `on_time`."""
        today = _date(today, "today")
        if self.suspended and today >= self.suspensions[-1].start:
            return "suspended"
        if today > self.due(as_of=today):
            return "expired"
        share = self.elapsed_share(today)
        if share >= self.red:
            return "red"
        return "amber" if share >= self.amber else "on_time"

    def suspend(self, at: date, reason: str) -> Termijn:
        """Stop the clock after `at` (opschorten), for `reason`."""
        at = _date(at, "at")
        if self.suspended:
            raise TermijnError(
                f"{self.name} is already suspended since {self.suspensions[-1].start}"
            )
        if at < self.started:
            raise TermijnError(f"cannot suspend on {at}, before the start ({self.started})")
        if at > (due := self.due()):
            raise TermijnError(f"{self.name} expired on {due}: it cannot be suspended on {at}")
        return replace(self, suspensions=(*self.suspensions, Suspension(at, None, reason)))

    def resume(self, at: date) -> Termijn:
        """Run the clock again after `at`; the deadline moves by the suspended days."""
        at = _date(at, "at")
        if not self.suspended:
            raise TermijnError(f"{self.name} is not suspended")
        current = self.suspensions[-1]
        if at < current.start:
            raise TermijnError(f"cannot resume on {at}, before the suspension ({current.start})")
        return replace(self, suspensions=(*self.suspensions[:-1], replace(current, until=at)))

    def extend(self, length: Length, reason: str, at: date | None = None) -> Termijn:
        """Add `length` to the deadline (verlengen); refused past `max_extensions`, and, when `at`
        is given, on a day before the start or after the termijn expired."""
        extension = Extension(length, reason, at)
        if len(self.extensions) >= self.max_extensions:
            raise TermijnError(f"{self.name} allows at most {self.max_extensions} extension(s)")
        if at is not None:
            if at < self.started:
                raise TermijnError(f"cannot extend on {at}, before the start ({self.started})")
            if at > (due := self.due(as_of=at)):
                raise TermijnError(f"{self.name} expired on {due}: it cannot be extended on {at}")
        return replace(self, extensions=(*self.extensions, extension))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "started": self.started.isoformat(),
            "length": self.length.to_dict(),
            "from_day_after": self.from_day_after,
            "atw": self.atw,
            "calendar": self.calendar.to_dict(),
            "suspensions": [s.to_dict() for s in self.suspensions],
            "extensions": [e.to_dict() for e in self.extensions],
            "amber": self.amber,
            "red": self.red,
            "max_extensions": self.max_extensions,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Termijn:
        """The inverse of `to_dict`; anything malformed raises `TermijnError`."""
        try:
            return cls(
                name=data["name"],
                started=date.fromisoformat(data["started"]),
                length=Length.from_dict(data["length"]),
                from_day_after=data.get("from_day_after", True),
                atw=data.get("atw", True),
                calendar=DutchCalendar.from_dict(data.get("calendar", {})),
                suspensions=tuple(Suspension.from_dict(s) for s in data.get("suspensions", [])),
                extensions=tuple(Extension.from_dict(e) for e in data.get("extensions", [])),
                amber=data.get("amber", 0.8),
                red=data.get("red", 1.0),
                max_extensions=data.get("max_extensions", 1),
            )
        except TermijnError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise TermijnError(f"not a termijn: {error!r}") from error
