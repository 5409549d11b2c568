"""Human-task forms: checking a form's declaration, and validating submitted data against it.

`validate_form` is the one place form data is judged: the workflow's update validator, the API's 422
and the web page's inline messages all call it, so they always agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from traject import ladder
from traject.definition.model import FormField

LADDER_STEPS = tuple(ladder.STEPS)  # 1 to 6
_WITH_OPTIONS = ("choice", "multichoice")
_NUMERIC = ("int", "number")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_form(form: Mapping[str, FormField]) -> Iterator[tuple[str, str]]:
    """Problems in a form's declaration, as (field, message)."""
    for name, spec in form.items():
        if spec.type in _WITH_OPTIONS and not spec.options:
            yield name, f"a {spec.type} field needs 'options'"
        if spec.type not in _WITH_OPTIONS and spec.options is not None:
            yield name, f"'options' belong to choice fields, not {spec.type}"
        yield from ((name, message) for message in _option_problems(spec))
        if (spec.min is not None or spec.max is not None) and spec.type not in _NUMERIC:
            yield name, f"min/max belong to int and number fields, not {spec.type}"
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            yield name, f"min {spec.min} is larger than max {spec.max}"
        if spec.max_length is not None and spec.type not in ("text", "string"):
            yield name, "max_length belongs to text and string fields"


def _option_problems(spec: FormField) -> Iterator[str]:
    """Two options one code, or two options a case worker cannot tell apart: the same label (or
    the same code in words, 'ouders_en_school' and 'ouders en school')."""
    codes = list(spec.options or ())
    for code in dict.fromkeys(c for i, c in enumerate(codes) if c in codes[:i]):
        yield f"option '{code}' is given twice: options must be unique"
    read: dict[str, str] = {}
    for code, label in spec.option_labels().items():
        key = " ".join(label.casefold().split())
        if key in read and read[key] != code:
            yield (
                f"options '{read[key]}' and '{code}' both read '{label}':"
                " give each option its own label"
            )
        read.setdefault(key, code)


def public_fields(form: Mapping[str, FormField]) -> dict[str, FormField]:
    """The fields a workflow may see: everything not marked `personal`."""
    return {name: spec for name, spec in form.items() if not spec.personal}


def split_personal(
    form: Mapping[str, FormField], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what goes to the workflow, what stays in the store) of submitted form data."""
    personal = {k: v for k, v in data.items() if k in form and form[k].personal}
    return {k: v for k, v in data.items() if k not in personal}, personal


def validate_form(form: Mapping[str, FormField], data: Mapping[str, Any]) -> dict[str, str]:
    """Field → message for every problem in submitted data; empty when the data is valid."""
    errors: dict[str, str] = {}
    for name in data:
        if name not in form:
            errors[name] = f"unknown field '{name}'"
    for name, spec in form.items():
        value = data.get(name)
        if value is None or value == "" or value == []:
            if spec.required and spec.type != "bool":
                errors[name] = "required"
            elif spec.required:  # "" or [] is no more an answer than None
                errors[name] = "required: answer yes or no"
            continue
        message = _check_value(spec, value)
        if message:
            errors[name] = message
    return errors


def _check_value(spec: FormField, value: Any) -> str | None:
    kind = spec.type
    if kind in ("text", "string"):
        if not isinstance(value, str):
            return "must be text"
        limit = spec.max_length or (200 if kind == "string" else 5000)
        return f"at most {limit} characters" if len(value) > limit else None
    if kind == "bool":
        return None if isinstance(value, bool) else "must be yes or no (true/false)"
    if kind in _NUMERIC or kind == "ladder":
        return _check_number(spec, value)
    if kind == "date":
        # fromisoformat also takes 20250102 and 2025-W01-1; the stored form is YYYY-MM-DD only
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            return "must be a date (YYYY-MM-DD)"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
        return None
    if kind == "choice":
        return (
            None
            if value in (spec.options or [])
            else f"choose one of: {', '.join(spec.options or [])}"
        )
    if kind == "multichoice":
        if not isinstance(value, list) or not all(v in (spec.options or []) for v in value):
            return f"choose from: {', '.join(spec.options or [])}"
        return "choose each option once" if len(set(value)) != len(value) else None
    return f"unknown field type {kind}"


def _check_number(spec: FormField, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if spec.type in ("int", "ladder") and isinstance(value, float) and not value.is_integer():
        return "must be a whole number"
    if spec.type == "ladder":
        return None if value in LADDER_STEPS else "a participatieladder step is 1 to 6"
    if spec.min is not None and value < spec.min:
        return f"at least {spec.min}"
    if spec.max is not None and value > spec.max:
        return f"at most {spec.max}"
    return None
