"""ISO durations with calendar arithmetic, and form validation per field type."""

from __future__ import annotations

from datetime import datetime

import pytest

from traject.definition.duration import Duration, DurationError, normalise
from traject.definition.forms import check_form, split_personal, validate_form
from traject.definition.model import FormField


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("P10W", "P10W"),
        ("p3m", "P3M"),
        ("P1Y2M", "P1Y2M"),
        ("PT30S", "PT30S"),
        ("P34M1D", "P34M1D"),
    ],
)
def test_durations_are_normalised(text: str, canonical: str) -> None:
    assert normalise(text) == canonical


@pytest.mark.parametrize("text", ["P", "P1X", "", "10W", "-P1D", "P0D", "PT", "P1.5M"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(DurationError):
        Duration.parse(text)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2025-01-31", "P1M", "2025-02-28"),
        ("2028-01-31", "P1M", "2028-02-29"),
        ("2028-02-29", "P1Y", "2029-02-28"),
        ("2025-01-06", "P10W", "2025-03-17"),
        ("2025-11-30", "P3M", "2026-02-28"),
        ("2022-01-10", "P36M1D", "2025-01-11"),
    ],
)
def test_calendar_arithmetic_clamps_to_the_month_end(
    start: str, duration: str, expected: str
) -> None:
    moment = datetime.fromisoformat(start)
    assert Duration.parse(duration).add_to(moment).date().isoformat() == expected


def test_approximate_days_order_durations() -> None:
    assert (
        Duration.parse("P3W").approx_days()
        < Duration.parse("P1M").approx_days()
        < Duration.parse("P5W").approx_days()
    )


FORM = {
    "naam": FormField(type="text", personal=True),
    "aanwezig": FormField(type="bool", required=True),
    "route": FormField(type="choice", options=["b1", "z"], required=True),
    "themas": FormField(type="multichoice", options=["werk", "taal"]),
    "uren": FormField(type="number", min=0, max=100),
    "kinderen": FormField(type="int"),
    "trede": FormField(type="ladder"),
    "datum": FormField(type="date"),
}


def test_valid_data_has_no_errors() -> None:
    data = {
        "aanwezig": False,
        "route": "z",
        "themas": ["werk"],
        "uren": 12.5,
        "kinderen": 2,
        "trede": 3,
        "datum": "2025-02-01",
        "naam": "x",
    }
    assert validate_form(FORM, data) == {}


@pytest.mark.parametrize(
    ("data", "field", "phrase"),
    [
        ({"route": "z"}, "aanwezig", "required"),
        ({"aanwezig": "ja", "route": "z"}, "aanwezig", "yes or no"),
        ({"aanwezig": True}, "route", "required"),
        ({"aanwezig": True, "route": "b2"}, "route", "choose one of"),
        ({"aanwezig": True, "route": "z", "themas": ["werk", "werk"]}, "themas", "once"),
        ({"aanwezig": True, "route": "z", "uren": 101}, "uren", "at most 100"),
        ({"aanwezig": True, "route": "z", "uren": float("nan")}, "uren", "finite"),
        ({"aanwezig": True, "route": "z", "kinderen": 1.5}, "kinderen", "whole number"),
        ({"aanwezig": True, "route": "z", "kinderen": True}, "kinderen", "number"),
        ({"aanwezig": True, "route": "z", "trede": 7}, "trede", "1 to 6"),
        ({"aanwezig": True, "route": "z", "datum": "01-02-2025"}, "datum", "YYYY-MM-DD"),
        ({"aanwezig": True, "route": "z", "naam": "x" * 5001}, "naam", "at most"),
        ({"aanwezig": True, "route": "z", "kleur": "rood"}, "kleur", "unknown field"),
    ],
)
def test_each_bad_field_gets_its_own_message(
    data: dict[str, object], field: str, phrase: str
) -> None:
    errors = validate_form(FORM, data)
    assert phrase in errors[field]


def test_form_declarations_are_checked() -> None:
    problems = dict(
        check_form(
            {
                "a": FormField(type="choice"),
                "b": FormField(type="text", options=["x"]),
                "c": FormField(type="int", min=5, max=1),
                "d": FormField(type="bool", min=1),
            }
        )
    )
    assert set(problems) == {"a", "b", "c", "d"}


def test_personal_fields_are_split_off() -> None:
    public, personal = split_personal(FORM, {"naam": "Amina", "route": "z"})
    assert public == {"route": "z"} and personal == {"naam": "Amina"}
