"""Termijn arithmetic (month ends, leap years, the Algemene termijnenwet) and running termijnen:
suspension, resumption, extension, status, and the plain-dict form workflow messages carry."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traject.calendar_nl import DutchCalendar
from traject.termijn import (
    Length,
    Termijn,
    TermijnError,
    Unit,
    add_months,
    atw_applies,
    deadline,
)

D = date
NL = DutchCalendar()


def weeks(n: int) -> Length:
    return Length(n, Unit.WEEKS)


# --- arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "length", "expected"),
    [
        (D(2027, 1, 31), Length(1, Unit.MONTHS), D(2027, 2, 28)),
        (D(2028, 1, 31), Length(1, Unit.MONTHS), D(2028, 2, 29)),  # leap year
        (D(2028, 2, 29), Length(1, Unit.YEARS), D(2029, 2, 28)),
        (D(2028, 2, 29), Length(4, Unit.YEARS), D(2032, 2, 29)),
        (D(2028, 2, 29), Length(12, Unit.MONTHS), D(2029, 2, 28)),
        (D(2027, 3, 31), Length(1, Unit.MONTHS), D(2027, 4, 30)),
        (D(2027, 1, 31), Length(13, Unit.MONTHS), D(2028, 2, 29)),
        (D(2025, 9, 1), weeks(6), D(2025, 10, 13)),  # 6 weeks from Monday: a Monday
        (D(2025, 12, 31), Length(1, Unit.DAYS), D(2026, 1, 1)),
    ],
)
def test_from_the_day_after_ends_on_the_same_date(
    start: date, length: Length, expected: date
) -> None:
    assert deadline(start, length, atw=False) == expected


@pytest.mark.parametrize(
    ("start", "length", "expected"),
    [
        (D(2027, 3, 1), Length(1, Unit.MONTHS), D(2027, 3, 31)),
        (D(2027, 1, 31), Length(1, Unit.MONTHS), D(2027, 2, 28)),
        (D(2028, 1, 15), Length(1, Unit.MONTHS), D(2028, 2, 14)),
        (D(2028, 2, 29), Length(1, Unit.YEARS), D(2029, 2, 28)),
        (D(2028, 3, 1), Length(1, Unit.YEARS), D(2029, 2, 28)),
        (D(2025, 9, 1), weeks(6), D(2025, 10, 12)),
        (D(2025, 9, 1), Length(1, Unit.DAYS), D(2025, 9, 1)),
    ],
)
def test_counting_the_start_day_ends_a_day_earlier(
    start: date, length: Length, expected: date
) -> None:
    assert deadline(start, length, from_day_after=False, atw=False) == expected


def test_add_months_clamps_and_goes_back() -> None:
    assert add_months(D(2027, 1, 31), 1) == D(2027, 2, 28)
    assert add_months(D(2028, 3, 31), -1) == D(2028, 2, 29)
    assert add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)


# --- Algemene termijnenwet ----------------------------------------------------------------------


def test_atw_moves_a_saturday_to_monday() -> None:
    saturday = D(2025, 9, 6)
    assert deadline(saturday, weeks(6), atw=False) == D(2025, 10, 18)
    assert deadline(saturday, weeks(6)) == D(2025, 10, 20)


def test_atw_moves_past_a_holiday() -> None:
    # 2 weeks from 4 April 2025 ends on Goede Vrijdag: Friday, weekend and Paasmaandag are skipped
    assert deadline(D(2025, 4, 4), weeks(2)) == D(2025, 4, 22)
    # ends on Tweede Kerstdag (Friday) -> Monday
    assert deadline(D(2025, 12, 12), weeks(2)) == D(2025, 12, 29)
    # 5 May counts every year for the Atw, even where the municipality works that day
    assert NL.is_workday(D(2026, 5, 5))
    assert deadline(D(2026, 4, 28), weeks(1)) == D(2026, 5, 6)


def test_atw_on_a_month_end() -> None:
    assert deadline(D(2027, 1, 31), Length(1, Unit.MONTHS)) == D(2027, 3, 1)  # 28 Feb 2027: Sunday


def test_atw_article_2_needs_two_working_days_in_the_termijn() -> None:
    # 3 days from Thursday 17 April 2025: Fri (Goede Vrijdag), Sat, Sun -> art. 1 gives Tuesday 22,
    # the only day in the termijn that is not a day off -> art. 2 extends to Wednesday 23
    assert deadline(D(2025, 4, 17), Length(3, Unit.DAYS)) == D(2025, 4, 23)
    # shorter than three days: art. 2 does not apply
    assert deadline(D(2025, 4, 17), Length(2, Unit.DAYS)) == D(2025, 4, 22)


def test_atw_article_4_excludes_long_termijnen() -> None:
    friday = D(2025, 3, 14)
    assert deadline(friday, Length(1, Unit.YEARS)) == D(2026, 3, 14)  # a Saturday, not extended
    assert deadline(D(2025, 3, 15), Length(3, Unit.YEARS)) == D(2028, 3, 15)
    assert not atw_applies(Length(13, Unit.WEEKS)) and atw_applies(weeks(12))
    assert not atw_applies(Length(91, Unit.DAYS)) and atw_applies(Length(90, Unit.DAYS))
    assert not atw_applies(Length(4, Unit.MONTHS)) and atw_applies(Length(3, Unit.MONTHS))
    assert not atw_applies(Length(1, Unit.YEARS))


def test_atw_ignores_municipal_closing_days() -> None:
    closed = DutchCalendar(closing_days=frozenset({D(2025, 10, 20)}))
    assert deadline(D(2025, 9, 6), weeks(6), calendar=closed) == D(2025, 10, 20)


def test_werkdagen_termijnen() -> None:
    thursday = D(2025, 4, 17)
    assert deadline(thursday, Length(3, Unit.WERKDAGEN)) == D(2025, 4, 23)  # 18, 22, 23
    assert deadline(thursday, Length(3, Unit.WERKDAGEN), from_day_after=False) == D(2025, 4, 22)
    assert deadline(D(2025, 4, 19), Length(1, Unit.WERKDAGEN), from_day_after=False) == D(
        2025, 4, 22
    )
    closed = DutchCalendar(closing_days=frozenset({D(2025, 4, 18)}))
    assert deadline(thursday, Length(3, Unit.WERKDAGEN), calendar=closed) == D(2025, 4, 24)


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "3"])
def test_a_length_is_a_positive_whole_number(n: object) -> None:
    with pytest.raises(TermijnError):
        Length(n, Unit.DAYS)  # type: ignore[arg-type]


def test_a_length_has_a_known_unit_and_a_sane_size() -> None:
    with pytest.raises(TermijnError):
        Length(3, "fortnights")  # type: ignore[arg-type]
    with pytest.raises(TermijnError):
        Length(101, Unit.YEARS)
    assert Length(3, "werkdagen").unit is Unit.WERKDAGEN  # type: ignore[arg-type]
    assert str(Length(10, Unit.WEEKS)) == "10 weeks"


# --- running termijnen --------------------------------------------------------------------------

MONDAY = D(2025, 3, 3)


def beslistermijn(**kwargs: object) -> Termijn:
    return Termijn("beslistermijn", MONDAY, weeks(8), **kwargs)  # type: ignore[arg-type]


def test_suspend_and_resume_moves_the_deadline() -> None:
    t = beslistermijn(atw=False)
    assert t.due() == D(2025, 4, 28)
    s = t.suspend(D(2025, 3, 10), "aanvraag aanvullen (Awb 4:15)")
    assert s.suspended and not t.suspended  # t itself is unchanged
    assert s.status(D(2025, 3, 12)) == "suspended"
    with pytest.raises(TermijnError):
        s.due()  # not fixed while suspended
    assert s.due(as_of=D(2025, 3, 17)) == D(2025, 5, 5)
    r = s.resume(D(2025, 3, 17))
    assert r.due() == D(2025, 5, 5)
    assert r.suspended_days() == 7
    # a same-day suspension costs nothing
    assert t.suspend(D(2025, 3, 10), "x").resume(D(2025, 3, 10)).due() == t.due()


def test_the_atw_applies_after_a_suspension() -> None:
    r = beslistermijn().suspend(D(2025, 3, 10), "aanvulling").resume(D(2025, 3, 17))
    assert r.due() == D(2025, 5, 6)  # 5 May (Atw feestdag) -> Tuesday


def test_two_suspensions_and_an_extension() -> None:
    t = (
        beslistermijn(atw=False, max_extensions=2)
        .suspend(D(2025, 3, 10), "aanvulling")
        .resume(D(2025, 3, 17))
        .suspend(D(2025, 3, 17), "advies")
        .resume(D(2025, 3, 20))
        .extend(weeks(6), "verdaging (Awb 7:10 lid 3)", at=D(2025, 4, 1))
    )
    assert t.due() == D(2025, 4, 28) + timedelta(days=7 + 3 + 42)
    assert t.extend(Length(2, Unit.DAYS), "instemming").due() == t.due() + timedelta(days=2)


def test_werkdagen_termijnen_resume_with_the_werkdagen_left() -> None:
    t = Termijn("reactie", D(2025, 4, 14), Length(10, Unit.WERKDAGEN))
    assert t.due() == D(2025, 4, 29)
    r = t.suspend(D(2025, 4, 16), "wacht op tolk").resume(D(2025, 4, 23))
    assert r.suspended_days() == 4  # 17, 18, 22, 23 April
    # 8 werkdagen left after the 23rd: 24, 25, 28, 29, 30 April, 1, 2 and 6 May (5 May: lustrum)
    assert r.due() == D(2025, 5, 6)


def test_extension_of_a_month_from_a_clamped_month_end() -> None:
    t = Termijn("x", D(2027, 1, 31), Length(1, Unit.MONTHS), atw=False)
    assert t.extend(Length(1, Unit.MONTHS), "verlenging").due() == D(2027, 3, 28)


def test_status_thresholds() -> None:
    t = Termijn("pip", MONDAY, weeks(10), atw=False)  # 70 days: 4 March to 12 May
    assert t.due() == D(2025, 5, 12)
    assert t.status(D(2025, 3, 1)) == "on_time"
    assert t.status(MONDAY) == "on_time"
    assert t.status(D(2025, 4, 27)) == "on_time"  # 55 of 70 days
    assert t.status(D(2025, 4, 28)) == "amber"  # 56 of 70 = 0.8
    assert t.status(D(2025, 5, 11)) == "amber"
    assert t.status(D(2025, 5, 12)) == "red"  # the last day
    assert t.status(D(2025, 5, 13)) == "expired"
    assert t.elapsed_share(D(2025, 5, 12)) == 1.0
    strict = dataclasses.replace(t, amber=0.5, red=0.9)
    assert strict.status(D(2025, 4, 7)) == "amber" and strict.status(D(2025, 5, 6)) == "red"


def test_status_does_not_count_suspended_days() -> None:
    t = Termijn("pip", MONDAY, weeks(10), atw=False).suspend(D(2025, 3, 13), "ziek")
    assert t.status(D(2025, 3, 12)) == "on_time"
    assert t.status(D(2025, 6, 1)) == "suspended"
    r = t.resume(D(2025, 3, 27))  # 14 days
    assert r.due() == D(2025, 5, 26)
    assert r.status(D(2025, 5, 11)) == "on_time"  # 55 counted days: 69 elapsed - 14 suspended
    assert r.status(D(2025, 5, 12)) == "amber"
    assert r.status(D(2025, 5, 26)) == "red"
    assert r.status(D(2025, 5, 27)) == "expired"


def test_refused_operations() -> None:
    t = beslistermijn()
    s = t.suspend(D(2025, 3, 10), "aanvulling")
    with pytest.raises(TermijnError, match="already suspended"):
        s.suspend(D(2025, 3, 11), "nog eens")
    with pytest.raises(TermijnError, match="not suspended"):
        t.resume(D(2025, 3, 11))
    with pytest.raises(TermijnError, match="before the start"):
        t.suspend(D(2025, 3, 2), "te vroeg")
    with pytest.raises(TermijnError, match="before the suspension"):
        s.resume(D(2025, 3, 9))
    with pytest.raises(TermijnError, match="previous resumption"):
        s.resume(D(2025, 3, 17)).suspend(D(2025, 3, 16), "terug in de tijd")
    with pytest.raises(TermijnError, match="expired"):
        t.suspend(D(2025, 4, 29), "te laat")
    with pytest.raises(TermijnError, match="reason"):
        t.suspend(D(2025, 3, 10), " ")
    with pytest.raises(TermijnError):
        t.extend(Length(0, Unit.WEEKS), "niets")
    with pytest.raises(TermijnError):
        t.extend(Length(-6, Unit.WEEKS), "terug")
    with pytest.raises(TermijnError, match="at most 1"):
        t.extend(weeks(6), "verdaging").extend(weeks(1), "nog een")
    with pytest.raises(TermijnError, match="expired"):
        t.extend(weeks(6), "te laat", at=D(2025, 4, 29))
    with pytest.raises(TermijnError, match="at most 0"):
        beslistermijn(max_extensions=0).extend(weeks(1), "x")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amber": 0.9, "red": 0.8},
        {"amber": 0, "red": 1.0},
        {"red": 1.5},
        {"max_extensions": -1},
        {"atw": "yes"},
        {"extensions": ("x",)},
    ],
)
def test_invalid_termijnen(kwargs: dict[str, object]) -> None:
    with pytest.raises(TermijnError):
        beslistermijn(**kwargs)


def test_termijnen_are_immutable() -> None:
    t = beslistermijn()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.started = D(2025, 1, 1)  # type: ignore[misc]


def test_round_trip_through_json() -> None:
    t = (
        Termijn(
            "bezwaar",
            MONDAY,
            weeks(6),
            calendar=DutchCalendar(
                closing_days=frozenset({D(2025, 3, 7)}), bevrijdingsdag="yearly"
            ),
            amber=0.75,
        )
        .suspend(D(2025, 3, 4), "hoorzitting")
        .resume(D(2025, 3, 8))
        .extend(weeks(6), "verdaging", at=D(2025, 3, 20))
        .suspend(D(2025, 4, 1), "advies")
    )
    data = json.loads(json.dumps(t.to_dict()))
    assert Termijn.from_dict(data) == t
    assert data["suspensions"][-1] == {"start": "2025-04-01", "until": None, "reason": "advies"}
    assert data["length"] == {"n": 6, "unit": "weeks"}


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"name": "x", "started": "gisteren", "length": {"n": 1, "unit": "days"}},
        {"name": "x", "started": "2025-01-01", "length": {"n": 1, "unit": "eons"}},
        {
            "name": "x",
            "started": "2025-01-01",
            "length": {"n": 1, "unit": "weeks"},
            "suspensions": [
                {"start": "2025-01-02", "until": None, "reason": "a"},
                {"start": "2025-01-03", "until": "2025-01-04", "reason": "b"},
            ],
        },
        {"name": "x", "started": "2025-01-01", "length": {"n": 1, "unit": "days"}, "calendar": 3},
    ],
)
def test_from_dict_refuses_malformed_input(broken: dict[str, object]) -> None:
    with pytest.raises(TermijnError):
        Termijn.from_dict(broken)


# --- properties ---------------------------------------------------------------------------------

STARTS = st.dates(min_value=D(1990, 1, 1), max_value=D(2080, 12, 31))
CALENDAR_LENGTHS = st.builds(
    Length, st.integers(1, 40), st.sampled_from([Unit.DAYS, Unit.WEEKS, Unit.MONTHS, Unit.YEARS])
)
LENGTHS = st.builds(Length, st.integers(1, 40), st.sampled_from(list(Unit)))


@given(start=STARTS, length=CALENDAR_LENGTHS, offset=st.integers(0, 400), k=st.integers(0, 400))
def test_a_suspension_of_k_days_moves_the_deadline_k_days(
    start: date, length: Length, offset: int, k: int
) -> None:
    t = Termijn("t", start, length, atw=False)
    at = min(start + timedelta(days=offset), t.due())
    moved = t.suspend(at, "r").resume(at + timedelta(days=k))
    assert moved.due() == t.due() + timedelta(days=k)


@given(start=STARTS, n=st.integers(1, 60), offset=st.integers(0, 80), k=st.integers(0, 60))
def test_a_werkdagen_suspension_moves_the_deadline_by_its_werkdagen(
    start: date, n: int, offset: int, k: int
) -> None:
    t = Termijn("t", start, Length(n, Unit.WERKDAGEN), atw=False)
    at = min(start + timedelta(days=offset), t.due())
    until = at + timedelta(days=k)
    moved = t.suspend(at, "r").resume(until)
    assert moved.due() == NL.add_workdays(t.due(), NL.workdays_between(at, until))
    assert NL.workdays_between(until, moved.due()) == max(NL.workdays_between(at, t.due()), 0)


@given(start=STARTS, length=LENGTHS, from_day_after=st.booleans())
def test_the_atw_only_ever_extends(start: date, length: Length, from_day_after: bool) -> None:
    plain = deadline(start, length, from_day_after, atw=False)
    legal = deadline(start, length, from_day_after)
    assert legal >= plain
    if atw_applies(length):
        assert not NL.is_atw_day_off(legal)
    else:
        assert legal == plain


@given(start=STARTS, length=CALENDAR_LENGTHS)
def test_counting_the_start_day_is_never_later(start: date, length: Length) -> None:
    if length.unit in (Unit.DAYS, Unit.WEEKS):
        assert deadline(start, length, False, atw=False) == deadline(
            start - timedelta(days=1), length, atw=False
        )
    # never later; months can clamp both to the same month end (30 Jan 2000 + 1 month: 29 Feb)
    assert deadline(start, length, False, atw=False) <= deadline(start, length, atw=False)


@given(start=STARTS, n=st.integers(1, 60))
def test_werkdagen_deadlines_are_n_werkdagen_away(start: date, n: int) -> None:
    due = deadline(start, Length(n, Unit.WERKDAGEN), atw=False)
    assert NL.is_workday(due) and NL.workdays_between(start, due) == n


@given(start=STARTS, length=LENGTHS, ops=st.lists(st.integers(0, 120), max_size=6))
def test_the_status_runs_forward_and_the_dict_round_trips(
    start: date, length: Length, ops: list[int]
) -> None:
    t = Termijn("t", start, length, max_extensions=3)
    for i, step in enumerate(ops):
        at = (t.suspensions[-1].until or t.suspensions[-1].start) if t.suspensions else start
        at = at + timedelta(days=step)
        if t.suspended:
            t = t.resume(at)
        elif i % 3 == 2 and len(t.extensions) < 3:
            t = t.extend(Length(step % 10 + 1, Unit.DAYS), "r")
        elif at <= t.due():
            t = t.suspend(at, "r")
    assert Termijn.from_dict(json.loads(json.dumps(t.to_dict()))) == t
    if t.suspended:
        t = t.resume(t.suspensions[-1].start)
    order = ["on_time", "amber", "red", "expired"]
    due = t.due()
    step = max((due - start).days // 60, 1)
    days = [*(start + timedelta(days=i) for i in range(-3, (due - start).days, step)), due]
    seen = [order.index(t.status(d)) for d in [*days, due + timedelta(days=1)]]
    assert seen == sorted(seen)
    assert seen[-2:] == [2, 3]  # red on the last day, expired the day after
