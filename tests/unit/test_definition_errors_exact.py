"""More broken definitions, each compared with the exact `Problem` it must give: file, line, path.

`test_definition_errors.py` holds the first set; these are the remaining checks of the grammar, the
compiler and the graph. The line a problem must point at is marked `# <-` in the text itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from traject.definition import DefinitionError, Problem, compile_file, compile_text
from traject.definition.loader import MAX_FILE_BYTES

Rejected = Callable[..., list[Problem]]  # the `rejected` fixture of conftest.py

HEAD = """\
definition: kapot
title: Kapot
municipality: test
version: 1
roles: {coach: Coach, coordinator: Coordinator}
case_dates: {registratiedatum: Registratie}
events: {verhuisd: {title: Verhuisd}}
outcomes: {klaar: {title: Klaar}, gestopt: {title: Gestopt}}
"""
BODY = """\
initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
"""


def marked_line(text: str) -> int:
    (line,) = [i for i, text_line in enumerate(text.splitlines(), 1) if "# <-" in text_line]
    return line


def only_problem_at(problems: list[Problem], line: int, path: str) -> Problem:
    found = [p for p in problems if p.line == line and p.path == path]
    assert found, f"no problem at line {line} {path}; got:\n" + "\n".join(map(str, problems))
    return found[0]


CASES: dict[str, tuple[str, str, str]] = {
    "unknown top-level key": (
        HEAD + "colour: red  # <-\n" + BODY,
        "colour",
        "unknown key 'colour'",
    ),
    "unknown initial state": (
        HEAD
        + """initial: aa  # <-
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "initial",
        "unknown initial state 'aa' (did you mean 'a'?)",
    ),
    "'done' on an atomic state": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on:
      t.done: klaar
      done: klaar  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.done",
        "'done' is the completion of a state with 'states', 'parallel' or 'checklist'",
    ),
    "initial that is not a child": (
        HEAD
        + """initial: a
states:
  a:
    initial: stap_twee  # <-
    states:
      stap_een:
        tasks: {t: {title: T, role: coach}}
        on: {t.done: stap_klaar}
      stap_klaar: {final: true}
    on: {done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.initial",
        "unknown initial substate 'stap_twee' (did you mean 'stap_een'?)",
    ),
    "task named like a state declared after it": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      klaar: {title: Klaar, role: coach}
    on: {klaar.done: klaar}
  klaar: {final: true, outcome: klaar}  # <-
""",
        "states.klaar",
        "duplicate name 'klaar' (also a task at states.a.tasks.klaar): task names are unique",
    ),
    "task named like a state declared before it": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: b}
  b:
    tasks:
      a: {title: A, role: coach}  # <-
    on: {a.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.b.tasks.a",
        "duplicate name 'a': task names are unique and differ from state names",
    ),
    "a state named like the parts of a later checklist": (
        HEAD
        + """initial: lijst_open
states:
  lijst_open:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: lijst}
  lijst:
    role: coach
    checklist: [bellen, mailen]  # <-
    on: {done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.lijst.checklist",
        "a checklist makes the states lijst_open and lijst_done: 'lijst_open' is already used",
    ),
    "two tasks with one name": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: b}
  b:
    tasks:
      t: {title: T again, role: coach}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.b.tasks.t",
        "duplicate name 't'",
    ),
    "options on a text field": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: coach
        form:
          toelichting: {type: text, options: [kort, lang]}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.form.toelichting",
        "'options' belong to choice fields, not text",
    ),
    "min larger than max": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: coach
        form:
          uren: {type: int, min: 40, max: 8}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.form.uren",
        "min 40 is larger than max 8",
    ),
    "set_date of an unknown case date": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on:
      t.done:
        target: klaar
        actions: [{set_date: registratie_datum}]  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done.actions[0]",
        "unknown case date 'registratie_datum' (did you mean 'registratiedatum'?)",
    ),
    "event that sets an unknown case date": (
        HEAD.replace(
            "events: {verhuisd: {title: Verhuisd}}",
            "events:\n  verhuisd: {title: Verhuisd, sets_date: verhuisdatum}  # <-",
        )
        + BODY,
        "events.verhuisd.sets_date",
        "unknown case date 'verhuisdatum'",
    ),
    "date_known of an unknown case date": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on:
      t.done:
        - {target: klaar, guard: {date_known: pip_datum}}  # <-
        - {target: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done[0].guard",
        "unknown case date 'pip_datum'",
    ),
    "undeclared event as trigger": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on:
      t.done: klaar
      verhuist: {target: klaar}  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.verhuist",
        "unknown trigger 'verhuist' (did you mean 'verhuisd'?)",
    ),
    "timer goto an unknown state": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    timers:
      - name: termijn
        after: P10W
        goto: klar  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.timers[0].goto",
        "unknown target 'klar' (did you mean 'klaar'?)",
    ),
    "escalation goto an unknown state": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: coach
        escalate:
          after: P2W
          to: coordinator
          goto: opgeschald  # <-
    on: {t.done: klaar}
  opgeschaald: {final: true, outcome: gestopt}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.escalate.goto",
        "unknown target 'opgeschald' (did you mean 'opgeschaald'?)",
    ),
    "escalation to an unknown role": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: coach
        escalate: {after: P2W, to: coordinater}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.escalate.to",
        "unknown role 'coordinater' (did you mean 'coordinator'?)",
    ),
    "notify an unknown role": (
        HEAD
        + """initial: a
states:
  a:
    on_entry:
      - notify: kaoch  # <-
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on_entry[0].notify",
        "unknown role 'kaoch'",
    ),
    "outcome on a transition that is not into a final state": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on:
      t.done:
        target: b
        outcome: klaar  # <-
  b:
    tasks: {u: {title: U, role: coach}}
    on: {u.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done.outcome",
        "'outcome' belongs on a transition into a final state",
    ),
    "outcome the final state does not have": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on:
      t.done:
        target: klaar
        outcome: gestopt  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done.outcome",
        "unknown outcome of 'klaar' 'gestopt'",
    ),
    "a state of two kinds": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar:  # <-
    final: true
    checklist: [bellen]
""",
        "states.klaar",
        "a state is one kind: it has checklist and final",
    ),
    "a final state with tasks": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar:
    final: true
    outcome: klaar
    tasks:  # <-
      nazorg: {title: Nazorg, role: coach}
""",
        "states.klaar.tasks",
        "a final state has no tasks",
    ),
    "initial on an atomic state": (
        HEAD
        + """initial: a
states:
  a:
    initial: b  # <-
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.initial",
        "only a state with 'states' has an initial substate",
    ),
    "role on a state without a checklist": (
        HEAD
        + """initial: a
states:
  a:
    role: coach  # <-
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.role",
        "'role' belongs to a checklist state",
    ),
    "checklist item without a role": (
        HEAD
        + """initial: a
states:
  a:
    checklist:
      bellen: {title: Bellen}  # <-
    on: {done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.checklist.bellen",
        "a checklist item needs a role",
    ),
    "two timers with one name": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    timers:
      - {name: termijn, after: P2W, actions: [{notify: coach}]}
      - {name: termijn, after: P4W, actions: [{notify: coordinator}]}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.timers[1].name",
        "duplicate timer name 'termijn' in this state",
    ),
    "done without a final substate": (
        HEAD
        + """initial: a
states:
  a:  # <-
    initial: b
    states:
      b:
        tasks: {t: {title: T, role: coach}}
        on: {t.done: c}
      c:
        tasks: {u: {title: U, role: coach}}
        on: {u.done: b}
    on: {done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a",
        "has a 'done' transition but no final substate",
    ),
    "a cycle that never reaches a final state": (
        HEAD
        + """initial: a
states:
  a:  # <-
    tasks: {t: {title: T, role: coach}}
    on: {t.done: b}
  b:
    tasks: {u: {title: U, role: coach}}
    on: {u.done: a}
  klaar: {final: true, outcome: klaar}
""",
        "states.a",
        "state 'a' can never reach a final state (it only cycles)",
    ),
    "guard on a field of an unknown task": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach, form: {ok: {type: bool}}}}
    on:
      t.done:
        - {target: klaar, guard: {field: s.ok, equals: true}}  # <-
        - {target: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done[0].guard",
        "unknown task 's' (did you mean 't'?)",
    ),
    "guard on an unknown field": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach, form: {akkoord: {type: bool}}}}
    on:
      t.done:
        - {target: klaar, guard: {not: {field: t.akord, equals: true}}}  # <-
        - {target: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done[0].guard.not",
        "unknown field of task 't' 'akord' (did you mean 'akkoord'?)",
    ),
    "at_least on a choice field": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach, form: {route: {type: choice, options: [b1, z]}}}}
    on:
      t.done:
        - target: klaar
          guard: {any: [{ladder_at_least: 2}, {field: t.route, at_least: 3}]}  # <-
        - {target: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done[0].guard.any[1]",
        "'t.route' is choice: at_least/at_most need a number",
    ),
    "a name that is not a slug": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  Klaar: {final: true, outcome: klaar}  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.Klaar",
        "must be a lowercase name",
    ),
    "ladder step out of range": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on:
      t.done:
        - {target: klaar, guard: {ladder_at_least: 7}}  # <-
        - {target: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done[0].guard.ladder_at_least",
        "less than or equal to 6",
    ),
    "a duration of more than a hundred years": (
        HEAD
        + """initial: a
states:
  a:
    kpi:
      expected: P101Y  # <-
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.kpi.expected",
        "longer than 100 years",
    ),
    "version zero": (
        HEAD.replace("version: 1", "version: 0  # <-") + BODY,
        "version",
        "greater than or equal to 1",
    ),
    "a required key missing": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t: {role: coach}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t",
        "'title' is required",
    ),
    "a YAML tag": (
        HEAD
        + """initial: a
states:
  a:
    title: !!python/name:os.system  # <-
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.title",
        "YAML tags such as 'tag:yaml.org,2002:python/name:os.system' are not supported",
    ),
    "a YAML merge key": (
        HEAD
        + """initial: a
states:
  a: &a
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
  b:
    <<: *a  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.b",
        "YAML merge keys (<<) are not supported",
    ),
    "a YAML alias inside its own anchor (was a RecursionError, a 500 on the live check)": (
        HEAD
        + """initial: a
states:
  a: &a
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klaar}
    more: [*a]  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.a.more[0]",
        "a YAML alias may not refer to itself",
    ),
    "a list as a key": (
        HEAD
        + """initial: a
states:
  ? [a, b]  # <-
  : {final: true, outcome: klaar}
""",
        "states",
        "a key is a name, not a list or a mapping",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_broken_definition_gives_the_exact_problem(
    rejected: Rejected, tmp_path: Path, case: str
) -> None:
    text, path, phrase = CASES[case]
    problem = only_problem_at(rejected(text), marked_line(text), path)
    assert problem.file == str(tmp_path / "broken.yaml")
    assert phrase in problem.message, problem
    assert str(problem) == f"{problem.file}:{problem.line} {path}: {problem.message}"


def test_the_valid_starting_point_compiles() -> None:
    """The cases above break this definition; unbroken, it must compile."""
    assert compile_text(HEAD + BODY).states["a"].tasks == ("t",)


def test_a_missing_base_names_the_extends_line_and_a_close_sibling(
    rejected: Rejected, tmp_path: Path
) -> None:
    (tmp_path / "basis.yaml").write_text(HEAD + BODY)
    (problem,) = rejected("definition: kind\nextends: bassis\n", "kind.yaml")
    assert problem == Problem(
        str(tmp_path / "kind.yaml"), 2, "extends", "no definition 'bassis' (did you mean 'basis'?)"
    )


def test_an_extends_cycle_names_the_file_that_closes_it(rejected: Rejected, tmp_path: Path) -> None:
    (tmp_path / "een.yaml").write_text("extends: twee\n")
    (tmp_path / "twee.yaml").write_text("title: Twee\nextends: een\n")
    (problem,) = rejected("extends: een\n", "drie.yaml")
    assert problem == Problem(
        str(tmp_path / "twee.yaml"), 2, "extends", "extends cycle through 'een'"
    )


def test_a_file_extending_itself_is_a_cycle(rejected: Rejected, tmp_path: Path) -> None:
    (problem,) = rejected("extends: zelf\n", "zelf.yaml")
    assert problem.message == "extends cycle through 'zelf'" and problem.line == 1


def test_a_definition_given_as_text_extends_only_the_bases_it_is_given() -> None:
    with pytest.raises(DefinitionError) as error:
        compile_text("extends: basis\n" + HEAD + BODY, "ontwerp")
    assert [str(p) for p in error.value.problems] == ["ontwerp:1 extends: no definition 'basis'"]
    with pytest.raises(DefinitionError) as error:
        compile_text("extends: basi\n" + HEAD + BODY, "ontwerp", {"basis": HEAD + BODY})
    assert "no definition 'basi' (did you mean 'basis'?)" in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "a definition is a mapping"),
        ("just words\n", "a definition is a mapping"),
        ("# only a comment\n", "the file is empty"),
        ("a: \ud800\n", "not valid YAML"),
        ("a: \x00\n", "not valid YAML"),
        ("x: 2024-02-30\n", "not a valid value: '2024-02-30'"),  # a date that is none
        ("x: !!int abc\n", "not a valid value: 'abc'"),  # PyYAML's constructor raises ValueError
    ],
)
def test_text_that_is_no_definition_at_all(text: str, message: str) -> None:
    with pytest.raises(DefinitionError) as error:
        compile_text(text)
    (problem,) = error.value.problems
    assert message in problem.message


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Café\n".encode("latin-1"))
    with pytest.raises(DefinitionError) as error:
        compile_file(path)
    (problem,) = error.value.problems
    assert problem.file == str(path) and problem.message.startswith("cannot read")


def test_a_file_of_exactly_the_limit_is_read_and_one_byte_more_is_not() -> None:
    text = HEAD + BODY
    padded = text + "#" * (MAX_FILE_BYTES - len(text.encode()) - 1) + "\n"
    assert len(padded.encode()) == MAX_FILE_BYTES
    assert compile_text(padded).definition == "kapot"
    with pytest.raises(DefinitionError, match="larger than"):
        compile_text(padded + "#")


def test_grammar_problems_of_several_kinds_are_sorted_by_line(rejected: Rejected) -> None:
    text = (
        HEAD
        + """initial: a
states:
  a:
    colour: blue
    tasks:
      t: {title: T, role: coach, due: soon}
    on_entry: [{notify: {to: coach, urgent: true}}]
  klaar: {final: true, outcome: klaar, outcomes: 3}
"""
    )
    problems = rejected(text)
    assert [(p.line, p.path) for p in problems] == [
        (12, "states.a.colour"),
        (14, "states.a.tasks.t.due"),
        (15, "states.a.on_entry[0].notify.urgent"),
        (16, "states.klaar.outcomes"),
    ]


def test_reference_and_graph_problems_are_separate_phases(rejected: Rejected) -> None:
    """Graph checks need resolved names: a file with an unknown target and an unreachable state
    reports the target only; once it is fixed, the unreachable state shows."""
    text = (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: coach}}
    on: {t.done: klar}
  vergeten:
    tasks: {v: {title: V, role: coach}}
    on: {v.done: klaar}
  klaar: {final: true, outcome: klaar}
"""
    )
    (problem,) = rejected(text)
    assert problem.message.startswith("unknown target 'klar'")
    (problem,) = rejected(text.replace("klar}", "klaar}", 1))
    assert problem.path == "states.vergeten" and "unreachable" in problem.message
