"""The `traject` command as a designer uses it."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from traject.cli import main
from traject.definition.loader import parse_yaml

ROOT = Path(__file__).parents[2]
DEFINITIONS = ROOT / "definitions"
GOOD = DEFINITIONS / "pvt1.yaml"


def test_validate_reports_ok_for_clean_definitions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DEFINITIONS)]) == 0
    out = capsys.readouterr().out
    assert out.count("ok  ") == len(list(DEFINITIONS.glob("*.yaml")))


def test_validate_lists_problems_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "kapot.yaml"
    broken.write_text(
        GOOD.read_text().replace(
            "on: {aanmelding_bevestigen.done: workshop}",
            "on: {aanmelding_bevestigen.done: workshp}",
        )
    )
    assert main(["validate", str(broken)]) == 1
    captured = capsys.readouterr()
    assert f"{broken}:" in captured.out
    assert "unknown target 'workshp' (did you mean 'workshop'?)" in captured.out
    assert "1 problem(s)" in captured.err


def test_diagram_prints_mermaid_with_every_state(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["diagram", str(DEFINITIONS / "pragma.yaml"), "--highlight", "zelfredzaamheid"]) == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("stateDiagram-v2")
    for state in ("eerste_opvang", "zelfredzaamheid", "weten", "spreekuur", "uitgestroomd"):
        assert state in out
    assert "--\n" in out  # parallel regions are separated
    assert "class zelfredzaamheid current" in out


def test_simulate_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(GOOD), "--runs", "500", "--seed", "3"]) == 0
    table = capsys.readouterr().out
    assert "verklaring_getekend" in table
    # days below 60, months above, each unit said: "2.2m" read as minutes
    assert re.search(r"\b\d+d\b", table) and re.search(r"\b\d+\.\dmo\b", table), table
    assert not re.search(r"\d\.\dm\b", table)
    assert main(["simulate", str(GOOD), "--runs", "500", "--seed", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["runs"] == 500 and report["bottleneck"]
    assert main(["simulate", str(GOOD), "--runs", "0"]) == 2


def test_test_runs_the_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(GOOD)]) == 0
    assert "0 failed" in capsys.readouterr().out


def test_a_failing_scenario_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pvt1.yaml").write_text(GOOD.read_text())
    scenarios = tmp_path / "scenarios" / "pvt1"
    scenarios.mkdir(parents=True)
    (scenarios / "fout.yaml").write_text(
        "scenario: fout\nsteps:\n  - expect: {states: [afgerond]}\n"
    )
    assert main(["test", str(tmp_path / "pvt1.yaml")]) == 1
    assert (
        f"{scenarios / 'fout.yaml'}:3 steps[0]: active states are ['uitnodigen']"
        in capsys.readouterr().out
    )


def test_committed_schema_is_current_and_accepts_every_definition(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads((DEFINITIONS / "schema.json").read_text()), "run `make schema`"
    validator = jsonschema.Draft202012Validator(schema)
    for path in DEFINITIONS.glob("*.yaml"):
        data, _ = parse_yaml(path.read_text(), str(path))
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, f"{path.name}: {errors[:3]}"
    data, _ = parse_yaml(GOOD.read_text(), "pvt1")
    data["states"]["workshop"]["colour"] = "red"
    assert list(validator.iter_errors(data))


def test_up_on_a_taken_port_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    import structlog

    # `traject up` configures logging onto this test's captured stderr: put back what was there,
    # or later tests would log into a closed file
    before = structlog.get_config()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setenv("TRAJECT_API_PORT", str(busy.getsockname()[1]))
        monkeypatch.setenv("TRAJECT_DATA_DIR", str(tmp_path))
        try:
            assert main(["up"]) == 1
        finally:
            structlog.configure(**before)
    err = capsys.readouterr().err
    assert "is taken" in err and "Traceback" not in err


def test_output_into_a_pipe_whose_reader_left_ends_quietly_as_a_pipe_writer_does() -> None:
    """`traject tasks list | head`: the reader goes away; no traceback, the status of SIGPIPE."""
    program = subprocess.Popen(
        [sys.executable, "-m", "traject.cli", "schema"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert program.stdout is not None and program.stderr is not None
    program.stdout.close()  # the only reader: every write of the program now fails
    errors = program.stderr.read()
    assert program.wait(timeout=60) == 128 + signal.SIGPIPE
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
