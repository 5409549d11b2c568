"""ISO durations beyond the basic cases of `test_duration_and_forms.py`: the order of calendar
arithmetic, time of day and time zones, the upper bound, and the canonical spelling as a property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traject.definition.duration import MAX_YEARS, Duration, DurationError, normalise

AMSTERDAM_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (" p1y2m ", "P1Y2M"),
        ("P0Y3M", "P3M"),
        ("P1DT0H", "P1D"),
        ("PT36H", "PT36H"),
        ("P2DT12H", "P2DT12H"),
        ("P1W3D", "P1W3D"),
    ],
)
def test_the_canonical_spelling_drops_zero_parts_and_keeps_the_rest(
    text: str, canonical: str
) -> None:
    assert normalise(text) == canonical


@pytest.mark.parametrize("text", ["PT0S", "P1DT", "P1M2Y", "P1.5D", "P-1D", "P1D ago", None, 14])
def test_malformed_or_zero_durations_are_refused(text: object) -> None:
    with pytest.raises(DurationError):
        Duration.parse(text)  # type: ignore[arg-type]


def test_a_refusal_names_the_text_and_gives_examples() -> None:
    with pytest.raises(DurationError, match=r"'P1X' is not an ISO-8601 duration \(examples: P10W"):
        Duration.parse("P1X")


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # months first, clamped, then days: 31 Jan + 1 month = 28 Feb, + 1 day = 1 Mar
        ("2025-01-31T09:00", "P1M1D", "2025-03-01T09:00"),
        ("2028-01-31T09:00", "P1M1D", "2028-03-01T09:00"),
        ("2025-03-31T09:00", "P1M", "2025-04-30T09:00"),
        ("2027-12-31T09:00", "P1Y2M", "2029-02-28T09:00"),
        ("2025-12-15T09:00", "P1M", "2026-01-15T09:00"),
        ("2025-01-06T23:59:45", "PT30S", "2025-01-07T00:00:15"),
        ("2025-01-06T09:00", "P1DT15H", "2025-01-08T00:00"),
        ("2028-02-29T09:00", "P4Y", "2032-02-29T09:00"),
    ],
)
def test_calendar_arithmetic_keeps_the_time_of_day(
    start: str, duration: str, expected: str
) -> None:
    result = Duration.parse(duration).add_to(datetime.fromisoformat(start))
    assert result == datetime.fromisoformat(expected)


def test_the_time_zone_of_the_start_is_kept() -> None:
    start = datetime(2025, 1, 31, 9, 0, tzinfo=AMSTERDAM_WINTER)
    result = Duration.parse("P1M").add_to(start)
    assert result == datetime(2025, 2, 28, 9, 0, tzinfo=AMSTERDAM_WINTER)
    assert result.utcoffset() == timedelta(hours=1)


def test_ten_weeks_is_seventy_days_whatever_the_month_lengths() -> None:
    start = datetime(2028, 1, 1, tzinfo=UTC)
    assert Duration.parse("P10W").add_to(start) - start == timedelta(days=70)


def test_approximate_days_agree_with_the_calendar_and_order_durations() -> None:
    days = {text: Duration.parse(text).approx_days() for text in ("P1D", "PT24H", "P1W", "P7D")}
    assert days["P1D"] == days["PT24H"] == 1 and days["P1W"] == days["P7D"] == 7
    assert Duration.parse("P1Y").approx_days() == pytest.approx(365.2425)
    assert Duration.parse("P12M").approx_days() == Duration.parse("P1Y").approx_days()
    ordered = ["PT30S", "PT1H", "P1D", "P1W", "P4W", "P1M", "P5W", "P3M", "P1Y", "P18M"]
    assert sorted(ordered, key=lambda t: Duration.parse(t).approx_days()) == ordered


def test_a_hundred_years_is_the_longest_duration() -> None:
    assert Duration.parse(f"P{MAX_YEARS}Y").years == MAX_YEARS
    for too_long in (f"P{MAX_YEARS + 1}Y", "P99999D", "PT9999999999S", "P1201M"):
        with pytest.raises(DurationError, match=f"longer than {MAX_YEARS} years"):
            Duration.parse(too_long)


PARTS = st.integers(min_value=0, max_value=30)


@st.composite
def durations(draw: st.DrawFn) -> Duration:
    duration = Duration(
        years=draw(st.integers(0, 5)),
        months=draw(PARTS),
        weeks=draw(PARTS),
        days=draw(PARTS),
        hours=draw(PARTS),
        minutes=draw(PARTS),
        seconds=draw(PARTS),
    )
    return duration if duration.approx_seconds() else Duration(days=1)


@settings(max_examples=200, deadline=None)
@given(durations())
def test_the_canonical_spelling_parses_back_to_the_same_duration(duration: Duration) -> None:
    text = duration.iso()
    assert Duration.parse(text) == duration
    assert normalise(text.lower()) == text


@settings(max_examples=200, deadline=None)
@given(
    durations(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31)),
)
def test_adding_a_duration_moves_forward_and_lands_on_a_real_date(
    duration: Duration, start: datetime
) -> None:
    end = duration.add_to(start)
    assert end > start
    # weeks, days and time are exact; calendar months differ from their average by a few days
    calendar_months = duration.years * 12 + duration.months
    slack = 6 if calendar_months else 1e-6
    assert abs((end - start).total_seconds() / 86400 - duration.approx_days()) < slack
