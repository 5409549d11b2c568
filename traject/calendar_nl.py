"""The Dutch calendar a municipality counts termijnen in: public holidays for any year (Easter by the
anonymous Gregorian algorithm), werkdagen, and the days the Algemene termijnenwet (Atw) skips.

Pure: stdlib `datetime` only, no clock, no I/O, so it runs inside Temporal workflows.

Two lists, on purpose:

* `holidays(year)` are the days off that make a weekday a non-werkdag for the municipality: the
  Atw art. 3 lid 1 list (Nieuwjaarsdag, tweede Paas- en Pinksterdag, Hemelvaartsdag, beide
  Kerstdagen, Koningsdag) plus the Easter and Whit Sundays for naming. Bevrijdingsdag follows the
  municipality's policy (`lustrum`: every fifth year as in most cao's, `yearly`, `never`). Goede
  Vrijdag is NOT in it: it is no general day off in Dutch government practice; a municipality that
  closes adds it to `closing_days`, with any other own closing day (e.g. the Friday after Hemelvaart).
* `atw_holidays(year)` are the algemeen erkende feestdagen of the Atw, which extend statutory
  termijnen whatever the municipality does: art. 3 lid 1 (with "de vijfde mei" every year), Goede
  Vrijdag (art. 3 lid 2 gelijkgesteld), and the days the government gelijkstelt by besluit in the
  Staatscourant (art. 3 lid 3), which cannot be computed and are passed as `atw_extra_days`.
  A municipality's own closing days do not extend a statutory termijn.

Koningsdag is 27 April, or Saturday 26 April when the 27th is a Sunday (the 1980 Royal Decree: the
monarch's day is never celebrated on a Sunday); 1980-2013 it was Koninginnedag, 30 (or 29) April.
Years before 1980 are refused; the current Atw list is applied to every supported year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, get_args

BevrijdingsdagPolicy = Literal["lustrum", "yearly", "never"]
MIN_YEAR = 1980
_DAY = timedelta(days=1)


class CalendarError(ValueError):
    """A calendar that cannot be built or asked: unknown policy, a year before 1980, not a date."""


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def monarch_day(year: int) -> tuple[date, str]:
    """The day the monarch's birthday is celebrated, never on a Sunday (Royal Decree of 1980)."""
    _check_year(year)
    day, name = (
        (date(year, 4, 27), "Koningsdag") if year >= 2014 else (date(year, 4, 30), "Koninginnedag")
    )
    return (day - _DAY if day.weekday() == 6 else day), name


def _check_year(year: int) -> None:
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= 9998:
        raise CalendarError(f"year {year!r} is outside {MIN_YEAR}-9998, the calendar's range")


def check_date(value: object, what: str = "date") -> date:
    """`value` if it is a plain `date` (a `datetime` is refused: it would compare unequal)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise CalendarError(f"{what} must be a datetime.date, not {type(value).__name__}")
    return value


@lru_cache(maxsize=512)
def _holidays(year: int, bevrijdingsdag: BevrijdingsdagPolicy) -> tuple[tuple[date, str], ...]:
    easter = easter_sunday(year)
    monarch, monarch_name = monarch_day(year)
    days = [
        (date(year, 1, 1), "Nieuwjaarsdag"),
        (easter, "Eerste Paasdag"),
        (easter + timedelta(days=1), "Tweede Paasdag"),
        (monarch, monarch_name),
        (easter + timedelta(days=39), "Hemelvaartsdag"),
        (easter + timedelta(days=49), "Eerste Pinksterdag"),
        (easter + timedelta(days=50), "Tweede Pinksterdag"),
        (date(year, 12, 25), "Eerste Kerstdag"),
        (date(year, 12, 26), "Tweede Kerstdag"),
    ]
    if bevrijdingsdag == "yearly" or (bevrijdingsdag == "lustrum" and year % 5 == 0):
        days.append((date(year, 5, 5), "Bevrijdingsdag"))
    return _merged(days)


def _merged(days: list[tuple[date, str]]) -> tuple[tuple[date, str], ...]:
    """One entry per date: two holidays on one day (Hemelvaart on 5 May 2016) share it."""
    names: dict[date, str] = {}
    for day, name in days:
        names[day] = f"{names[day]} en {name}" if day in names else name
    return tuple(sorted(names.items()))


@lru_cache(maxsize=512)
def _atw_holidays(year: int) -> tuple[tuple[date, str], ...]:
    easter = easter_sunday(year)
    days = list(_holidays(year, "yearly"))  # Atw art. 3 lid 1: "de vijfde mei", every year
    days.append((easter - timedelta(days=2), "Goede Vrijdag"))  # Atw art. 3 lid 2
    return _merged(days)


@dataclass(frozen=True, slots=True)
class DutchCalendar:
    """A municipality's working calendar. Immutable and hashable: a running termijn keeps the
    calendar it was started with, so replaying a workflow gives the same dates."""

    closing_days: frozenset[date] = field(default_factory=frozenset)
    bevrijdingsdag: BevrijdingsdagPolicy = "lustrum"
    atw_extra_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.bevrijdingsdag not in get_args(BevrijdingsdagPolicy):
            raise CalendarError(
                f"bevrijdingsdag must be one of {get_args(BevrijdingsdagPolicy)}, "
                f"not {self.bevrijdingsdag!r}"
            )
        for name in ("closing_days", "atw_extra_days"):
            days = getattr(self, name)
            if not isinstance(days, frozenset):
                days = frozenset(days)
                object.__setattr__(self, name, days)
            for day in days:
                check_date(day, f"each of {name}")

    def holidays(self, year: int) -> dict[date, str]:
        """The general days off of `year` (Dutch names), Bevrijdingsdag per this calendar's policy."""
        _check_year(year)
        return dict(_holidays(year, self.bevrijdingsdag))

    def atw_holidays(self, year: int) -> dict[date, str]:
        """The Atw's algemeen erkende feestdagen and gelijkgestelde dagen of `year`."""
        _check_year(year)
        days = dict(_atw_holidays(year))
        for day in self.atw_extra_days:
            if day.year == year:
                days.setdefault(day, "Gelijkgestelde dag (Atw art. 3 lid 3)")
        return dict(sorted(days.items()))

    def is_workday(self, d: date) -> bool:
        """Monday to Friday, not a holiday of `holidays`, not one of the closing days."""
        check_date(d)
        if d.weekday() >= 5 or d in self.closing_days:
            return False
        _check_year(d.year)
        return all(day != d for day, _ in _holidays(d.year, self.bevrijdingsdag))

    def is_atw_day_off(self, d: date) -> bool:
        """A Saturday, Sunday or Atw feestdag: a statutory termijn may not end on it (Atw art. 1)."""
        check_date(d)
        if d.weekday() >= 5 or d in self.atw_extra_days:
            return True
        _check_year(d.year)
        return any(day == d for day, _ in _atw_holidays(d.year))

    def next_atw_day(self, d: date) -> date:
        """`d`, or the first later day that is not an Atw day off."""
        while self.is_atw_day_off(d):
            d += _DAY
        return d

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th werkdag after `d` (before it when n < 0); `d` itself never counts, and
        `add_workdays(d, 0)` is `d`. For a werkdag d, `workdays_between(d, result) == n`."""
        check_date(d)
        if not isinstance(n, int) or isinstance(n, bool):
            raise CalendarError(f"a number of werkdagen must be an int, not {n!r}")
        step = _DAY if n > 0 else -_DAY
        for _ in range(abs(n)):
            d += step
            while not self.is_workday(d):
                d += step
        return d

    def workdays_between(self, a: date, b: date) -> int:
        """The werkdagen in (a, b]: after `a`, up to and including `b`; negative when b < a."""
        check_date(a, "a")
        check_date(b, "b")
        if b < a:
            return -self.workdays_between(b, a)
        _check_year(a.year)
        _check_year(b.year)
        off = {d for d in self.closing_days if a < d <= b and d.weekday() < 5}
        for year in range(a.year, b.year + 1):
            off.update(
                d for d, _ in _holidays(year, self.bevrijdingsdag) if a < d <= b and d.weekday() < 5
            )
        return _weekdays_upto(b) - _weekdays_upto(a) - len(off)

    def to_dict(self) -> dict[str, Any]:
        return {
            "closing_days": sorted(d.isoformat() for d in self.closing_days),
            "bevrijdingsdag": self.bevrijdingsdag,
            "atw_extra_days": sorted(d.isoformat() for d in self.atw_extra_days),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DutchCalendar:
        try:
            return cls(
                closing_days=frozenset(date.fromisoformat(d) for d in data.get("closing_days", [])),
                bevrijdingsdag=data.get("bevrijdingsdag", "lustrum"),
                atw_extra_days=frozenset(
                    date.fromisoformat(d) for d in data.get("atw_extra_days", [])
                ),
            )
        except (TypeError, ValueError, AttributeError) as error:
            if isinstance(error, CalendarError):
                raise
            raise CalendarError(f"not a calendar: {error}") from error


def _weekdays_upto(d: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday) up to and including `d`."""
    weeks, rest = divmod(d.toordinal(), 7)
    return 5 * weeks + min(rest, 5)
