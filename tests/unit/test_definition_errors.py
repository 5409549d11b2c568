"""Broken definitions are rejected with every problem named by file, line and path.

Each case marks the line the error must point at with `# <-`, so the expected line number is read
from the text itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from traject.definition import DefinitionError, compile_file

HEAD = """\
definition: broken
title: Broken
municipality: test
version: 1
roles: {klantmanager: Klantmanager, coordinator: Coordinator}
case_dates: {registratiedatum: Registratie}
outcomes: {klaar: {title: Klaar}, gestopt: {title: Gestopt}}
"""


def problems(tmp_path: Path, text: str, name: str = "broken.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DefinitionError) as error:
        compile_file(path)
    return [str(p) for p in error.value.problems]


def marked_line(text: str, mark: str = "# <-") -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if mark in line)


def assert_problem(tmp_path: Path, text: str, path: str, phrase: str) -> None:
    found = problems(tmp_path, text)
    expected_start = f"{tmp_path / 'broken.yaml'}:{marked_line(text)} {path}: "
    assert any(p.startswith(expected_start) and phrase in p for p in found), (
        f"expected {expected_start}…{phrase}…, got:\n" + "\n".join(found)
    )


CASES = {
    "unknown target with did-you-mean": (
        HEAD
        + """initial: sign_in
states:
  sign_in:
    tasks: {tekenen: {title: Tekenen, role: klantmanager}}
    on: {tekenen.done: signin}  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.sign_in.on.tekenen.done",
        "unknown target 'signin' (did you mean 'sign_in'?)",
    ),
    "unknown action": (
        HEAD
        + """initial: a
states:
  a:
    on_entry: [sign_declaraton]  # <-
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on_entry[0]",
        "unknown action 'sign_declaraton' (did you mean 'sign_declaration'?)",
    ),
    "unknown guard": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on:
      t.done:
        - {target: klaar, guard: {ladder_at_leest: 3}}  # <-
        - {target: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done[0].guard",
        "did you mean 'ladder_at_least'?",
    ),
    "unknown role": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: klantmanger  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.role",
        "unknown role 'klantmanger' (did you mean 'klantmanager'?)",
    ),
    "bad duration": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: klantmanager
        due: P2X  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.due",
        "is not an ISO-8601 duration",
    ),
    "unknown key in a task": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: klantmanager
        deadline: P2W  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.deadline",
        "unknown key 'deadline'",
    ),
    "trigger of an unknown task": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on:
      x.done: klaar  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.x.done",
        "unknown task 'x'",
    ),
    "task of another state": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on:
      t.done: b
      u.done: klaar  # <-
  b:
    tasks: {u: {title: U, role: klantmanager}}
    on: {u.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.u.done",
        "belongs to state 'b'",
    ),
    "unreachable state": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: klaar}
  vergeten:  # <-
    tasks: {v: {title: V, role: klantmanager}}
    on: {v.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.vergeten",
        "unreachable",
    ),
    "no way out": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: [{target: klaar, guard: {ladder_at_least: 3}}, {target: vast}]}
  vast:  # <-
    tasks: {v: {title: V, role: klantmanager}}
  klaar: {final: true, outcome: klaar}
""",
        "states.vast",
        "has no way out",
    ),
    "no final state": (
        HEAD
        + """initial: a
states:
  a:  # <-
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: b}
  b:
    tasks: {u: {title: U, role: klantmanager}}
    on: {u.done: a}
""",
        "states.a",
        "no final state",
    ),
    "compound without initial": (
        HEAD
        + """initial: a
states:
  a:  # <-
    states:
      b: {final: true}
    on: {done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a",
        "needs 'initial'",
    ),
    "atomic parallel region": (
        HEAD
        + """initial: p
states:
  p:
    parallel:
      r:  # <-
        tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.p.parallel.r",
        "needs 'states' or a 'checklist'",
    ),
    "duplicate nested state name": (
        HEAD
        + """initial: a
states:
  a:
    initial: b
    states:
      b:
        tasks: {t: {title: T, role: klantmanager}}
        on: {t.done: klaar}
  c:
    initial: b
    states:
      b: {final: true}  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.c.states.b",
        "duplicate state name 'b'",
    ),
    "choice without options": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: klantmanager
        form:
          route: {type: choice}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.form.route",
        "needs 'options'",
    ),
    "guard reads personal data": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: klantmanager
        form: {notitie: {type: text, personal: true}}
    on:
      t.done:
        - {target: klaar, guard: {field: t.notitie, equals: ja}}  # <-
        - {target: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done[0].guard",
        "personal data",
    ),
    "guard value is not an option": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: klantmanager
        form: {route: {type: choice, options: [b1, z]}}
    on:
      t.done:
        - {target: klaar, guard: {field: t.route, equals: b2}}  # <-
        - {target: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done[0].guard",
        "'b2' is not an option of 't.route' (did you mean 'b1'?)",
    ),
    "record_ladder from a text field": (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t:
        title: T
        role: klantmanager
        form: {trede: {type: int}}
    on:
      t.done:
        target: klaar
        actions: [{record_ladder: t.trede}]  # <-
  klaar: {final: true, outcome: klaar}
""",
        "states.a.on.t.done.actions[0]",
        "record_ladder needs a ladder field",
    ),
    "timer from an unknown case date": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    timers:
      - {name: termijn, after: P10W, from: duo_melding, actions: [{notify: coordinator}]}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.timers[0].from",
        "unknown case date 'duo_melding'",
    ),
    "final with several outcomes entered without one": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on:
      t.done: einde  # <-
  einde: {final: true, outcomes: [klaar, gestopt]}
""",
        "states.a.on.t.done",
        "say which with 'outcome'",
    ),
    "undeclared outcome": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: einde}
  einde: {final: true, outcome: geslaagd}  # <-
""",
        "states.einde.outcome",
        "unknown outcome 'geslaagd'",
    ),
    "unguarded transition shadows the next": (
        HEAD
        + """initial: a
states:
  a:  # <-
    tasks: {t: {title: T, role: klantmanager, form: {ok: {type: bool}}}}
    on:
      t.done:
        - {target: klaar}
        - {target: klaar, guard: {field: t.ok, equals: true}}
  klaar: {final: true, outcome: klaar}
""",
        "states.a",
        "can then never be taken",
    ),
    "livelock": (
        HEAD
        + """initial: start
states:
  start:
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: a}
  a:
    initial: a_klaar
    states: {a_klaar: {final: true}}  # <-
    on: {done: b}
  b:
    initial: b_klaar
    states: {b_klaar: {final: true}}
    on: {done: a}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.states.a_klaar",
        "loop forever",
    ),
    "unknown parameter": (
        HEAD
        + """params: {looptijd: P18M}
initial: a
states:
  a:
    kpi: {expected: "${loopijd}"}  # <-
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.kpi.expected",
        "unknown parameter 'loopijd' (did you mean 'looptijd'?)",
    ),
    "duplicate key": (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
  klaar: {final: true, outcome: gestopt}  # <-
""",
        "states.klaar",
        "duplicate key 'klaar'",
    ),
    "comma in a flow mapping": (
        HEAD
        + """initial: a
states:
  a:
    title: Eerste opvang
    tasks: {t: {title: Welkom, uitleg en rondleiding, role: klantmanager}}  # <-
    on: {t.done: klaar}
  klaar: {final: true, outcome: klaar}
""",
        "states.a.tasks.t.uitleg en rondleiding",
        "put the text in quotes",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_broken_definition_is_rejected_at_the_right_line(tmp_path: Path, case: str) -> None:
    text, path, phrase = CASES[case]
    assert_problem(tmp_path, text, path, phrase)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = HEAD + "initial: a\nstates:\n  a: {final: true\n  b: 1\n"
    (found,) = problems(tmp_path, text)
    assert "not valid YAML" in found and f"broken.yaml:{len(HEAD.splitlines()) + 4}" in found


def test_empty_and_oversized_files(tmp_path: Path) -> None:
    assert "the file is empty" in problems(tmp_path, "")[0]
    assert "larger than" in problems(tmp_path, "# " + "x" * 600_000)[0]


def test_every_problem_of_a_file_is_reported_together_in_line_order(tmp_path: Path) -> None:
    grammar = (
        HEAD
        + """initial: a
states:
  a:
    tasks:
      t: {title: T, role: klantmanager, due: P1Q, colour: red}
    on_entry: [teleport]
  klaar: {final: true, outcome: klaar}
"""
    )
    found = problems(tmp_path, grammar)
    assert len(found) == 3
    lines = [int(p.split(":")[1].split()[0]) for p in found]
    assert lines == sorted(lines)


def test_every_reference_problem_is_reported_together(tmp_path: Path) -> None:
    references = (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: nobody}}
    timers: [{name: x, after: P1W, from: nergens}]
    on: {t.done: nowhere}
  klaar: {final: true, outcome: klaar}
"""
    )
    found = problems(tmp_path, references)
    assert len(found) == 3
    assert any("unknown role 'nobody'" in p for p in found)
    assert any("unknown case date 'nergens'" in p for p in found)
    assert any("unknown target 'nowhere'" in p for p in found)


def test_extends_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b\n")
    (tmp_path / "b.yaml").write_text("extends: a\n")
    assert "extends cycle" in problems(tmp_path, "extends: a\n", "c.yaml")[0]
    assert "no definition 'missing'" in problems(tmp_path, "extends: missing\n", "d.yaml")[0]


def test_error_in_a_base_definition_points_into_the_base_file(tmp_path: Path) -> None:
    base = (
        HEAD
        + """initial: a
states:
  a:
    tasks: {t: {title: T, role: klantmanager}}
    on: {t.done: klar}
  klaar: {final: true, outcome: klaar}
"""
    )
    (tmp_path / "base.yaml").write_text(base)
    found = problems(tmp_path, "extends: base\ndefinition: child\n", "child.yaml")
    assert any(
        p.startswith(f"{tmp_path / 'base.yaml'}:{len(HEAD.splitlines()) + 5} ") for p in found
    ), found
