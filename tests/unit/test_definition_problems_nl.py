"""A Dutch designer page says every problem of a definition in Dutch; the API, `traject validate`
and the English pages keep the English text (traject/web/i18n_definition.py).

A corpus of broken definitions (the cases of test_definition_errors.py and
test_definition_errors_exact.py, and more below) runs through the loader and compiler; every
problem it gives must have Dutch, with the names the designer wrote kept as written. So that the
corpus cannot fall behind the code, every place in traject/definition that words a problem is read
from the source, and must be matched by a problem of the corpus: a new problem without a broken
definition that gives it fails here, and then again until it has Dutch."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit import test_definition_errors as first
from tests.unit import test_definition_errors_exact as exact
from tests.unit.test_dutch_tone import FORMAL
from traject.definition import DefinitionError, compile_file, compile_text, loader
from traject.definition.duration import Duration, DurationError
from traject.definition.loader import MAX_FILE_BYTES, MAX_NODES
from traject.web import i18n, i18n_definition

ROOT = Path(__file__).resolve().parents[2]
HEAD, BODY = exact.HEAD, exact.BODY
TASK = "tasks: {t: {title: T, role: coach}}"


def body(old: str, new: str) -> str:
    """The valid definition of test_definition_errors_exact.py with one change."""
    assert old in BODY, old
    return HEAD + BODY.replace(old, new, 1)


def on_entry(actions: str) -> str:
    return body(TASK, f"{TASK}\n    on_entry: {actions}")


def guard(text: str) -> str:
    return body("t.done: klaar", f"t.done: {{target: klaar, guard: {text}}}")


def form(fields: str) -> str:
    return body(TASK, f"tasks: {{t: {{title: T, role: coach, form: {{{fields}}}}}}}")


def task(extra: str) -> str:
    return body(TASK, f"tasks: {{t: {{title: T, role: coach, {extra}}}}}")


def termijn(fields: str) -> str:
    return HEAD + f"termijnen: {{x: {{title: X, {fields}}}}}\n" + BODY


# More broken definitions: the problems the two files' cases do not give.
BROKEN: dict[str, str] = {
    # YAML the loader refuses, one for each of PyYAML's usual reasons
    "tab": "a:\tb\n c: d\n",
    "character": "a: @b\n",
    "colon in a text": "a: b: c\n",
    "no colon": "a:\n- b\nc\n",
    "indentation": "a: b\n- c: d\n",
    "no value": "a: [\n",
    "open list": "a: [b, c\nd: e\n",
    "open block": "a: {b: c\nd: e\n",
    "undefined alias": "a: *x\n",
    "anchor twice": "a: &x b\nc: &x d\n",
    "open quote": "a: 'b\n",
    "escape": 'a: "\\q"\n',
    "hex escape": 'a: "\\x4"\n',
    "two documents": "---\na: b\n---\nc: d\n",
    "after the end": "a: b\n...\nc: d\n",
    "star": "title: * belangrijk\n",
    "block scalar": "a: |x\n b\n",
    "block scalar zero": "a: |0\n b\n",
    "control character": "a: b\n\x07\n",
    "directive twice": "%YAML 1.1\n%YAML 1.1\n---\na: b\n",
    "tag handle": "a: !x!y b\n",
    "verbatim tag": "a: !<tag:x\n",
    "a date that is none": "x: 2024-02-30\n",
    "a value its tag refuses": "x: !!int abc\n",
    "a list": "- a\n- b\n",
    "only a comment": "# niets\n",
    "too large": "#" * (MAX_FILE_BYTES + 1),
    "too many nodes": "a: [" + "0," * MAX_NODES + "0]\n",
    # extends and params
    "extends a path": "definition: x\nextends: ../geheim\n",
    "extends a list": "definition: x\nextends: [a]\n",
    "a param left open": HEAD.replace("version: 1", "params: {l: '${y}'}\nversion: 1")
    + "termijnen: {x: {title: X, start: {state: a}, length: '${l}'}}\n"
    + BODY,
    # the grammar (pydantic)
    "version a word": HEAD.replace("version: 1", "version: een") + BODY,
    "version with a fraction": HEAD.replace("version: 1", "version: 1.5") + BODY,
    "version a list": HEAD.replace("version: 1", "version: [1]") + BODY,
    "title a list": HEAD.replace("title: Kapot", "title: [a]") + BODY,
    "roles a list": HEAD.replace(
        "roles: {coach: Coach, coordinator: Coordinator}", "roles: [coach]"
    )
    + BODY,
    "params a list": HEAD + "params: [1]\n" + BODY,
    "param a list": HEAD + "params: {x: [1]}\n" + BODY,
    "no states": HEAD + "initial: a\nstates: {}\n",
    "states a list": HEAD + "initial: a\nstates: [a]\n",
    "unknown field type": form("x: {type: txt}"),
    "required maybe": form("x: {type: text, required: misschien}"),
    "max_length zero": form("x: {type: text, max_length: 0}"),
    "an empty option": form("x: {type: choice, options: ['']}"),
    "an option without a label": form("x: {type: choice, options: {b1: B1-route, z: }}"),
    "an empty label": form("x: {type: choice, options: {b1: '  '}}"),
    "options a text": form("x: {type: choice, options: 'b1, z'}"),
    "two options one label": form(
        "x: {type: choice, options: {b1: Route, z: route}},"
        " y: {type: multichoice, options: [ouders_en_school, ouders en school]}"
    ),
    "a guard comparing a label": HEAD
    + BODY.replace(
        "tasks: {t: {title: T, role: coach}}",
        "tasks: {t: {title: T, role: coach, form: {r: {type: choice, options: {z: Z-route}}}}}",
    ).replace("t.done: klaar", "t.done: {target: klaar, guard: {field: t.r, equals: Z-route}}"),
    "a long state name": body("  a:\n", "  " + "a" * 70 + ":\n"),
    "final a word": body("final: true", "final: ja"),
    "probability zero": task("simulate: {probability: 0}"),
    "probability two": task("simulate: {probability: 2}"),
    "probability a word": task("simulate: {probability: veel}"),
    "amber a list": termijn("start: {state: a}, length: P1W, amber: [1]"),
    "due a word": task("due: binnenkort"),
    "due a number": task("due: 5"),
    "due too long": task("due: P" + "1" * 50 + "D"),
    "due zero": task("due: P0D"),
    "a task a text": body(TASK, "tasks: {t: Taak}"),
    "tasks a list": body(TASK, "tasks: [t]"),
    "an action of two keys": on_entry("[{foo: 1, bar: 2}]"),
    "an action a number": on_entry("[5]"),
    "actions a word": on_entry("notify"),
    "too many dagdelen": on_entry("[{schedule_workshop: {workshop: x, dagdelen: 99}}]"),
    "report to whom": on_entry("[{report: {indicator: x, to: gemeentee}}]"),
    "a guard of two keys": guard("{equals: 1, x: 2}"),
    "a guard a list": guard("[a]"),
    "an empty all": guard("{all: []}"),
    "a guard's value a list": guard("{field: t.x, equals: [1]}"),
    "a ladder step a word": guard("{ladder_at_least: drie}"),
    "a termijn starting twice": termijn("start: {state: a, date: registratiedatum}, length: P1W"),
    "a termijn's start a text": termijn("start: a, length: P1W"),
    "a termijn's length in weeks": termijn("start: {state: a}, length: 3 weken"),
    "no roles to suspend": termijn("start: {state: a}, length: P1W, suspend: {roles: []}"),
    # the compiler
    "termijn references": HEAD
    + "termijnen: {x: {title: X, start: {state: b}, length: P1W, met: [c],"
    " suspend: {roles: [baas]}}, y: {title: Y, start: {date: d}, length: P1W},"
    " z: {title: Z, start: {event: e}, length: P1W}}\n" + BODY,
    "form declarations": form(
        "s: {type: choice, options: [ja, ja]}, n: {type: text, min: 1},"
        " c: {type: multichoice}, d: {type: date, max_length: 4}"
    ),
    "an empty checklist": body(
        "  klaar:", "  lijst: {role: coach, checklist: {}, on: {done: klaar}}\n  klaar:"
    ),
    "a final state with timers and on": body(
        "klaar: {final: true, outcome: klaar}",
        "klaar: {final: true, outcome: klaar, on: {verhuisd: a},"
        " timers: [{name: x, after: P1D, goto: a}]}",
    ),
    "a done without a way on": HEAD
    + """initial: a
states:
  a:
    initial: x
    states:
      x:
        tasks: {t: {title: T, role: coach}}
        on: {t.done: y}
      y: {final: true}
  klaar: {final: true, outcome: klaar}
""",
}


def compiled_problems(text: str, bases: dict[str, str] | None = None) -> list[str]:
    try:
        compile_text(text, "ontwerp.yaml", bases)
    except DefinitionError as error:
        return [p.message for p in error.problems]
    raise AssertionError(f"compiles:\n{text[:500]}")


class Corpus:
    """Every problem the broken definitions give (problem → the first case that gives it), and
    the pydantic error types they met."""

    def __init__(self, folder: Path) -> None:
        self.problems: dict[str, str] = {}
        self.error_types: set[str] = set()
        with pytest.MonkeyPatch.context() as patch:
            original = loader._message

            def recording(item: Any) -> str:
                self.error_types.add(item["type"])
                return original(item)

            patch.setattr(loader, "_message", recording)
            for name, text in self._texts():
                self._add(name, compiled_problems(text))
            bases = {"basis": HEAD + BODY, "een": "extends: twee\n", "twee": "extends: een\n"}
            for name, text in {
                "no base": "extends: bassis\n",
                "no such base": "extends: iets\n",
                "an extends cycle": "extends: een\n",
            }.items():
                self._add(name, compiled_problems(text, bases))
            latin = folder / "latin1.yaml"
            latin.write_bytes("title: Café\n".encode("latin-1"))
            missing = folder / "er_niet.yaml"
            for name, path in {"not utf-8": latin, "not there": missing}.items():
                with pytest.raises(DefinitionError) as error:
                    compile_file(path)
                self._add(name, [p.message for p in error.value.problems])
        with pytest.raises(DurationError) as refused:  # not from a definition: its text is a str
            Duration.parse(5)  # type: ignore[arg-type]
        self._add("a duration that is no text", [str(refused.value)])

    @staticmethod
    def _texts() -> Iterator[tuple[str, str]]:
        for module in (first, exact):
            for name, (text, _path, _phrase) in module.CASES.items():
                yield f"{module.__name__.rsplit('.', 1)[1]}: {name}", text
        yield from BROKEN.items()

    def _add(self, name: str, problems: list[str]) -> None:
        for problem in problems:
            self.problems.setdefault(problem, name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("corpus"))


# Words that are English, not Dutch, outside what the designer wrote (quoted, or a path).
ENGLISH = re.compile(
    r"\b(the|and|or|not|no|is required|must|should|needs?|unknown|required|expected|found|"
    r"duplicate|belongs?|input|valid|invalid|cannot|allowed|supported|has|have|which|with|only|"
    r"already|used|here|state|task|field|file|empty|larger|longer|more than|characters?|list|"
    r"dictionary|string|integer|number|boolean|unable|instance|extract|did you mean|known|use|"
    r"say|outcome|target|role|event|mapping|node|zero|such as|cycle|definition)\b",
    re.I,
)
DESIGNERS = re.compile(r"'[^']*'|\"[^\"]*\"|\S+\.\S+")  # quoted, or a path like states.a.tasks
# quoted in the English sentence, and not the designer's words
NOT_NAMES = {"'<task>.done'", "'action'", "'guard'"}


def leftover_english(dutch: str) -> list[str]:
    return ENGLISH.findall(DESIGNERS.sub(" ", dutch))


def test_every_problem_of_the_corpus_has_dutch_that_keeps_the_designers_names(
    corpus: Corpus,
) -> None:
    assert len(corpus.problems) > 140  # the corpus ran
    untranslated, english, names_lost, formal = [], [], [], []
    for problem, case in sorted(corpus.problems.items()):
        dutch = i18n.message(problem, "nl")
        where = f"{case}: {problem!r} → {dutch!r}"
        if dutch == problem:
            untranslated.append(where)
            continue
        if leftover_english(dutch):
            english.append(f"{where} {leftover_english(dutch)}")
        if FORMAL.search(DESIGNERS.sub(" ", dutch)):  # a task may be called 'u
            formal.append(where)
        if not problem.startswith(("not valid YAML", "cannot read")):  # PyYAML's tokens: not kept
            quoted = set(re.findall(r"'[^']*'", problem)) - NOT_NAMES
            if lost := [q for q in quoted if q not in dutch]:
                names_lost.append(f"{where} {lost}")
        assert i18n.message(problem, "en") == problem, where  # English pages: the service's text
    assert untranslated == [], "problems without Dutch:\n" + "\n".join(untranslated)
    assert english == [], "Dutch with English left in it:\n" + "\n".join(english)
    assert names_lost == [], "the designer's names lost:\n" + "\n".join(names_lost)
    assert formal == []


def test_the_hint_is_dutch_and_the_names_stay_as_written() -> None:
    said = {
        "unknown state 'intke' (did you mean 'intake'?)": "onbekende stap 'intke' (bedoel je"
        " 'intake'?)",
        "unknown target 'klar' (did you mean 'klaar'?)": "onbekende doelstap 'klar' (bedoel je"
        " 'klaar'?)",
        "unknown role 'coach'": "onbekende rol 'coach'",
        "'initial' is required": "'initial' is verplicht",
        "a state with 'states' needs 'initial'": "een stap met 'states' heeft 'initial' nodig",
        "'P3Q' is not an ISO-8601 duration such as P10W, P3M or P1Y": "'P3Q' is geen duur zoals"
        " P10W (10 weken), P3M (3 maanden) of P1Y (1 jaar)",
        "a state is one kind: it has states and parallel and final": "een stap is van één soort:"
        " deze heeft 'states' en 'parallel' en 'final'",
        "input should be 'duo', 'cbs' or 'gemeente'": "kies uit 'duo', 'cbs' of 'gemeente'",
        "not valid YAML: mapping values are not allowed here": "geen geldige YAML: hier mag geen"
        " ':' staan: zet een tekst met ': ' tussen aanhalingstekens, of kijk de inspringing na",
        "unknown outcome of 'klaar' 'weg' (did you mean 'wel'?)": "'klaar' heeft geen uitkomst"
        " 'weg' (bedoel je 'wel'?)",
        # a name the designer wrote that reads like the sentence around it stays as written
        "unknown key 'did you mean'": "onbekend trefwoord 'did you mean'",
        "duplicate key 'is required'": "'is required' staat hier twee keer",
    }
    for english, dutch in said.items():
        assert i18n.message(english, "nl") == dutch
        assert i18n.message(english, "en") == english


def test_a_service_message_is_not_taken_for_a_problem() -> None:
    """The service's refusal "no definition 'x'" keeps its own Dutch; the loader's, with a
    hint, is a definition problem."""
    assert i18n.message("no definition 'pvt9'", "nl") == "Er is geen definitie 'pvt9'."
    assert (
        i18n.message("no definition 'pvt9' (did you mean 'pvt1'?)", "nl")
        == "er is geen definitie 'pvt9' (bedoel je 'pvt1'?)"
    )
    assert i18n_definition.dutch("choose the cases to move") is None


# The pydantic error types a definition meets: each has its own sentence above (not only the
# fall-through of loader._message), so the corpus must give every one of them.
ERROR_TYPES = {
    "missing",
    "extra_forbidden",
    "string_type",
    "int_type",
    "int_parsing",
    "int_from_float",
    "float_type",
    "float_parsing",
    "bool_type",
    "bool_parsing",
    "dict_type",
    "list_type",
    "model_type",
    "model_attributes_type",
    "literal_error",
    "greater_than",
    "greater_than_equal",
    "less_than_equal",
    "string_too_long",
    "string_too_short",
    "too_short",
    "string_pattern_mismatch",
    "union_tag_invalid",
    "union_tag_not_found",
    "value_error",
}


def test_the_corpus_meets_every_pydantic_error_type_of_the_grammar(corpus: Corpus) -> None:
    assert corpus.error_types >= ERROR_TYPES, sorted(ERROR_TYPES - corpus.error_types)
    assert corpus.error_types <= ERROR_TYPES, "a new error type: add it, and its Dutch"


# ------------------------------------------------------------------ the problems in the source
DEFINITION = ROOT / "traject" / "definition"
# the calls that word a problem, and the position of their message argument
WORDING = {"problem": 1, "problem_at": 1, "_at": 2, "Problem": 3}
UNKNOWN = {"_unknown", "unknown"}  # unknown {what} '{name}'{hint}: `what` at position 1
RAISING = {"DurationError", "TermijnError", "ValueError"}
# `what` of an `unknown(...)` the test cannot read, and the values it takes
WHATS = {"start_kind.replace('date', 'case date')": ("state", "case date", "event")}
# a message passed on from elsewhere: (file, function, expression) → where its words come from
PASSED_ON = {
    ("loader.py", "problem", "message"): "the callers of SourceMap.problem",
    ("loader.py", "_at", "message"): "the callers of _Builder._at",
    ("loader.py", "validation_problems", "_message(item)"): "loader._message",
    ("loader.py", "_message", "str(item.get('ctx', {}).get('error', message))"): "value errors",
    ("loader.py", "_message", "str(message[0].lower() + message[1:])"): "pydantic: ERROR_TYPES",
    ("compiler.py", "problem", "message"): "the callers of _Compiler.problem",
    ("compiler.py", "_problem_for", "message"): "graph.py, through problem_at",
    ("compiler.py", "_task", "message"): "forms.check_form",
    ("termijnen.py", "compile_termijnen", "str(error)"): "termijnen.length_of",
}


def _template(node: ast.expr) -> list[str] | None:
    """The sentence(s) an expression gives, `{}` for what it fills in; None: passed on."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value.replace("{", "{{").replace("}", "}}")]
    if isinstance(node, ast.JoinedStr):
        return [
            "".join(
                str(part.value).replace("{", "{{").replace("}", "}}")
                if isinstance(part, ast.Constant)
                else "{}"
                for part in node.values
            )
        ]
    if isinstance(node, ast.IfExp):
        return (_template(node.body) or []) + (_template(node.orelse) or [])
    return None


def _sentence(template: str) -> re.Pattern[str]:
    parts = re.split(r"(?<!\{)\{\}(?!\})", template)
    literal = [re.escape(p.replace("{{", "{").replace("}}", "}")) for p in parts]
    return re.compile(".*?".join(literal), re.S)


def worded_problems() -> dict[str, list[str]]:
    """Where traject/definition words a problem (file:line) → the sentence(s) it words."""
    found: dict[str, list[str]] = {}
    passed_on = set()
    for path in sorted(DEFINITION.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            if path.name == "forms.py" and function.name != "check_form":
                continue  # the rest checks answers to a task's form: the pages have their Dutch
            for node in ast.walk(function):
                where = f"{path.name}:{getattr(node, 'lineno', 0)}"
                messages: list[ast.expr] = []
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", getattr(node.func, "id", None))
                    if name in WORDING and len(node.args) > WORDING[name]:
                        messages.append(node.args[WORDING[name]])
                    elif name in UNKNOWN and len(node.args) > 1:
                        what = node.args[1]
                        whats = _template(what) or list(WHATS.get(ast.unparse(what), ()))
                        assert whats, f"{where}: which `what` is {ast.unparse(what)}? WHATS"
                        found[where] = [f"unknown {w} '{{}}'{{}}" for w in whats]
                elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    if getattr(node.exc.func, "id", None) in RAISING:
                        messages.append(node.exc.args[0])
                elif isinstance(node, ast.Yield) and function.name == "check_form":
                    assert isinstance(node.value, ast.Tuple), where
                    messages.append(node.value.elts[1])
                elif isinstance(node, ast.Return) and function.name == "_message":
                    assert node.value is not None, where
                    messages.append(node.value)
                for message in messages:
                    template = _template(message)
                    if template == [""]:
                        continue  # source.problem(path, ''): for the path it would point at
                    if template is None:
                        key = (path.name, function.name, ast.unparse(message))
                        assert key in PASSED_ON, f"{where}: where does {key[2]} come from?"
                        passed_on.add(key)
                    else:
                        found[where] = found.get(where, []) + template
    assert passed_on == set(PASSED_ON), f"no longer passed on: {set(PASSED_ON) - passed_on}"
    return found


def test_every_problem_the_source_words_is_in_the_corpus(corpus: Corpus) -> None:
    worded = worded_problems()
    everything = [s for sentences in worded.values() for s in sentences]
    assert len(worded) > 70 and "a state with 'states' needs 'initial'" in everything
    assert "unknown initial substate '{}'{}" in everything  # `_unknown`'s `what`, read
    missing = [
        f"{where}: {sentence}"
        for where, sentences in worded.items()
        for sentence in sentences
        if not any(_sentence(sentence).fullmatch(p) for p in corpus.problems)
    ]
    assert missing == [], "problems no broken definition gives: add one to BROKEN\n" + "\n".join(
        missing
    )


def test_every_hint_of_the_corpus_is_said_in_dutch(corpus: Corpus) -> None:
    hinted = [p for p in corpus.problems if "(did you mean '" in p]
    assert len(hinted) > 15
    for problem in hinted:
        assert "(bedoel je '" in i18n.message(problem, "nl"), problem
