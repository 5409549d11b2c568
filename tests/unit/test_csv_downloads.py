"""The dashboard's downloads in their two forms. For people (`kpi.EXCEL_NL`, what the pages link):
a file Excel with Dutch regional settings opens in columns, 'ë' as 'ë', 21,5 a number and not
the 21st of May, a pseudonym 012345 with its zero, the table's titles and its states, groups and
outcomes in words, in the page's language. For scripts (`kpi.RFC4180`, the default): as it
always was. Each file is read back as Excel reads it: the bytes, then Python's csv module."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from tests.conftest import DEFINITIONS
from traject import kpi
from traject.definition import compile_file
from traject.store.kpis_cases import StuckCase
from traject.web import dashboard_csv, i18n
from traject.web import dashboard_sections as sections
from traject.web.dashboard_report import Board, BoardRow

WI = compile_file(DEFINITIONS / "wi2021.yaml")


def excel_bytes(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    return kpi.csv_text(header, rows, kpi.EXCEL_NL).encode("utf-8")  # as the response sends it


def read_excel(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8), data[:10]
    text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def number(cell: str) -> float:
    """A cell as Excel with Dutch regional settings takes a number: a decimal comma, no point."""
    assert "." not in cell and not cell.startswith("'"), cell
    return float(cell.replace(",", "."))


# ----------------------------------------------------------------------------- the format
def test_the_excel_form_has_a_bom_semicolons_and_decimal_commas() -> None:
    rows = [
        ['Café "De Kroon"; Zaandam', 21.5, -2.5],
        ["Jeroen Brouwer-Öztürk", -3, 3.0],
        ["één, twee", 0.125, None],
    ]
    data = excel_bytes(["Naam", "Waarde", "Verschil"], rows)
    lines = data.split(b"\r\n")
    assert lines[0] == codecs.BOM_UTF8 + b"Naam;Waarde;Verschil"
    assert lines[1] == '"Café ""De Kroon""; Zaandam";21,5;-2,5'.encode()
    table = read_excel(data)
    assert table == [
        ["Naam", "Waarde", "Verschil"],
        ['Café "De Kroon"; Zaandam', "21,5", "-2,5"],
        ["Jeroen Brouwer-Öztürk", "-3", "3"],
        ["één, twee", "0,125", ""],
    ]
    assert [number(r[1]) for r in table[1:]] == [21.5, -3.0, 0.125]  # a negative one too
    assert number(table[1][2]) == -2.5


def test_the_excel_form_runs_no_formula_and_keeps_text_text() -> None:
    """A title someone typed that starts like a formula gets its apostrophe (OWASP), in a header
    too; a negative number does not (it is a number). Text Excel would turn into a number or a
    date (a pseudonym 012345 or 123E45, 1/3) is written as the text formula ="…", which
    shows the text itself: nothing else ever goes in it."""
    rows = [
        ['=HYPERLINK("http://x";"klik")', "+31 6 12345678", "@SUM(A1)", "-1+1", -7],
        ["012345", "123E45", "1/3", "A1B2C3", "2026-W03"],
    ]
    table = read_excel(excel_bytes(["=Kop", "b", "c", "d", "e"], rows))
    assert table == [
        ["'=Kop", "b", "c", "d", "e"],
        ['\'=HYPERLINK("http://x";"klik")', "'+31 6 12345678", "'@SUM(A1)", "'-1+1", "-7"],
        ['="012345"', '="123E45"', '="1/3"', "A1B2C3", "2026-W03"],
    ]
    assert kpi.LOOKS_LIKE_A_NUMBER.fullmatch('1"+HYPERLINK(') is None


def test_the_excel_form_writes_moments_on_the_municipalitys_clock() -> None:
    """Stored moments are UTC (naive as the store gives them back); Excel reads yyyy-mm-dd hh:mm
    and yyyy-mm-dd as a date in any regional setting and shows it in the user's format."""
    rows = [
        [datetime(2026, 7, 1, 8, 30), datetime(2026, 1, 15, 23, 30, tzinfo=UTC), date(2026, 3, 2)]
    ]
    assert read_excel(excel_bytes(["a", "b", "c"], rows))[1] == [
        "2026-07-01 10:30",
        "2026-01-16 00:30",
        "2026-03-02",
    ]


def test_the_form_for_scripts_is_as_it_was() -> None:
    rows = [
        ["x,y", 21.5, -2.5, datetime(2026, 7, 1, 8, 30), "012345", "=1", None],
        ['a "b"; c', -3, 3.0, date(2026, 3, 2), "ë", "-1", True],
    ]
    header = ["a", "b", "c", "d", "e", "f", "g"]
    text = kpi.csv_text(header, rows)
    assert text == kpi.csv_text(header, rows, kpi.RFC4180)
    assert text == (
        "a,b,c,d,e,f,g\r\n"
        '"x,y",21.5,-2.5,2026-07-01T08:30:00,012345,\'=1,\r\n'
        '"a ""b""; c",-3,3,2026-03-02,ë,\'-1,True\r\n'
    )
    assert list(csv.reader(io.StringIO(text, newline="")))[1][:3] == ["x,y", "21.5", "-2.5"]


# ----------------------------------------------------------------------------- the tables
@pytest.mark.parametrize(
    ("lang", "titles"),
    [
        ("nl", ["Stap", "Zaken", "Norm (dagen)", "Maximum (dagen)"]),
        ("en", ["Step", "Cases", "Target (days)", "Maximum (days)"]),
    ],
)
def test_a_section_in_excel_is_the_pages_table(lang: str, titles: list[str]) -> None:
    """The page's columns and their titles, a state by its title; the script's form keeps the
    codes (and the title beside them)."""
    t = i18n.translator(lang)
    states = sections.states(t, WI, {name: 2 for name in WI.states})
    assert states.page_columns == titles  # the page's own words, not a second vocabulary
    table = read_excel(excel_bytes(*dashboard_csv.section(states)))
    assert table[0] == titles
    said = {row[0]: row[1:] for row in table[1:]}
    title = WI.states["inburgering"].title
    assert said[title][0] == "2" and number(said[title][1]) == 913.1  # P30M in days
    assert not [code for code in WI.states if code in said], said  # no codes
    script = list(csv.reader(io.StringIO(kpi.csv_text(states.columns, states.rows))))
    assert "inburgering" in [row[0] for row in script[1:]]


def test_a_group_in_excel_is_named_as_on_the_page() -> None:
    """By its name, with its code beside it where the page shows it (the name does not just
    say the code); a reason in words."""
    t = i18n.translator("nl")
    rows = [
        sections.kpis.EscalationRow("coordinator", "te_laat", 2, 1),
        sections.kpis.EscalationRow("klantmanager", None, 1, 0),
    ]
    table = read_excel(excel_bytes(*dashboard_csv.section(sections.escalations(t, rows))))
    assert table == [
        ["Naar", "Reden", "Aantal", "Nog niet opgelost"],
        ["Coördinator (coordinator)", "Te laat", "2", "1"],
        ["Klantmanager", "", "1", "0"],
    ]


@pytest.mark.parametrize(
    ("lang", "header", "row"),
    [
        (
            "nl",
            ["Code", "Weken", "Fase", "Taken afgerond", "Weten", "Trede"],
            ['="012345"', "12", "Fase 1: eerste opvang", "2 van 5", "1 van 3", ""],
        ),
        (
            "en",
            ["Code", "Weeks", "Phase", "Tasks done", "Weten", "Step"],
            ['="012345"', "12", "Fase 1: eerste opvang", "2 of 5", "1 of 3", ""],
        ),
    ],
)
def test_the_scoreboard_in_excel(lang: str, header: list[str], row: list[str]) -> None:
    """Progress as '2 van 5' where the page shows 2/5 (Excel reads that as the 2nd of May), a
    checklist by its title, a pseudonym with its leading zero."""
    board = Board(
        1,
        1,
        50,
        [("weten", "Weten", frozenset({"a", "b", "c"}))],
        [BoardRow("012345", 12, "Fase 1: eerste opvang", 2, 5, [(1, 3)], None)],
    )
    t = i18n.translator(lang)
    assert read_excel(excel_bytes(*dashboard_csv.scoreboard(t, board))) == [header, row]
    script = kpi.csv_text(board.header, board.csv_rows)
    assert script == "code,weeks,phase,tasks_done,tasks,weten,ladder_step\r\n" + (
        "012345,12,Fase 1: eerste opvang,2,5,1/3,\r\n"
    )


def test_the_report_and_the_stuck_cases_in_excel() -> None:
    t = i18n.translator("nl")
    report = [
        ("started", "Gestart", 14, "", None, None),
        ("throughput:x", "Mediane doorlooptijd: Vrijgesteld", 21.5, "maanden", 12, 36.0),
    ]
    assert read_excel(excel_bytes(*dashboard_csv.report(t, report))) == [
        ["Indicator", "Waarde", "Eenheid", "n", "Norm"],
        ["Gestart", "14", "", "", ""],
        ["Mediane doorlooptijd: Vrijgesteld", "21,5", "maanden", "12", "36"],
    ]
    states = ("inburgering", "onbekend")
    case = StuckCase("c-1", "traject-c-1", states, "running", datetime(2026, 2, 1, 9, 0))
    table = read_excel(excel_bytes(*dashboard_csv.stuck(t, WI, [(case, 60.54, 28.0)])))
    assert table[0] == [
        "Zaak",
        "Stand",
        "Status",
        "Laatste voortgang",
        "Dagen stil",
        "Grens (dagen)",
        "Voor de beheerder",
    ]
    title = WI.states["inburgering"].title
    assert table[1] == [
        "c-1",
        f"{title}, onbekend",
        "loopt",
        "2026-02-01 10:00",
        "60,5",
        "28",
        "traject-c-1",
    ]
