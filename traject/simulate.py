"""Monte Carlo throughput times of a definition, vectorised over runs with numpy.

Competing risks: when a state is entered, every way out gets a sampled time — a task's completion
(lognormal from the `simulate` assumptions, else its due period, else the state's KPI), a timer
(deterministic, from entry or from a case date), an outside event (only when given a probability), the
completion of a compound or parallel state (its inner walk) — and the earliest wins. Guarded
alternatives on one trigger are chosen by `weight`. Runs move through the definition in batches
grouped by state, so a hundred thousand trajectories cost a few hundred numpy calls per state, not a
Python loop per run. Pure: randomness only from the generator seeded by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from traject.definition.compiled import CompiledDefinition, CState, CTransition
from traject.definition.duration import Duration
from traject.definition.model import AllOf, AllTasksDone, Guard, SetDate, Simulate

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
COMPLETE, NEVER = -1, -2
HORIZON_DAYS = 20 * 365.25
MAX_STEPS = 400
DEFAULT_DAYS = 7.0
DEFAULT_SIGMA = 0.5
Z90 = 1.2815515655446004  # the standard normal's 90th percentile


@dataclass(frozen=True)
class Spread:
    mean: float
    median: float
    p80: float
    p95: float

    @classmethod
    def of(cls, days: Floats) -> Spread | None:
        if days.size == 0:
            return None
        p50, p80, p95 = np.percentile(days, [50, 80, 95])
        return cls(float(days.mean()), float(p50), float(p80), float(p95))


@dataclass(frozen=True)
class OutcomeResult:
    outcome: str
    title: str
    share: float
    days: Spread | None
    target_days: float | None
    within_target: float | None


@dataclass(frozen=True)
class StateResult:
    state: str
    title: str
    phase: bool  # a top-level state
    visited: float  # share of runs that entered it
    days: Spread | None  # time spent, over the runs that entered it
    kpi_days: float | None
    over_kpi: float | None


@dataclass(frozen=True)
class SimulationReport:
    definition: str
    runs: int
    seed: int
    finished: float
    unfinished: int
    outcomes: list[OutcomeResult]
    states: list[StateResult]
    bottleneck: str | None
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def simulate(definition: CompiledDefinition, runs: int, seed: int) -> SimulationReport:
    if runs < 1:
        raise ValueError("runs must be at least 1")
    sim = _Simulation(definition, runs, np.random.default_rng(seed))
    everyone = np.arange(runs)
    sim.walk(None, definition.initial, everyone, np.zeros(runs), np.full(runs, HORIZON_DAYS))
    return sim.report(seed)


class _Simulation:
    def __init__(self, d: CompiledDefinition, runs: int, rng: np.random.Generator) -> None:
        self.d, self.runs, self.rng = d, runs, rng
        self.names = list(d.states)
        self.code = {name: i for i, name in enumerate(self.names)}
        self.occupancy = np.zeros((len(self.names), runs))
        self.visited = np.zeros((len(self.names), runs), dtype=bool)
        self.finish = np.full(runs, np.inf)
        self.outcome = np.full(runs, -1, dtype=np.int64)
        self.outcomes = list(d.outcomes)
        self.dates = {name: np.zeros(runs) for name in d.case_dates}  # known dates: the start
        self.assumed: dict[str, str] = {}

    # ---------------------------------------------------------------------------------- walking
    def walk(
        self,
        scope: str | None,
        start: str,
        idx: Ints,
        t0: Floats,
        deadline: Floats,
        via: str | None = None,
    ) -> tuple[Floats, Ints]:
        """Move runs through the children of `scope` from `start` until they complete the scope
        (a final child: COMPLETE) or leave it (the code of a state outside); NEVER when stuck."""
        out_t = np.full(idx.size, np.inf)
        out_target = np.full(idx.size, NEVER, dtype=np.int64)
        queue: list[tuple[str, Ints, Floats, Ints, str | None]] = [
            (start, np.arange(idx.size), t0, np.full(idx.size, -1, dtype=np.int64), via)
        ]
        for _ in range(MAX_STEPS):
            if not queue:
                break
            name, pos, t, outcome, target_via = queue.pop()
            alive = t < deadline[pos]
            pos, t, outcome = pos[alive], t[alive], outcome[alive]
            if pos.size == 0:
                continue
            state = self.d.states[name]
            if state.kind == "final":
                self._arrive_final(state, idx[pos], t, outcome)
                out_t[pos], out_target[pos] = t, COMPLETE
                continue
            t_exit, target, new_outcome = self.leave(state, idx[pos], t, deadline[pos], target_via)
            outcome = np.where(new_outcome >= 0, new_outcome, outcome)
            for code in np.unique(target):
                sel = target == code
                if code == NEVER:
                    continue
                nxt = self.names[code]
                child = self._child_towards(scope, nxt)
                if child is None:  # the target lies outside this scope: hand it up
                    out_t[pos[sel]], out_target[pos[sel]] = t_exit[sel], code
                else:
                    queue.append(
                        (child, pos[sel], t_exit[sel], outcome[sel], nxt if child != nxt else None)
                    )
        return out_t, out_target

    def _child_towards(self, scope: str | None, target: str) -> str | None:
        """The child of `scope` on the way to `target`, or None when `target` is not inside it."""
        chain = self.d.ancestors(target)
        for i, name in enumerate(chain):
            if self.d.states[name].parent == scope:
                return chain[i]
        return None

    def _arrive_final(self, state: CState, idx: Ints, t: Floats, outcome: Ints) -> None:
        self.visited[self.code[state.name], idx] = True
        if state.parent is not None:
            return
        self.finish[idx] = t
        single = self.outcomes.index(state.outcomes[0]) if len(state.outcomes) == 1 else -1
        self.outcome[idx] = np.where(outcome >= 0, outcome, single)

    def leave(
        self, state: CState, idx: Ints, t0: Floats, deadline: Floats, via: str | None
    ) -> tuple[Floats, Ints, Ints]:
        """When and where runs leave `state` (entered at t0): the earliest of all its ways out."""
        n = idx.size
        self.visited[self.code[state.name], idx] = True
        columns = self._own_candidates(state, idx, t0)
        bound = np.minimum(
            deadline, np.min([c[0] for c in columns], axis=0) if columns else deadline
        )
        if state.kind in ("compound", "parallel"):
            inner_t, inner_target = self._inner(state, idx, t0, bound, via)
            done = [t for t in state.transitions if t.trigger == f"done:{state.name}" and t.target]
            completed = inner_target == COMPLETE
            if done:
                _, targets, outcomes, alt = self._choose(done, n)
                times = np.where(completed, inner_t, np.inf)
                columns.append((times, targets, outcomes, alt, done))
            escaped = inner_target >= 0
            columns.append(
                (
                    np.where(escaped, inner_t, np.inf),
                    inner_target,
                    np.full(n, -1, dtype=np.int64),
                    np.zeros(n, dtype=np.int64),
                    [],
                )
            )
        if not columns:  # left only through an ancestor's transitions (or never)
            self._occupy(state.name, idx, t0, np.full(n, np.inf), deadline)
            return (
                np.full(n, np.inf),
                np.full(n, NEVER, dtype=np.int64),
                np.full(n, -1, dtype=np.int64),
            )
        times = np.vstack([c[0] for c in columns])
        winner = np.argmin(times, axis=0)
        rows = np.arange(n)
        t_exit = times[winner, rows]
        target = np.vstack([c[1] for c in columns])[winner, rows]
        outcome = np.vstack([c[2] for c in columns])[winner, rows]
        target = np.where(np.isfinite(t_exit) & (t_exit <= deadline), target, NEVER)
        self._record_dates(columns, winner, idx, t_exit)
        self._occupy(state.name, idx, t0, t_exit, deadline)
        return t_exit, target, outcome

    def _occupy(self, name: str, idx: Ints, t0: Floats, t_exit: Floats, deadline: Floats) -> None:
        """Time spent in a state: until it is left, or until an ancestor leaves first."""
        end = np.minimum(np.minimum(t_exit, deadline), HORIZON_DAYS)
        self.occupancy[self.code[name], idx] += np.maximum(end - t0, 0)

    def _inner(
        self, state: CState, idx: Ints, t0: Floats, bound: Floats, via: str | None
    ) -> tuple[Floats, Ints]:
        if state.kind == "compound":
            start = self._child_towards(state.name, via) if via else state.initial
            assert start is not None
            return self.walk(state.name, start, idx, t0, bound, via if via != start else None)
        complete_t = np.full(idx.size, -np.inf)
        escape_t = np.full(idx.size, np.inf)
        escape_target = np.full(idx.size, NEVER, dtype=np.int64)
        for region in state.children:
            t, target = self._inner(self.d.states[region], idx, t0, bound, None)
            self.visited[self.code[region], idx] = True
            self._occupy(region, idx, t0, t, bound)
            complete_t = np.where(target == COMPLETE, np.maximum(complete_t, t), np.inf)
            earlier = (target >= 0) & (t < escape_t)
            escape_t = np.where(earlier, t, escape_t)
            escape_target = np.where(earlier, target, escape_target)
        complete_t = np.where(np.isneginf(complete_t), np.inf, complete_t)
        escapes = escape_t < complete_t
        return np.where(escapes, escape_t, complete_t), np.where(escapes, escape_target, COMPLETE)

    # ------------------------------------------------------------------------------- candidates
    Column = tuple[Floats, Ints, Ints, Ints, list[CTransition]]

    def _own_candidates(self, state: CState, idx: Ints, t0: Floats) -> list[Column]:
        n = idx.size
        task_times = _Lazy(lambda task: t0 + self._task_days(task, n), state.tasks)
        by_trigger: dict[str, list[CTransition]] = {}
        for t in state.transitions:
            if t.target is not None and not t.trigger.startswith("done:"):
                by_trigger.setdefault(t.trigger, []).append(t)
        columns = []
        for trigger, alternatives in by_trigger.items():
            chosen_t, targets, outcomes, alt = self._choose(alternatives, n)
            times = np.full(n, np.inf)
            for i, transition in enumerate(alternatives):
                sel = alt == i
                if sel.any():
                    times[sel] = self._when(trigger, transition, task_times, sel, idx[sel], t0[sel])
            times = np.where(chosen_t, times, np.inf)
            columns.append((times, targets, outcomes, alt, alternatives))
        return columns

    def _choose(self, alternatives: list[CTransition], n: int) -> tuple[Any, Ints, Ints, Ints]:
        weights = np.array(
            [(t.simulate.weight if t.simulate and t.simulate.weight else 1.0) for t in alternatives]
        )
        if len(alternatives) > 1 and not all(
            t.simulate and t.simulate.weight for t in alternatives
        ):
            self.assumed.setdefault(
                f"w:{alternatives[0].source}:{alternatives[0].trigger}",
                f"{alternatives[0].source} on {alternatives[0].label}: equal weights",
            )
        alt = (
            self.rng.choice(len(alternatives), size=n, p=weights / weights.sum())
            if len(alternatives) > 1
            else np.zeros(n, dtype=np.int64)
        )
        happens = np.ones(n, dtype=bool)
        for i, t in enumerate(alternatives):
            p = t.simulate.probability if t.simulate and t.simulate.probability else None
            if p is not None:
                sel = alt == i
                happens[sel] = self.rng.random(int(sel.sum())) < p
        targets = np.array([self.code[t.target or ""] for t in alternatives], dtype=np.int64)[alt]
        outcomes = np.array(
            [self.outcomes.index(t.outcome) if t.outcome else -1 for t in alternatives],
            dtype=np.int64,
        )[alt]
        return happens, targets, outcomes, alt.astype(np.int64)

    def _when(
        self,
        trigger: str,
        t: CTransition,
        task_times: _Lazy,
        sel: npt.NDArray[np.bool_],
        idx: Ints,
        t0: Floats,
    ) -> Floats:
        """When `t` would fire for the runs `sel` of the batch (their ids `idx`, entered at `t0`)."""
        kind, _, name = trigger.partition(":")
        if kind == "timer":
            timer = self.d.timer(name)
            after = Duration.parse(timer.after).approx_days()
            if timer.anchor == "entry":
                return t0 + after
            anchor = self.dates.get(timer.anchor, np.full(self.runs, np.nan))[idx]
            return np.where(np.isnan(anchor), np.inf, np.maximum(t0, anchor + after))
        if t.simulate and t.simulate.median:
            return t0 + self._lognormal(t.simulate, idx.size)
        if kind == "task":
            if _needs_all_tasks(t.guard):  # the last of the state's tasks decides
                last: Floats = np.max([task_times[k][sel] for k in task_times.keys], axis=0)
                return last
            if name in task_times.keys:
                return task_times[name][sel]
            return t0 + self._task_days(name, idx.size)
        if t.simulate and t.simulate.probability:  # an event with a probability but no time
            self.assumed.setdefault(
                trigger, f"event '{name}': no median, assumed {DEFAULT_DAYS:g} days"
            )
            return t0 + DEFAULT_DAYS
        self.assumed.setdefault(trigger, f"event '{name}': no simulate assumption, assumed never")
        return np.full(idx.size, np.inf)

    def _task_days(self, task: str, n: int) -> Floats:
        spec = self.d.tasks[task]
        if spec.simulate and spec.simulate.median:
            return self._lognormal(spec.simulate, n)
        state = self.d.states[spec.state]
        fallback = spec.due or (state.kpi.expected if state.kpi else None)
        if fallback is None:
            self.assumed.setdefault(
                f"task:{task}", f"task '{task}': no assumption, median {DEFAULT_DAYS:g} days"
            )
        median = Duration.parse(fallback).approx_days() if fallback else DEFAULT_DAYS
        return median * np.exp(DEFAULT_SIGMA * self.rng.standard_normal(n))

    def _lognormal(self, spec: Simulate, n: int) -> Floats:
        median = Duration.parse(spec.median or "P1D").approx_days()
        sigma = (
            math.log(Duration.parse(spec.p90).approx_days() / median) / Z90
            if spec.p90
            else DEFAULT_SIGMA
        )
        return median * np.exp(max(sigma, 0.0) * self.rng.standard_normal(n))

    def _record_dates(self, columns: list[Column], winner: Ints, idx: Ints, t_exit: Floats) -> None:
        for c, (_, _, _, alt, transitions) in enumerate(columns):
            for i, transition in enumerate(transitions):
                for action in transition.actions:
                    if isinstance(action, SetDate):
                        sel = (winner == c) & (alt == i) & np.isfinite(t_exit)
                        self.dates.setdefault(action.date, np.full(self.runs, np.nan))[idx[sel]] = (
                            t_exit[sel]
                        )

    # ----------------------------------------------------------------------------------- report
    def report(self, seed: int) -> SimulationReport:
        finished = np.isfinite(self.finish)
        outcomes = []
        for i, name in enumerate(self.outcomes):
            sel = finished & (self.outcome == i)
            spec = self.d.outcomes[name]
            target = Duration.parse(spec.expected).approx_days() if spec.expected else None
            days = self.finish[sel]
            within = float((days <= target).mean()) if target is not None and days.size else None
            outcomes.append(
                OutcomeResult(name, spec.title, float(sel.mean()), Spread.of(days), target, within)
            )
        states = []
        for name, state in self.d.states.items():
            if state.kind == "final" or (state.parent and self.d.states[state.parent].checklist):
                continue
            seen = self.visited[self.code[name]]
            days = self.occupancy[self.code[name]][seen]
            kpi = Duration.parse(state.kpi.expected).approx_days() if state.kpi else None
            over = float((days > kpi).mean()) if kpi is not None and days.size else None
            states.append(
                StateResult(
                    name,
                    state.title,
                    state.parent is None,
                    float(seen.mean()),
                    Spread.of(days),
                    kpi,
                    over,
                )
            )
        return SimulationReport(
            definition=self.d.key,
            runs=self.runs,
            seed=seed,
            finished=float(finished.mean()),
            unfinished=int((~finished).sum()),
            outcomes=outcomes,
            states=states,
            bottleneck=_bottleneck(self.d, states),
            assumptions=sorted(self.assumed.values()),
        )


class _Lazy:
    """Task completion times of one state entry, sampled once and only when a transition needs them."""

    def __init__(self, sample: Callable[[str], Floats], keys: Iterable[str]) -> None:
        self.sample, self.keys = sample, tuple(keys)
        self.cache: dict[str, Floats] = {}

    def __getitem__(self, task: str) -> Floats:
        if task not in self.cache:
            self.cache[task] = self.sample(task)
        return self.cache[task]


def _needs_all_tasks(guard: Guard | None) -> bool:
    if isinstance(guard, AllTasksDone):
        return True
    return isinstance(guard, AllOf) and any(_needs_all_tasks(g) for g in guard.of)


def _bottleneck(d: CompiledDefinition, states: list[StateResult]) -> str | None:
    """Where trajectories lose the most time: the working state (a leaf, or a checklist as a whole)
    with the largest mean time spent per run. Loops that run alongside the trajectory until it is
    left (ongoing coaching, a help desk) do not hold it up, so they don't count."""
    candidates = [
        s
        for s in states
        if s.days
        and (d.states[s.state].checklist or not d.states[s.state].children)
        and not _background_loop(d, s.state)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda s: s.visited * (s.days.mean if s.days else 0.0)).state


def _background_loop(d: CompiledDefinition, name: str) -> bool:
    """A state on a cycle inside a parallel region that has no final state."""
    region = next(
        (
            a
            for a in d.ancestors(name)
            if d.states[a].parent and d.states[d.states[a].parent or ""].kind == "parallel"
        ),
        None,
    )
    if region is None or any(d.states[c].kind == "final" for c in d.states[region].children):
        return False
    inside = {n for n, st in d.states.items() if region in d.ancestors(n)}
    seen, todo = set(), [name]
    while todo:
        for t in d.states[todo.pop()].transitions:
            if t.target in inside and t.target not in seen:
                if t.target == name:
                    return True
                seen.add(t.target)
                todo.append(t.target)
    return False


# -------------------------------------------------------------------------------------- text
def format_report(report: SimulationReport) -> str:
    lines = [
        f"{report.definition}: {report.runs:,} simulated trajectories (seed {report.seed}), "
        f"{report.finished:.1%} finished within {HORIZON_DAYS / 365.25:.0f} years",
        "",
        f"{'outcome':<28}{'share':>7}{'median':>9}{'p80':>9}{'p95':>9}{'target':>9}{'on time':>9}",
    ]
    for o in report.outcomes:
        d = o.days
        lines.append(
            f"{o.outcome:<28}{o.share:>7.1%}{_months(d.median if d else None):>9}"
            f"{_months(d.p80 if d else None):>9}{_months(d.p95 if d else None):>9}"
            f"{_months(o.target_days):>9}{_pct(o.within_target):>9}"
        )
    lines += [
        "",
        f"{'state (time spent)':<34}{'visited':>8}{'median':>9}{'p80':>9}{'p95':>9}{'KPI':>9}{'over':>7}",
    ]
    for s in report.states:
        d = s.days
        name = ("" if s.phase else "  ") + s.state
        lines.append(
            f"{name:<34}{s.visited:>8.0%}{_months(d.median if d else None):>9}"
            f"{_months(d.p80 if d else None):>9}{_months(d.p95 if d else None):>9}"
            f"{_months(s.kpi_days):>9}{_pct(s.over_kpi):>7}"
        )
    lines += ["", f"bottleneck: {report.bottleneck or '-'}"]
    if report.unfinished:
        lines.append(f"unfinished: {report.unfinished} runs did not reach a final state")
    if report.assumptions:
        lines += ["", "assumed (add `simulate` to the definition to say otherwise):"]
        lines += [f"  - {a}" for a in report.assumptions]
    return "\n".join(lines)


def _months(days: float | None) -> str:
    if days is None:
        return "-"
    return f"{days:.0f}d" if days < 60 else f"{days / (365.25 / 12):.1f}m"


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"
