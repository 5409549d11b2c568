"""Monte Carlo throughput times of a compiled definition, vectorised over runs with numpy.

Competing risks: when runs enter a state at t0, each of its ways out gets a sampled time and the
earliest wins.
- A task completes after the transition's own `simulate` (lognormal: median, and p90 for the spread),
  else the task's, else the state's, else the task's `due` as median, else the state's KPI, else
  7 days (sigma 0.5 without a p90). One draw per task per entry, shared by every transition on it.
- A timer fires `after` its state's entry or a case date. A date the trajectory sets itself (a
  `set_date` action, an event's `sets_date`) counts once set; any other is taken as the start.
  An escalation's `goto` counts only if its task is still open by then.
- An outside event happens only with a `simulate` assumption; without one it never does.
- A compound state completes when its inner walk reaches a final child, a parallel state when its
  last region does; a transition inside it may also lead out of it first.
A state's own ways out bound the walk inside it: an ancestor's transition ends its substates.
`all_tasks_done` guards are evaluated; other guards are stood in for by choosing among a trigger's
alternatives by `simulate.weight`, and `probability` gates the chosen one. Whatever was assumed for
lack of data is listed in the report.

Not modelled: a region's own ways out once it has completed (it waits for the others); a date set
while a state is active (its timers were placed on entry); actions of internal transitions.

Each run's throughput time is split over the states whose own ways out decided it (a compound
state's substates when it completed, the slowest region of a parallel state): the bottleneck is the
state with the largest share.

Runs move in batches grouped by state, so 100,000 trajectories cost a few numpy calls per state and
step, not a Python loop per run. Pure: no I/O, no clock; randomness only from the seeded generator.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from traject.definition.compiled import CompiledDefinition, CState, CTransition
from traject.definition.duration import DAYS_PER_MONTH, Duration
from traject.definition.model import AllOf, AllTasksDone, Guard, SetDate, Simulate
from traject.simulate_termijnen import TermijnStats, length_days, termijn_stats

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
NEVER, COMPLETE = -1, -2  # targets that are not states: stuck (or cut off), region completed
HORIZON_DAYS = 20 * 365.25  # a run not finished after 20 simulated years counts as unfinished
MAX_ROUNDS = 1000  # steps per walk: a cycle that outlives this leaves its runs unfinished
DEFAULT_DAYS = 7.0
DEFAULT_SIGMA = 0.5
Z90 = 1.2815515655446004  # the standard normal's 90th percentile


# ---------------------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Spread:
    mean: float
    median: float
    p80: float
    p95: float

    @classmethod
    def of(cls, values: Floats, scale: float = 1.0) -> Spread | None:
        if values.size == 0:
            return None
        p50, p80, p95 = np.percentile(values, [50, 80, 95]) / scale
        return cls(float(values.mean() / scale), float(p50), float(p80), float(p95))


@dataclass(frozen=True)
class OutcomeStats:
    outcome: str  # "-" for runs that finished without an outcome
    title: str
    runs: int
    share: float  # of all runs
    days: Spread | None  # throughput time from the start
    months: Spread | None  # the same, for display
    target_days: float | None  # the outcome's `expected`
    within_target: float | None  # share of this outcome's runs that made it


@dataclass(frozen=True)
class StateStats:
    state: str
    title: str
    phase: str  # the top-level state it lies in (itself for a phase)
    depth: int
    visits: int  # runs that entered it at least once
    days: Spread | None  # time spent in it, summed over re-entries, over the runs that entered it
    kpi_days: float | None
    over_kpi: float | None  # share of entering runs that spent longer than the KPI
    # Mean days per finished run during which this state's own ways out (its tasks, timers, events),
    # not its substates', decided when the run moved on: its part of the throughput time.
    decided_days: float


@dataclass(frozen=True)
class SimulationReport:
    definition: str
    title: str
    runs: int
    seed: int
    horizon_days: float
    finished: float  # share of runs that reached a final state within the horizon
    unfinished: int
    throughput: Spread | None  # days, over the finished runs
    outcomes: tuple[OutcomeStats, ...]
    phases: tuple[StateStats, ...]  # top-level states
    states: tuple[StateStats, ...]  # the states inside them, in tree order
    bottleneck: str | None  # the state with the largest `decided_days`
    assumptions: tuple[str, ...]  # what was defaulted for lack of `simulate` data
    termijnen: tuple[TermijnStats, ...] = ()  # how often each legal deadline is missed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def simulate(definition: CompiledDefinition, runs: int, seed: int) -> SimulationReport:
    if runs < 1:
        raise ValueError("runs must be at least 1")
    sim = _Sim(definition, runs, np.random.default_rng(seed))
    everyone = np.arange(runs)
    start = _Group(everyone, np.zeros(runs), np.full(runs, -1), np.full(runs, -1))
    sim.walk(None, {definition.initial: [start]}, everyone, np.full(runs, HORIZON_DAYS))
    return _report(sim, seed)


# ------------------------------------------------------------------------------------ simulation
class _Group(NamedTuple):
    pos: Ints  # positions in the walk's batch
    t: Floats  # entry times
    via: Ints  # the deeper state a transition aimed at (-1: enter the initial child)
    outcome: Ints  # the outcome of the transition that led here (-1: none)


def _merge(groups: list[_Group], deadline: Floats) -> _Group:
    """One batch of the runs entering a state this round, less those cut off already (an
    ancestor left before they got here)."""
    pos = np.concatenate([g.pos for g in groups])
    t = np.concatenate([g.t for g in groups])
    keep = t < deadline[pos]
    via = np.concatenate([g.via for g in groups])[keep]
    return _Group(pos[keep], t[keep], via, np.concatenate([g.outcome for g in groups])[keep])


class _Span:
    """Runs `idx` were in state `code` from `start` to `end` (trimmed when an ancestor ends it)."""

    def __init__(self, code: int, idx: Ints, start: Floats, end: Floats) -> None:
        self.code, self.idx, self.start, self.end = code, idx, start, end


class _Column(NamedTuple):
    """One way out for a batch: when, where to, with what outcome, and which transition."""

    time: Floats
    target: Ints
    outcome: Ints
    alts: tuple[CTransition, ...] = ()
    choice: Ints | None = None


class _Sim:
    def __init__(self, d: CompiledDefinition, runs: int, rng: np.random.Generator) -> None:
        self.d, self.runs, self.rng = d, runs, rng
        self.names = list(d.states)
        self.code = {name: i for i, name in enumerate(self.names)}
        self.outcome_names = list(d.outcomes)
        self.finish = np.full(runs, np.inf)
        self.outcome = np.full(runs, -1, dtype=np.int64)
        # A case date the trajectory sets itself is unknown until then; any other is taken as
        # known from the start (as if given when the case was opened).
        self.later = _dates_set_later(d)
        self.dates = {n: np.full(runs, np.nan if n in self.later else 0.0) for n in d.case_dates}
        self.spent: list[_Span] = []
        self.decided: list[_Span] = []
        self.scratch = np.zeros(runs)
        self.notes: set[str] = set()
        self.towards: dict[tuple[str | None, int], str | None] = {}

    def walk(
        self, scope: str | None, entries: dict[str, list[_Group]], idx: Ints, deadline: Floats
    ) -> tuple[Floats, Ints, Ints]:
        """Move a batch (run ids `idx`) through the children of `scope` in rounds, grouped by state,
        until each run completes the scope, leaves it (the target's code) or is cut off (NEVER)."""
        out_t, out_to = np.full(idx.size, np.inf), np.full(idx.size, NEVER, dtype=np.int64)
        out_oc = np.full(idx.size, -1, dtype=np.int64)
        pending = entries
        for _ in range(MAX_ROUNDS):
            if not pending:
                break
            current, pending = pending, {}
            for name, groups in current.items():
                g = _merge(groups, deadline)
                if g.pos.size == 0:
                    continue
                state = self.d.states[name]
                if state.kind == "final":
                    self._arrive(state, idx[g.pos], g.t, g.outcome)
                    out_t[g.pos], out_to[g.pos] = g.t, COMPLETE
                    continue
                t, to, oc = self.leave(state, idx[g.pos], g.t, deadline[g.pos], g.via)
                out_t[g.pos], out_to[g.pos], out_oc[g.pos] = t, to, oc
                for code in np.unique(to[to >= 0]).tolist():
                    child = self._towards(scope, code)
                    if child is not None:  # the target lies inside the scope: walk on
                        sel = to == code
                        via = np.full(int(sel.sum()), code if child != self.names[code] else -1)
                        pending.setdefault(child, []).append(
                            _Group(g.pos[sel], t[sel], via, oc[sel])
                        )
                        out_t[g.pos[sel]], out_to[g.pos[sel]] = np.inf, NEVER
        return out_t, out_to, out_oc

    def _towards(self, scope: str | None, code: int) -> str | None:
        """The child of `scope` on the way to state `code`; None when `code` is not inside it."""
        key = (scope, code)
        if key not in self.towards:
            chain = self.d.ancestors(self.names[code])
            self.towards[key] = next((a for a in chain if self.d.states[a].parent == scope), None)
        return self.towards[key]

    def _arrive(self, state: CState, idx: Ints, t: Floats, outcome: Ints) -> None:
        self.spent.append(_Span(self.code[state.name], idx, t, t))
        if state.parent is None:
            self.finish[idx] = t
            # like the machine: the last transition's outcome, else the state's only one
            single = self.outcome_names.index(state.outcomes[0]) if len(state.outcomes) == 1 else -1
            self.outcome[idx] = np.where(outcome >= 0, outcome, single)

    def leave(
        self, state: CState, idx: Ints, t0: Floats, deadline: Floats, via: Ints
    ) -> tuple[Floats, Ints, Ints]:
        """When runs entering `state` at t0 leave it, to where, with which outcome."""
        n, entry = idx.size, _Entry(self, state, idx, t0)
        self._set_dates(state.on_entry, idx, t0)
        columns = [self._column(state, alts, entry) for alts in _by_trigger(state)]
        own = len(columns)
        first_decided = len(self.decided)
        if state.children:
            bound = np.min([deadline, *(c.time for c in columns)], axis=0)
            inner = self._parallel if state.kind == "parallel" else self._compound
            t, to, oc = inner(state, idx, t0, bound, via)
            columns.append(_Column(np.where(to >= 0, t, np.inf), to, oc))
            completed = np.where(to == COMPLETE, t, np.inf)
            done = tuple(t for t in state.transitions if t.trigger == f"done:{state.name}")
            if done:
                columns.append(self._column(state, done, entry, completed))
            elif state.parent and self.d.states[state.parent].kind == "parallel":
                columns.append(_Column(completed, np.full(n, COMPLETE), np.full(n, -1)))
        if not columns:
            columns.append(_Column(np.full(n, np.inf), np.full(n, NEVER), np.full(n, -1)))
        times = np.vstack([c.time for c in columns])
        win, rows = np.argmin(times, axis=0), np.arange(n)
        t_exit = times[win, rows]
        ok = t_exit <= deadline
        t_exit = np.where(ok, t_exit, np.inf)
        target = np.where(ok, np.vstack([c.target for c in columns])[win, rows], NEVER)
        outcome = np.vstack([c.outcome for c in columns])[win, rows]
        self.spent.append(_Span(self.code[state.name], idx, t0, np.minimum(t_exit, deadline)))
        mine = ok & (win < own)
        if state.children:  # the state's own way out decided: the walk inside it did not
            self._trim(self.decided, first_decided, idx, np.where(mine, -np.inf, np.inf))
        parent = self.d.states[state.parent] if state.parent else None
        decider = self.code[parent.name if parent and parent.checklist else state.name]
        self.decided.append(_Span(decider, idx[mine], t0[mine], t_exit[mine]))
        self._record_dates(columns, win, idx, t_exit, ok)
        self._set_dates(state.on_exit, idx[ok], t_exit[ok])
        return t_exit, target, outcome

    def _compound(
        self, state: CState, idx: Ints, t0: Floats, bound: Floats, via: Ints
    ) -> tuple[Floats, Ints, Ints]:
        entries: dict[str, list[_Group]] = {}
        for code in np.unique(via).tolist():
            sel = via == code
            start = state.initial if code < 0 else self._towards(state.name, code)
            assert start is not None
            deeper = -1 if code < 0 or self.names[code] == start else code
            size = int(sel.sum())
            group = _Group(np.flatnonzero(sel), t0[sel], np.full(size, deeper), np.full(size, -1))
            entries.setdefault(start, []).append(group)
        return self.walk(state.name, entries, idx, bound)

    def _parallel(
        self, state: CState, idx: Ints, t0: Floats, bound: Floats, via: Ints
    ) -> tuple[Floats, Ints, Ints]:
        """Regions run side by side: done when the last completes, left when the first leads out."""
        n, everyone = idx.size, np.arange(idx.size)
        done_t, done_by = np.full(n, -np.inf), np.full(n, -1)
        out_t, out_to = np.full(n, np.inf), np.full(n, NEVER, dtype=np.int64)
        out_oc, out_by = np.full(n, -1, dtype=np.int64), np.full(n, -1)
        first_spent, spans = len(self.spent), []
        for k, region in enumerate(state.children):
            # runs aimed at a state inside this region enter it there (via -1 picks the last
            # entry, the region itself: those start at its initial state)
            inside = np.array([region in self.d.ancestors(s) for s in [*self.names, region]])
            group = _Group(everyone, t0, np.where(inside[via], via, -1), np.full(n, -1))
            start = len(self.decided)
            t, to, oc = self.walk(state.name, {region: [group]}, idx, np.minimum(bound, out_t))
            spans.append((start, len(self.decided)))
            complete = to == COMPLETE
            done_by = np.where(complete & (t >= done_t), k, done_by)
            done_t = np.where(complete, np.maximum(done_t, t), np.inf)
            first = (to >= 0) & (t < out_t)
            out_t, out_to = np.where(first, t, out_t), np.where(first, to, out_to)
            out_oc, out_by = np.where(first, oc, out_oc), np.where(first, k, out_by)
        self._trim(self.spent, first_spent, idx, out_t)  # regions walked before a region led out
        done = np.isfinite(done_t) & (done_t < out_t)
        decider = np.where(done, done_by, out_by)  # the critical region
        for k, (start, end) in enumerate(spans):
            self._trim(self.decided, start, idx, np.where(decider == k, np.inf, -np.inf), end)
        return (
            np.where(done, done_t, out_t),
            np.where(done, COMPLETE, out_to),
            np.where(done, -1, out_oc),
        )

    def _trim(
        self, log: list[_Span], first: int, idx: Ints, until: Floats, last: int | None = None
    ) -> None:
        """End the spans logged since `first` for runs `idx` at `until`; drop those begun after."""
        self.scratch[idx] = until
        for span in log[first:last]:
            limit = self.scratch[span.idx]
            keep = span.start <= limit
            span.idx, span.start = span.idx[keep], span.start[keep]
            span.end = np.minimum(span.end[keep], limit[keep])

    # ------------------------------------------------------------------------------- ways out
    def _column(
        self,
        state: CState,
        alts: tuple[CTransition, ...],
        entry: _Entry,
        base: Floats | None = None,
    ) -> _Column:
        """The way out on one trigger: a time per run for the alternative each run takes."""
        times = self._alt_times(state, alts, entry, base)
        choice = self._choose(state, alts, times, entry)
        time = np.full(entry.n, np.inf)
        for i, t in enumerate(alts):
            sel = choice == i
            if t.target is None or not sel.any():
                continue  # an internal transition does not move the state
            p = t.simulate.probability if t.simulate else None
            if p is not None and p < 1:
                sel &= self.rng.random(entry.n) < p
            time[sel] = times[i][sel]
        targets = np.array([self.code[t.target] if t.target else NEVER for t in alts] + [NEVER])
        outcomes = [self.outcome_names.index(t.outcome) if t.outcome else -1 for t in alts]
        return _Column(time, targets[choice], np.array([*outcomes, -1])[choice], alts, choice)

    def _alt_times(
        self, state: CState, alts: tuple[CTransition, ...], entry: _Entry, base: Floats | None
    ) -> list[Floats]:
        """When each alternative would happen: its own assumption for a task or event, else the
        trigger's time (the task's completion, the timer, the completion of the state)."""
        kind = alts[0].trigger.split(":", 1)[0]
        shared, times = base, []
        for t in alts:
            if kind in ("task", "event") and t.simulate and t.simulate.median:
                what = f"transition {state.name} on {t.label}"
                times.append(entry.t0 + self._lognormal(t.simulate, entry.n, what))
                continue
            if shared is None:
                shared = self._trigger_time(state, alts, entry)
            times.append(shared)
        return times

    def _trigger_time(self, state: CState, alts: tuple[CTransition, ...], entry: _Entry) -> Floats:
        kind, _, name = alts[0].trigger.partition(":")
        if kind == "task":
            return entry.task(name)
        if kind == "timer":
            timer = self.d.timer(name)
            due = entry.t0 + _days(timer.after)
            if timer.kind == "escalation" and timer.task:  # only while the task is still open
                return np.where(entry.task(timer.task) > due, due, np.inf)
            if any(t.guard and not (t.simulate and t.simulate.probability) for t in alts):
                self.notes.add(f"timer {timer.id}: guard assumed to hold when it fires")
            if timer.anchor == "entry":
                return due
            known = "once set" if timer.anchor in self.later else "taken as the start"
            self.notes.add(f"timer {timer.id}: counts from {timer.anchor}, {known}")
            anchor = self.dates[timer.anchor][entry.idx] + _days(timer.after)
            return np.where(np.isnan(anchor), np.inf, np.maximum(entry.t0, anchor))
        if kind == "termijn":
            return self._termijn_expiry(state, name, entry)
        if not any(t.simulate for t in alts):
            self.notes.add(f"event {name} in {state.name}: no simulate, assumed not to happen")
            return np.full(entry.n, np.inf)
        return entry.t0 + self._fallback(state, f"event {name} in {state.name}", entry.n)

    def _termijn_expiry(self, state: CState, name: str, entry: _Entry) -> Floats:
        """A termijn expires the day after its last day: from its case date, or from this state's
        entry when it starts there (otherwise its start is not known here)."""
        t = self.d.termijnen[name]
        days = length_days(t.length) + 1
        if t.start_kind == "date":
            start = self.dates[t.start][entry.idx]
            return np.where(np.isnan(start), np.inf, np.maximum(entry.t0, start + days))
        if t.start_kind == "state" and t.start in self.d.ancestors(state.name):
            return entry.t0 + days
        self.notes.add(f"termijn {name} in {state.name}: its start is not dated here")
        return np.full(entry.n, np.inf)

    def _choose(
        self, state: CState, alts: tuple[CTransition, ...], times: list[Floats], entry: _Entry
    ) -> Ints:
        """Which alternative each run takes (-1: none). The machine takes the first whose guard
        holds: `all_tasks_done` is known per run; other guards are stood in for by weights."""
        n = entry.n
        holds = [entry.all_done_by(times[i]) if _checks_tasks(t.guard) else None
                 for i, t in enumerate(alts)]  # fmt: skip
        if len(alts) == 1:
            return np.zeros(n, np.int64) if holds[0] is None else np.where(holds[0], 0, -1)
        certain = [t.guard is None or _only_tasks(t.guard) for t in alts]
        if not all(certain) and any(not (t.simulate and t.simulate.weight) for t in alts):
            self.notes.add(f"{state.name} on {alts[0].label}: alternatives without weight, equal")
        weights = np.zeros((len(alts), n))
        taken = np.zeros(n, bool)  # an earlier alternative certainly applies
        for i, t in enumerate(alts):
            applies = ~taken if holds[i] is None else holds[i] & ~taken
            weights[i] = (t.simulate.weight if t.simulate and t.simulate.weight else 1.0) * applies
            taken |= applies & certain[i]
        cumulative = np.cumsum(weights, axis=0)
        draw = self.rng.random(n) * cumulative[-1]
        choice = (cumulative <= draw).sum(axis=0)
        return np.where(cumulative[-1] > 0, choice, -1).astype(np.int64)

    def task_days(self, name: str, n: int) -> Floats:
        task = self.d.tasks[name]
        state = self.d.states[task.state]
        what = f"task {name}"
        for spec in (task.simulate, state.simulate):
            if spec and spec.median:
                return self._lognormal(spec, n, what)
        if task.due:
            self.notes.add(
                f"{what}: no simulate, median = its due {task.due}, sigma {DEFAULT_SIGMA}"
            )
            return _days(task.due) * np.exp(DEFAULT_SIGMA * self.rng.standard_normal(n))
        return self._fallback(state, what, n)

    def _fallback(self, state: CState, what: str, n: int) -> Floats:
        median = state.kpi.expected if state.kpi else None
        said = f"the KPI of {state.name} ({median})" if median else f"{DEFAULT_DAYS:g} days"
        self.notes.add(f"{what}: no median, assumed {said}, sigma {DEFAULT_SIGMA}")
        days = _days(median) if median else DEFAULT_DAYS
        return days * np.exp(DEFAULT_SIGMA * self.rng.standard_normal(n))

    def _lognormal(self, spec: Simulate, n: int, what: str) -> Floats:
        median = _days(spec.median or "P1D")
        if spec.p90:
            sigma = max(math.log(_days(spec.p90) / median) / Z90, 0.0)
        else:
            self.notes.add(f"{what}: no p90, sigma {DEFAULT_SIGMA}")
            sigma = DEFAULT_SIGMA
        return median * np.exp(sigma * self.rng.standard_normal(n))

    # ----------------------------------------------------------------------------- case dates
    def _set_dates(self, actions: tuple[Any, ...], idx: Ints, t: Floats) -> None:
        for action in actions:
            if isinstance(action, SetDate):
                self.dates[action.date][idx] = t

    def _record_dates(
        self, columns: list[_Column], win: Ints, idx: Ints, t_exit: Floats, ok: Bools
    ) -> None:
        for c, column in enumerate(columns):
            for i, t in enumerate(column.alts):
                kind, _, name = t.trigger.partition(":")
                dates = [a.date for a in t.actions if isinstance(a, SetDate)]
                dates += [self.d.events[name]] if kind == "event" and self.d.events[name] else []
                if dates and column.choice is not None:
                    sel = ok & (win == c) & (column.choice == i)
                    for date in dates:
                        self.dates[date][idx[sel]] = t_exit[sel]


class _Entry:
    """A batch entering a state: its tasks' completion times, drawn once and shared."""

    def __init__(self, sim: _Sim, state: CState, idx: Ints, t0: Floats) -> None:
        self.sim, self.state, self.idx, self.t0, self.n = sim, state, idx, t0, idx.size
        self.tasks: dict[str, Floats] = {}
        self.last: Floats | None = None

    def task(self, name: str) -> Floats:
        if name not in self.tasks:
            self.tasks[name] = self.t0 + self.sim.task_days(name, self.n)
        return self.tasks[name]

    def all_done_by(self, t: Floats) -> Bools:
        if self.last is None:
            done = [self.task(k) for k in self.state.tasks]
            self.last = np.max(done, axis=0) if done else np.full(self.n, -np.inf)
        return self.last <= t


def _by_trigger(state: CState) -> list[tuple[CTransition, ...]]:
    """A state's transitions grouped by trigger, in order; completions are handled apart."""
    groups: dict[str, list[CTransition]] = {}
    for t in state.transitions:
        if not t.trigger.startswith("done:"):
            groups.setdefault(t.trigger, []).append(t)
    return [tuple(g) for g in groups.values() if any(t.target is not None for t in g)]


def _checks_tasks(guard: Guard | None) -> bool:
    if isinstance(guard, AllOf):
        return any(_checks_tasks(g) for g in guard.of)
    return isinstance(guard, AllTasksDone)


def _only_tasks(guard: Guard) -> bool:
    if isinstance(guard, AllOf):
        return all(_only_tasks(g) for g in guard.of)
    return isinstance(guard, AllTasksDone)


def _dates_set_later(d: CompiledDefinition) -> set[str]:
    """Case dates set by a state's entry or exit, or by a transition that moves the trajectory."""
    later = set()
    for state in d.states.values():
        moving = [t for t in state.transitions if t.target is not None]
        for t in moving:
            kind, _, name = t.trigger.partition(":")
            later |= {d.events[name]} if kind == "event" and d.events[name] else set()
        actions = (*state.on_entry, *state.on_exit, *(a for t in moving for a in t.actions))
        later |= {a.date for a in actions if isinstance(a, SetDate)}
    return later


@lru_cache(maxsize=256)
def _days(text: str) -> float:
    return Duration.parse(text).approx_days()


def _report(sim: _Sim, seed: int) -> SimulationReport:
    finished = np.isfinite(sim.finish)
    outcomes = [_outcome(sim, i, name, finished) for i, name in enumerate(sim.outcome_names)]
    if (finished & (sim.outcome < 0)).any():
        outcomes.append(_outcome(sim, -1, "-", finished))
    termijnen = termijn_stats(
        sim.d, sim.spent, sim.code, sim.dates, sim.finish, HORIZON_DAYS, sim.notes
    )
    spent, decided = _per_run(sim.spent, sim.runs), _per_run(sim.decided, sim.runs)
    states = [_state(sim, name, spent, decided, finished) for name in _tree(sim.d)]
    working = [s for s in states if s.decided_days > 0]
    return SimulationReport(
        definition=sim.d.key,
        title=sim.d.title,
        runs=sim.runs,
        seed=seed,
        horizon_days=HORIZON_DAYS,
        finished=float(finished.mean()),
        unfinished=int((~finished).sum()),
        throughput=Spread.of(sim.finish[finished]),
        outcomes=tuple(outcomes),
        phases=tuple(s for s in states if s.depth == 0),
        states=tuple(s for s in states if s.depth > 0),
        bottleneck=max(working, key=lambda s: s.decided_days).state if working else None,
        termijnen=termijnen,
        assumptions=tuple(sorted(sim.notes)),
    )


def _outcome(sim: _Sim, i: int, name: str, finished: Bools) -> OutcomeStats:
    sel = finished & (sim.outcome == i)
    spec = sim.d.outcomes.get(name)
    target = _days(spec.expected) if spec and spec.expected else None
    days = sim.finish[sel]
    within = float((days <= target).mean()) if target is not None and days.size else None
    title = spec.title if spec else "finished without an outcome"
    spread, months = Spread.of(days), Spread.of(days, DAYS_PER_MONTH)
    return OutcomeStats(
        name, title, int(sel.sum()), float(sel.mean()), spread, months, target, within
    )


def _per_run(log: list[_Span], runs: int) -> dict[int, tuple[Floats, Bools]]:
    """Per state: each run's total days in it, and whether it was there at all."""
    by_state: dict[int, list[_Span]] = {}
    for span in log:
        by_state.setdefault(span.code, []).append(span)
    totals = {}
    for code, spans in by_state.items():
        idx = np.concatenate([s.idx for s in spans])
        days = np.bincount(idx, np.concatenate([s.end - s.start for s in spans]), runs)
        totals[code] = (np.asarray(days, np.float64), np.bincount(idx, minlength=runs) > 0)
    return totals


def _state(
    sim: _Sim,
    name: str,
    spent: dict[int, tuple[Floats, Bools]],
    decided: dict[int, tuple[Floats, Bools]],
    finished: Bools,
) -> StateStats:
    state, code = sim.d.states[name], sim.code[name]
    days, seen = spent.get(code, (np.zeros(sim.runs), np.zeros(sim.runs, bool)))
    days = days[seen]
    kpi = _days(state.kpi.expected) if state.kpi else None
    over = float((days > kpi).mean()) if kpi is not None and days.size else None
    own = float(decided[code][0][finished].mean()) if code in decided and finished.any() else 0.0
    chain = sim.d.ancestors(name)
    visits, spread = int(seen.sum()), Spread.of(days)
    return StateStats(name, state.title, chain[-1], len(chain) - 1, visits, spread, kpi, over, own)


def _tree(d: CompiledDefinition) -> list[str]:
    """Non-final states, parents before their children; a checklist's inner states left out."""

    def visit(name: str) -> list[str]:
        state = d.states[name]
        if state.kind == "final":
            return []
        inner = () if state.checklist else state.children
        return [name, *(n for child in inner for n in visit(child))]

    return [n for top in d.top_level() for n in visit(top.name)]


# ------------------------------------------------------------------------------------------ text
def format_report(report: SimulationReport) -> str:
    """A plain-text table for the command line (times: days below 60, else months)."""
    total = report.throughput
    lines = [
        f"{report.title} ({report.definition}): {report.runs:,} runs, seed {report.seed}; "
        f"{report.finished:.1%} finished within {report.horizon_days / 365.25:.0f} years",
        f"throughput (median, p80, p95):{_cells(total)}   (d: days, mo: months)",
        "",
        f"{'outcome':<30}{'share':>7}{'median':>8}{'p80':>8}{'p95':>8}{'target':>8}{'on time':>9}",
    ]
    for o in report.outcomes:
        lines.append(
            f"{o.outcome:<30}{o.share:>7.1%}{_cells(o.days)}{_time(o.target_days):>8}"
            f"{_share(o.within_target):>9}"
        )
    lines += [
        "",
        f"{'state (time spent)':<34}{'runs':>8}{'mean':>8}{'median':>8}{'p80':>8}{'p95':>8}"
        f"{'KPI':>8}{'over':>6}{'decides':>9}",
    ]
    for p in report.phases:
        for s in (p, *(s for s in report.states if s.phase == p.state)):
            decides = s.decided_days / total.mean if total and s.decided_days else None
            lines.append(
                f"{'  ' * s.depth + s.state:<34}{s.visits:>8,}{_cells(s.days, 'mean median p80 p95')}"
                f"{_time(s.kpi_days):>8}{_share(s.over_kpi):>6}{_share(decides):>9}"
            )
    lines += ["", f"bottleneck: {report.bottleneck or '-'} ('decides': the share of the throughput "
              "time that a state's own tasks, timers and events took)"]  # fmt: skip
    if report.unfinished:
        lines.append(f"unfinished: {report.unfinished:,} runs reached no final state")
    if report.termijnen:
        lines += ["", f"{'termijn':<30}{'length':>8}{'started':>9}{'missed':>8}{'met after':>11}"]
        for tj in report.termijnen:
            lines.append(
                f"{tj.termijn:<30}{_time(tj.length_days):>8}{tj.started:>9,}"
                f"{_share(tj.missed):>8}{_time(tj.met_median_days):>11}"
            )
    if report.assumptions:
        lines += [
            "",
            "assumed for lack of `simulate` data:",
            *(f"  - {a}" for a in report.assumptions),
        ]
    return "\n".join(lines)


def _cells(spread: Spread | None, fields: str = "median p80 p95") -> str:
    return "".join(f"{_time(getattr(spread, f) if spread else None):>8}" for f in fields.split())


def _time(days: float | None) -> str:
    if days is None:
        return "-"
    return f"{days:.0f}d" if days < 60 else f"{days / DAYS_PER_MONTH:.1f}mo"  # "m" reads as minutes


def _share(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"
