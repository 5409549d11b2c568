"""YAML → `Definition`, keeping the file and line of every value so errors can point at them.

PyYAML's `compose` gives nodes with positions; we build plain data from them ourselves, which also lets
us refuse duplicate keys (PyYAML silently keeps the last) and read mapping keys as text (YAML 1.1 would
turn the key `on` into `True`). `extends` merges a base definition underneath, `params` fill `${name}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from traject.definition.errors import DefinitionError, Problem, did_you_mean
from traject.definition.model import Definition

MAX_FILE_BYTES = 512 * 1024
MAX_NODES = 50_000
Key = str | int
Path_ = tuple[Key, ...]
_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{kind}"
    for kind in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}
_PARAM = re.compile(r"\$\{([a-z][a-z0-9_]*)\}")


@dataclass
class SourceMap:
    """Where each value of the merged data came from: path → (file, line)."""

    entries: dict[Path_, tuple[str, int]] = field(default_factory=dict)
    default_file: str = "<definition>"

    def known_prefix(self, path: Path_) -> Path_:
        """The part of `path` the designer wrote. Short forms have no `[0]` (a single transition
        written without a list) or `target` (a transition written as its target): skip those."""
        known: Path_ = ()
        for part in path:
            if (*known, part) in self.entries:
                known = (*known, part)
            elif part != 0:
                break
        return known

    def problem(self, path: Path_, message: str) -> Problem:
        known = self.known_prefix(path)
        file, line = self.entries.get(known, (self.default_file, None))
        return Problem(file, line, format_path(known), message)


def format_path(path: Path_) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


@dataclass
class LoadedDefinition:
    definition: Definition
    source: SourceMap
    file: str


def load_definition(path: str | Path) -> LoadedDefinition:
    """Load, merge (`extends`), substitute params and validate one definition file."""
    path = Path(path)
    data, source = _load_merged(path, seen=())
    problems: list[Problem] = []
    data = _substitute_params(data, source, problems)
    if problems:
        raise DefinitionError(problems)
    try:
        definition = Definition.model_validate(data)
    except ValidationError as error:
        raise DefinitionError(validation_problems(error, data, source)) from None
    return LoadedDefinition(definition, source, str(path))


def load_text(
    text: str, name: str = "<definition>", bases: Mapping[str, str] | None = None
) -> LoadedDefinition:
    """Validate a definition given as text (designer page, tests); `extends` finds its base in
    `bases` (name → source text, e.g. the municipality's published definitions)."""
    available = dict(bases or {})

    def lookup(base: str) -> tuple[str, str] | None:
        return (available[base], f"{base}.yaml") if base in available else None

    data, source = _merged_text(text, name, lookup, list(available), (Path(name).stem,))
    problems: list[Problem] = []
    data = _substitute_params(data, source, problems)
    if problems:
        raise DefinitionError(problems)
    try:
        return LoadedDefinition(Definition.model_validate(data), source, name)
    except ValidationError as error:
        raise DefinitionError(validation_problems(error, data, source)) from None


# ------------------------------------------------------------------------------------------ parsing
def parse_yaml(text: str, name: str) -> tuple[dict[str, Any], SourceMap]:
    source = SourceMap(default_file=name)
    if len(text.encode(errors="surrogatepass")) > MAX_FILE_BYTES:  # YAML refuses lone surrogates
        raise DefinitionError(
            [Problem(name, None, "", f"file is larger than {MAX_FILE_BYTES} bytes")]
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(error, "problem", None) or str(error)
        raise DefinitionError([Problem(name, line, "", f"not valid YAML: {reason}")]) from None
    if node is None:
        raise DefinitionError([Problem(name, None, "", "the file is empty")])
    builder = _Builder(name, source)
    data = builder.build(node, ())
    if builder.problems:
        raise DefinitionError(builder.problems)
    if not isinstance(data, dict):
        raise DefinitionError(
            [Problem(name, node.start_mark.line + 1, "", "a definition is a mapping")]
        )
    return data, source


class _Builder:
    def __init__(self, name: str, source: SourceMap) -> None:
        self.name, self.source = name, source
        self.problems: list[Problem] = []
        self.nodes = 0
        self.scalars = yaml.SafeLoader("")
        self.inside: set[int] = set()  # the collections being built, outermost first (by id)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise DefinitionError(
                [Problem(self.name, None, "", f"more than {MAX_NODES} YAML nodes")]
            )
        if isinstance(node, yaml.CollectionNode) and id(node) in self.inside:
            # `a: &a [*a]`: an anchor used inside itself; said where the alias is written (the
            # alias is the anchor's own node, with the anchor's place)
            where = self.source.entries.get(path, (self.name, node.start_mark.line + 1))
            self.problems.append(
                Problem(
                    self.name, where[1], format_path(path), "a YAML alias may not refer to itself"
                )
            )
            return None
        self.source.entries[path] = (self.name, node.start_mark.line + 1)
        if node.tag not in _PLAIN_TAGS:
            self.problems.append(
                self._at(node, path, f"YAML tags such as '{node.tag}' are not supported")
            )
            return None
        if isinstance(node, yaml.CollectionNode):
            self.inside.add(id(node))
            try:
                return self._collection(node, path)
            finally:
                self.inside.discard(id(node))
        try:
            return self.scalars.construct_object(node)
        # a date that is not one (2025-02-30), or a value its tag refuses (`!!int x`, `!!map x`):
        # PyYAML's constructors raise these, not only YAMLError
        except (yaml.YAMLError, ValueError, LookupError, AttributeError, TypeError):
            self.problems.append(self._at(node, path, f"not a valid value: '{node.value}'"))
            return None

    def _collection(self, node: yaml.CollectionNode, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):  # `? [a]`: a list or map as key
                    self.problems.append(
                        self._at(key_node, path, "a key is a name, not a list or a mapping")
                    )
                    continue
                key = str(key_node.value)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problems.append(
                        self._at(key_node, path, "YAML merge keys (<<) are not supported")
                    )
                    continue
                if key in result:
                    self.problems.append(self._at(key_node, (*path, key), f"duplicate key '{key}'"))
                    continue
                self.source.entries[(*path, key)] = (self.name, key_node.start_mark.line + 1)
                result[key] = self.build(value_node, (*path, key))
                self.source.entries[(*path, key)] = (self.name, key_node.start_mark.line + 1)
            return result
        items = []
        for i, item in enumerate(node.value):
            self.source.entries[(*path, i)] = self.source.entries[path]  # until the item's own
            items.append(self.build(item, (*path, i)))
        return items

    def _at(self, node: yaml.Node, path: Path_, message: str) -> Problem:
        return Problem(self.name, node.start_mark.line + 1, format_path(path), message)


# ----------------------------------------------------------------------------- extends and params
Lookup = Callable[[str], "tuple[str, str] | None"]  # base name → (its text, its file name)


def _load_merged(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], SourceMap]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError([Problem(str(path), None, "", f"cannot read: {error}")]) from None

    def on_disk(base: str) -> tuple[str, str] | None:
        base_path = path.parent / f"{base}.yaml"
        if not base_path.exists():
            return None
        return base_path.read_text(encoding="utf-8"), str(base_path)

    siblings = [p.stem for p in path.parent.glob("*.yaml")]
    return _merged_text(text, str(path), on_disk, siblings, (path.stem,))


def _merged_text(
    text: str, name: str, lookup: Lookup, known: list[str], seen: tuple[str, ...]
) -> tuple[dict[str, Any], SourceMap]:
    """Parse `text` and merge the definition it `extends` underneath, found by `lookup`."""
    data, source = parse_yaml(text, name)
    base_name = data.get("extends")
    if base_name is None:
        return data, source
    if not isinstance(base_name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", base_name):
        raise DefinitionError([source.problem(("extends",), "extends names a definition file")])
    if base_name in seen:
        raise DefinitionError(
            [source.problem(("extends",), f"extends cycle through '{base_name}'")]
        )
    found = lookup(base_name)
    if found is None:
        hint = did_you_mean(base_name, known)
        raise DefinitionError([source.problem(("extends",), f"no definition '{base_name}'{hint}")])
    base, base_source = _merged_text(*found, lookup, known, (*seen, base_name))
    merged = _merge(base, data)
    base_source.entries.update(source.entries)
    base_source.default_file = name
    return merged, base_source


def _merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key (the extending file wins); `key: null` removes a key of the base."""
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            if value is None and key in base:
                del result[key]
            else:
                result[key] = _merge(base[key], value) if key in base else value
        return result
    return override


def _substitute_params(data: dict[str, Any], source: SourceMap, problems: list[Problem]) -> Any:
    params = data.get("params") or {}
    if not isinstance(params, dict):
        return data

    def substitute(value: Any, path: Path_) -> Any:
        if isinstance(value, dict):
            return {k: substitute(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [substitute(v, (*path, i)) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value
        for name in _PARAM.findall(value):
            if name not in params:
                hint = did_you_mean(name, params)
                problems.append(source.problem(path, f"unknown parameter '{name}'{hint}"))
                return value
        whole = _PARAM.fullmatch(value)
        if whole:
            return params[whole.group(1)]
        return _PARAM.sub(lambda m: str(params[m.group(1)]), value)

    return {k: (v if k == "params" else substitute(v, (k,))) for k, v in data.items()}


# ------------------------------------------------------------------------------ validation errors
def validation_problems(error: ValidationError, data: Any, source: SourceMap) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = tuple(_data_path(item["loc"], data))
        problems.append(source.problem(path, _message(item)))
    return _dedupe(problems)


def _data_path(loc: tuple[Any, ...], data: Any) -> Iterator[Key]:
    """Pydantic's loc also names union members ('notify', 'function-after[...]'); keep only the
    parts that index into the data, so the path is what the designer wrote."""
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
            yield part
        elif isinstance(current, dict) and part == "from_" and "from" in current:
            current = current["from"]
            yield "from"
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            yield part
        elif (
            isinstance(part, str)
            and part not in ("guard", "action")
            and not isinstance(current, dict)
        ):
            continue


def _message(item: Any) -> str:
    kind, message = item["type"], item["msg"]
    if kind == "extra_forbidden":
        key = str(item["loc"][-1])
        hint = " (a comma inside {…} splits a text: put the text in quotes)" if " " in key else ""
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return f"'{item['loc'][-1]}' is required"
    if kind == "union_tag_invalid":
        ctx = item.get("ctx", {})
        return (
            f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} '{ctx.get('tag')}'"
            f"{did_you_mean(str(ctx.get('tag')), _names(ctx.get('expected_tags', '')))}; "
            f"known: {ctx.get('expected_tags')}"
        )
    if kind == "string_pattern_mismatch":
        pattern = str(item.get("ctx", {}).get("pattern", ""))
        if "werkdagen" in pattern:
            return (
                f"{item['input']!r} is not a termijn length: P10W, P2M, P3Y, P14D or '15 werkdagen'"
            )
        if pattern.startswith("^([Pp]"):
            return f"{item['input']!r} is not an ISO-8601 duration such as P10W, P3M or P1Y"
        return f"{item['input']!r} must be a lowercase name (letters, digits, _), e.g. 'plan_van_aanpak'"
    if kind == "value_error":
        return str(item.get("ctx", {}).get("error", message))
    return str(message[0].lower() + message[1:])


def _names(expected: str) -> list[str]:
    return [part.strip(" '") for part in expected.replace(" or ", ",").split(",") if part.strip()]


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
