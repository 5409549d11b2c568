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
    pg = is_pg(session)
    start, end = scope.period.start, scope.period.end
    figures = WiFigures()
    duo, pip = _date("duo"), _date("pip")
    on_duo = and_(duo.case_id == Case.id, duo.name == "duo_melding")
    on_pip = and_(pip.case_id == Case.id, pip.name == "pip_datum")

    row = session.execute(
        select(func.count(), count_if(pip.value <= shift(pg, duo.value, days=PIP_DAYS)))
        .select_from(Case)
        .join(duo, on_duo)
        .outerjoin(pip, on_pip)
        .where(
            *in_scope(scope),
            duo.value >= start - timedelta(days=PIP_DAYS),
            duo.value <= end - timedelta(days=PIP_DAYS),
            or_(pip.value.is_not(None), Case.outcome.is_(None), Case.outcome.not_in(NOT_COUNTED)),
        )
    ).one()
    figures.pip_due, figures.pip_on_time = row[0], row[1]

    for task, answer, into in (
        ("pip_vaststellen", "route", figures.routes),
        ("pip_wijzigen", "nieuwe_route", figures.switches),
    ):
        route = Task.form_data[answer].as_string()
        rows = session.execute(
            select(route, func.count())
            .join(Case, Case.id == Task.case_id)
            .where(
                Task.municipality == scope.municipality,
                *in_scope(scope),
                Task.name == task,
                Task.status == "completed",
                Task.completed_at >= scope.period.since,
                Task.completed_at < scope.period.until,
            )
            .group_by(route)
        )
        into.update({str(r or "?"): n for r, n in rows})

    until, facts = scope.period.until, CaseIndicator
    counts = session.execute(
        select(
            func.count(),
            count_if(facts.pvt_done_at < until),
            count_if(facts.map_done_at < until),
            count_if(facts.map_exempt_at < until),
        )
        .select_from(Case)
        .join(pip, on_pip)
        .outerjoin(facts, facts.case_id == Case.id)
        .where(*in_scope(scope), pip.value <= end)
    ).one()
    figures.with_pip, figures.pvt_done, figures.map_done, figures.map_exempt = counts

    term_end = shift(pg, pip.value, months=TERM_MONTHS, days=1)
    finished = day_of(pg, Case.finished_at)
    met = and_(Case.outcome == FULFILLED, finished <= term_end)
    known = case((met, finished), else_=term_end)
    row = session.execute(
        select(func.count(), count_if(met))
        .select_from(Case)
        .join(pip, on_pip)
        .where(
            *in_scope(scope),
            known >= start,
            known <= min(end, scope.now.date()),
            or_(Case.outcome.is_(None), Case.outcome.not_in(NOT_COUNTED)),
        )
    ).one()
    figures.term_cohort, figures.term_met = row
    return figures
