"""An HTML form's strings as the typed answers a task's form expects. What cannot be read as its
type is passed on as typed, so the one validator (`validate_form`) names the mistake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from traject.definition.model import FormField


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
