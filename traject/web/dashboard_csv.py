"""The dashboard's downloads, in two forms (`?format=`):

- `csv`, the default and what a script with an API token reads: RFC 4180 (`kpi.RFC4180`), as it
  always was: states, outcomes, groups and indicators by their codes, the stuck cases', the
  scoreboard's and the report's columns by their codes (a section's by its page titles).
- `excel`, what the pages link for people: the table as the page shows it (its column titles,
  states, outcomes and groups by their titles, a status in words, '3 van 5'), written for Excel
  with Dutch regional settings (`kpi.EXCEL_NL`: ';', a decimal comma, a byte order mark), in
  the page's language. The number format stays Dutch on an English page: Excel takes it from
  the computer's regional settings, which at a Dutch municipality are Dutch whatever language
  its user reads the pages in."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import Response

from traject import kpi
from traject.definition.compiled import CompiledDefinition
from traject.store import kpis_cases
from traject.web.dashboard_report import Board, ReportRow
from traject.web.dashboard_sections import Coded, Section, Translate

Format = Literal["csv", "excel"]
Table = tuple[list[str], list[list[Any]]]  # header, rows


def response(filename: str, table: Table, form: Format = "csv") -> Response:
    header, rows = table
    return Response(
        kpi.csv_text(header, rows, kpi.CSV_DIALECTS[form]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def spoken(value: Any) -> Any:
    """A cell as the page says it: a state, outcome or group by its words, with its code where
    the page shows it beside them (two rows that would read the same); a number stays a number
    (a norm too: the page's '30 mnd' is 913,1 in a column of days)."""
    if isinstance(value, Coded):
        return f"{value.words} ({value.detail})" if value.detail else value.words
    return value


def section(s: Section) -> Table:
    return s.page_columns, [[spoken(v) for v in row] for row in s.page_rows]


def titles(d: CompiledDefinition, states: tuple[str, ...]) -> str:
    """The states a case is in, as the stuck cases' page names them."""
    return ", ".join(d.states[s].title if s in d.states else s for s in states)


def stuck(
    t: Translate, d: CompiledDefinition, rows: list[tuple[kpis_cases.StuckCase, float, float]]
) -> Table:
    header = [
        t("audit.case"),
        t("cases.state"),
        t("task.status"),
        t("stuck.since"),
        t("stuck.idle"),
        t("stuck.limit"),
        t("stuck.for_admin"),
    ]
    return header, [
        [
            r.case_id,
            titles(d, r.states),
            t(f"status.{r.status}"),
            r.idle_since,
            round(idle, 1),
            limit,
            r.workflow_id,
        ]
        for r, idle, limit in rows
    ]


def scoreboard(t: Translate, board: Board) -> Table:
    """'3 van 5' where the page shows 3/5: Excel would read 3/5 as the 3rd of May."""

    def of(done: int, total: int) -> str:
        return f"{done} {t('page.of')} {total}"

    header = [
        t("board.code"),
        t("board.weeks"),
        t("board.phase"),
        t("board.tasks"),
        *(title for _, title, _ in board.checklists),
        t("case.step"),
    ]
    return header, [
        [
            r.code,
            r.weeks,
            r.phase,
            of(r.done, r.tasks),
            *(of(a, b) for a, b in r.checklists),
            r.step,
        ]
        for r in board.rows
    ]


def report(t: Translate, rows: list[ReportRow]) -> Table:
    header = [t("dash.indicator"), t("report.value"), t("report.unit"), "n", t("dash.target")]
    return header, [[label, value, unit, n, target] for _, label, value, unit, n, target in rows]
