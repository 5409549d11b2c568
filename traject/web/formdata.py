"""An HTML form's strings as the typed answers a task's form expects, and back: the answers as
people read them. What cannot be read as its type is passed on as typed, so the one validator
(`validate_form`) names the mistake."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from traject import ladder
from traject.definition.model import FormField
from traject.web import i18n

NO_ANSWER = "—"


def answers(form: Mapping[str, FormField], data: FormData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in form.items():
        if spec.type == "multichoice":
            chosen = [v for v in data.getlist(name) if isinstance(v, str) and v]
            if chosen:
                out[name] = chosen
            continue
        raw = data.get(name)
        if not isinstance(raw, str) or raw.strip() == "":
            continue
        out[name] = _typed(spec.type, raw.strip())
    return out


def _typed(kind: str, raw: str) -> Any:
    if kind == "bool":
        return {"true": True, "false": False}.get(raw, raw)
    try:
        if kind in ("int", "ladder"):
            return int(raw)
        if kind == "number":
            return float(raw.replace(",", "."))  # Dutch decimal comma
    except ValueError:
        return raw
    return raw


def shown(data: FormData) -> dict[str, Any]:
    """What the user typed, to put back into the form next to its errors."""
    return {key: data.getlist(key) if len(data.getlist(key)) > 1 else data.get(key) for key in data}


def label(name: str, spec: FormField | None = None) -> str:
    """A field's name for people: its label, else its name made readable. The form, its error
    summary and the answers of a completed task all name a field by this."""
    if spec is not None and spec.label:
        return spec.label
    return name.replace("_", " ").capitalize()


def option_text(option: str, spec: FormField | None = None) -> str:
    """An option of a choice as people read it, in the form, its error summary and the answers:
    the label the definition gives it, else its code in words (`FormField.option_label`). The
    form sends the code, and the answer keeps it."""
    if spec is not None and spec.type in ("choice", "multichoice"):
        return spec.option_label(option)
    return option.replace("_", " ")


def answer_text(spec: FormField | None, value: Any, lang: str) -> str:
    """A stored answer as people read it: yes/no, options as the form shows them, a list joined,
    a date and a decimal number the Dutch way (as elsewhere on the pages)."""
    if value is None or value == "" or value == []:
        return NO_ANSWER
    if isinstance(value, bool):
        return i18n.translator(lang)("task.yes" if value else "task.no")
    if isinstance(value, list | tuple):
        return ", ".join(answer_text(spec, v, lang) for v in value)
    kind = spec.type if spec is not None else None
    if kind == "ladder" and (step := ladder.step_of(value)) is not None:
        return ladder.option(step, lang)  # as the form offered it: 3 · Deelname aan …
    if isinstance(value, float):
        text = repr(value).removesuffix(".0")
        return text.replace(".", ",") if lang == "nl" else text
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d-%m-%Y")
        except ValueError:
            return value
    if kind in ("choice", "multichoice") and isinstance(value, str):
        return option_text(value, spec)
    return str(value)


def errors_in_words(form: Mapping[str, FormField], errors: Mapping[str, str]) -> dict[str, str]:
    """The problems of sent answers, with the options a choice offers named by their labels:
    the one validator (`validate_form`) names them by code, as the API and the workflow read
    them; a case worker reads the labels the form shows."""
    said = dict(errors)
    for name, error in errors.items():
        spec = form.get(name)
        if spec is not None and spec.options and error.startswith(_CHOOSE):
            head = error.split(":", 1)[0]
            said[name] = f"{head}: {', '.join(spec.option_labels().values())}"
    return said


_CHOOSE = ("choose one of: ", "choose from: ")  # forms._check_value


def answered(
    form: Mapping[str, FormField],
    data: Mapping[str, Any],
    personal: Mapping[str, Any] | None,
    lang: str,
) -> list[tuple[str, str]]:
    """(label, answer) of a completed task, in the form's order: every field of the form (an
    unanswered one as "—"), then any answer the form no longer has a field for. `personal` is
    None for a reader who may not see personal answers: their fields are left out."""
    rows = []
    for name, spec in form.items():
        if spec.personal and personal is None:
            continue
        value = (personal or {}).get(name) if spec.personal else data.get(name)
        rows.append((label(name, spec), answer_text(spec, value, lang)))
    others = {**data, **(personal or {})}
    rows += [(label(n), answer_text(None, v, lang)) for n, v in others.items() if n not in form]
    return rows
