"""Pure arithmetic for the dashboards: periods, percentiles, state roll-ups, the diagram heatmap,
stuck limits, pseudonyms and CSV. No database, clock or network: the store queries live in
`traject.store.kpis`, the pages in `traject.web.dashboard`."""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from traject.definition.compiled import CompiledDefinition
from traject.definition.duration import Duration
from traject.diagram import mermaid

DAY = 86400.0
D = TypeVar("D", date, datetime)
HEAT = ("#eef6fb", "#c6e2f3", "#8cc4e6", "#3f94c9", "#00568b")  # light to dark: few to many
HEAT_TEXT = ("#0b0c0c", "#0b0c0c", "#0b0c0c", "#ffffff", "#ffffff")


# ----------------------------------------------------------------------------------- periods
@dataclass(frozen=True)
class Period:
    """Whole days, `start` and `end` both included (shown as written; queried as [start, end+1))."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date) -> Period:
        """From the filter form; a missing or bad date gives the last twelve months."""
        last = _date(end) or today
        first = _date(start) or date(last.year - 1, last.month, 1)
        return cls(min(first, last), max(first, last))

    @classmethod
    def quarter(cls, year: int, q: int) -> Period:
        first = date(year, 3 * (q - 1) + 1, 1)
        last = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
        return cls(first, last - timedelta(days=1))

    @classmethod
    def previous_quarter(cls, today: date) -> Period:
        q = (today.month - 1) // 3 + 1
        return cls.quarter(today.year - 1, 4) if q == 1 else cls.quarter(today.year, q - 1)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(period: Period) -> list[date]:
    """The Mondays of the ISO weeks that overlap the period."""
    first, out = monday(period.start), []
    while first <= period.end:
        out.append(first)
        first += timedelta(weeks=1)
    return out


def months(period: Period) -> list[date]:
    first, out = period.start.replace(day=1), []
    while first <= period.end:
        out.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return out


def plus_months(day: D, n: int) -> D:
    """Calendar months, the day clipped to the month's last (31 January + 1 month = 28 or 29
    February), as PostgreSQL's interval arithmetic and `Duration.add_to` do it."""
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def shift_text(value: str | None, months: int, days: int) -> str | None:
    """`plus_months` then days, on a date or timestamp as SQLite stores them (for a SQL function)."""
    if value is None:
        return None
    if len(value) == 10:
        return (plus_months(date.fromisoformat(value), months) + timedelta(days=days)).isoformat()
    moment = plus_months(datetime.fromisoformat(value), months) + timedelta(days=days)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


# ------------------------------------------------------------------------------ percentiles
@dataclass(frozen=True)
class Summary:
    n: int
    median: float | None
    p80: float | None
    p95: float | None


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, PostgreSQL's percentile_cont)."""
    if not ordered:
        raise ValueError("no values")
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: Iterable[float]) -> Summary:
    ordered = sorted(values)
    if not ordered:
        return Summary(0, None, None, None)
    return Summary(
        len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.8), percentile(ordered, 0.95)
    )


@dataclass(frozen=True)
class Spread:
    """Throughput times of one group (days): their summary, and how many took longer than the
    target (None without one)."""

    summary: Summary
    over: int | None = None


def spread(values: Iterable[float], target: float | None = None) -> Spread:
    ordered = sorted(values)
    over = sum(v > target for v in ordered) if target else None
    return Spread(summarize(ordered), over)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# ---------------------------------------------------------------------------------- targets
def days(text: str | None) -> float | None:
    return Duration.parse(text).approx_days() if text else None


def state_target(d: CompiledDefinition, name: str) -> tuple[float | None, float | None]:
    """A state's KPI: (expected, maximum) in days."""
    kpi = d.states[name].kpi
    return (days(kpi.expected), days(kpi.maximum)) if kpi else (None, None)


def outcome_target(d: CompiledDefinition, outcome: str) -> float | None:
    spec = d.outcomes.get(outcome)
    return days(spec.expected) if spec else None


def ladder_horizon(d: CompiledDefinition) -> int:
    """Months after the start at which the ladder target is read: the longest outcome target
    (18 for VIP18 and Pragma, 12 for VIP12), 18 when the definition has none."""
    longest = max((t for o in d.outcomes if (t := outcome_target(d, o))), default=None)
    return round(longest / 30.44) if longest else 18


def stuck_limit(d: CompiledDefinition, states: Iterable[str]) -> float | None:
    """Days without progress after which a case in `states` is stuck: for each current state the
    KPI of the innermost state around it that has one (its maximum, else its expected), the
    smallest of those. None when no current state has a KPI."""
    limits = []
    for name in states:
        if name not in d.states:
            continue
        for around in d.ancestors(name):
            expected, maximum = state_target(d, around)
            if maximum or expected:
                limits.append(maximum or expected or 0.0)
                break
    return min(limits) if limits else None


# ---------------------------------------------------------------------------- state counts
def rollup(d: CompiledDefinition, combos: Mapping[tuple[str, ...], int]) -> dict[str, int]:
    """Cases per state, each case counted once in every state it is in, its composite states
    included. `combos` maps a case's set of current (leaf) states to a number of cases."""
    counts = {name: 0 for name in d.states}
    for states, n in combos.items():
        inside = {a for s in states if s in d.states for a in d.ancestors(s)}
        for name in inside:
            counts[name] += n
    return counts


def heatmap(d: CompiledDefinition, counts: Mapping[str, int]) -> str:
    """The definition's Mermaid diagram without arrow labels (one arrow per pair of states), each
    state's count of open cases in its title and a shade by count (five classes, darker for more).
    The task notes stay: without them mermaid 11's layout fails on some nested diagrams."""
    lines: list[str] = []
    for line in mermaid(d).splitlines():
        if "-->" in line:
            line = line.split(" : ", 1)[0]
            if line in lines:
                continue
        lines.append(line)
    text = "\n".join(lines) + "\n"
    top = max((counts.get(s.name, 0) for s in d.states.values() if not s.children), default=0)
    shades = [f"  classDef heat{i} fill:{HEAT[i]},color:{HEAT_TEXT[i]}" for i in range(len(HEAT))]
    for state in d.states.values():
        n = counts.get(state.name, 0)
        if state.kind == "final":
            continue
        title = state.title.replace('"', "'")
        text = text.replace(
            f'state "{title}" as {state.name}\n', f'state "{title} ({n})" as {state.name}\n', 1
        )
        if n and top and not state.children:
            level = min(len(HEAT) - 1, math.ceil(n / top * len(HEAT)) - 1)
            shades.append(f"  class {state.name} heat{level}")
    return text + "\n".join(shades) + "\n"


# ------------------------------------------------------------------------------- privacy
def pseudonym(case_id: str) -> str:
    """A stable short code for a case on a scoreboard: neither a name nor the case id."""
    return hashlib.sha256(f"scoreboard:{case_id}".encode()).hexdigest()[:6].upper()


# ------------------------------------------------------------------------------------ csv
@dataclass(frozen=True)
class CsvDialect:
    """How a CSV download is written. `RFC4180` is for scripts: comma-separated, a '.' in a
    number, moments in ISO 8601 as stored, no byte order mark. `EXCEL_NL` is for people, opened
    by double-click in Excel with Dutch regional settings (those of a Dutch municipality's
    computers, whichever language its user reads the pages in): Excel takes the separator and
    the decimal sign from the regional settings, not from the file, so ';' between cells and a
    decimal comma; a UTF-8 byte order mark, or Excel reads 'ë' as 'Ã«'; a moment on the
    municipality's clocks as 'yyyy-mm-dd hh:mm' and a date as 'yyyy-mm-dd', which Excel reads as
    a date in every regional setting (dd-mm-yyyy would be the 12th of July in an English one)
    and shows in the user's own date format."""

    name: str
    delimiter: str = ","
    decimal: str = "."
    bom: bool = False
    zone: ZoneInfo | None = None  # moments in this zone, to the minute; None: ISO 8601 as stored
    spreadsheet: bool = False  # text a spreadsheet would read as a number or date is kept text


RFC4180 = CsvDialect("csv")
EXCEL_NL = CsvDialect(
    "excel", ";", ",", bom=True, zone=ZoneInfo("Europe/Amsterdam"), spreadsheet=True
)
CSV_DIALECTS = {d.name: d for d in (RFC4180, EXCEL_NL)}


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[object]], dialect: CsvDialect = RFC4180
) -> str:
    """The CSV (CRLF between rows) in `dialect`; header and values as written by `cell`."""
    out = io.StringIO()
    if dialect.bom:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([cell(h, dialect) for h in header])
    for row in rows:
        writer.writerow([cell(v, dialect) for v in row])
    return out.getvalue()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# text a spreadsheet would turn into a number or a date on opening: 012345 (a pseudonym) loses
# its zero, 123E45 becomes 1,23E+47, 1.5 or 3-4 or 1/3 a date; a time
LOOKS_LIKE_A_NUMBER = re.compile(
    r"\d[\d.,]*(?:[eE][+-]?\d+)?%?|\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?|\d{1,2}:\d{2}(?::\d{2})?"
)


def cell(value: object, dialect: CsvDialect = RFC4180) -> str:
    """A value as a CSV cell. Text that a spreadsheet would take for a formula (a title or
    reason starting with =, +, -, @) gets a leading apostrophe, so opening the download runs
    nothing (OWASP's CSV injection); numbers, negative ones too, stay numbers: with the
    dialect's decimal sign, never a thousands separator. For a spreadsheet, text it would read
    as a number or date (see LOOKS_LIKE_A_NUMBER) is written as the text formula ="…", and a
    moment on the dialect's clock."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
        return text.replace(".", dialect.decimal)
    if isinstance(value, datetime):
        if dialect.zone is None:
            return value.isoformat()
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(dialect.zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):  # and bool
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    if dialect.spreadsheet and LOOKS_LIKE_A_NUMBER.fullmatch(text):
        return f'="{text}"'  # digits, signs, separators only: nothing but the text itself
    return text
