"""Wet inburgering 2021 indicators for the quarterly monitor, read from the case dates, the
completed PIP tasks and the facts the step recorder keeps per case from the timeline
(`case_indicators`: when PVT and MAP were first reported done, when the MAP exemption was first
entered) of a definition shaped like `definitions/wi2021.yaml`: case
dates `duo_melding` and `pip_datum`, tasks `pip_vaststellen` (form field `route`) and
`pip_wijzigen` (`nieuwe_route`), reports `pvt_afgerond` and `map_afgerond`, the state
`map_vrijgesteld` (onderwijsroute) and the outcome `inburgeringsplicht_voldaan`.

- PIP within 10 weeks: of the cases whose ten weeks after the DUO notice ended in the period
  (those that ended without a PIP by exemption or moving away left out), the share with a PIP
  dated on or before that day.
- Routes: the route of each PIP decided in the period; route switches decided in the period.
- PVT and MAP: of the cases with a PIP by the period's end, how many completed each by then
  (MAP: those exempt in the onderwijsroute left out).
- Within the term: of the cases whose result became known in the period (fulfilled, or the
  three-year term that starts the day after the PIP ended), the share fulfilled within the term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from traject.definition.compiled import CompiledDefinition
from traject.store.kpis import (
    PIP_DAYS,
    TERM_MONTHS,
    Scope,
    count_if,
    day_of,
    in_scope,
    is_pg,
    shift,
)
from traject.store.models import Case, CaseDate, CaseIndicator, Task

FULFILLED = "inburgeringsplicht_voldaan"
NOT_COUNTED = ("ontheffing", "verhuisd")  # outcomes that end the duty without a result


def applies(d: CompiledDefinition) -> bool:
    return {"duo_melding", "pip_datum"} <= set(d.case_dates) and "pip_vaststellen" in d.tasks


@dataclass
class WiFigures:
    pip_due: int = 0
    pip_on_time: int = 0
    routes: dict[str, int] = field(default_factory=dict)
    switches: dict[str, int] = field(default_factory=dict)
    with_pip: int = 0
    pvt_done: int = 0
    map_done: int = 0
    map_exempt: int = 0
    term_cohort: int = 0
    term_met: int = 0


def _date(name: str) -> type[CaseDate]:
    alias: type[CaseDate] = aliased(CaseDate, name=name)
    return alias


def indicators(session: Session, scope: Scope) -> WiFigures:
    """Every figure: `case_figures` and `route_figures` together."""
    figures = case_figures(session, scope)
    routes = route_figures(session, scope)
    figures.routes, figures.switches = routes.routes, routes.switches
    return figures


def case_figures(session: Session, scope: Scope) -> WiFigures:
    """One pass over the scope's cases (with their two dates and their facts) counts every case
    indicator at once: the PIP within ten weeks, PVT and MAP, the term."""
    pg = is_pg(session)
    start, end = scope.period.start, scope.period.end
    figures = WiFigures()
    duo, pip, facts = _date("duo"), _date("pip"), CaseIndicator
    counted = or_(Case.outcome.is_(None), Case.outcome.not_in(NOT_COUNTED))
    # PIP within ten weeks: the ten weeks ended in the period
    due = and_(
        duo.value >= start - timedelta(days=PIP_DAYS),
        duo.value <= end - timedelta(days=PIP_DAYS),
        or_(pip.value.is_not(None), counted),
    )
    # PVT and MAP: a PIP by the period's end
    with_pip, until = pip.value <= end, scope.period.until
    # within the term: the result became known in the period
    term_end = shift(pg, pip.value, months=TERM_MONTHS, days=1)
    finished = day_of(pg, Case.finished_at)
    met = and_(Case.outcome == FULFILLED, finished <= term_end)
    known = case((met, finished), else_=term_end)
    cohort = and_(
        pip.value.is_not(None), known >= start, known <= min(end, scope.now.date()), counted
    )
    row = session.execute(
        select(
            count_if(due),
            count_if(and_(due, pip.value <= shift(pg, duo.value, days=PIP_DAYS))),
            count_if(with_pip),
            count_if(and_(with_pip, facts.pvt_done_at < until)),
            count_if(and_(with_pip, facts.map_done_at < until)),
            count_if(and_(with_pip, facts.map_exempt_at < until)),
            count_if(cohort),
            count_if(and_(cohort, met)),
        )
        .select_from(Case)
        .outerjoin(duo, and_(duo.case_id == Case.id, duo.name == "duo_melding"))
        .outerjoin(pip, and_(pip.case_id == Case.id, pip.name == "pip_datum"))
        .outerjoin(facts, facts.case_id == Case.id)
        .where(*in_scope(scope))
    ).one()
    (
        figures.pip_due,
        figures.pip_on_time,
        figures.with_pip,
        figures.pvt_done,
        figures.map_done,
        figures.map_exempt,
        figures.term_cohort,
        figures.term_met,
    ) = row
    return figures


# The form fields that hold a leerroute (their answers are option codes): task → field.
ROUTE_FIELDS = {"pip_vaststellen": "route", "pip_wijzigen": "nieuwe_route"}


def route_figures(session: Session, scope: Scope) -> WiFigures:
    """The routes of the PIPs decided in the period, and the route switches (one statement)."""
    figures = WiFigures()
    answers = {
        "pip_vaststellen": (ROUTE_FIELDS["pip_vaststellen"], figures.routes),
        "pip_wijzigen": (ROUTE_FIELDS["pip_wijzigen"], figures.switches),
    }
    route = case(
        *(
            (Task.name == name, Task.form_data[field].as_string())
            for name, (field, _) in answers.items()
        )
    )
    rows = session.execute(
        select(Task.name, route, func.count())
        .join(Case, Case.id == Task.case_id)
        .where(
            Task.municipality == scope.municipality,
            *in_scope(scope),
            Task.name.in_(list(answers)),
            Task.status == "completed",
            Task.completed_at >= scope.period.since,
            Task.completed_at < scope.period.until,
        )
        .group_by(Task.name, route)
    )
    for name, answer, n in rows:
        answers[name][1][str(answer or "?")] = n
    return figures
