"""How often each termijn would be missed, from a simulation's walk: a termijn starts when its
state is first entered (or its case date becomes known) and is met when one of its `met` states is
first entered after that. Calendar approximations: months of 30.44 days, werkdagen of 7/5 days, no
Algemene termijnenwet extension and no suspensions or extensions (those are case workers' choices).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from traject.definition.compiled import CompiledDefinition
from traject.definition.termijnen import length_of
from traject.termijn import Unit

_DAYS = {Unit.DAYS: 1.0, Unit.WEEKS: 7.0, Unit.MONTHS: 30.44, Unit.YEARS: 365.25}


@dataclass(frozen=True)
class TermijnStats:
    termijn: str
    title: str
    length_days: float
    started: int  # runs in which it started
    missed: float | None  # share of those in which it expired before it was met
    met_median_days: float | None  # from start to met, over the runs that met it


def length_days(text: str) -> float:
    length = length_of(text)
    return length.n * (7 / 5 if length.unit is Unit.WERKDAGEN else _DAYS[length.unit])


def first_entries(spans: list[Any], code: int, runs: int) -> np.ndarray[Any, Any]:
    first = np.full(runs, np.inf)
    for span in spans:
        if span.code == code and span.idx.size:
            np.minimum.at(first, span.idx, span.start)
    return first


def termijn_stats(
    d: CompiledDefinition,
    spans: list[Any],
    code: dict[str, int],
    dates: dict[str, np.ndarray[Any, Any]],
    finish: np.ndarray[Any, Any],
    horizon: float,
    notes: set[str],
) -> tuple[TermijnStats, ...]:
    runs = finish.size
    found = []
    for name, t in d.termijnen.items():
        if t.start_kind == "event":
            notes.add(f"termijn {name}: starts on an event, which the simulation does not date")
            continue
        if t.start_kind == "state":
            start = first_entries(spans, code[t.start], runs)
        else:
            start = np.where(np.isnan(dates[t.start]), np.inf, dates[t.start])
        met = np.full(runs, np.inf)
        for state in t.met:
            entered = first_entries(spans, code[state], runs)
            met = np.minimum(met, np.where(entered >= start, entered, np.inf))
        days = length_days(t.length)
        began = np.isfinite(start)
        ended = np.where(np.isfinite(met), met, np.minimum(finish, horizon))
        with np.errstate(invalid="ignore"):  # inf - inf where it never started: masked by `began`
            missed = began & (ended - start > days)
            took = (met - start)[began & np.isfinite(met)]
        found.append(
            TermijnStats(
                termijn=name,
                title=t.title,
                length_days=days,
                started=int(began.sum()),
                missed=float(missed[began].mean()) if began.any() else None,
                met_median_days=float(np.median(took)) if took.size else None,
            )
        )
    return tuple(found)
