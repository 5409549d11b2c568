"""The Dutch calendar against dates typed in by hand: holidays 2025-2031, werkdagen, the Atw days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traject.calendar_nl import CalendarError, DutchCalendar, easter_sunday

D = date
NL = DutchCalendar()

# Typed in from published calendars, not computed: Easter, Paasmaandag, Koningsdag, Hemelvaart
# (Easter + 39), Pinksteren (Easter + 49) and Pinkstermaandag (Easter + 50).
KNOWN = {
    2025: (
        D(2025, 4, 20),
        D(2025, 4, 21),
        D(2025, 4, 26),
        D(2025, 5, 29),
        D(2025, 6, 8),
        D(2025, 6, 9),
    ),
    2026: (
        D(2026, 4, 5),
        D(2026, 4, 6),
        D(2026, 4, 27),
        D(2026, 5, 14),
        D(2026, 5, 24),
        D(2026, 5, 25),
    ),
    2027: (
        D(2027, 3, 28),
        D(2027, 3, 29),
        D(2027, 4, 27),
        D(2027, 5, 6),
        D(2027, 5, 16),
        D(2027, 5, 17),
    ),
    2028: (
        D(2028, 4, 16),
        D(2028, 4, 17),
        D(2028, 4, 27),
        D(2028, 5, 25),
        D(2028, 6, 4),
        D(2028, 6, 5),
    ),
    2029: (
        D(2029, 4, 1),
        D(2029, 4, 2),
        D(2029, 4, 27),
        D(2029, 5, 10),
        D(2029, 5, 20),
        D(2029, 5, 21),
    ),
    2030: (
        D(2030, 4, 21),
        D(2030, 4, 22),
        D(2030, 4, 27),
        D(2030, 5, 30),
        D(2030, 6, 9),
        D(2030, 6, 10),
    ),
}
GOOD_FRIDAY = {
    2025: D(2025, 4, 18),
    2026: D(2026, 4, 3),
    2027: D(2027, 3, 26),
    2028: D(2028, 4, 14),
    2029: D(2029, 3, 30),
    2030: D(2030, 4, 19),
}


@pytest.mark.parametrize("year", sorted(KNOWN))
def test_holidays_2025_2030_match_the_table(year: int) -> None:
    easter, easter_monday, koningsdag, hemelvaart, pinksteren, pinkstermaandag = KNOWN[year]
    expected = {
        D(year, 1, 1): "Nieuwjaarsdag",
        easter: "Eerste Paasdag",
        easter_monday: "Tweede Paasdag",
        koningsdag: "Koningsdag",
        hemelvaart: "Hemelvaartsdag",
        pinksteren: "Eerste Pinksterdag",
        pinkstermaandag: "Tweede Pinksterdag",
        D(year, 12, 25): "Eerste Kerstdag",
        D(year, 12, 26): "Tweede Kerstdag",
    }
    if year % 5 == 0:
        expected[D(year, 5, 5)] = "Bevrijdingsdag"
    assert NL.holidays(year) == expected
    assert easter_sunday(year) == easter
    assert hemelvaart == easter + timedelta(days=39)
    assert pinkstermaandag == easter + timedelta(days=50)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2008, D(2008, 3, 23)),
        (2019, D(2019, 4, 21)),
        (2024, D(2024, 3, 31)),
        (2038, D(2038, 4, 25)),
    ],
)
def test_easter_in_other_years(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


@pytest.mark.parametrize(
    ("year", "day", "name"),
    [
        (2025, D(2025, 4, 26), "Koningsdag"),  # 27 April 2025 is a Sunday
        (2031, D(2031, 4, 26), "Koningsdag"),  # 27 April 2031 is a Sunday
        (2014, D(2014, 4, 26), "Koningsdag"),  # the first one, also a Sunday
        (2030, D(2030, 4, 27), "Koningsdag"),  # a Saturday stays where it is
        (2006, D(2006, 4, 29), "Koninginnedag"),  # 30 April 2006 was a Sunday
        (2013, D(2013, 4, 30), "Koninginnedag"),
    ],
)
def test_the_monarchs_day_is_never_a_sunday(year: int, day: date, name: str) -> None:
    assert NL.holidays(year)[day] == name
    assert day.weekday() != 6


def test_bevrijdingsdag_follows_the_policy() -> None:
    assert D(2025, 5, 5) in NL.holidays(2025)
    assert D(2026, 5, 5) not in NL.holidays(2026)
    assert D(2026, 5, 5) in DutchCalendar(bevrijdingsdag="yearly").holidays(2026)
    assert D(2030, 5, 5) not in DutchCalendar(bevrijdingsdag="never").holidays(2030)
    assert NL.is_workday(D(2026, 5, 5))
    assert not NL.is_workday(D(2025, 5, 5))
    assert not DutchCalendar(bevrijdingsdag="yearly").is_workday(D(2026, 5, 5))


@pytest.mark.parametrize("year", sorted(GOOD_FRIDAY))
def test_atw_days_add_good_friday_and_every_fifth_of_may(year: int) -> None:
    atw = NL.atw_holidays(year)
    assert atw[GOOD_FRIDAY[year]] == "Goede Vrijdag"  # Atw art. 3 lid 2
    assert atw[D(year, 5, 5)] == "Bevrijdingsdag"  # Atw art. 3 lid 1: "de vijfde mei"
    assert set(NL.holidays(year)) <= set(atw)
    assert NL.is_workday(GOOD_FRIDAY[year])  # not a general day off for the municipality
    assert NL.is_atw_day_off(GOOD_FRIDAY[year])


def test_atw_extra_days_and_closing_days_are_separate() -> None:
    friday = D(2026, 5, 15)  # the Friday after Hemelvaart
    closed = DutchCalendar(closing_days=frozenset({friday}))
    gelijkgesteld = DutchCalendar(atw_extra_days=frozenset({friday}))
    assert not closed.is_workday(friday) and not closed.is_atw_day_off(friday)
    assert gelijkgesteld.is_workday(friday) and gelijkgesteld.is_atw_day_off(friday)
    assert friday in gelijkgesteld.atw_holidays(2026)
    assert gelijkgesteld.next_atw_day(D(2026, 5, 14)) == D(2026, 5, 18)


def test_werkdagen_across_easter() -> None:
    thursday = D(2025, 4, 17)
    assert NL.workdays_between(thursday, D(2025, 4, 22)) == 2  # Goede Vrijdag and Tuesday
    assert NL.add_workdays(thursday, 2) == D(2025, 4, 22)
    assert NL.add_workdays(D(2025, 4, 22), -2) == thursday
    closed = DutchCalendar(closing_days=frozenset({D(2025, 4, 18)}))
    assert closed.workdays_between(thursday, D(2025, 4, 22)) == 1
    assert closed.add_workdays(thursday, 1) == D(2025, 4, 22)
    assert NL.workdays_between(D(2025, 3, 31), D(2025, 4, 30)) == 21  # 22 weekdays - Paasmaandag
    # May 2025: 22 weekdays - Bevrijdingsdag (lustrum) - Hemelvaart
    assert NL.workdays_between(D(2025, 4, 30), D(2025, 5, 31)) == 20
    never = DutchCalendar(bevrijdingsdag="never")
    assert never.workdays_between(D(2025, 4, 30), D(2025, 5, 31)) == 21


def test_werkdagen_in_a_whole_year() -> None:
    # 2026: 261 weekdays; Nieuwjaarsdag, Paasmaandag, Koningsdag, Hemelvaart, Pinkstermaandag and
    # Eerste Kerstdag fall on weekdays (Tweede Kerstdag is a Saturday)
    assert NL.workdays_between(D(2025, 12, 31), D(2026, 12, 31)) == 255
    assert (
        DutchCalendar(bevrijdingsdag="yearly").workdays_between(D(2025, 12, 31), D(2026, 12, 31))
        == 254
    )
    assert NL.workdays_between(D(2026, 12, 31), D(2025, 12, 31)) == -255


def test_add_workdays_edges() -> None:
    saturday = D(2025, 4, 26)
    assert NL.add_workdays(saturday, 0) == saturday
    assert NL.add_workdays(saturday, 1) == D(2025, 4, 28)
    assert NL.add_workdays(saturday, -1) == D(2025, 4, 25)
    assert NL.add_workdays(D(2025, 12, 24), 1) == D(2025, 12, 29)


def test_refusals() -> None:
    with pytest.raises(CalendarError):
        DutchCalendar(bevrijdingsdag="sometimes")  # type: ignore[arg-type]
    with pytest.raises(CalendarError):
        NL.holidays(1979)
    with pytest.raises(CalendarError):
        NL.is_workday(datetime(2025, 1, 2, 9, 0))
    with pytest.raises(CalendarError):
        DutchCalendar(closing_days=frozenset({"2025-01-02"}))  # type: ignore[arg-type]
    with pytest.raises(CalendarError):
        NL.add_workdays(D(2025, 1, 2), 1.5)  # type: ignore[arg-type]
    with pytest.raises(CalendarError):
        DutchCalendar.from_dict({"closing_days": ["not a date"]})


def test_two_holidays_on_one_day_share_it() -> None:
    assert NL.atw_holidays(2016)[D(2016, 5, 5)] == "Hemelvaartsdag en Bevrijdingsdag"
    assert NL.holidays(2016)[D(2016, 5, 5)] == "Hemelvaartsdag"


def test_holidays_returns_a_copy() -> None:
    NL.holidays(2025).clear()
    assert len(NL.holidays(2025)) == 10


def test_calendar_round_trips_through_a_dict() -> None:
    cal = DutchCalendar(
        closing_days=frozenset({D(2025, 12, 24), D(2025, 12, 31)}),
        bevrijdingsdag="yearly",
        atw_extra_days=frozenset({D(2025, 5, 30)}),
    )
    assert DutchCalendar.from_dict(cal.to_dict()) == cal
    assert cal.to_dict()["closing_days"] == ["2025-12-24", "2025-12-31"]
    assert DutchCalendar.from_dict({}) == NL


DAYS = st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31))
CALENDARS = st.builds(
    DutchCalendar,
    closing_days=st.frozensets(st.dates(D(1990, 1, 1), D(2091, 12, 31)), max_size=20),
    bevrijdingsdag=st.sampled_from(["lustrum", "yearly", "never"]),
)


@given(d=DAYS, n=st.integers(-400, 400), cal=CALENDARS)
def test_add_workdays_lands_on_a_workday_n_werkdagen_away(
    d: date, n: int, cal: DutchCalendar
) -> None:
    if not cal.is_workday(d):
        d = cal.add_workdays(d, 1)
    result = cal.add_workdays(d, n)
    assert cal.is_workday(result)
    assert cal.workdays_between(d, result) == n
    assert (result > d) == (n > 0) and (result < d) == (n < 0)


@given(a=DAYS, span=st.integers(-500, 500), cal=CALENDARS)
def test_workdays_between_counts_like_walking_the_days(
    a: date, span: int, cal: DutchCalendar
) -> None:
    b = a + timedelta(days=span)
    lo, hi = min(a, b), max(a, b)
    walked = sum(cal.is_workday(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert cal.workdays_between(a, b) == (walked if b >= a else -walked)


@given(a=DAYS, x=st.integers(0, 400), y=st.integers(0, 400))
def test_workdays_between_adds_up(a: date, x: int, y: int) -> None:
    b, c = a + timedelta(days=x), a + timedelta(days=x + y)
    assert NL.workdays_between(a, b) + NL.workdays_between(b, c) == NL.workdays_between(a, c)


@given(year=st.integers(1980, 9998))
def test_every_year_has_its_holidays_in_place(year: int) -> None:
    easter = easter_sunday(year)
    assert easter.weekday() == 6 and D(year, 3, 22) <= easter <= D(year, 4, 25)
    days = NL.atw_holidays(year)
    assert all(d.year == year for d in days)
    assert sum(len(name.split(" en ")) for name in days.values()) == 11  # 2016: Hemelvaart on 5 May
    koningsdag = next(d for d, name in days.items() if name.startswith("Kon"))
    assert koningsdag.weekday() != 6
