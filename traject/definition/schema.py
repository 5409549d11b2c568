"""JSON Schema of the definition language, for editors (`definitions/schema.json`).

Generated from the pydantic models, then widened to accept the short spellings the loader normalises
(`- sign_declaration`, `{notify: coordinator}`, `{ladder_at_least: 3}`, `on: {x.done: target}`,
`checklist: [a, b]`), so an editor never flags a definition that `traject validate` accepts.
"""

from __future__ import annotations

import copy
from typing import Any

from traject.definition.model import _SHORT_PARAM, ACTION_NAMES, GUARD_NAMES, Definition

SCHEMA_ID = "https://traject.example/schema/definition.json"
_TAG_FREE = {"all_tasks_done", "sign_declaration", "intake"}


def json_schema() -> dict[str, Any]:
    schema = Definition.model_json_schema(mode="validation")
    defs = schema["$defs"]
    _replace_unions(schema, "action", "Action")
    _replace_unions(schema, "guard", "Guard")
    defs["Action"] = _union_with_short_forms(defs, "action", ACTION_NAMES)
    defs["Guard"] = _union_with_short_forms(defs, "guard", GUARD_NAMES)
    defs["Guard"]["anyOf"].append(
        {
            "type": "object",
            "required": ["field"],
            "properties": {"field": {"type": "string"}},
            "description": "{field: task.field, equals|not_equals|in|at_least|at_most: value}",
        }
    )
    state = defs["State"]["properties"]
    transition = {"$ref": "#/$defs/Transition"}
    state["on"] = {
        "type": "object",
        "description": "trigger ('<task>.done', 'done' or an event) → target or transition(s)",
        "additionalProperties": {
            "anyOf": [
                {"type": "string"},
                {"type": "null"},
                transition,
                {"type": "array", "items": transition},
            ]
        },
    }
    state["checklist"] = {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            state["checklist"],
        ]
    }
    return _with_extensions(schema)


def _with_extensions(schema: dict[str, Any]) -> dict[str, Any]:
    """A file with `extends` holds only what differs from its base: nothing is required there,
    and `key: null` removes a state of the base."""
    defs = schema.pop("$defs")
    full = dict(schema)
    partial = copy.deepcopy(full)
    partial.pop("required", None)
    states = partial["properties"]["states"]
    for pattern, state in states["patternProperties"].items():
        states["patternProperties"][pattern] = {"anyOf": [state, {"type": "null"}]}
    states.pop("minProperties", None)
    defs["Definition"], defs["Extension"] = full, partial
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Traject definition",
        "$defs": defs,
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/Extension"},
        "else": {"$ref": "#/$defs/Definition"},
    }


def _replace_unions(node: Any, tag: str, name: str) -> None:
    """Point every discriminated union on `tag` at one shared definition."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if (
                isinstance(value, dict)
                and value.get("discriminator", {}).get("propertyName") == tag
            ):
                node[key] = {"$ref": f"#/$defs/{name}"}
            else:
                _replace_unions(value, tag, name)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if (
                isinstance(value, dict)
                and value.get("discriminator", {}).get("propertyName") == tag
            ):
                node[i] = {"$ref": f"#/$defs/{name}"}
            else:
                _replace_unions(value, tag, name)


def _union_with_short_forms(
    defs: dict[str, Any], tag: str, names: tuple[str, ...]
) -> dict[str, Any]:
    long_forms = [
        {"$ref": f"#/$defs/{model}"}
        for model, body in defs.items()
        if body.get("properties", {}).get(tag, {}).get("const") in names
    ]
    short_forms = []
    for model, body in defs.items():
        name = body.get("properties", {}).get(tag, {}).get("const")
        if name not in names:
            continue
        params = copy.deepcopy(body)
        params["properties"].pop(tag)
        params["required"] = [r for r in params.get("required", []) if r != tag]
        value: list[Any] = [params]
        if name in _SHORT_PARAM and _SHORT_PARAM[name] in body["properties"]:
            value.append(body["properties"][_SHORT_PARAM[name]])
        if name in _TAG_FREE:
            value.append({"type": "null"})
        short_forms.append(
            {
                "type": "object",
                "required": [name],
                "additionalProperties": False,
                "properties": {name: {"anyOf": value}},
                "title": f"{model} (short form)",
            }
        )
    bare = {"enum": sorted(_TAG_FREE & set(names)), "description": f"{tag} without parameters"}
    return {"anyOf": [bare, *short_forms, *long_forms]}
