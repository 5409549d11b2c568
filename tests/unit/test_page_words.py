"""Codes the pages name in words: a group (a definition's role, who works a task), who did
something when it was not a person, and the dashboard's states, outcomes and groups (their codes
kept in the CSV). Empty charts start at zero."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from tests.conftest import DEFINITIONS
from traject import kpi
from traject.definition import compile_file
from traject.definition.compiled import in_words
from traject.seed import BUILT_IN_BY
from traject.store import kpis
from traject.web import dashboard_sections as sections
from traject.web import i18n

T = i18n.translator("nl")
ROOT = Path(__file__).resolve().parents[2]


def test_a_group_is_named_by_its_code_in_words() -> None:
    assert in_words("klantmanager") == "Klantmanager"
    assert in_words("werk_coach") == "Werk coach"
    assert in_words("trainer") == "Trainer"
    assert in_words("coordinator") == "Coördinator"
    assert in_words("team_coordinator") == "Team coördinator"
    assert in_words("") == ""


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def written_actors() -> set[str]:
    """The actors the code writes besides 'user:<id>': the default of every `actor` argument and
    every module's ACTOR (read from the source), and who publishes a built-in definition."""
    found = {BUILT_IN_BY}
    for source in ("traject", "activities", "worker", "workflows"):
        for path in sorted((ROOT / source).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.arguments):
                    named = node.posonlyargs + node.args
                    with_default = [
                        *zip(named[len(named) - len(node.defaults) :], node.defaults, strict=True),
                        *zip(node.kwonlyargs, node.kw_defaults, strict=True),
                    ]
                    found |= {t for a, d in with_default if a.arg == "actor" and (t := _text(d))}
                elif isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "ACTOR" for t in node.targets
                ):
                    found |= {text} if (text := _text(node.value)) else set()
    return found


def test_a_code_without_its_diaeresis_reads_with_it() -> None:
    """Codes are ASCII; the words they stand for are not always (pvt1's option 'oekraiens')."""
    assert in_words("oekraiens") == "Oekraïens"
    assert in_words("traject_beeindigd") == "Traject beëindigd"
    assert in_words("reintegratie") == "Re-integratie"
    assert in_words("coordinator_wijkteam") == "Coördinator wijkteam"
    assert in_words("oekraiense_les") == "Oekraiense les"  # whole words only


def test_every_actor_that_is_not_a_person_has_words_in_each_language() -> None:
    written = written_actors()
    assert {"system", "cli", "retention", "traject up"} <= written  # the reading finds them
    for actor in written:
        said = [i18n.actor_name(actor, {}, lang) for lang in i18n.LANGUAGES]
        assert all(said) and actor not in said, (actor, said)
    assert i18n.actor_name("system", {}, "nl") == "Traject (systeem)"
    assert i18n.actor_name("cli", {}, "en") == "Command line (administration)"
    # a person by their name; what it does not know, as it was written
    assert i18n.actor_name("user:7", {"user:7": "Fatima"}, "nl") == "Fatima"
    assert i18n.actor_name("user:8", {}, "nl") == "user:8"


def test_the_dashboard_names_states_and_groups_and_its_csv_keeps_their_codes() -> None:
    d = compile_file(DEFINITIONS / "pvt1.yaml")
    states = sections.states(T, d, {"uitnodigen": 3})
    (row,) = states.rows
    assert [kpi.cell(v) for v in row[:3]] == ["uitnodigen", "Aanmelden voor de workshop", "3"]
    assert states.page_columns[:2] == ["Stap", "Zaken"]  # the title in the step column
    (shown,) = states.page_rows
    # a state's title alone: its code tells a coordinator nothing (the CSV keeps it)
    assert (shown[0].words, shown[0].detail, shown[1]) == ("Aanmelden voor de workshop", None, 3)
    assert states.chart and states.chart["data"]["labels"] == ["Aanmelden voor de workshop"]

    tasks = sections.tasks(T, [kpis.RoleTasks("klantmanager", 2, 1, 0, 0)])
    (row,) = tasks.page_rows
    assert (row[0].words, row[0].detail, kpi.cell(row[0])) == ("Klantmanager", None, "klantmanager")
    assert tasks.chart and tasks.chart["data"]["labels"] == ["Klantmanager"]

    escalations = sections.escalations(
        T, [kpis.EscalationRow("coordinator", "verklaring_niet_getekend", 2, 1)]
    )
    (row,) = escalations.page_rows
    assert [getattr(c, "words", c) for c in row] == [
        "Coördinator",
        "Verklaring niet getekend",
        2,
        1,
    ]
    assert [kpi.cell(c) for c in escalations.rows[0][:2]] == [
        "coordinator",
        "verklaring_niet_getekend",
    ]
    assert escalations.chart
    assert escalations.chart["data"]["labels"] == ["Verklaring niet getekend → Coördinator"]

    phases = sections.phases(T, d, {})
    assert phases.page_rows[0][0].words == "Aanmelden voor de workshop"
    assert "Omschrijving" in phases.columns and "Omschrijving" not in phases.page_columns


def test_empty_charts_start_at_zero() -> None:
    """Chart.js puts a line of zeros (a period without starts) on an axis from -1 to 1."""
    period = kpi.Period(date(2026, 1, 5), date(2026, 3, 1))
    weekly = sections.weekly(T, period, {})
    assert weekly.chart
    y = weekly.chart["options"]["scales"]["y"]
    assert y["beginAtZero"] is True and y["ticks"] == {"precision": 0}  # counts: whole numbers
    ladder = sections.ladder_months(T, period, kpis.LadderFigures({}, {}, {}, {}), 6)
    assert ladder.chart and ladder.chart["options"]["scales"]["y"]["beginAtZero"] is True
    # nothing to draw: no chart, the table says so
    d = compile_file(DEFINITIONS / "pvt1.yaml")
    assert sections.states(T, d, {}).chart is None
    assert sections.tasks(T, []).chart is None
    horizontal = sections.states(T, d, {"uitnodigen": 1}).chart
    assert horizontal and horizontal["options"]["scales"]["x"]["beginAtZero"] is True


def test_an_escalation_reason_reads_as_words_with_its_acronyms() -> None:
    assert in_words("pip_niet_binnen_tien_weken") == "PIP niet binnen tien weken"
    assert in_words("duo_niet_voldaan") == "DUO niet voldaan"
    assert in_words("verklaring_niet_getekend") == "Verklaring niet getekend"
    assert in_words("tip_top") == "Tip top"  # only whole words are acronyms
