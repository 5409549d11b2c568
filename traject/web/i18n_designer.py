"""What the designer's pages say after an action, in Dutch: what changes between two versions
(`traject/definition/diff.py`), why a scenario test failed (`traject/scenario.py`, with the
refusals of `traject/machine.py` it passes on), and why a case cannot move to a later version
(`traject/migration.py`).

The service words them in English: the API (a migration's problems), `traject test` and the
English pages show them as they are. A Dutch page says them in Dutch, by their pattern, as
`i18n_definition` does for a definition's problems (`i18n.message` asks `dutch()` when none of
its own patterns fits). Each entry is the English sentence as the source writes it, with `{name}`
where it fills something in, and the Dutch sentence with the same names; `{name:conv}` passes the
value through one of `_CONVERT`. What the designer wrote (a state, task, title, duration, a
scenario's expectation) comes through as written. `tests/unit/test_designer_texts_nl.py` makes
the texts (diffs of real and small definitions, failing scenarios, refused migrations) and fails
on one without Dutch, or on a sentence of the source that none of them gives.
"""

from __future__ import annotations

import re

from traject.web.i18n_definition import Convert, Table, say, table

# ---------------------------------------------------------------------------------- diff.py
# What changed: the `what` of a Change, and of each `_changed(…, what, name, field, …)`.
_WHAT = {
    "state": "stap",
    "task": "taak",
    "termijn": "termijn",
    "outcome": "uitkomst",
    "role": "rol",
    "case date": "zaakdatum",
    "event": "gebeurtenis",
}
_FIELDS = {  # (what, field) → how the Dutch pages name them
    ("state", "expected time"): ("stap", "norm"),  # the KPI's expected: the dashboard's norm
    ("state", "maximum time"): ("stap", "maximum"),
    ("state", "title"): ("stap", "titel"),
    ("timer", "after"): ("timer", "gaat af na"),
    ("task", "due"): ("taak", "uiterlijk na"),
    ("task", "role"): ("taak", "rol"),
    ("task", "state"): ("taak", "stap"),
    ("termijn", "length"): ("termijn", "lengte"),
    ("outcome", "target"): ("uitkomst", "norm"),
    ("definition", "title"): ("definitie", "titel"),
    ("task", "title"): ("taak", "titel"),
    ("termijn", "title"): ("termijn", "titel"),
    ("outcome", "title"): ("uitkomst", "titel"),
    ("role", "title"): ("rol", "titel"),
    ("case date", "title"): ("zaakdatum", "titel"),
    ("event", "title"): ("gebeurtenis", "titel"),
    ("event", "case date"): ("gebeurtenis", "zet zaakdatum"),
}
# What changed in a long text, or in several rules at once: said, not repeated.
_ITS = {  # (what, its …) → (Dutch what, Dutch sentence)
    ("definition", "description"): ("definitie", "de beschrijving is veranderd"),
    ("definition", "legal basis"): ("definitie", "de wettelijke grondslag is veranderd"),
    ("task", "description"): ("taak", "de beschrijving is veranderd"),
    ("termijn", "legal basis"): ("termijn", "de wettelijke grondslag is veranderd"),
    ("termijn", "start"): ("termijn", "het begin is veranderd"),
    ("termijn", "other rules"): ("termijn", "de overige regels zijn veranderd"),
}

CHANGES: Table = table(
    [
        *(
            (f"{what} '{{name}}' added", f"{dutch} '{{name}}' toegevoegd")
            for what, dutch in _WHAT.items()
        ),
        *(
            (f"{what} '{{name}}' removed", f"{dutch} '{{name}}' verwijderd")
            for what, dutch in _WHAT.items()
        ),
        ("timer '{name}' added ({after})", "timer '{name}' toegevoegd (gaat af na {after})"),
        ("timer '{name}' removed", "timer '{name}' verwijderd"),
        ("state '{name}': its transitions changed", "stap '{name}': de overgangen zijn veranderd"),
        (
            "task '{name}': form fields changed",
            "taak '{name}': de velden van het formulier zijn veranderd",
        ),
        *(
            (f"{what} '{{name}}': its {part} changed", f"{dutch} '{{name}}': {sentence}")
            for (what, part), (dutch, sentence) in _ITS.items()
        ),
        *(
            (
                f"{what} '{{name}}': {field} {{before}} → {{after}}",
                f"{dutch} '{{name}}': {words} {{before}} → {{after}}",
            )
            for (what, field), (dutch, words) in _FIELDS.items()
        ),
    ]
)

# ------------------------------------------------------------------------------ machine.py
# The machine's refusals a scenario meets (`was rejected: …`, or when it starts the case).
MACHINE: Table = table(
    [
        ("the trajectory has finished", "het traject is al afgelopen"),
        ("task '{task}' is already completed", "taak '{task}' is al afgerond"),
        ("task '{task}' is not open", "taak '{task}' staat niet open"),
        (
            "form of task '{task}' is not valid: {detail:form}",
            "het formulier van taak '{task}' klopt niet: {detail:form}",
        ),
        (
            "personal data stays in the store: it is never sent to a trajectory",
            "persoonsgegevens blijven in de opslag van Traject: ze gaan nooit naar een traject",
        ),
        (
            "unknown event '{event}'; known: {known:none}",
            "onbekende gebeurtenis '{event}'; bekend zijn: {known:none}",
        ),
        ("unknown case date(s): {dates}", "onbekende zaakdatum(s): {dates}"),
    ]
)

# ----------------------------------------------------------------------------- scenario.py
# What a scenario expected and saw (`check_expectation`; several are joined with '; ').
_CHECKS: list[tuple[str, str]] = [
    (
        "active states are {seen}, expected {wanted}",
        "de actieve stappen zijn {seen}, verwacht was {wanted}",
    ),
    (
        "expected {missing} to be active; active: {active}",
        "{missing} had actief moeten zijn; actief zijn {active}",
    ),
    ("expected {present} not to be active", "{present} had niet actief moeten zijn"),
    (
        "open tasks are {seen}, expected {wanted}",
        "de open taken zijn {seen}, verwacht was {wanted}",
    ),
    (
        "actions run: {seen}, expected {wanted}",
        "uitgevoerde acties: {seen}, verwacht was {wanted}",
    ),
    ("expected overdue tasks {tasks}", "de taken {tasks} hadden te laat moeten zijn"),
    ("expected escalated tasks {tasks}", "de taken {tasks} hadden geëscaleerd moeten zijn"),
    (
        "ladder step is {seen:unmeasured}, expected {wanted}",
        "de trede op de participatieladder is {seen:unmeasured}, verwacht was {wanted}",
    ),
    ("known dates are {seen}, expected {wanted}", "bekende datums: {seen}, verwacht was {wanted}"),
    (
        "finished is {seen:finished}, expected {wanted:finished}",
        "het traject is {seen:finished}, verwacht was {wanted:finished}",
    ),
    (
        "outcome is {seen:unknown}, expected {wanted}",
        "de uitkomst is {seen:unknown}, verwacht was {wanted}",
    ),
]
# A step the machine refused, or took when the scenario expected a refusal (`_run_step`).
_STEPS = {  # a step's kind: (refused, taken)
    "complete": ("afronden is geweigerd", "taak '{name}' is afgerond"),
    "event": ("de gebeurtenis is geweigerd", "gebeurtenis '{name}' is vastgelegd"),
}
SCENARIOS: Table = table(
    [
        *_CHECKS,
        *(
            (f"{kind} was rejected: {{error:machine}}", f"{no}: {{error:machine}}")
            for kind, (no, _) in _STEPS.items()
        ),
        *(
            (
                f"{kind} '{{name}}' was accepted, expected a rejection ({{rejected}})",
                f"{yes}, maar verwacht was een weigering ({{rejected}})",
            )
            for kind, (_, yes) in _STEPS.items()
        ),
        (
            "a step does one thing: expect, complete, event, advance or ladder",
            "een stap doet één ding: 'expect', 'complete', 'event', 'advance' of 'ladder'",
        ),
    ]
)
# where one check's sentence ends and the next begins: '; ' before the start of one
_NEXT_CHECK = re.compile(
    "; (?=" + "|".join(re.escape(english.split("{")[0]) for english, _ in _CHECKS) + ")"
)

# ---------------------------------------------------------------------------- migration.py
# Why a case cannot move to a later version (`plan`), one problem at a time.
MIGRATION: Table = table(
    [
        (
            "'{state}' is not a current state of this case",
            "'{state}' is geen stap waar deze zaak nu in staat",
        ),
        (
            "current state '{state}' is mapped to '{target}' in version {version}",
            "de huidige stap '{state}' is gekoppeld aan '{target}', maar die stap bestaat niet"
            " in versie {version}",
        ),
        (
            "current state '{state}' has no mapping and no state of the same name '{target}' in"
            " version {version}",
            "de huidige stap '{state}' is niet gekoppeld, en versie {version} heeft geen stap"
            " '{target}'",
        ),
        (
            "'{target}' has substates: map '{state}' onto one of them",
            "'{target}' heeft deelstappen: koppel '{state}' aan een daarvan",
        ),
        (
            "open task '{task}' does not exist in version {version}",
            "de open taak '{task}' bestaat niet in versie {version}",
        ),
        (
            "open task '{task}' belongs to '{state}' in version {version}, which the case would"
            " not be in",
            "de open taak '{task}' hoort in versie {version} bij '{state}', en daar zou de zaak"
            " niet in staan",
        ),
        ("{key} is not a version of {definition}", "{key} is geen versie van {definition}"),
        (
            "version {version} is not later than the case's version {current}",
            "versie {version} is niet later dan de versie van de zaak ({current})",
        ),
        (
            "the mapped states lie in more than one top-level state",
            "de gekoppelde stappen liggen in meer dan één stap op het bovenste niveau",
        ),
        (
            "parallel state '{state}' needs a state in region(s) {regions}",
            "de parallelle stap '{state}' heeft een stap nodig in deel of delen {regions}",
        ),
        (
            "'{state}' would be in {count} of its substates at once: {inside}",
            "'{state}' zou tegelijk in {count} van zijn deelstappen staan: {inside}",
        ),
    ]
)


def _machine(text: str) -> str:
    said = say(MACHINE, text, _CONVERT)
    return said if said is not None else text


def _form(detail: str) -> str:
    """A form's refusals, 'field: message; …': the field as written, the message in Dutch."""
    from traject.web import i18n  # it asks this module: imported when first needed

    said = []
    for part in detail.split("; "):
        name, sep, message = part.partition(": ")
        said.append(f"{name}{sep}{i18n.message(message, 'nl')}" if sep else part)
    return "; ".join(said)


_CONVERT: Convert = {
    "machine": _machine,
    "form": _form,
    "none": lambda text: "geen" if text == "none" else text,
    "unmeasured": lambda text: "nog niet gemeten" if text == "None" else text,
    "unknown": lambda text: "nog onbekend" if text == "None" else text,
    "finished": lambda text: {"True": "afgelopen", "False": "niet afgelopen"}.get(text, text),
}


def _failure(text: str) -> str | None:
    """Why a scenario failed: every check's sentence in Dutch, or None."""
    said = [say(SCENARIOS, part, _CONVERT) for part in _NEXT_CHECK.split(text)]
    return None if None in said else "; ".join(s for s in said if s is not None)


def dutch(text: str) -> str | None:
    """A change, a scenario's failure or a refused migration in Dutch; None when `text` is none
    of these."""
    return (
        say(CHANGES, text) or say(MIGRATION, text) or _failure(text) or say(MACHINE, text, _CONVERT)
    )
