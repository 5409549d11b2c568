"""Mermaid `stateDiagram-v2` of a compiled definition: nested states, parallel regions, finals.

Mermaid cannot draw an arrow between states inside two different composite states, so each arrow is
drawn in the innermost composite that holds both ends, between the ancestors of source and target that
live there. Internal transitions (timers that only run actions) are listed in a state's note instead.

An arrow says in words when it is taken, in the page's language (`lang`: "nl", or "en" for the
CLI), for case workers rather than designers. Its label's lines: what sets it off (the task's or
event's title, "na 3 maanden" for a timer, "afgerond" for a finished composite), then its conditions
("als Deelnemer was aanwezig: Ja": a form field's label and the answer as the form writes it;
"alle taken klaar", "participatieladder trede 3 of hoger", "<date title> bekend"), or "anders" after
an earlier guarded transition of the same trigger, then the outcome where the final state has
several. Transitions between the same two boxes are one arrow, their ways separated by "– of –";
conditions that cannot fail there are left out. Titles lose their remark in parentheses and are cut
when very long; Mermaid wraps the lines. What a designer wrote is escaped for Mermaid (';', '#',
'<', '%%', markdown) in arrow labels and notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from traject.definition.compiled import CompiledDefinition, CState, CTransition, in_words
from traject.definition.duration import Duration, DurationError
from traject.definition.model import (
    AllOf,
    AllTasksDone,
    AnyOf,
    DateKnown,
    FieldCheck,
    FormField,
    Guard,
    LadderAtLeast,
    LadderBelow,
    Not,
)

TITLE = 72  # characters of a title on an arrow, at most (Mermaid wraps a label's lines)
QUALIFIER = 40  # characters of the task title that tells apart two fields of one label
BREAK = "<br>"  # a line break inside a Mermaid label: between trigger, conditions and outcome
NBSP = "\u00a0"  # keeps a field's answer on the line of its label

# The words around the designer's titles: (nl, en).
_WORDS: dict[str, tuple[str, str]] = {
    "if": ("als", "if"),
    "and": ("en", "and"),
    "or": ("of", "or"),
    "not": ("niet", "not"),
    "otherwise": ("anders", "otherwise"),
    "alternative": ("– of –", "– or –"),  # between two ways along one arrow
    "done": ("afgerond", "finished"),
    "all_tasks_done": ("alle taken klaar", "all tasks done"),
    "ladder_at_least": (
        "participatieladder trede {step} of hoger",
        "participation ladder step {step} or higher",
    ),
    "ladder_below": (
        "participatieladder onder trede {step}",
        "participation ladder below step {step}",
    ),
    "date_known": ("{date} bekend", "{date} known"),
    "date_unknown": ("{date} nog niet bekend", "{date} not known yet"),
    "yes": ("Ja", "Yes"),
    "no": ("Nee", "No"),
    "answered": ("ingevuld", "answered"),
    "not_equals": ("niet ‘{value}’", "not ‘{value}’"),
    "at_least": ("ten minste {value}", "at least {value}"),
    "at_most": ("hoogstens {value}", "at most {value}"),
    "after": ("na {duration}", "after {duration}"),
    "after_date": ("{duration} na {date}", "{duration} after {date}"),
    "escalation": ("escalatie na {duration}", "escalation after {duration}"),
    "expired": ("termijn verlopen: {title}", "deadline expired: {title}"),
    "outcome": ("uitkomst: {title}", "outcome: {title}"),
}
# Units of a duration: (nl one, nl more, en one, en more).
_UNITS = {
    "years": ("jaar", "jaar", "year", "years"),
    "months": ("maand", "maanden", "month", "months"),
    "weeks": ("week", "weken", "week", "weeks"),
    "days": ("dag", "dagen", "day", "days"),
    "hours": ("uur", "uur", "hour", "hours"),
    "minutes": ("minuut", "minuten", "minute", "minutes"),
    "seconds": ("seconde", "seconden", "second", "seconds"),
}


def _word(key: str, lang: str, **values: object) -> str:
    nl, en = _WORDS[key]
    return (en if lang == "en" else nl).format(**values)


def mermaid(d: CompiledDefinition, highlight: Iterable[str] = (), lang: str = "nl") -> str:
    """The diagram, its arrows labelled in `lang` ("nl", or "en")."""
    lines = ["stateDiagram-v2", "  direction LR"]
    lines += _block(d, None, "  ", lang)
    marked = [name for name in highlight if name in d.states]
    if marked:
        lines.append("  classDef current fill:#ffd54f,stroke:#e65100,stroke-width:3px")
        lines += [f"  class {name} current" for name in marked]
    return "\n".join(lines) + "\n"


def _block(d: CompiledDefinition, parent: str | None, indent: str, lang: str) -> list[str]:
    children = [s for s in d.states.values() if s.parent == parent]
    initial = d.initial if parent is None else d.states[parent].initial
    lines = [f"{indent}[*] --> {initial}"] if initial else []
    for state in children:
        lines += _state(d, state, indent, lang)
    for state in children:
        if state.kind == "final" and (parent is None or not d.states[parent].checklist):
            lines.append(f"{indent}{state.name} --> [*]")
    for source, target, label in _arrows(d, parent, lang):
        lines.append(f"{indent}{source} --> {target}" + (f" : {label}" if label else ""))
    return lines


def _state(d: CompiledDefinition, state: CState, indent: str, lang: str) -> list[str]:
    title = state.title.replace('"', "'")
    lines = [f'{indent}state "{title}" as {state.name}']
    if state.kind == "parallel":
        lines.append(f"{indent}state {state.name} {{")
        for i, region in enumerate(state.children):
            if i:
                lines.append(f"{indent}  --")
            lines += _state(d, d.states[region], indent + "  ", lang)
        lines.append(f"{indent}}}")
    elif state.children:
        lines.append(f"{indent}state {state.name} {{")
        lines += _block(d, state.name, indent + "  ", lang)
        lines.append(f"{indent}}}")
    notes = [_escape(f"{d.tasks[t].title} ({in_words(d.tasks[t].role)})") for t in state.tasks]
    if notes and not state.children:
        lines.append(f"{indent}note right of {state.name}")
        lines += [f"{indent}  {note}" for note in notes]
        lines.append(f"{indent}end note")
    return lines


def _arrows(d: CompiledDefinition, scope: str | None, lang: str) -> list[tuple[str, str, str]]:
    """One arrow per pair of states, for all the transitions between them (Mermaid would draw two
    arrows between the same states on top of each other, labels and all)."""
    pairs: dict[tuple[str, str], list[CTransition]] = {}
    for state in d.states.values():
        for t in state.transitions:
            if t.target is None:
                continue
            ends = _ends_in_scope(d, t, scope)
            if ends:
                pairs.setdefault(ends, []).append(t)
    return [
        (source, target, mermaid_label(arrow_lines(d, transitions, lang)))
        for (source, target), transitions in pairs.items()
    ]


def _ends_in_scope(
    d: CompiledDefinition, t: CTransition, scope: str | None
) -> tuple[str, str] | None:
    """The ancestors of source and target that are children of `scope`, if this is their innermost
    common composite."""
    source_chain, target_chain = d.ancestors(t.source), d.ancestors(t.target or "")
    common = next(
        (n for n in source_chain if n in target_chain and n not in (t.source, t.target)), None
    )
    if common != scope or d.states[t.source].checklist:
        return None
    below = {n for n in source_chain if d.states[n].parent == scope}
    above = {n for n in target_chain if d.states[n].parent == scope}
    if not below or not above:
        return None
    return below.pop(), above.pop()


# ------------------------------------------------------------------------------------ labels
def arrow_lines(
    d: CompiledDefinition, transitions: Iterable[CTransition], lang: str = "nl"
) -> list[str]:
    """When an arrow is taken, in words, as the lines of its label (plain text): for each trigger
    its title, then the conditions of each of its transitions along the arrow; two ways are
    separated by a line "– of –". Conditions that cannot fail here are left out: a trigger whose
    transitions (the last one unguarded) all go along this arrow is taken whatever they say."""
    groups: dict[tuple[str, str], list[CTransition]] = {}
    for t in transitions:
        groups.setdefault((t.source, t.trigger), []).append(t)
    ways: list[list[str]] = []
    for (source, trigger), group in groups.items():
        if all(_all_tasks_done_of_state(d, t) for t in group):
            heads = [[_word("all_tasks_done", lang), *_outcome(d, t, lang)] for t in group]
        else:
            every = [t for t in d.states[source].transitions if t.trigger == trigger]
            outcomes = {tuple(_outcome(d, t, lang)) for t in group}
            always = len(group) == len(every) and any(t.guard is None for t in group)
            if always and len(outcomes) == 1:
                heads = [[trigger_text(d, trigger, lang), *outcomes.pop()]]
            else:
                heads = [[trigger_text(d, trigger, lang)]]
                for i, t in enumerate(group):
                    heads[0] += ([_word("alternative", lang)] if i else []) + [
                        *_conditions(d, t, lang),
                        *_outcome(d, t, lang),
                    ]
        ways += [way for way in heads if way not in ways]
    lines: list[str] = []
    for i, way in enumerate(ways):
        lines += ([_word("alternative", lang)] if i else []) + way
    return lines


def label_lines(d: CompiledDefinition, t: CTransition, lang: str = "nl") -> list[str]:
    """When a transition is taken, in words, as the lines of an arrow's label (plain text)."""
    return arrow_lines(d, [t], lang)


def _conditions(d: CompiledDefinition, t: CTransition, lang: str) -> list[str]:
    if t.guard is not None:
        return guard_lines(t.guard, d, lang)
    return [_word("otherwise", lang)] if _follows_a_guarded_one(d, t) else []


def _outcome(d: CompiledDefinition, t: CTransition, lang: str) -> list[str]:
    """The outcome, where the final state it leads to has several."""
    target = d.states.get(t.target or "")
    if not t.outcome or target is None or len(target.outcomes) < 2:
        return []
    outcome = d.outcomes.get(t.outcome)
    title = _short(outcome.title) if outcome else t.outcome.replace("_", " ")
    return [_word("outcome", lang, title=title)]


def mermaid_label(lines: Iterable[str]) -> str:
    """Lines of plain text as one Mermaid arrow label: escaped, joined by line breaks."""
    return BREAK.join(_escape(line) for line in lines if line)


def trigger_text(d: CompiledDefinition, trigger: str, lang: str = "nl") -> str:
    """What sets a transition off, in words: a task's or event's title, a timer's wait, ..."""
    kind, _, name = trigger.partition(":")
    if kind == "task" and name in d.tasks:
        return _short(d.tasks[name].title)
    if kind == "event" and name in d.event_titles:
        return _short(d.event_titles[name])
    if kind == "done":
        return _word("done", lang)
    if kind == "termijn" and name in d.termijnen:
        return _word("expired", lang, title=_short(d.termijnen[name].title))
    if kind == "timer":
        try:
            timer = d.timer(name)
        except KeyError:
            return name.replace("_", " ")
        duration = duration_text(timer.after, lang)
        if timer.kind == "escalation":
            return _word("escalation", lang, duration=duration)
        if timer.anchor != "entry":
            return _word("after_date", lang, duration=duration, date=_date(d, timer.anchor, True))
        return _word("after", lang, duration=duration)
    return name.replace("_", " ") or trigger


def duration_text(text: str, lang: str = "nl") -> str:
    """An ISO-8601 duration as people say it: P2W → "2 weken" ("2 weeks"), P1Y6M → "1 jaar en
    6 maanden". A text that is not a duration is given back as it is."""
    try:
        duration = Duration.parse(text)
    except DurationError:
        return text
    column = 2 if lang == "en" else 0
    parts = []
    for unit, names in _UNITS.items():
        n = getattr(duration, unit)
        if n:
            parts.append(f"{n} {names[column + (n != 1)]}")
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + f" {_word('and', lang)} {parts[-1]}"


def describe_guard(guard: Guard, d: CompiledDefinition | None = None, lang: str = "nl") -> str:
    """A guard in words on one line: "Getekend: Ja en participatieladder trede 3 of hoger".
    With the definition, form fields are named by their labels and case dates by their titles."""
    clauses = _clauses(guard, d, lang, _repeated_labels(guard, d))
    return f" {_word('and', lang)} ".join(clauses).replace(NBSP, " ")


def guard_lines(guard: Guard, d: CompiledDefinition | None = None, lang: str = "nl") -> list[str]:
    """A guard as lines of an arrow's label: "als ..." then "en ..." for each further condition."""
    clauses = _clauses(guard, d, lang, _repeated_labels(guard, d))
    return [f"{_word('if' if i == 0 else 'and', lang)} {c}" for i, c in enumerate(clauses)]


def _clauses(guard: Guard, d: CompiledDefinition | None, lang: str, qualify: set[str]) -> list[str]:
    """The conditions that must all hold (the parts of a top-level `all`), each in words."""
    if isinstance(guard, AllOf):
        return [
            f"({c})" if isinstance(g, AnyOf) and len(g.of) > 1 else c
            for g in guard.of
            for c in _clauses(g, d, lang, qualify)
        ]
    return [_describe(guard, d, lang, qualify)]


def _describe(guard: Guard, d: CompiledDefinition | None, lang: str, qualify: set[str]) -> str:
    if isinstance(guard, AllTasksDone):
        return _word("all_tasks_done", lang)
    if isinstance(guard, LadderAtLeast):
        return _word("ladder_at_least", lang, step=guard.step)
    if isinstance(guard, LadderBelow):
        return _word("ladder_below", lang, step=guard.step)
    if isinstance(guard, DateKnown):
        return _word("date_known", lang, date=_date(d, guard.date))
    if isinstance(guard, FieldCheck):
        return _field(guard, d, lang, qualify)
    if isinstance(guard, AllOf | AnyOf):
        word = _word("and" if isinstance(guard, AllOf) else "or", lang)
        parts = [_describe(g, d, lang, qualify) for g in guard.of]
        if len(parts) == 1:
            return parts[0]
        return f" {word} ".join(
            f"({p})" if isinstance(g, AllOf | AnyOf) and len(g.of) > 1 else p
            for g, p in zip(guard.of, parts, strict=True)
        )
    if isinstance(guard, Not):
        inner = guard.negated
        if isinstance(inner, DateKnown):
            return _word("date_unknown", lang, date=_date(d, inner.date))
        return f"{_word('not', lang)} ({_describe(inner, d, lang, qualify)})"
    return str(guard)


def _field(guard: FieldCheck, d: CompiledDefinition | None, lang: str, qualify: set[str]) -> str:
    task_name, _, name = guard.field.partition(".")
    task = d.tasks.get(task_name) if d is not None else None
    spec = task.form.get(name) if task is not None else None
    label = _field_label(guard.field, d)
    kind = spec.type if spec is not None else None
    values = []
    if guard.equals is not None:
        values.append(_value(guard.equals, spec, lang))
    if guard.not_equals is not None:
        values.append(_word("not_equals", lang, value=_value(guard.not_equals, spec, lang)))
    if guard.one_of is not None:
        values.append(f" {_word('or', lang)} ".join(_value(v, spec, lang) for v in guard.one_of))
    if guard.at_least is not None:
        values.append(_word("at_least", lang, value=_value(guard.at_least, spec, lang)))
    if guard.at_most is not None:
        values.append(_word("at_most", lang, value=_value(guard.at_most, spec, lang)))
    subject = _short(label)
    if label in qualify and task is not None:
        subject += f" ({_short(task.title, QUALIFIER)})"
    if not values:  # `{field: x}` alone: the field was answered (a yes for a yes/no question)
        if kind == "bool":
            return f"{subject}:{NBSP}{_word('yes', lang)}"
        return f"{subject} {_word('answered', lang)}"
    # the answer stays on the line of its field's label, however Mermaid wraps it
    return f"{subject}:{NBSP}" + f" {_word('and', lang)} ".join(values)


def _field_label(ref: str, d: CompiledDefinition | None) -> str:
    """A form field as its form names it: its label, else its name made readable (as the pages)."""
    task_name, _, name = ref.partition(".")
    task = d.tasks.get(task_name) if d is not None else None
    spec = task.form.get(name) if task is not None else None
    if spec is not None and spec.label:
        return spec.label
    return name.replace("_", " ").capitalize()


def _repeated_labels(guard: Guard, d: CompiledDefinition | None) -> set[str]:
    """Labels that name fields of different tasks in one guard (four tasks' "Aanwezig"): those
    fields are told apart by their task's title."""
    fields: dict[str, set[str]] = {}

    def walk(g: Guard) -> None:
        if isinstance(g, FieldCheck):
            fields.setdefault(_field_label(g.field, d), set()).add(g.field)
        elif isinstance(g, AllOf | AnyOf):
            for sub in g.of:
                walk(sub)
        elif isinstance(g, Not):
            walk(g.negated)

    walk(guard)
    return {label for label, refs in fields.items() if len(refs) > 1}


def _value(value: object, spec: FormField | None, lang: str) -> str:
    """A value a guard compares with, as the form shows it: Ja/Nee, an option's label, 2,5."""
    if isinstance(value, bool):
        return _word("yes" if value else "no", lang)
    if isinstance(value, float):
        text = repr(value).removesuffix(".0")
        return text if lang == "en" else text.replace(".", ",")
    if isinstance(value, str) and spec is not None and spec.type in ("choice", "multichoice"):
        return spec.option_label(value)  # an option, as the form writes it
    if isinstance(value, str) and (spec is None or spec.type not in ("text", "string")):
        return value.replace("_", " ")
    return str(value)


def _date(d: CompiledDefinition | None, name: str, lower: bool = False) -> str:
    """A case date by its title (short form), else by its name made readable."""
    title = d.case_dates.get(name) if d is not None else None
    text = _short(title) if title else name.replace("_", " ")
    if lower and len(text) > 1 and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _all_tasks_done_of_state(d: CompiledDefinition, t: CTransition) -> bool:
    """A task's completion guarded by `all_tasks_done`, with such a transition (same target and
    outcome) for every task of the state: whichever task is last, the arrow means "all tasks
    done" (a checklist's items, a state's tasks worked in any order)."""
    if not isinstance(t.guard, AllTasksDone) or not t.trigger.startswith("task:"):
        return False
    source = d.states[t.source]
    covered = {
        other.trigger.removeprefix("task:")
        for other in source.transitions
        if isinstance(other.guard, AllTasksDone)
        and (other.target, other.outcome) == (t.target, t.outcome)
    }
    return bool(source.tasks) and set(source.tasks) <= covered


def _follows_a_guarded_one(d: CompiledDefinition, t: CTransition) -> bool:
    """An unguarded transition after a guarded one of the same trigger: taken otherwise."""
    for other in d.states[t.source].transitions:
        if other is t:
            return False
        if other.trigger == t.trigger and other.guard is not None:
            return True
    return False


# ----------------------------------------------------------------------------- short, safe text
_REMARK = re.compile(r"\s*\([^()]*\)")


def _short(text: str, limit: int = TITLE) -> str:
    """A title's short form: without its remarks in parentheses, and cut after a word with an
    ellipsis when it is longer than `limit`."""
    text = " ".join(text.split())
    shorter = _REMARK.sub("", text).strip(" :,;") or text
    if len(shorter) <= limit:
        return shorter
    cut = shorter[: limit - 1]
    if shorter[limit - 1] != " " and " " in cut:  # not in the middle of a word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


# Mermaid reads '#…;' as an entity and ';' as the end of a statement, a label ends at '::', '%%'
# starts a comment or a directive, '<' '&' are HTML, '*' '_' '`' '~' markdown and '$' KaTeX: such
# characters are written as Mermaid's entity codes (#59; is ';'), which it draws as themselves.
_UNSAFE = re.compile(r"[#;<>&%*_$`~\\\"|{}\[\]^]|:(?=:|$)")


def _escape(text: str) -> str:
    text = re.sub(r"[ \t\n\r\f\v]+", " ", text).strip()  # a line break would end the arrow
    return _UNSAFE.sub(lambda m: f"#{ord(m.group())};", text)
