"""Form validation per field type, at the edges `test_duration_and_forms.py` leaves open: empty
answers, numbers JSON can carry, strict dates, declared limits, and what a validation never does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traject.definition.forms import validate_form
from traject.definition.model import FormField


def errors_of(spec: FormField, value: Any) -> dict[str, str]:
    return validate_form({"veld": spec}, {"veld": value})


@pytest.mark.parametrize(
    ("spec", "empty"),
    [
        (FormField(type="text", required=True), ""),
        (FormField(type="text", required=True), None),
        (FormField(type="multichoice", options=["a", "b"], required=True), []),
        (FormField(type="int", required=True), None),
        (FormField(type="date", required=True), ""),
    ],
)
def test_an_empty_answer_to_a_required_field_is_required(spec: FormField, empty: Any) -> None:
    assert errors_of(spec, empty) == {"veld": "required"}
    assert validate_form({"veld": spec}, {}) == {"veld": "required"}


@pytest.mark.parametrize("empty", [None, "", []])
def test_a_required_yes_no_question_needs_an_answer(empty: Any) -> None:
    assert errors_of(FormField(type="bool", required=True), empty) == {
        "veld": "required: answer yes or no"
    }


def test_no_is_an_answer_to_a_required_yes_no_question() -> None:
    assert errors_of(FormField(type="bool", required=True), False) == {}


@pytest.mark.parametrize("empty", [None, "", []])
def test_an_optional_field_may_be_left_empty(empty: Any) -> None:
    for kind in ("text", "bool", "int", "date", "ladder"):
        assert errors_of(FormField(type=kind), empty) == {}


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        (FormField(type="int"), 3.0, None),
        (FormField(type="int"), 10**400, None),
        (FormField(type="int", max=100), 10**400, "at most 100"),
        (FormField(type="ladder"), 10**400, "a participatieladder step is 1 to 6"),
        (FormField(type="ladder"), 0, "a participatieladder step is 1 to 6"),
        (FormField(type="ladder"), 6, None),
        (FormField(type="ladder"), 2.5, "must be a whole number"),
        (FormField(type="number", min=0), -0.5, "at least 0"),
        (FormField(type="number", min=0, max=1), 1, None),
        (FormField(type="number"), float("inf"), "must be a finite number"),
        (FormField(type="number"), "12", "must be a number"),
        (FormField(type="int"), False, "must be a number"),
    ],
)
def test_numbers(spec: FormField, value: Any, message: str | None) -> None:
    assert errors_of(spec, value) == ({"veld": message} if message else {})


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2028-02-29", True),
        ("2027-02-29", False),
        ("2025-13-01", False),
        ("20250102", False),
        ("2025-W01-1", False),
        ("2025-01-02T09:00", False),
        (" 2025-01-02", False),
        (20250102, False),
    ],
)
def test_a_date_is_a_real_day_written_yyyy_mm_dd(value: Any, valid: bool) -> None:
    expected = {} if valid else {"veld": "must be a date (YYYY-MM-DD)"}
    assert errors_of(FormField(type="date"), value) == expected


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        (FormField(type="string"), "x" * 200, None),
        (FormField(type="string"), "x" * 201, "at most 200 characters"),
        (FormField(type="text"), "x" * 5000, None),
        (FormField(type="text", max_length=10), "x" * 11, "at most 10 characters"),
        (FormField(type="text"), 12, "must be text"),
    ],
)
def test_text_lengths(spec: FormField, value: Any, message: str | None) -> None:
    assert errors_of(spec, value) == ({"veld": message} if message else {})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["werk"], None),
        (["werk", "taal"], None),
        ("werk", "choose from: werk, taal"),
        (["werk", "sport"], "choose from: werk, taal"),
        ([{"werk": True}], "choose from: werk, taal"),
        (["taal", "taal"], "choose each option once"),
    ],
)
def test_multichoice(value: Any, message: str | None) -> None:
    spec = FormField(type="multichoice", options=["werk", "taal"])
    assert errors_of(spec, value) == ({"veld": message} if message else {})


@pytest.mark.parametrize("value", ["B1", "b1 ", ["b1"], {"b1": 1}, 1])
def test_a_choice_is_exactly_one_of_the_options(value: Any) -> None:
    spec = FormField(type="choice", options=["b1", "z"])
    assert errors_of(spec, value) == {"veld": "choose one of: b1, z"}


def test_every_field_is_judged_at_once() -> None:
    form = {
        "route": FormField(type="choice", options=["b1", "z"], required=True),
        "uren": FormField(type="int", min=0),
        "akkoord": FormField(type="bool", required=True),
    }
    errors = validate_form(form, {"uren": -1, "kleur": "rood", "akkoord": "ja"})
    assert errors == {
        "kleur": "unknown field 'kleur'",
        "route": "required",
        "uren": "at least 0",
        "akkoord": "must be yes or no (true/false)",
    }


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
SPECS = st.builds(
    FormField,
    type=st.sampled_from(
        ["text", "string", "bool", "int", "number", "date", "choice", "multichoice", "ladder"]
    ),
    required=st.booleans(),
    options=st.just(["a", "b"]),
    min=st.none() | st.integers(-5, 5),
    max=st.none() | st.integers(5, 10),
)


@settings(max_examples=200, deadline=None)
@given(SPECS, st.dictionaries(st.sampled_from(["veld", "ander"]), JSON_VALUES))
def test_any_json_gives_messages_never_an_exception(spec: FormField, data: dict[str, Any]) -> None:
    before = repr(data)
    errors = validate_form({"veld": spec}, data)
    assert all(isinstance(m, str) and m for m in errors.values())
    assert set(errors) <= {"veld", "ander"}
    assert ("ander" in errors) == ("ander" in data)
    assert repr(data) == before  # the submitted data is not touched
