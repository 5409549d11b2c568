"""The dashboard's tables read alike: a state or outcome by its title alone (its code only where
two rows would read the same; the CSV keeps the codes), a norm in the unit it is written in and
people think in ("30 mnd", "3 jaar", whole days; the CSV and the charts keep the number), and
every column header in sentence case."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.conftest import DEFINITIONS
from traject import kpi
from traject.definition import compile_file, compile_text
from traject.store import kpis, kpis_termijnen
from traject.web import dashboard_sections as sections
from traject.web import i18n

WI = compile_file(DEFINITIONS / "wi2021.yaml")


def shown(cell: Any) -> Any:
    """A page cell as the page writes it (dashboard_macros.html's `num`)."""
    if hasattr(cell, "words"):
        detail = getattr(cell, "detail", None)
        return f"{cell.words} {detail}" if detail else cell.words
    return cell


def every_section(lang: str) -> list[sections.Section]:
    t = i18n.translator(lang)
    period = kpi.Period(date(2026, 1, 5), date(2026, 3, 1))
    figures = kpis.LadderFigures({}, {}, {}, {})
    return [
        sections.states(t, WI, {name: 1 for name in WI.states}),
        sections.tasks(t, [kpis.RoleTasks("klantmanager", 2, 1, 1, 0)]),
        sections.escalations(t, [kpis.EscalationRow("coordinator", "te_laat", 2, 1)]),
        sections.weekly(t, period, {}),
        sections.outcomes(t, WI, {}),
        sections.phases(t, WI, {}),
        sections.ladder(t, figures),
        sections.ladder_months(t, period, figures, 6),
        sections.termijnen(
            t,
            [
                kpis_termijnen.TermijnTeam(
                    "inburgering", "Inburgeringstermijn", "klantmanager", 1, 2, 3, 0
                )
            ],
        ),
    ]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_column_header_is_in_sentence_case(lang: str) -> None:
    notation = {"p80", "p95"}  # percentiles as they are written
    headers = [c for s in every_section(lang) for c in s.page_columns]
    assert "Te laat" in headers or "Overdue" in headers  # not the badge's "te laat"
    lower = [c for c in headers if c not in notation and not c[0].isupper() and c[0] != "%"]
    assert lower == [], lower


def test_the_phases_show_titles_without_codes_and_norms_in_months() -> None:
    """'Van melding tot PIP', not 'Van melding tot PIP tot_pip'; the inburgeringstermijn's norm
    (P30M) '30 mnd', not 913,1 days; a short one in whole days."""
    phases = sections.phases(i18n.translator("nl"), WI, {})
    page = {shown(row[0]): [shown(c) for c in row[1:]] for row in phases.page_rows}
    assert "Van melding tot PIP" in page and not [n for n in page if "tot_pip" in n], page
    columns = phases.page_columns
    target = columns.index("Norm") - 1
    assert page["Van melding tot PIP"][target] == "56"  # P8W
    assert page["Inburgeringstermijn (drie jaar vanaf de dag na het PIP)"][target] == "30 mnd"
    # the CSV keeps the codes and the norm in days, the chart the number
    csv = {kpi.cell(row[0]): [kpi.cell(c) for c in row] for row in phases.rows}
    assert csv["tot_pip"][1] == "Van melding tot PIP"
    assert csv["inburgering"][phases.columns.index("Norm")] == "913.1"
    english = sections.phases(i18n.translator("en"), WI, {})
    row = next(r for r in english.page_rows if r[0].code == "inburgering")
    assert shown(row[english.page_columns.index("Target")]) == "30 mo"


def test_the_other_tables_say_their_norms_in_words_too() -> None:
    t = i18n.translator("nl")
    states = sections.states(t, WI, {name: 1 for name in WI.states})
    row = next(r for r in states.page_rows if r[0].code == "inburgering")
    assert [shown(c) for c in row[2:]] == ["30 mnd", "36 mnd"]
    assert not [r for r in states.page_rows if r[0].detail], "a code beside a state's title"
    outcomes = sections.outcomes(t, WI, {})
    row = next(r for r in outcomes.page_rows if r[0].code == "inburgeringsplicht_voldaan")
    assert shown(row[outcomes.page_columns.index("Norm")]) == "3 jaar"
    # a short norm in a table of months: in days, said so
    short = compile_text(
        (DEFINITIONS / "pvt1.yaml")
        .read_text(encoding="utf-8")
        .replace("expected: P3M}", "expected: P6W}", 1),
        "pvt1.yaml",
    )
    outcomes = sections.outcomes(t, short, {})
    row = next(r for r in outcomes.page_rows if r[0].code == "verklaring_getekend")
    assert shown(row[outcomes.page_columns.index("Norm")]) == "42 dagen"


def test_a_title_two_rows_share_keeps_its_code() -> None:
    """Two states of the same title: the code tells them apart."""
    twice = (DEFINITIONS / "pvt1.yaml").read_text(encoding="utf-8")
    d = compile_file(DEFINITIONS / "pvt1.yaml")
    first, second = [s for s in d.states.values() if s.kpi][:2]
    twice = twice.replace(f"title: {second.title}\n", f"title: {first.title}\n", 1)
    d = compile_text(twice, "pvt1.yaml")
    phases = sections.phases(i18n.translator("nl"), d, {})
    said = [shown(r[0]) for r in phases.page_rows]
    assert f"{first.title} {first.name}" in said and f"{first.title} {second.name}" in said, said
