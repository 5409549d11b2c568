"""The scoreboard (progress of every open case without a name or case id: a stable pseudonym,
weeks in the trajectory, the phase, tasks and checklist items done, the ladder step) and the rows
of the quarterly report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from traject import kpi
from traject.definition.compiled import CompiledDefinition
from traject.store import kpis, kpis_cases, kpis_wi
from traject.web.dashboard_sections import MONTH, Translate, outcome_targets, route_words

ReportRow = tuple[str, str, Any, str, Any, Any]  # indicator, label, value, unit, n, target


@dataclass(frozen=True)
class BoardRow:
    code: str
    weeks: int
    phase: str
    done: int
    tasks: int
    checklists: list[tuple[int, int]]
    step: int | None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.tasks) if self.tasks else 0


@dataclass(frozen=True)
class Board:
    total: int
    page: int
    size: int
    checklists: list[tuple[str, str, frozenset[str]]]  # state, title, its item tasks
    rows: list[BoardRow]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def header(self) -> list[str]:
        return [
            "code",
            "weeks",
            "phase",
            "tasks_done",
            "tasks",
            *(c[0] for c in self.checklists),
            "ladder_step",
        ]

    @property
    def csv_rows(self) -> list[list[Any]]:
        return [
            [
                r.code,
                r.weeks,
                r.phase,
                r.done,
                r.tasks,
                *(f"{a}/{b}" for a, b in r.checklists),
                r.step,
            ]
            for r in self.rows
        ]


def phase_of(d: CompiledDefinition, states: tuple[str, ...]) -> str:
    """The phases a case is in: the states around its current ones that have a KPI target, or the
    current states themselves when none has."""
    phases: list[str] = []
    for name in states:
        for around in reversed(d.ancestors(name)) if name in d.states else ():
            if d.states[around].kpi and around not in phases:
                phases.append(around)
    names = phases or [s for s in states if s in d.states]
    return ", ".join(d.states[n].title for n in names)


def scoreboard(
    session: Session, scope: kpis.Scope, d: CompiledDefinition, now: datetime, page: int, size: int
) -> Board:
    checklists = [
        (s.name, s.title, frozenset(t for child in s.children for t in d.states[child].tasks))
        for s in d.states.values()
        if s.checklist
    ]
    total, found = kpis_cases.scoreboard(session, scope, page, size)
    rows = []
    for p in found:
        started = p.started_at if p.started_at.tzinfo else p.started_at.replace(tzinfo=UTC)
        rows.append(
            BoardRow(
                kpi.pseudonym(p.case_id),
                (now - started) // timedelta(weeks=1),
                phase_of(d, p.states),
                len(p.completed),
                len(p.completed) + p.open_tasks,
                [(len(items & p.completed), len(items)) for _, _, items in checklists],
                p.step,
            )
        )
    return Board(total, page, size, checklists, rows)


def quarterly(
    session: Session, scope: kpis.Scope, d: CompiledDefinition, t: Translate
) -> list[ReportRow]:
    started, finished, still_open = kpis.started_finished(session, scope)
    rows: list[ReportRow] = [("started", t("dash.started"), started, "", None, None)]
    for outcome, n in sorted(finished.items()):
        title = d.outcomes[outcome].title if outcome in d.outcomes else outcome
        rows.append((f"finished:{outcome}", f"{t('dash.finished')}: {title}", n, "", None, None))
    rows.append(("open_at_end", t("report.open_at_end"), still_open, "", None, None))
    spreads = kpis.outcome_spreads(session, scope, outcome_targets(d))
    for outcome, spec in d.outcomes.items():
        s = (spreads.get(outcome) or kpi.spread([])).summary
        target = kpi.outcome_target(d, outcome)
        value = round(s.median / MONTH, 1) if s.median is not None else None
        goal = round(target / MONTH, 1) if target else None
        label = f"{t('report.median_throughput')}: {spec.title}"
        rows.append((f"throughput:{outcome}", label, value, t("report.months"), s.n, goal))
    escalated = sum(r.count for r in kpis.escalations(session, scope))
    rows.append(("escalations", t("dash.escalations"), escalated, "", None, None))
    horizon = kpi.ladder_horizon(d)
    at = kpis.ladder_at_horizon(session, scope, horizon)
    cohort = sum(at.values())
    reached = sum(n for step, n in at.items() if step is not None and step >= 3)
    rows.append(
        (
            "ladder_at_least_3",
            t("dash.horizon").format(months=horizon),
            _pct(reached, cohort),
            "%",
            cohort,
            None,
        )
    )
    if kpis_wi.applies(d):
        f = kpis_wi.indicators(session, scope)
        with_map = f.with_pip - f.map_exempt
        for key, part, whole in (
            ("pip", f.pip_on_time, f.pip_due),
            ("pvt", f.pvt_done, f.with_pip),
            ("map", f.map_done, with_map),
            ("term", f.term_met, f.term_cohort),
        ):
            rows.append((f"wi_{key}", t(f"wi.{key}"), _pct(part, whole), "%", whole, None))
        for route, n in sorted(f.routes.items()):
            words = route_words(d, route)
            rows.append((f"route:{route}", f"{t('dash.route')}: {words}", n, "", None, None))
    return rows


def _pct(part: int, whole: int) -> float | None:
    share = kpi.share(part, whole)
    return None if share is None else round(100 * share, 1)
