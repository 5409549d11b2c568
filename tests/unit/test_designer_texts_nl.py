"""A Dutch designer page says in Dutch what changes between two versions, why a scenario test
failed and why a case cannot move to a later version; the API, the CLI and the English pages keep
the service's English (traject/web/i18n_designer.py, and the designer's refusals in
traject/web/i18n.py).

The texts are made, not written out: diffs of every pair of the built-in definitions and of small
definitions that change one thing each, the built-in scenarios run against the other definitions
and small scenarios that fail one way each, migrations refused for each reason. Every text must
have Dutch, with what the designer wrote (names in quotes, lists of names, titles and durations)
kept as written. So that the texts cannot fall behind the code, every place that words one is
read from the source (diff.py, scenario.py and the machine's refusals a scenario meets,
migration.py, and the refusals of the designer's pages), and must be matched by a made text."""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from tests.unit.test_definition_problems_nl import DESIGNERS, leftover_english
from tests.unit.test_dutch_tone import FORMAL
from traject.casework import Casework
from traject.definition import CompiledDefinition, compile_file, compile_text
from traject.definition.diff import diff
from traject.designer import Designer
from traject.machine import Machine, Snapshot
from traject.migration import MigrationRefused, plan
from traject.web import i18n, i18n_designer

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "definitions"
AT = "2025-01-06T09:00:00"

# ----------------------------------------------------------------------------- what changes
KLEIN = """\
definition: klein
title: Klein
municipality: test
version: 1
roles: {coach: Coach, trainer: Trainer, coordinator: Coördinator}
case_dates: {melding: Melding}
events: {verhuisd: {title: Verhuisd}}
outcomes: {klaar: {title: Klaar, expected: P2M}, weg: {title: Weg}}
termijnen:
  plan_termijn: {title: Plan binnen tien weken, start: {date: melding}, length: P10W}
initial: intake
states:
  intake:
    title: Intake
    kpi: {expected: P2W, maximum: P4W}
    on_entry: [{notify: coach}]
    tasks:
      gesprek:
        title: Gesprek voeren
        role: coach
        due: P1W
        escalate: {after: P2W, to: coordinator}
        form:
          trede: {type: ladder, required: true}
          uren: {type: number}
          notitie: {type: text, personal: true}
    timers:
      - {name: herinnering, after: P1W, actions: [{notify: coach}]}
    on:
      gesprek.done: {target: workshop, actions: [{record_ladder: gesprek.trede}]}
      verhuisd: weg
  workshop:
    title: Workshop
    tasks:
      aanwezigheid: {title: Aanwezigheid, role: trainer, form: {aanwezig: {type: bool}}}
    on: {aanwezigheid.done: klaar}
  klaar: {final: true, outcome: klaar}
  weg: {final: true, outcome: weg}
"""


def klein(*changes: tuple[str, str], name: str = "klein", version: int = 2) -> str:
    """KLEIN with each (old, new) replaced once, as `name` at `version`."""
    text = KLEIN.replace("definition: klein", f"definition: {name}", 1)
    text = text.replace("version: 1", f"version: {version}", 1)
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


WORKSHOP = """  workshop:
    title: Workshop
    tasks:
      aanwezigheid: {title: Aanwezigheid, role: trainer, form: {aanwezig: {type: bool}}}
    on: {aanwezigheid.done: klaar}
"""
NAZORG = "      nazorg: {title: Nazorg, role: coach}\n"
AANWEZIGHEID = (
    "      aanwezigheid: {title: Aanwezigheid, role: trainer, form: {aanwezig: {type: bool}}}\n"
)
# Small changes of KLEIN (version 1 → 2), each one kind of change (and what it brings along).
CHANGED: dict[str, tuple[str, str]] = {
    "a state and its task replaced": (
        KLEIN,
        klein(
            (
                WORKSHOP,
                "  tekenen:\n    title: Tekenen\n    tasks: {ondertekening: {title: O, role: coach}}\n"
                "    on: {ondertekening.done: klaar}\n",
            ),
            ("target: workshop", "target: tekenen"),
        ),
    ),
    "a termijn added": (
        KLEIN,
        klein(
            (
                "termijnen:\n",
                "termijnen:\n  extra: {title: X, start: {state: intake}, length: P1W}\n",
            )
        ),
    ),
    "a termijn removed": (
        KLEIN,
        klein(
            (
                "termijnen:\n  plan_termijn: {title: Plan binnen tien weken, start: {date: melding},"
                " length: P10W}\n",
                "",
            )
        ),
    ),
    "an outcome added and one removed": (
        KLEIN,
        klein(
            ("weg: {title: Weg}", "vertrokken: {title: Vertrokken}"),
            ("weg: {final: true, outcome: weg}", "weg: {final: true, outcome: vertrokken}"),
        ),
    ),
    "durations": (
        KLEIN,
        klein(
            ("kpi: {expected: P2W, maximum: P4W}", "kpi: {expected: P3W}"),
            ("due: P1W", "due: P10D"),
            ("{name: herinnering, after: P1W", "{name: herinnering, after: P5D"),
            ("length: P10W", "length: P12W"),
            ("expected: P2M}", "expected: P3M}"),
        ),
    ),
    "a KPI removed and one added": (
        KLEIN,
        klein(
            ("    kpi: {expected: P2W, maximum: P4W}\n", ""),
            (
                "    title: Workshop\n",
                "    title: Workshop\n    kpi: {expected: P1W, maximum: P5W}\n",
            ),
        ),
    ),
    "titles, roles and forms": (
        KLEIN,
        klein(
            ("title: Workshop\n", "title: Workshop kernwaarden\n"),
            ("role: trainer, form: {aanwezig: {type: bool}}", "role: coach, form: {}"),
        ),
    ),
    "a timer renamed": (
        KLEIN,
        klein(("{name: herinnering, after: P1W", "{name: nabellen, after: P3D")),
    ),
    "a task moved to another state": (
        klein((AANWEZIGHEID, AANWEZIGHEID + NAZORG), version=1),
        klein(("    tasks:\n      gesprek:", f"    tasks:\n{NAZORG}      gesprek:")),
    ),
    "the definition's words: titles, roles, dates, events, a termijn's rules": (
        KLEIN,
        klein(
            ("title: Klein\n", "title: Klein en fijn\ndescription: Kort.\nlegal_basis: [Wet]\n"),
            ("coordinator: Coördinator}", "coordinator: Teamleider, jurist: Jurist}"),
            ("{melding: Melding}", "{melding: Datum van melding, verhuisd_op: Verhuisd op}"),
            (
                "{verhuisd: {title: Verhuisd}}",
                "{verhuisd: {title: Vertrokken, sets_date: verhuisd_op}, ziek: {title: Ziek}}",
            ),
            ("klaar: {title: Klaar,", "klaar: {title: Afgerond,"),
            (
                "{title: Plan binnen tien weken, start: {date: melding}, length: P10W}",
                "{title: Plan in tien weken, legal_basis: Wi art. 15, start: {state: intake},"
                " length: P10W, amber: 0.9}",
            ),
            ("title: Gesprek voeren\n", "title: Intakegesprek\n        description: Bel.\n"),
        ),
    ),
    "roles, dates and events removed": (
        klein(
            ("coordinator: Coördinator}", "coordinator: Coördinator, jurist: Jurist}"),
            ("{melding: Melding}", "{melding: Melding, start: Start}"),
            ("{verhuisd: {title: Verhuisd}}", "{verhuisd: {title: Verhuisd}, ziek: {title: Z}}"),
            version=1,
        ),
        KLEIN.replace("version: 1", "version: 2", 1),
    ),
}


def built_ins() -> dict[str, CompiledDefinition]:
    return {path.stem: compile_file(path) for path in sorted(DEFINITIONS.glob("*.yaml"))}


def changes() -> dict[str, str]:
    """Every text a diff gives (text → the pair that gives it)."""
    found: dict[str, str] = {}
    compiled = built_ins()
    for (a, old), (b, new) in itertools.permutations(compiled.items(), 2):
        for change in diff(old, new):
            found.setdefault(change.text, f"{a} → {b}")
    for name, (old, new) in CHANGED.items():
        for change in diff(compile_text(old, "klein.yaml"), compile_text(new, "klein.yaml")):
            found.setdefault(change.text, name)
    return found


# ---------------------------------------------------------------------------- scenarios
STIL = klein(  # KLEIN without events
    ("events: {verhuisd: {title: Verhuisd}}\n", ""),
    ("      verhuisd: weg\n", ""),
    (", weg: {title: Weg}", ""),
    ("  weg: {final: true, outcome: weg}\n", ""),
    name="stil",
    version=1,
)
# Small scenarios of KLEIN (and of STIL, without events), each failing one way.
SCENARIOS: dict[str, str] = {
    "states": "steps:\n  - expect: {states: [klaar]}\n",
    "active": "steps:\n  - expect: {active: [klaar]}\n",
    "not_active": "steps:\n  - expect: {not_active: [intake]}\n",
    "open_tasks": "steps:\n  - expect: {open_tasks: []}\n",
    "actions": "steps:\n  - expect: {actions: [escalate]}\n",
    "overdue": "steps:\n  - expect: {overdue: [gesprek]}\n",
    "escalated": "steps:\n  - expect: {escalated: [gesprek]}\n",
    "no_step_measured": "steps:\n  - expect: {ladder: 3}\n",
    "another_step": "steps:\n  - complete: gesprek\n    data: {trede: 2}\n"
    "  - expect: {ladder: 3}\n",
    "dates": "steps:\n  - expect: {dates: [melding]}\n",
    "not_finished": "steps:\n  - expect: {finished: true}\n",
    "finished": "steps:\n  - event: verhuisd\n  - expect: {finished: false}\n",
    "no_outcome_yet": "steps:\n  - expect: {outcome: klaar}\n",
    "another_outcome": "steps:\n  - event: verhuisd\n  - expect: {outcome: klaar}\n",
    "several_at_once": "steps:\n  - expect: {states: [klaar], active: [klaar], not_active: [intake],"
    " open_tasks: [], actions: [escalate], ladder: 2, finished: true, outcome: klaar}\n",
    "not_open": "steps:\n  - complete: aanwezigheid\n",
    "already_completed": "steps:\n  - complete: gesprek\n    data: {trede: 2}\n"
    "  - complete: gesprek\n    data: {trede: 2}\n",
    "a_form": "steps:\n  - complete: gesprek\n    data: {uren: veel}\n",
    "personal_data": "steps:\n  - complete: gesprek\n    data: {trede: 2, notitie: geheim}\n",
    "complete_after_the_end": "steps:\n  - event: verhuisd\n  - complete: gesprek\n",
    "event_after_the_end": "steps:\n  - event: verhuisd\n  - event: verhuisd\n",
    "unknown_event": "steps:\n  - event: verplaatst\n",
    "completed_not_refused": "steps:\n  - complete: gesprek\n    data: {trede: 2}\n"
    "    rejected: weigering\n",
    "recorded_not_refused": "steps:\n  - event: verhuisd\n    rejected: weigering\n",
    "unknown_case_date": "case_dates: {aanvraag: 2025-01-02}\nsteps:\n  - expect: {finished: false}\n",
    "two_things_at_once": "steps:\n  - {expect: {finished: false}, advance: P1W}\n",
    "an_unknown_key": "steps:\n  - expect: {kleur: rood}\n",
}
STIL_SCENARIOS = {"no_events": "steps:\n  - event: verhuisd\n"}


def failures(scenarios: Path, compiled: CompiledDefinition) -> dict[str, list[str]]:
    """Scenario file → what failed in it, as the designer's check gives them."""
    designer = Designer(cast(Casework, None), scenarios_dir=scenarios)
    return {file: [p.message for p in problems] for file, problems in designer._scenarios(compiled)}


def scenario_failures(folder: Path) -> dict[str, str]:
    """Every failure the scenarios give (message → the scenario that gives it)."""
    found: dict[str, str] = {}
    for name, (definition, scenarios) in {
        "klein": (KLEIN, SCENARIOS),
        "stil": (STIL, STIL_SCENARIOS),
    }.items():
        (folder / name).mkdir()
        for title, text in scenarios.items():
            (folder / name / f"{title}.yaml").write_text(f"scenario: {title}\n{text}")
        ran = failures(folder, compile_text(definition, f"{name}.yaml"))
        assert len(ran) == len(scenarios) and all(ran.values())  # every one fails
        for file, messages in ran.items():
            for message in messages:
                found.setdefault(message, f"{name}: {file}")
    # the built-in scenarios against the other built-in definitions
    for (a, own), (b, other) in itertools.permutations(built_ins().items(), 2):
        borrowed = folder / f"{a}_on_{b}"
        borrowed.mkdir()
        (borrowed / other.definition).symlink_to(DEFINITIONS / "scenarios" / own.definition)
        for file, messages in failures(borrowed, other).items():
            for message in messages:
                found.setdefault(message, f"{a}/{file} on {b}")
    return found


# ---------------------------------------------------------------------------- migrations
SAMEN = """\
definition: samen
title: Samen
municipality: test
version: 1
roles: {coach: Coach}
events: {wissel: {title: Wissel}}
outcomes: {klaar: {title: Klaar}}
initial: samen
states:
  samen:
    title: Samen
    parallel:
      links:
        initial: l1
        states:
          l1: {tasks: {lt: {title: L, role: coach}}, on: {lt.done: l2}}
          l2: {final: true}
      rechts:
        initial: r1
        states:
          r1: {tasks: {rt: {title: R, role: coach}}, on: {rt.done: r2}}
          r2: {final: true}
    on: {done: klaar, wissel: los}
  los:
    title: Los
    initial: a
    states:
      a: {tasks: {at: {title: A, role: coach}}, on: {at.done: b}}
      b: {tasks: {bt: {title: B, role: coach}}, on: {bt.done: c}}
      c: {final: true}
    on: {done: klaar}
  klaar: {final: true, outcome: klaar}
"""
PVT1 = (DEFINITIONS / "pvt1.yaml").read_text(encoding="utf-8")


def started(compiled: CompiledDefinition) -> Snapshot:
    return Machine(compiled).start(AT).snapshot


def refused(
    old: str, new: str, mapping: dict[str, str], snapshot: Snapshot | None = None
) -> list[str]:
    before, after = compile_text(old, "oud.yaml"), compile_text(new, "nieuw.yaml")
    with pytest.raises(MigrationRefused) as refusal:
        plan(before, after, snapshot or started(before), mapping, AT)
    return refusal.value.problems


def migration_problems() -> dict[str, str]:
    """Every problem the refused migrations give (problem → the case that gives it)."""
    v1 = klein(version=1)
    samen2 = SAMEN.replace("version: 1", "version: 2")
    finished = started(compile_text(v1, "oud.yaml")).model_copy(update={"finished": True})
    pvt1_v2 = PVT1.replace("version: 1", "version: 2", 1).replace("uitnodigen", "aanmelden")
    cases = {
        "another definition": (v1, klein(name="ander"), {}, None),
        "not later": (v1, v1, {}, None),
        "not a current state": (v1, klein(), {"onbekend": "intake"}, None),
        "mapped to nothing": (v1, klein(), {"intake": "nergens"}, None),
        "renamed": (
            v1,
            klein(
                ("  intake:\n", "  kennismaking:\n"), ("initial: intake", "initial: kennismaking")
            ),
            {},
            None,
        ),
        "finished": (v1, klein(), {}, finished),
        "a task renamed": (
            v1,
            klein(
                ("      gesprek:\n", "      intakegesprek:\n"),
                ("gesprek.done", "intakegesprek.done"),
                ("record_ladder: gesprek.trede", "record_ladder: intakegesprek.trede"),
            ),
            {},
            None,
        ),
        "a task left behind": (v1, klein(), {"intake": "workshop"}, None),
        "two top-level states": (SAMEN, samen2, {"l1": "a", "r1": "klaar"}, None),
        "a region left out": (SAMEN, samen2, {"r1": "l1"}, None),
        "two substates at once": (SAMEN, samen2, {"l1": "a", "r1": "b"}, None),
        "onto a compound state": (SAMEN, samen2, {"l1": "los"}, None),
        "pvt1 renamed": (PVT1, pvt1_v2, {}, None),
        "pvt1 a task left behind": (PVT1, pvt1_v2, {"uitnodigen": "workshop"}, None),
    }
    found: dict[str, str] = {}
    for name, (old, new, mapping, snapshot) in cases.items():
        for problem in refused(old, new, mapping, snapshot):
            found.setdefault(problem, name)
    return found


# ---------------------------------------------------------------------- Dutch, names kept
# English words that a Dutch text must not keep, outside what the designer wrote.
ENGLISH = re.compile(
    r"\b(added|removed|changed|its|time|title|after|due|length|target|transitions|form|fields|"
    r"rejected|accepted|rejection|active|tasks?|actions?|run|ladder|step|known|dates|"
    r"finished|expected|outcome|None|True|False|version|mapped|mapping|current|substates|"
    r"parallel|regions?|lie|would|top-level|case|trajectory|personal|data|store|never|sent|"
    r"event|unknown|state|is not|of the)\b",
)
DESIGNERS_TOO = re.compile(r"\[[^\]]*\]|\bP\d+[DWMY]\b")  # lists of names, durations


def english_left(dutch: str) -> list[str]:
    bare = DESIGNERS_TOO.sub(" ", DESIGNERS.sub(" ", dutch))
    return ENGLISH.findall(bare) + leftover_english(bare)


def kept(english: str) -> list[str]:
    """What the designer wrote, in the English text: names in quotes, lists of names, and the
    before and after of a change."""
    found = re.findall(r"'[^']*'|\[[^\]]*\]", english)
    for pattern, _dutch in i18n_designer.CHANGES:
        if (change := pattern.fullmatch(english)) and "before" in pattern.groupindex:
            found += [change["before"], change["after"]]
    return found


def check(texts: dict[str, str], least: int) -> None:
    assert len(texts) >= least, sorted(texts)  # the texts were made
    untranslated, english, names_lost, formal = [], [], [], []
    for text, case in sorted(texts.items()):
        dutch = i18n.message(text, "nl")
        where = f"{case}: {text!r} → {dutch!r}"
        if dutch == text:
            untranslated.append(where)
            continue
        theirs = dutch  # without what the designer wrote: a title may hold any word
        for words in kept(text):
            theirs = theirs.replace(words, " ")
        if english_left(theirs):
            english.append(f"{where} {english_left(theirs)}")
        if FORMAL.search(DESIGNERS.sub(" ", dutch)):
            formal.append(where)
        if lost := [k for k in kept(text) if k not in dutch]:
            names_lost.append(f"{where} {lost}")
        assert i18n.message(text, "en") == text, where  # the English pages: as the source says
    assert untranslated == [], "without Dutch:\n" + "\n".join(untranslated)
    assert english == [], "Dutch with English left in it:\n" + "\n".join(english)
    assert names_lost == [], "the designer's words lost:\n" + "\n".join(names_lost)
    assert formal == []


@pytest.fixture(scope="module")
def changed() -> dict[str, str]:
    return changes()


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return scenario_failures(tmp_path_factory.mktemp("scenarios"))


@pytest.fixture(scope="module")
def moved() -> dict[str, str]:
    return migration_problems()


def test_every_change_has_dutch_that_keeps_the_designers_words(changed: dict[str, str]) -> None:
    check(changed, 100)


def test_every_scenario_failure_has_dutch(failed: dict[str, str]) -> None:
    check(failed, 60)


def test_every_refused_migration_has_dutch(moved: dict[str, str]) -> None:
    check(moved, 12)


def test_some_texts_as_the_dutch_pages_say_them() -> None:
    said = {
        "state 'tekenen' added": "stap 'tekenen' toegevoegd",
        "task 'aanwezigheid' removed": "taak 'aanwezigheid' verwijderd",
        "timer 'intake.gesprek.overdue': after P1W → P10D": "timer 'intake.gesprek.overdue':"
        " gaat af na P1W → P10D",
        "state 'intake': maximum time P4W → -": "stap 'intake': maximum P4W → -",
        "state 'workshop': title Workshop → Workshop kernwaarden": "stap 'workshop': titel"
        " Workshop → Workshop kernwaarden",
        "open tasks are ['gesprek'], expected []; finished is False, expected True": "de open"
        " taken zijn ['gesprek'], verwacht was []; het traject is niet afgelopen, verwacht was"
        " afgelopen",
        "expected ['klaar'] to be active; active: ['intake']": "['klaar'] had actief moeten zijn;"
        " actief zijn ['intake']",
        "complete was rejected: form of task 'gesprek' is not valid: trede: required; uren: must"
        " be a number": "afronden is geweigerd: het formulier van taak 'gesprek' klopt niet:"
        " trede: Dit veld is verplicht; uren: Vul een getal in",
        "event was rejected: unknown event 'verhuisd'; known: none": "de gebeurtenis is"
        " geweigerd: onbekende gebeurtenis 'verhuisd'; bekend zijn: geen",
        "current state 'uitnodigen' has no mapping and no state of the same name 'uitnodigen' in"
        " version 2": "de huidige stap 'uitnodigen' is niet gekoppeld, en versie 2 heeft geen"
        " stap 'uitnodigen'",
        "choose the cases to move": "Kies de zaken die je wilt overzetten.",
        # a title that reads like a sentence of the service stays as written
        "state 'a': title the trajectory has finished → x": "stap 'a': titel the trajectory has"
        " finished → x",
    }
    for english, dutch in said.items():
        assert i18n.message(english, "nl") == dutch
        assert i18n.message(english, "en") == english


# ------------------------------------------------------------------ the texts in the source
Names = dict[str, list[str]]


def _locals(function: ast.AST) -> dict[str, ast.expr]:
    """The names a function gives a text to: `how = 'a' if … else 'b'`."""
    found = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(
                node.value, ast.Constant | ast.JoinedStr | ast.IfExp
            ):
                found[target.id] = node.value
    return found


def _templates(node: ast.expr, names: Names, local: dict[str, ast.expr]) -> list[str] | None:
    """The sentence(s) an expression gives, `{}` for what it fills in; None: not a text."""
    if isinstance(node, ast.Constant):
        return [_escape(node.value)] if isinstance(node.value, str) else []
    if isinstance(node, ast.IfExp):
        return (_templates(node.body, names, local) or []) + (
            _templates(node.orelse, names, local) or []
        )
    if isinstance(node, ast.Name) and node.id in local:
        return _templates(local[node.id], names, local)
    if isinstance(node, ast.JoinedStr):
        parts: list[list[str]] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append([_escape(str(part.value))])
            else:
                assert isinstance(part, ast.FormattedValue)
                value = part.value
                if isinstance(value, ast.Name) and value.id in names:
                    parts.append([_escape(v) for v in names[value.id]])
                elif isinstance(value, ast.Name) and value.id in local:
                    parts.append(_templates(local[value.id], names, local) or ["{}"])
                else:
                    parts.append(["{}"])
        return ["".join(choice) for choice in itertools.product(*parts)]
    return None


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _sentence(template: str) -> re.Pattern[str]:
    parts = re.split(r"(?<!\{)\{\}(?!\})", template)
    literal = [re.escape(p.replace("{{", "{").replace("}}", "}")) for p in parts]
    return re.compile(".*?".join(literal), re.S)


def _functions(path: Path) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function of a file, methods and the routes inside a router's function too."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _call_name(node: ast.Call) -> str | None:
    return getattr(node.func, "attr", getattr(node.func, "id", None))


def _add(found: dict[str, list[str]], where: str, templates: list[str] | None) -> None:
    """The sentences worded at `where` (once: a route is met again inside its router)."""
    assert templates, f"{where}: which text is this?"
    found[where] = list(dict.fromkeys(found.get(where, []) + templates))


def diff_texts() -> dict[str, list[str]]:
    """diff.py: the text of each `Change(…)`, and each `_changed(…, what, name, field, …)`."""
    path = ROOT / "traject" / "definition" / "diff.py"
    found: dict[str, list[str]] = {}
    for function in _functions(path):
        whats: Names = {}
        for loop in ast.walk(function):  # for what, before, after in (("state", …), …)
            if isinstance(loop, ast.For) and isinstance(loop.target, ast.Tuple):
                first = loop.target.elts[0]
                assert isinstance(first, ast.Name) and isinstance(loop.iter, ast.Tuple)
                whats[first.id] = [
                    cast(ast.Constant, cast(ast.Tuple, e).elts[0]).value for e in loop.iter.elts
                ]
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            where = f"diff.py:{node.lineno}"
            if _call_name(node) == "Change":
                template = _templates(node.args[3], whats, _locals(function))
                if function.name == "_changed":  # its callers say what and which field
                    assert template == ["{} '{}': {} {} → {}"], template
                    continue
                _add(found, where, template)
            elif _call_name(node) == "_changed":
                what, field = node.args[1], node.args[3]
                assert isinstance(what, ast.Constant) and isinstance(field, ast.Constant), where
                _add(found, where, [f"{what.value} '{{}}': {field.value} {{}} → {{}}"])
    return found


# scenario.py: the kinds of step `_run_step` words a refusal for (the others are not refused)
KINDS: Names = {"kind": ["complete", "event"]}
# machine.py: the refusals a scenario meets, by function (`_check_running`: any step)
MACHINE_FUNCTIONS = {"start", "check_completion", "check_event", "_check_running", "__init__"}


def scenario_texts() -> dict[str, list[str]]:
    """scenario.py: what `check_expectation` and `_run_step` say, and a step's own problem; and
    the refusals of machine.py that a scenario passes on ('was rejected: …')."""
    found: dict[str, list[str]] = {}
    passed_on = set()
    for function in _functions(ROOT / "traject" / "scenario.py"):
        local = _locals(function)
        for node in ast.walk(function):
            where = f"scenario.py:{getattr(node, 'lineno', 0)}"
            if function.name == "check_expectation" and isinstance(node, ast.AnnAssign):
                assert isinstance(node.value, ast.List), where  # checks = [(ok, message), …]
                for check in node.value.elts:
                    assert isinstance(check, ast.Tuple), where
                    _add(found, f"scenario.py:{check.lineno}", _templates(check.elts[1], {}, local))
            elif function.name == "_run_step" and isinstance(node, ast.Return):
                if isinstance(node.value, ast.JoinedStr):
                    _add(found, where, _templates(node.value, KINDS, local))
            elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                if _call_name(node.exc) == "ValueError":
                    _add(found, where, _templates(node.exc.args[0], {}, local))
            elif isinstance(node, ast.Call) and _call_name(node) in ("Problem", "problem"):
                passed_on.add((function.name, ast.unparse(node.args[-1])))
    # what `run_scenario` and `load_scenario` pass on: the machine's start and `_run_step`, and
    # the step's ValueError (above)
    assert passed_on == {
        ("run_scenario", "str(error)"),
        ("run_scenario", "message"),
        ("load_scenario", "str(error)"),
    }, passed_on
    for function in _functions(ROOT / "traject" / "machine.py"):
        if function.name not in MACHINE_FUNCTIONS:
            continue
        local = _locals(function)
        for node in ast.walk(function):
            where = f"machine.py:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                if _call_name(node.exc) != "InvalidForm":  # its text: its __init__, below
                    _add(found, where, _templates(node.exc.args[0], {}, local))
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
                _add(found, where, _templates(node.value, {}, local))  # errors[name] = "…"
            elif isinstance(node, ast.Call) and _call_name(node) == "__init__":
                _add(found, where, _templates(node.args[0], {}, local))  # InvalidForm's text
    return found


def migration_texts() -> dict[str, list[str]]:
    """migration.py: each problem `plan` and its helpers add to `problems` or return."""
    found: dict[str, list[str]] = {}
    for function in _functions(ROOT / "traject" / "migration.py"):
        if function.name not in ("plan", "_same_definition", "_configuration"):
            continue
        local = _locals(function)
        for node in ast.walk(function):
            where = f"migration.py:{getattr(node, 'lineno', 0)}"
            texts: list[ast.expr] = []
            if isinstance(node, ast.Call) and _call_name(node) == "append":
                texts.append(node.args[0])
            elif isinstance(node, ast.AugAssign) and isinstance(node.value, ast.ListComp):
                texts.append(node.value.elt)
            elif isinstance(node, ast.Return) and isinstance(node.value, ast.List):
                texts += node.value.elts
            for text in texts:
                _add(found, where, _templates(text, {}, local))
    return found


# The refusals of the designer's pages: where they are worded, and what each passes on.
REFUSING = {
    "traject/designer.py",
    "traject/web/designer_pages.py",
    "traject/web/designer_start.py",
}
STORE = ROOT / "traject" / "store" / "repositories.py"  # publish, and the version to move to


def refusal_texts() -> dict[str, list[str]]:
    """The designer's refusals (`Refused`, `Forbidden`, a page's `problem`, why a draft cannot
    be kept), and the store's refusals they pass on."""
    found: dict[str, list[str]] = {}
    for name in sorted(REFUSING):
        path = ROOT / name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {  # NOT_TEXT = "…"
            node.targets[0].id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        }
        for function in _functions(path):
            local = {**constants, **_locals(function)}
            for node in ast.walk(function):
                where = f"{path.name}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Call) and _call_name(node) in ("Refused", "Forbidden"):
                    text = node.args[1 if _call_name(node) == "Refused" else 0]
                    templates = _templates(text, {}, local)
                    if templates is None:  # the store's (below); why a draft is refused
                        assert ast.unparse(text) in ("str(error)", "problem"), where
                        continue
                    _add(found, where, templates)
                elif isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in (
                    "problem",
                ):
                    templates = _templates(node.value, {}, local)
                    if templates:  # not `problem = str(refused)`: the service's, passed on
                        _add(found, where, templates)
                elif function.name == "draft_problem" and isinstance(node, ast.Return):
                    _add(found, where, _templates(cast(ast.expr, node.value), {}, local))
    for function in _functions(STORE):
        if function.name in ("publish", "get_version"):
            for node in ast.walk(function):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    where = f"repositories.py:{node.lineno}"
                    _add(found, where, _templates(node.exc.args[0], {}, {}))
    return found


def _unmatched(worded: dict[str, list[str]], texts: dict[str, str]) -> list[str]:
    return [
        f"{where}: {sentence}"
        for where, sentences in worded.items()
        for sentence in sentences
        if not any(_sentence(sentence).fullmatch(text) for text in texts)
    ]


def test_every_change_the_source_words_is_made(changed: dict[str, str]) -> None:
    worded = diff_texts()
    everything = [s for sentences in worded.values() for s in sentences]
    assert len(worded) >= 15 and "termijn '{}' added" in everything
    assert "state '{}': expected time {} → {}" in everything
    assert _unmatched(worded, changed) == [], "add a change that gives it to CHANGED"


def test_every_scenario_failure_the_source_words_is_made(failed: dict[str, str]) -> None:
    worded = scenario_texts()
    everything = [s for sentences in worded.values() for s in sentences]
    assert len(worded) >= 18 and "finished is {}, expected {}" in everything
    assert "event was rejected: {}" in everything and "task '{}' is already completed" in everything
    # the pieces a failure is made of are said inside it: "complete was rejected: <machine's>"
    pieces = {
        "the trajectory has finished",
        "task '{}' is already completed",
        "task '{}' is not open",
        "form of task '{}' is not valid: {}",
        "personal data stays in the store: it is never sent to a trajectory",
        "unknown event '{}'; known: {}",
    }
    assert pieces <= set(everything)
    # and a form's refusal of a field: "… is not valid: <field>: <why>; …"
    inside = set(failed)
    for text in failed:
        for kind in KINDS["kind"]:
            inside.add(text.removeprefix(f"{kind} was rejected: "))
        if " is not valid: " in text:
            fields = text.split(" is not valid: ", 1)[1].split("; ")
            inside |= {field.partition(": ")[2] for field in fields}
    missing = _unmatched(worded, dict.fromkeys(inside, ""))
    assert missing == [], "add a scenario that gives it to SCENARIOS\n" + "\n".join(missing)


def test_every_refused_migration_the_source_words_is_made(moved: dict[str, str]) -> None:
    worded = migration_texts()
    assert len(worded) >= 10
    missing = _unmatched(worded, moved)
    assert missing == [], "add a refused migration that gives it\n" + "\n".join(missing)


def test_every_refusal_of_the_designers_pages_has_dutch() -> None:
    worded = refusal_texts()
    everything = [s for sentences in worded.values() for s in sentences]
    assert len(worded) >= 15 and "choose the cases to move" in everything
    assert (
        "you publish for {}, not {}" in everything and "case '{}' does not run '{}'" in everything
    )
    assert "the draft holds a character that is not text" in everything
    # each with what it fills in: a number fits where a name does
    refusals = {s.replace("{}", "7").replace("{{", "{").replace("}}", "}"): s for s in everything}
    untranslated = []
    for text in refusals:
        dutch = i18n.message(text, "nl")
        if dutch == text or english_left(dutch) or FORMAL.search(dutch):
            untranslated.append(f"{text!r} → {dutch!r}")
    assert untranslated == [], "\n".join(untranslated)
