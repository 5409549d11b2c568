"""The coordinators' dashboard: KPIs of one definition (all or one of its versions) in a period,
the diagram as a heatmap of open cases, stuck cases, a scoreboard without names and the
quarterly report. Every table has a CSV export (same filters in the query string), for scripts
or, `?format=excel`, for Excel (see `dashboard_csv`); CSV also answers to an API token. Only
coordinators and admins, only their own municipality."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from traject import kpi
from traject.api.auth import optional_user
from traject.casework import require
from traject.definition.compiled import CompiledDefinition
from traject.service import Refused
from traject.store import kpis, kpis_cases, kpis_termijnen, kpis_wi
from traject.store.accounts import Principal
from traject.store.models import DefinitionVersion
from traject.store.repositories import compiled_of
from traject.web import dashboard_csv, dashboard_report, i18n
from traject.web import dashboard_sections as sections
from traject.web.dashboard_csv import Format
from traject.web.dashboard_sections import Section, Translate
from traject.web.pages import SignInFirst, lang_of, render, signed_in

SCOREBOARD_PAGE = 50


@dataclass
class View:
    """The filter a page was asked for, resolved within the user's municipality."""

    scope: kpis.Scope
    d: CompiledDefinition
    definitions: list[tuple[str, str]]  # name, title
    versions: list[int]
    definition: str
    version: int | None
    start: str
    end: str
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def query(self) -> str:
        return urlencode(
            {
                "definition": self.definition,
                "version": self.version or "",
                "start": self.scope.period.start.isoformat(),
                "end": self.scope.period.end.isoformat(),
            }
        )

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


def _coordinator(request: Request, csv: bool = False) -> Principal:
    user = optional_user(request) if csv else signed_in(request)
    if user is None:
        raise SignInFirst()
    require(user, "coordinator")
    return user


def _sessions(request: Request) -> Any:
    return request.app.state.auth.sessions


def resolve(
    session: Session,
    user: Principal,
    definition: str,
    version: str,
    start: str,
    end: str,
    now: datetime,
    period: kpi.Period | None = None,
) -> View | None:
    """None when the municipality has no published definition."""
    rows = kpis.versions(session, user.municipality)
    if not rows:
        return None
    newest: dict[str, DefinitionVersion] = {}
    for row in rows:
        newest[row.definition] = row
    chosen = definition if definition in newest else min(newest, key=lambda n: newest[n].title)
    of_chosen = [r for r in rows if r.definition == chosen]
    picked = [r for r in of_chosen if str(r.version) == version] or of_chosen
    span = period or kpi.Period.parse(start, end, now.date())
    scope = kpis.Scope(user.municipality, tuple(r.id for r in picked), span, now)
    return View(
        scope,
        compiled_of(picked[-1]),
        sorted(((n, v.title) for n, v in newest.items()), key=lambda item: item[1]),
        [r.version for r in of_chosen],
        chosen,
        picked[0].version if len(picked) == 1 and len(of_chosen) > 1 else None,
        span.start.isoformat(),
        span.end.isoformat(),
    )


# ---------------------------------------------------------------------------- the sections
Builder = Callable[[Session, View, Translate], Section]


def state_counts(session: Session, view: View) -> dict[str, int]:
    combos = view.once("combos", lambda: kpis.state_combos(session, view.scope))
    return kpi.rollup(view.d, {c.states: c.cases for c in combos})


BUILDERS: dict[str, Builder] = {
    "states": lambda s, v, t: sections.states(t, v.d, state_counts(s, v)),
    "tasks": lambda s, v, t: sections.tasks(t, kpis.tasks_by_role(s, v.scope)),
    "escalations": lambda s, v, t: sections.escalations(t, kpis.escalations(s, v.scope)),
    "weekly": lambda s, v, t: sections.weekly(t, v.scope.period, kpis.weekly(s, v.scope)),
    "outcomes": lambda s, v, t: sections.outcomes(
        t, v.d, kpis.outcome_spreads(s, v.scope, sections.outcome_targets(v.d))
    ),
    "phases": lambda s, v, t: sections.phases(
        t, v.d, kpis.phase_spreads(s, v.scope, sections.phase_targets(v.d))
    ),
    "ladder": lambda s, v, t: sections.ladder(t, kpis.ladder_now(s, v.scope)),
    "ladder_changes": lambda s, v, t: sections.ladder_months(
        t,
        v.scope.period,
        kpis.ladder_months(s, v.scope, kpi.ladder_horizon(v.d)),
        kpi.ladder_horizon(v.d),
    ),
    "termijnen": lambda s, v, t: sections.termijnen(t, kpis_termijnen.by_team(s, v.scope)),
    "wet_inburgering": lambda s, v, t: sections.wet_inburgering(
        t, kpis_wi.case_figures(s, v.scope)
    ),
    "routes": lambda s, v, t: sections.routes(t, v.d, kpis_wi.route_figures(s, v.scope)),
}
WI_ONLY = ("wet_inburgering", "routes")


def applicable(view: View) -> list[str]:
    return [
        k
        for k in BUILDERS
        if (k not in WI_ONLY or kpis_wi.applies(view.d)) and (k != "termijnen" or view.d.termijnen)
    ]


def _now() -> datetime:
    return datetime.now(UTC)


# -------------------------------------------------------------------------------- the routes
def dashboard_router(clock: Callable[[], datetime] = _now) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    def view_of(request: Request, session: Session, user: Principal, **filters: str) -> View:
        view = resolve(
            session,
            user,
            filters.get("definition", ""),
            filters.get("version", ""),
            filters.get("start", ""),
            filters.get("end", ""),
            clock(),
        )
        if view is None:
            raise _missing()
        return view

    def built(
        request: Request,
        user: Principal,
        key: str,
        definition: str,
        version: str,
        start: str,
        end: str,
        noun: str = "section",
    ) -> tuple[View, Section]:
        """The view asked for and its section `key` (page fragment and CSV alike)."""
        t = i18n.translator(lang_of(request))
        with _sessions(request)() as session:
            view = view_of(
                request, session, user, definition=definition, version=version, start=start, end=end
            )
            if key not in applicable(view):
                raise _missing(f"no {noun} '{key}'")
            return view, BUILDERS[key](session, view, t)

    @web.get("/dashboard")
    def overview(
        request: Request,
        definition: str = "",
        version: str = "",
        start: str = "",
        end: str = "",
        full: bool = False,
    ) -> Response:
        """The page with its heatmap; each section is fetched on its own as the page loads
        (htmx), so the page shows at once and no request waits for every query. `full=true`
        (the link for a browser without JavaScript) renders them all in this response."""
        user = _coordinator(request)
        t = i18n.translator(lang_of(request))
        with _sessions(request)() as session:
            view = view_of(
                request, session, user, definition=definition, version=version, start=start, end=end
            )
            keys = applicable(view)
            found = [BUILDERS[k](session, view, t) for k in keys] if full else []
            heat = kpi.heatmap(view.d, state_counts(session, view))
        return render(
            request,
            "dashboard.html",
            user,
            view=view,
            sections=found,
            lazy=[] if full else keys,
            heatmap=heat,
            heat_colours=kpi.HEAT,
            tab="overview",
            active_nav="dashboard",
        )

    @web.get("/dashboard/section/{key}")
    def section_fragment(
        request: Request,
        key: str,
        definition: str = "",
        version: str = "",
        start: str = "",
        end: str = "",
    ) -> Response:
        """One section of the page, as the page's placeholder fetches it."""
        user = _coordinator(request)
        view, found = built(request, user, key, definition, version, start, end)
        return render(request, "dashboard_section.html", user, view=view, s=found)

    @web.get("/dashboard/stuck")
    def stuck_page(request: Request, definition: str = "", version: str = "") -> Response:
        user = _coordinator(request)
        with _sessions(request)() as session:
            view = view_of(request, session, user, definition=definition, version=version)
            found = stuck(session, view)
        return render(
            request,
            "dashboard_stuck.html",
            user,
            view=view,
            stuck=found,
            tab="stuck",
            active_nav="dashboard",
            temporal_ui=request.app.state.temporal_ui,
            namespace=request.app.state.namespace,
            overdue_query=urlencode(
                {
                    "query": f'TrajectMunicipality="{user.municipality}" AND TrajectOverdue=true AND ExecutionStatus="Running"'
                }
            ),
        )

    @web.get("/dashboard/stuck.csv")
    def stuck_csv(
        request: Request, definition: str = "", version: str = "", format: Format = "csv"
    ) -> Response:
        user = _coordinator(request, csv=True)
        with _sessions(request)() as session:
            view = view_of(request, session, user, definition=definition, version=version)
            found = stuck(session, view, show=10_000)
        name = f"vastgelopen-{view.definition}.csv"
        if format == "excel":
            t = i18n.translator(lang_of(request))
            return dashboard_csv.response(name, dashboard_csv.stuck(t, view.d, found.rows), format)
        rows = [
            [
                r.case_id,
                r.workflow_id,
                " ".join(r.states),
                r.status,
                r.idle_since,
                round(idle, 1),
                limit,
            ]
            for r, idle, limit in found.rows
        ]
        header = [
            "case_id",
            "workflow_id",
            "states",
            "status",
            "idle_since",
            "idle_days",
            "limit_days",
        ]
        return dashboard_csv.response(name, (header, rows))

    @web.get("/dashboard/scoreboard")
    def scoreboard_page(
        request: Request, definition: str = "", version: str = "", page: int = 1
    ) -> Response:
        user = _coordinator(request)
        with _sessions(request)() as session:
            view = view_of(request, session, user, definition=definition, version=version)
            board = dashboard_report.scoreboard(
                session, view.scope, view.d, clock(), max(page, 1), SCOREBOARD_PAGE
            )
        return render(
            request,
            "dashboard_scoreboard.html",
            user,
            view=view,
            board=board,
            tab="scoreboard",
            active_nav="dashboard",
        )

    @web.get("/dashboard/scoreboard.csv")
    def scoreboard_csv(
        request: Request, definition: str = "", version: str = "", format: Format = "csv"
    ) -> Response:
        user = _coordinator(request, csv=True)
        with _sessions(request)() as session:
            view = view_of(request, session, user, definition=definition, version=version)
            board = dashboard_report.scoreboard(session, view.scope, view.d, clock(), 1, 100_000)
        table = (
            dashboard_csv.scoreboard(i18n.translator(lang_of(request)), board)
            if format == "excel"
            else (board.header, board.csv_rows)
        )
        return dashboard_csv.response(f"scorebord-{view.definition}.csv", table, format)

    @web.get("/dashboard/report")
    def report_page(
        request: Request, definition: str = "", version: str = "", year: int = 0, quarter: int = 0
    ) -> Response:
        user = _coordinator(request)
        t = i18n.translator(lang_of(request))
        with _sessions(request)() as session:
            view, rows = report(session, user, t, clock(), definition, version, year, quarter)
        return render(
            request,
            "report.html",
            user,
            view=view,
            rows=rows,
            tab="report",
            active_nav="dashboard",
            quarter=_quarter_of(view),
        )

    @web.get("/dashboard/report.csv")
    def report_csv(
        request: Request,
        definition: str = "",
        version: str = "",
        year: int = 0,
        quarter: int = 0,
        format: Format = "csv",
    ) -> Response:
        user = _coordinator(request, csv=True)
        t = i18n.translator(lang_of(request))
        with _sessions(request)() as session:
            view, rows = report(session, user, t, clock(), definition, version, year, quarter)
        year_q = _quarter_of(view)
        table = (
            dashboard_csv.report(t, rows)
            if format == "excel"
            else (["indicator", "label", "value", "unit", "n", "target"], [list(r) for r in rows])
        )
        return dashboard_csv.response(
            f"kwartaalrapportage-{view.definition}-{year_q[0]}-Q{year_q[1]}.csv", table, format
        )

    @web.get("/dashboard/{key}.csv")
    def section_csv(
        request: Request,
        key: str,
        definition: str = "",
        version: str = "",
        start: str = "",
        end: str = "",
        format: Format = "csv",
    ) -> Response:
        user = _coordinator(request, csv=True)
        view, section = built(request, user, key, definition, version, start, end, "table")
        name = f"{key}-{view.definition}-{view.start}-{view.end}.csv"
        table = (
            dashboard_csv.section(section) if format == "excel" else (section.columns, section.rows)
        )
        return dashboard_csv.response(name, table, format)

    return web


def _missing(detail: str = "no published definition") -> Refused:
    return Refused("not_found", detail)


def _quarter_of(view: View) -> tuple[int, int]:
    start = view.scope.period.start
    return start.year, (start.month - 1) // 3 + 1


@dataclass(frozen=True)
class Stuck:
    per_states: list[tuple[tuple[str, ...], float, int]]  # states, limit (days), stuck cases
    rows: list[tuple[kpis_cases.StuckCase, float, float]]  # case, idle days, limit days
    not_recorded: list[kpis_cases.StuckCase]


def stuck(session: Session, view: View, show: int = 100) -> Stuck:
    combos = kpis.state_combos(session, view.scope)
    limits = {
        c.text: limit for c in combos if (limit := kpi.stuck_limit(view.d, c.states)) is not None
    }
    counts, rows = kpis_cases.stuck(session, view.scope, limits, show)
    by_text = {c.text: c for c in combos}
    per_states = sorted(
        ((by_text[text].states, limits[text], n) for text, n in counts.items()),
        key=lambda item: -item[2],
    )
    now = view.scope.now
    listed = []
    for row in rows:
        idle = (now - row.idle_since.replace(tzinfo=row.idle_since.tzinfo or UTC)) / timedelta(
            days=1
        )
        listed.append((row, idle, kpi.stuck_limit(view.d, row.states) or 0.0))
    return Stuck(per_states, listed, kpis_cases.not_recorded(session, view.scope))


def report(
    session: Session,
    user: Principal,
    t: Translate,
    now: datetime,
    definition: str,
    version: str,
    year: int,
    quarter: int,
) -> tuple[View, list[tuple[str, str, Any, str, Any, Any]]]:
    period = (
        kpi.Period.quarter(year, quarter)
        if 2000 <= year <= 2100 and 1 <= quarter <= 4
        else kpi.Period.previous_quarter(now.date())
    )
    view = resolve(session, user, definition, version, "", "", now, period)
    if view is None:
        raise _missing()
    return view, dashboard_report.quarterly(session, view.scope, view.d, t)
