"""The `traject` command on definition and scenario files the test writes itself, so the expected
output is known exactly (the built-in definitions are covered by `test_cli.py`)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import jsonschema
import pytest

from traject.cli import main
from traject.definition import compile_file
from traject.definition.loader import parse_yaml

PRAGMA = (Path(__file__).parent / "pragma_test.yaml").read_text()
BROKEN = PRAGMA.replace("on: {done: spreekuur}", "on: {done: spreekuu}").replace(
    "role: coach", "role: kaoch"
)
SCENARIO = """\
scenario: hoofdpad
steps:
  - expect: {states: [eerste_opvang], open_tasks: [welkom]}
  - advance: P5D
  - expect: {actions: [notify]}
  - advance: P2D
  - expect: {overdue: [welkom]}
  - advance: P1W
  - expect: {escalated: [welkom], actions: [escalate]}
  - complete: welkom
    data: {huisvesting_geregeld: true, trede: 2}
  - expect: {states: [weten_open, kunnen_open], ladder: 2}
  - complete: welkom
    rejected: already completed
  - complete: uitstroom
    data: {uitkomst: 3}
    rejected: choose one of
  - advance: P12M
  - expect: {actions: [notify]}
  - complete: uitstroom
    data: {uitkomst: betaalde_baan}
  - expect: {finished: true, outcome: betaalde_baan}
"""


@pytest.fixture
def pragma(tmp_path: Path) -> Path:
    path = tmp_path / "pragma.yaml"
    path.write_text(PRAGMA)
    return path


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "kapot.yaml"
    path.write_text(BROKEN)
    return path


def line_of(text: str, fragment: str) -> int:
    (line,) = [i for i, t in enumerate(text.splitlines(), 1) if fragment in t]
    return line


def test_validate_prints_ok_with_the_key_and_hash(
    pragma: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(pragma)]) == 0
    digest = compile_file(pragma).content_hash[:12]
    assert capsys.readouterr().out == f"ok  {pragma}  pragma/pragma_test@1  {digest}\n"
    assert main(["validate", "--quiet", str(pragma)]) == 0
    assert capsys.readouterr().out == ""


def test_validate_prints_every_problem_as_file_line_path_message(
    pragma: Path, broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(broken), str(pragma)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{broken}:{line_of(BROKEN, 'kaoch')} states.traject.tasks.uitstroom.role: "
        "unknown role 'kaoch' (did you mean 'coach'?)",
        f"{broken}:{line_of(BROKEN, 'spreekuu}')} states.traject.states.zelfredzaamheid.on.done: "
        "unknown target 'spreekuu' (did you mean 'spreekuur'?)",
        f"ok  {pragma}  pragma/pragma_test@1  {compile_file(pragma).content_hash[:12]}",
    ]
    assert captured.err == "2 problem(s) in 2 file(s)\n"


def test_validate_takes_the_definitions_at_the_top_of_a_folder(
    tmp_path: Path, pragma: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "geen_definitie.yaml").write_text(SCENARIO)
    assert main(["validate", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count("ok  ") == 1


def test_validate_without_files_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "no definition files found\n"


def test_diagram_prints_every_state_and_transition(
    pragma: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagram", str(pragma)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stateDiagram-v2\n")
    for name in compile_file(pragma).states:
        assert f" as {name}" in out, name
    # the arrows in words (English, the command's language): the task's title, "finished"
    assert "eerste_opvang --> traject : Welkom\n" in out
    assert "zelfredzaamheid --> spreekuur : finished\n" in out
    assert "uitstroom.done" not in out and "if Uitkomst:\u00a0Betaalde baan" in out
    assert main(["diagram", str(pragma), "--lang", "nl"]) == 0
    dutch = capsys.readouterr().out
    assert "weten_open --> weten_done : alle taken klaar\n" in dutch
    assert "als Uitkomst:\u00a0Betaalde baan<br>uitkomst: Betaalde baan<br>– of –" in dutch


def test_diagram_of_a_broken_file_prints_its_problems_instead(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagram", str(broken)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown target 'spreekuu'" in captured.err


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    schema = json.loads(out.getvalue())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def pragma_data() -> dict[str, object]:
    data, _ = parse_yaml(PRAGMA, "pragma")  # YAML 1.1 (yaml.safe_load) would read `on` as True
    return data


def test_the_schema_accepts_the_definition(validator: jsonschema.Draft202012Validator) -> None:
    assert [e.message for e in validator.iter_errors(pragma_data())] == []


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        (("states", "eerste_opvang", "tasks", "welkom"), "deadline", "P1W"),
        (("states", "eerste_opvang"), "colour", "red"),
        ((), "version", "een"),
        (("states", "eerste_opvang", "tasks", "welkom"), "due", "one week"),
        (("states", "eerste_opvang", "tasks", "welkom", "form", "trede"), "type", "slider"),
    ],
)
def test_the_schema_rejects_what_the_compiler_rejects(
    validator: jsonschema.Draft202012Validator,
    tmp_path: Path,
    where: tuple[str, ...],
    key: str,
    value: object,
) -> None:
    data = pragma_data()
    holder: dict[str, object] = data
    for part in where:
        holder = holder[part]  # type: ignore[assignment]
    holder[key] = value
    assert list(validator.iter_errors(data)), f"{key}: {value} was accepted"
    path = tmp_path / "anders.yaml"
    path.write_text(json.dumps(data))  # JSON is YAML: the compiler must refuse it too
    assert main(["validate", str(path)]) == 1


def test_the_test_command_runs_scenarios_with_a_virtual_clock(
    pragma: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "scenarios" / "pragma_test"
    folder.mkdir(parents=True)
    (folder / "hoofdpad.yaml").write_text(SCENARIO)
    assert main(["test", str(pragma)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"ok  {folder / 'hoofdpad.yaml'}",
        "1 passed, 0 failed",
    ]


def test_a_failing_scenario_step_is_named_by_file_line_and_index(
    pragma: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "scenarios" / "pragma_test"
    folder.mkdir(parents=True)
    wrong = SCENARIO.replace("advance: P2D", "advance: P1D")
    (folder / "te_vroeg.yaml").write_text(wrong)
    assert main(["test", str(pragma)]) == 1
    out = capsys.readouterr().out
    assert (
        f"FAIL {folder / 'te_vroeg.yaml'}:{line_of(wrong, 'overdue')} steps[4]: "
        "expected overdue tasks ['welkom']"
    ) in out
    assert out.endswith("0 passed, 1 failed\n")


def test_a_scenario_step_doing_two_things_is_refused_at_its_line(
    pragma: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "scenarios" / "pragma_test"
    folder.mkdir(parents=True)
    (folder / "dubbel.yaml").write_text(
        "scenario: dubbel\nsteps:\n  - expect: {finished: false}\n  - {advance: P1W, complete: welkom}\n"
    )
    assert main(["test", str(pragma)]) == 1
    assert (
        f"FAIL {folder / 'dubbel.yaml'}:4 steps[1]: a step does one thing"
        in capsys.readouterr().out
    )
