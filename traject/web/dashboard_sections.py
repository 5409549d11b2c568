"""The dashboard's sections: each a table (what the CSV export holds) and, where it helps, a chart
(a Chart.js configuration drawn by the page). Built from `traject.store.kpis*` figures and the
definition's titles and KPI targets; no names, no case ids."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from traject import kpi
from traject.definition.compiled import CompiledDefinition, in_words
from traject.definition.duration import Duration
from traject.store import kpis, kpis_termijnen, kpis_wi

Translate = Callable[[str], str]
MONTH = 30.44  # days


@dataclass(frozen=True)
class Coded:
    """A code in a table (a state, an outcome, a group) with its words: the page shows the words,
    the code beside them when the words do not just say the code; the plain CSV keeps the code,
    the one for Excel says what the page says (`dashboard_csv.spoken`). A
    definition's title is shown alone (`beside=False`): its code tells a coordinator nothing,
    unless two rows of the table read the same (see `_titled`)."""

    code: str
    words: str
    beside: bool = True

    def __str__(self) -> str:  # what the plain CSV writes (kpi.cell)
        return self.code

    @property
    def detail(self) -> str | None:
        if not self.beside:
            return None
        said = " ".join(self.words.replace("·", " ").split()).lower()
        return None if said == " ".join(self.code.replace("_", " ").split()).lower() else self.code


def _titled(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows whose first cell is a definition's title (a state, an outcome): the title alone, with
    its code beside it only where another row has the same title."""
    seen: dict[str, int] = {}
    for row in rows:
        said = row[0].words.lstrip("· ")
        seen[said] = seen.get(said, 0) + 1
    for row in rows:
        row[0] = Coded(row[0].code, row[0].words, beside=seen[row[0].words.lstrip("· ")] > 1)
    return rows


class Norm(float):
    """A norm (a KPI's target or maximum) as the CSV and the charts take it, a number in the
    table's unit, and as the page says it: in the unit the designer wrote and people think in,
    '30 mnd' or '3 jaar' for a long one, whole days for a short one ('28' in a table of days, '28
    dagen' in one of months). Not 913,1 days for thirty months."""

    words: str

    def __new__(cls, value: float, words: str) -> Norm:
        norm = super().__new__(cls, value)
        norm.words = words
        return norm

    def __reduce__(self) -> tuple[type[Norm], tuple[float, str]]:
        return Norm, (float(self), self.words)


def norm(t: Translate, written: str | None, unit: float) -> Norm | None:
    """A KPI's duration as written (P30M, P4W) in a table whose unit is `unit` days (1: days,
    MONTH: months)."""
    if not written:
        return None
    duration = Duration.parse(written)
    value = round(duration.approx_days() / unit, 1)
    whole_months = not (duration.weeks or duration.days or duration.hours or duration.minutes)
    if whole_months and duration.months:
        return Norm(value, t("dash.in_months").format(n=duration.years * 12 + duration.months))
    if whole_months and duration.years:
        return Norm(value, t("dash.in_years").format(n=duration.years))
    days = round(duration.approx_days())
    return Norm(value, str(days) if unit == 1.0 else t("dash.in_days").format(n=days))


@dataclass
class Section:
    """`columns` and `rows` are the CSV's; the page's table leaves out the columns in `hidden`
    (a title the page already shows in a `Coded` column beside it)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: dict[str, Any] | None = None
    note: str | None = None
    summary: list[tuple[str, str]] = field(default_factory=list)  # (label, value) shown above
    hidden: tuple[int, ...] = ()

    @property
    def page_columns(self) -> list[str]:
        return [c for i, c in enumerate(self.columns) if i not in self.hidden]

    @property
    def page_rows(self) -> list[list[Any]]:
        return [[v for i, v in enumerate(row) if i not in self.hidden] for row in self.rows]


def group(role: str) -> Coded:
    return Coded(role, in_words(role))


def _reason(reason: str | None) -> Coded | str:
    """An escalation's reason: a code the definition gives no title, shown in words."""
    return Coded(reason, in_words(reason)) if reason else ""


def chart(
    kind: str,
    labels: Sequence[Any],
    datasets: list[dict[str, Any]],
    *,
    horizontal: bool = False,
    stacked: bool = False,
    percent: bool = False,
) -> dict[str, Any]:
    """A Chart.js configuration; colours and fonts are added in the page. The value axis starts
    at 0 (Chart.js centres a line of zeros, a period without data, on an axis from -1 to 1), and
    counts get whole-number ticks."""
    options: dict[str, Any] = {"indexAxis": "y" if horizontal else "x"}
    if kind != "doughnut":
        axis: dict[str, Any] = {"beginAtZero": True}
        if stacked:
            axis["stacked"] = True
        if percent:
            axis.update({"min": 0, "max": 100})
        if all(isinstance(v, int) for d in datasets for v in d["data"] if v is not None):
            axis["ticks"] = {"precision": 0}
        options["scales"] = {"x" if horizontal else "y": axis}
        if stacked:
            options["scales"]["y" if horizontal else "x"] = {"stacked": True}
    return {
        "type": kind,
        "data": {"labels": [str(label) for label in labels], "datasets": datasets},
        "options": options,
    }


def series(label: str, values: Sequence[Any], kind: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"label": label, "data": [_round(v) for v in values]}
    if kind:
        data["type"] = kind
    return data


def _round(value: Any) -> Any:
    return round(value, 1) if isinstance(value, float) else value


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _title(d: CompiledDefinition, name: str) -> str:
    if name in d.states:
        return d.states[name].title
    if name in d.outcomes:
        return d.outcomes[name].title
    return name.replace("_", " ")


# -------------------------------------------------------------------------------- sections
def states(t: Translate, d: CompiledDefinition, counts: dict[str, int]) -> Section:
    rows: list[list[Any]] = []
    for s in d.states.values():
        if s.kind == "final" or not counts.get(s.name):
            continue
        depth = len(d.ancestors(s.name)) - 1
        title = "· " * depth + s.title
        written = s.kpi
        rows.append(
            [
                Coded(s.name, title),
                title,
                counts[s.name],
                norm(t, written.expected if written else None, 1.0),
                norm(t, written.maximum if written else None, 1.0),
            ]
        )
    _titled(rows)
    leaves = [r for r in rows if not d.states[r[0].code].children]
    return Section(
        "states",
        t("dash.states"),
        [t("dash.state"), t("dash.title"), t("dash.cases"), t("dash.kpi_days"), t("dash.max_days")],
        rows,
        chart(
            "bar",
            [r[1].lstrip("· ") for r in leaves],
            [series(t("dash.cases"), [r[2] for r in leaves])],
            horizontal=True,
        )
        if leaves
        else None,
        hidden=(1,),
    )


def tasks(t: Translate, rows: list[kpis.RoleTasks]) -> Section:
    return Section(
        "tasks",
        t("dash.tasks"),
        [
            t("task.role"),
            t("dash.open"),
            t("dash.unassigned"),
            t("dash.overdue"),
            t("dash.escalated"),
        ],
        [[group(r.role), r.open, r.unassigned, r.overdue, r.escalated] for r in rows],
        chart(
            "bar",
            [in_words(r.role) for r in rows],
            [
                series(t("dash.open"), [r.open for r in rows]),
                series(t("dash.overdue"), [r.overdue for r in rows]),
                series(t("dash.escalated"), [r.escalated for r in rows]),
            ],
        )
        if rows
        else None,
    )


def escalations(t: Translate, rows: list[kpis.EscalationRow]) -> Section:
    labels = [f"{in_words(r.reason) if r.reason else '—'} → {in_words(r.to_role)}" for r in rows]
    return Section(
        "escalations",
        t("dash.escalations"),
        [t("dash.to_role"), t("dash.reason"), t("dash.count"), t("dash.unresolved")],
        [[group(r.to_role), _reason(r.reason), r.count, r.unresolved] for r in rows],
        chart("bar", labels, [series(t("dash.count"), [r.count for r in rows])], horizontal=True)
        if rows
        else None,
    )


def weekly(t: Translate, period: kpi.Period, counts: dict[Any, tuple[int, int]]) -> Section:
    weeks = kpi.weeks(period)
    rows = [
        [w, f"{w.isocalendar()[0]}-W{w.isocalendar()[1]:02d}", *counts.get(w, (0, 0))]
        for w in weeks
    ]
    return Section(
        "weekly",
        t("dash.weekly"),
        [t("dash.week_start"), t("dash.week"), t("dash.started"), t("dash.finished")],
        rows,
        chart(
            "line",
            [r[1] for r in rows],
            [
                series(t("dash.started"), [r[2] for r in rows]),
                series(t("dash.finished"), [r[3] for r in rows]),
            ],
        ),
    )


def _throughput(
    t: Translate,
    key: str,
    title: str,
    unit: float,
    names: list[str],
    spreads: dict[str, kpi.Spread],
    label: Callable[[str], str],
    target: Callable[[str], str | None],
    note: str,
) -> Section:
    """`target`: the norm of a name as the definition writes it (P30M), shown in words."""
    rows: list[list[Any]] = []
    for name in names:
        found = spreads.get(name) or kpi.spread([])
        s, goal, over = found.summary, target(name), found.over
        scale = [None if v is None else v / unit for v in (s.median, s.p80, s.p95)]
        rows.append(
            [
                Coded(name, label(name)),
                label(name),
                s.n,
                *[_round(v) for v in scale],
                norm(t, goal, unit),
                _pct(kpi.share(over or 0, s.n)) if goal else None,
            ]
        )
    _titled(rows)
    shown = [r for r in rows if r[2]]
    return Section(
        key,
        title,
        [
            t("dash.name"),
            t("dash.title"),
            t("dash.n"),
            t("dash.median"),
            "p80",
            "p95",
            t("dash.target"),
            t("dash.over_target"),
        ],
        rows,
        chart(
            "bar",
            [r[1] for r in shown],
            [
                series(t("dash.median"), [r[3] for r in shown]),
                series("p80", [r[4] for r in shown]),
                series("p95", [r[5] for r in shown]),
                {
                    **series(t("dash.target"), [r[6] for r in shown], "line"),
                    "showLine": False,
                    "pointStyle": "line",
                    "pointRadius": 14,
                    "borderWidth": 3,
                },
            ],
        )
        if shown
        else None,
        note,
        hidden=(1,),
    )


def outcome_targets(d: CompiledDefinition) -> dict[str, float | None]:
    """Every outcome of the definition with its expected days."""
    return {o: kpi.outcome_target(d, o) for o in d.outcomes}


def outcomes(t: Translate, d: CompiledDefinition, spreads: dict[str, kpi.Spread]) -> Section:
    """`spreads`: as `kpis.outcome_spreads` gives them for `outcome_targets(d)`."""
    names = list(d.outcomes) + sorted(set(spreads) - set(d.outcomes))
    return _throughput(
        t,
        "outcomes",
        t("dash.outcomes"),
        MONTH,
        names,
        spreads,
        lambda n: _title(d, n),
        lambda n: d.outcomes[n].expected if n in d.outcomes else None,
        t("dash.outcomes_note"),
    )


def phases(t: Translate, d: CompiledDefinition, spreads: dict[str, kpi.Spread]) -> Section:
    """`spreads`: as `kpis.phase_spreads` gives them for `phase_targets(d)`."""
    names = [n for n in d.states if n in spreads or d.states[n].kpi]
    return _throughput(
        t,
        "phases",
        t("dash.phases"),
        1.0,
        names,
        spreads,
        lambda n: _title(d, n),
        lambda n: written.expected if (written := d.states[n].kpi) else None,
        t("dash.phases_note"),
    )


def phase_targets(d: CompiledDefinition) -> dict[str, float | None]:
    """Every state of the definition with its expected days (the target the phases compare to)."""
    return {n: kpi.state_target(d, n)[0] for n in d.states}


def ladder(t: Translate, figures: kpis.LadderFigures) -> Section:
    total = sum(figures.latest.values())
    rows = [
        [step, figures.latest.get(step, 0), _pct(kpi.share(figures.latest.get(step, 0), total))]
        for step in range(1, 7)
    ]
    up = sum(n for (a, b), n in figures.changes.items() if b > a)
    down = sum(n for (a, b), n in figures.changes.items() if b < a)
    return Section(
        "ladder",
        t("dash.ladder"),
        [t("case.step"), t("dash.cases"), t("dash.share")],
        rows,
        chart(
            "bar",
            [f"{t('case.step')} {r[0]}" for r in rows],
            [series(t("dash.cases"), [r[1] for r in rows])],
        ),
        t("dash.ladder_note"),
        [
            (t("dash.went_up"), str(up)),
            (t("dash.same"), str(total - up - down)),
            (t("dash.went_down"), str(down)),
        ],
    )


def ladder_months(
    t: Translate, period: kpi.Period, figures: kpis.LadderFigures, horizon: int
) -> Section:
    rows = []
    for month in kpi.months(period):
        n, up, down, mean = figures.monthly.get(month, (0, 0, 0, None))
        rows.append([month.strftime("%Y-%m"), n, up, down, _round(mean)])
    measured = sum(n for s, n in figures.at_horizon.items() if s is not None)
    reached = sum(n for s, n in figures.at_horizon.items() if s is not None and s >= 3)
    cohort = sum(figures.at_horizon.values())
    share = _pct(kpi.share(reached, cohort))
    return Section(
        "ladder_changes",
        t("dash.ladder_changes"),
        [
            t("dash.month"),
            t("dash.measurements"),
            t("dash.went_up"),
            t("dash.went_down"),
            t("dash.mean_step"),
        ],
        rows,
        chart(
            "bar",
            [r[0] for r in rows],
            [
                series(t("dash.went_up"), [r[2] for r in rows]),
                series(t("dash.went_down"), [r[3] for r in rows]),
                series(t("dash.mean_step"), [r[4] for r in rows], "line"),
            ],
        ),
        summary=[
            (
                t("dash.horizon").format(months=horizon),
                f"{share}% ({reached}/{cohort})" if share is not None else "—",
            ),
            (t("dash.not_measured"), str(cohort - measured)),
        ],
    )


def wet_inburgering(t: Translate, f: kpis_wi.WiFigures) -> Section:
    with_map = f.with_pip - f.map_exempt
    rows = [
        [t("wi.pip"), f.pip_on_time, f.pip_due, _pct(kpi.share(f.pip_on_time, f.pip_due))],
        [t("wi.pvt"), f.pvt_done, f.with_pip, _pct(kpi.share(f.pvt_done, f.with_pip))],
        [t("wi.map"), f.map_done, with_map, _pct(kpi.share(f.map_done, with_map))],
        [t("wi.term"), f.term_met, f.term_cohort, _pct(kpi.share(f.term_met, f.term_cohort))],
    ]
    return Section(
        "wet_inburgering",
        t("dash.wi"),
        [t("dash.indicator"), t("dash.numerator"), t("dash.denominator"), t("dash.percent")],
        rows,
        chart(
            "bar",
            [r[0] for r in rows],
            [series("%", [r[3] for r in rows])],
            horizontal=True,
            percent=True,
        ),
        t("dash.wi_note"),
    )


def route_words(d: CompiledDefinition, route: str) -> str:
    """A leerroute as the PIP's form names it (its option's label: B1-route), else in words."""
    for task, name in kpis_wi.ROUTE_FIELDS.items():
        spec = d.tasks[task].form.get(name) if task in d.tasks else None
        if spec is not None and spec.options and route in spec.options:
            return spec.option_label(route)
    return in_words(route)


def routes(t: Translate, d: CompiledDefinition, f: kpis_wi.WiFigures) -> Section:
    names = sorted(set(f.routes) | set(f.switches))
    total = sum(f.routes.values())
    words = [route_words(d, r) for r in names]
    rows = [
        [
            Coded(r, said),
            f.routes.get(r, 0),
            _pct(kpi.share(f.routes.get(r, 0), total)),
            f.switches.get(r, 0),
        ]
        for r, said in zip(names, words, strict=True)
    ]
    return Section(
        "routes",
        t("dash.routes"),
        [t("dash.route"), t("dash.pips"), t("dash.share"), t("dash.switches")],
        rows,
        chart(
            "doughnut",
            words,
            [series(t("dash.pips"), [r[1] for r in rows])],
        )
        if rows
        else None,
    )


def termijnen(t: Translate, rows: list[kpis_termijnen.TermijnTeam]) -> Section:
    labels = [f"{r.title} · {in_words(r.team)}" for r in rows]
    return Section(
        "termijnen",
        t("dash.termijnen"),
        [
            t("dash.termijn"),
            t("task.role"),
            t("dash.expired"),
            t("dash.near"),
            t("dash.on_time"),
            t("dash.suspended"),
        ],
        [[r.title, group(r.team), r.expired, r.near, r.on_time, r.suspended] for r in rows],
        chart(
            "bar",
            labels,
            [
                series(t("dash.expired"), [r.expired for r in rows]),
                series(t("dash.near"), [r.near for r in rows]),
                series(t("dash.on_time"), [r.on_time for r in rows]),
                series(t("dash.suspended"), [r.suspended for r in rows]),
            ],
            horizontal=True,
            stacked=True,
        )
        if rows
        else None,
    )
