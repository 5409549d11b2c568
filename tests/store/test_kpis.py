"""Dashboard numbers against a seeded read model, on SQLite and PostgreSQL.

A generator writes a few hundred random (seeded) Wet inburgering cases straight into the read
model, keeping its own plain-Python account of what it wrote (`Spec`). Every expected figure is
computed from that account by brute force here — never with the code under test — and compared
with what `traject.store.kpis*` gets from SQL. Another municipality and another definition get
cases too: they must never be counted.
"""

from __future__ import annotations

import importlib
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy
import pytest
from sqlalchemy.orm import Session

from tests.conftest import DEFINITIONS
from traject import kpi
from traject.definition import compile_file
from traject.store import kpis, kpis_cases, kpis_wi
from traject.store import repositories as repo
from traject.store.models import (
    Case,
    CaseDate,
    DefinitionVersion,
    Escalation,
    LadderMeasurement,
    Task,
    TimelineEvent,
)

# The rows are written straight into the read model, not by the step recorder, so the dashboard's
# aggregates are filled as migrations 0005 and 0007 fill them for an upgraded store.
AGGREGATES = importlib.import_module("traject.store.migrations.versions.0005_dashboard_aggregates")
STAY_DAYS = importlib.import_module("traject.store.migrations.versions.0007_stay_days")
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
PERIOD = kpi.Period(date(2025, 1, 1), date(2025, 6, 30))
WI = compile_file(DEFINITIONS / "wi2021.yaml")
LEAVES = [
    "brede_intake",
    "leerbaarheidstoets",
    "pip_opstellen",
    "b1_route",
    "z_route",
    "pvt_volgen",
    "map_volgen",
    "duo_besluit",
]
ROLES = ["klantmanager", "taalaanbieder", "coach"]
OUTCOMES = ["inburgeringsplicht_voldaan", "termijn_verlopen", "ontheffing", "verhuisd"]


@dataclass
class Spec:
    """One seeded case, as the generator meant it."""

    id: str
    version: int  # 1 or 2 of wi2021 in municipality "alfa"
    started: datetime
    status: str = "running"
    states: list[str] = field(default_factory=list)
    outcome: str | None = None
    finished: datetime | None = None
    progress: datetime | None = None
    visits: list[tuple[str, datetime, datetime | None]] = field(default_factory=list)
    ladder: list[tuple[datetime, int]] = field(default_factory=list)
    tasks: list[dict[str, object]] = field(default_factory=list)
    escalations: list[tuple[str, str, datetime, bool]] = field(default_factory=list)
    dates: dict[str, date] = field(default_factory=dict)
    reports: list[tuple[str, str, datetime]] = field(default_factory=list)  # kind, subject, at


def at(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    return lo + timedelta(seconds=rng.uniform(0, max((hi - lo).total_seconds(), 0)))


def make_spec(rng: random.Random, i: int) -> Spec:
    started = NOW - timedelta(days=rng.uniform(1, 1300), hours=rng.randint(0, 23))
    spec = Spec(f"k{i:04d}", rng.choice([1, 1, 2]), started)
    t = started
    for _ in range(rng.randint(1, 6)):  # stays, revisits allowed: pairing must follow the order
        state = rng.choice(LEAVES)
        if spec.visits:
            last, entered, _ = spec.visits[-1]
            spec.visits[-1] = (last, entered, t)
        spec.visits.append((state, t, None))
        # some stays last whole days (the histogram's bucket edges), a few no time at all
        stay = rng.choice((rng.uniform(0.5, 200), float(rng.randint(1, 200)), 0.0, 1.0))
        t = t + timedelta(days=stay)
        if t > NOW:
            break
    spec.progress = spec.visits[-1][1]
    roll = rng.random()
    if roll < 0.35 and t < NOW:
        state, entered, _ = spec.visits[-1]
        spec.visits[-1] = (state, entered, t)
        spec.status, spec.finished, spec.outcome = "finished", t, rng.choice(OUTCOMES)
        spec.states = ["afgerond"]
    else:
        spec.status = "suspended" if roll > 0.9 else ("starting" if roll > 0.87 else "running")
        spec.states = [spec.visits[-1][0]] + (["pvt_volgen"] if rng.random() < 0.3 else [])
    for _ in range(rng.randint(0, 4)):
        spec.ladder.append(
            (at(rng, started, min(NOW, started + timedelta(days=800))), rng.randint(1, 6))
        )
    for n in range(rng.randint(0, 3)):
        status = rng.choice(["open", "open", "completed", "cancelled"])
        spec.tasks.append(
            dict(
                name=f"taak{n}",
                role=rng.choice(ROLES),
                status=status,
                overdue=rng.random() < 0.3,
                escalated=rng.random() < 0.2,
                assignee=None if rng.random() < 0.5 else "user:1",
                form={},
                done=None,
            )
        )
    for _ in range(rng.randint(0, 2)):
        created = at(rng, started, NOW)
        spec.escalations.append(
            (
                rng.choice(["coordinator", "klantmanager"]),
                rng.choice(["pip_niet_binnen_tien_weken", "te_laat"]),
                created,
                rng.random() < 0.4,
            )
        )
    duo = (started - timedelta(days=rng.randint(0, 20))).date()
    spec.dates["duo_melding"] = duo
    if rng.random() < 0.8 and duo + timedelta(days=40) < NOW.date():
        pip = duo + timedelta(days=rng.randint(20, 110))
        if pip < NOW.date():
            spec.dates["pip_datum"] = pip
            done = datetime(pip.year, pip.month, pip.day, 10, tzinfo=UTC)
            spec.tasks.append(
                dict(
                    name="pip_vaststellen",
                    role="klantmanager",
                    status="completed",
                    overdue=False,
                    escalated=False,
                    assignee=None,
                    form={"route": rng.choice(["b1", "onderwijs", "z"])},
                    done=done,
                )
            )
            if rng.random() < 0.15:
                spec.tasks.append(
                    dict(
                        name="pip_wijzigen",
                        role="klantmanager",
                        status="completed",
                        overdue=False,
                        escalated=False,
                        assignee=None,
                        form={"nieuwe_route": rng.choice(["b1", "z"])},
                        done=at(rng, done, NOW),
                    )
                )
            for subject, p in (("pvt_afgerond", 0.6), ("map_afgerond", 0.4)):
                if rng.random() < p:
                    spec.reports.append(
                        ("reported", subject, at(rng, done, NOW + timedelta(days=30)))
                    )
            if rng.random() < 0.1:
                spec.reports.append(("state_entered", "map_vrijgesteld", at(rng, done, NOW)))
    if spec.outcome == "inburgeringsplicht_voldaan" and "pip_datum" in spec.dates:
        pip = spec.dates["pip_datum"]  # some fulfil just inside or just outside the term
        term_end = kpi.plus_months(pip, 36) + timedelta(days=1)
        spec.finished = datetime.combine(
            term_end + timedelta(days=rng.randint(-60, 30)), datetime.min.time(), UTC
        ) + timedelta(hours=9)
        spec.started = min(spec.started, spec.finished - timedelta(days=30))
    return spec


def write(session: Session, spec: Spec, version_id: int, municipality: str) -> None:
    session.add(
        Case(
            id=spec.id,
            municipality=municipality,
            definition_version_id=version_id,
            workflow_id=f"wf-{spec.id}",
            status=spec.status,
            current_states=spec.states,
            outcome=spec.outcome,
            started_at=spec.started,
            finished_at=spec.finished,
            last_progress_at=spec.progress,
        )
    )
    session.flush()
    events: list[tuple[datetime, str, str]] = []
    for state, entered, exited in spec.visits:
        events.append((entered, "state_entered", state))
        events.append((entered, "task_opened", state))  # noise between the pairs
        if exited is not None:
            events.append((exited, "state_exited", state))
    events += [(moment, kind, subject) for kind, subject, moment in spec.reports]
    # by time; at the same moment in the order written: a stay of no time enters, then leaves,
    # and the state before is left before the next is entered
    order = sorted(range(len(events)), key=lambda n: (events[n][0], n))
    for seq, (moment, kind, subject) in enumerate((events[n] for n in order), 1):
        session.add(
            TimelineEvent(
                key=f"{spec.id}:t{seq}",
                case_id=spec.id,
                seq=seq,
                at=moment,
                kind=kind,
                subject=subject,
            )
        )
    for n, (moment, step) in enumerate(spec.ladder):
        session.add(
            LadderMeasurement(
                key=f"{spec.id}:l{n}", case_id=spec.id, step=step, measured_at=moment, source="test"
            )
        )
    for n, task in enumerate(spec.tasks):
        session.add(
            Task(
                key=f"{spec.id}:k{n}",
                case_id=spec.id,
                municipality=municipality,
                name=task["name"],
                state="x",
                title="t",
                role=task["role"],
                status=task["status"],
                assignee=task["assignee"],
                overdue=task["overdue"],
                escalated=task["escalated"],
                created_at=spec.started,
                completed_at=task["done"],
                form_data=task["form"],
            )
        )
    for n, (to, reason, created, resolved) in enumerate(spec.escalations):
        session.add(
            Escalation(
                key=f"{spec.id}:e{n}",
                case_id=spec.id,
                to_role=to,
                reason=reason,
                created_at=created,
                resolved_at=created if resolved else None,
            )
        )
    for name, value in spec.dates.items():
        session.add(CaseDate(case_id=spec.id, name=name, value=value))


@pytest.fixture
def seeded(session: Session) -> tuple[Session, list[Spec], kpis.Scope]:
    rng = random.Random(20250701)
    for slug in ("alfa", "beta"):
        repo.ensure_municipality(session, slug, slug.capitalize())
    ids = {}
    pvt1 = compile_file(DEFINITIONS / "pvt1.yaml")
    for key, municipality, d, version in (
        ("v1", "alfa", WI, 1),
        ("v2", "alfa", WI, 2),
        ("beta", "beta", WI, 1),
        ("pvt1", "alfa", pvt1, 1),
    ):
        row = DefinitionVersion(
            municipality=municipality,
            definition=d.definition,
            version=version,
            content_hash=key,
            title=d.title,
            source="",
            compiled=d.model_dump(mode="json"),
            published_by="test",
            published_at=NOW,
        )
        session.add(row)
        session.flush()
        ids[key] = row.id
    specs = [make_spec(rng, i) for i in range(400)]
    for spec in specs:
        write(session, spec, ids[f"v{spec.version}"], "alfa")
    for i in range(60):  # the same definition elsewhere, and another definition here: not counted
        other = make_spec(rng, 1000 + i)
        other.id = f"x{i:04d}"
        write(session, other, ids["beta"] if i % 2 else ids["pvt1"], "beta" if i % 2 else "alfa")
    session.flush()
    AGGREGATES.backfill(session.connection())
    STAY_DAYS.backfill(session.connection())
    return session, specs, kpis.Scope("alfa", (ids["v1"], ids["v2"]), PERIOD, NOW)


def inside(moment: datetime | None) -> bool:
    return moment is not None and PERIOD.since <= moment < PERIOD.until


OPEN = ("starting", "running", "suspended")


# ----------------------------------------------------------------------------------- tests
def test_open_cases_per_set_of_states(seeded: tuple[Session, list[Spec], kpis.Scope]) -> None:
    session, specs, scope = seeded
    expected = Counter(tuple(s.states) for s in specs if s.status in OPEN)
    got = {c.states: c.cases for c in kpis.state_combos(session, scope)}
    assert got == dict(expected)
    only_v2 = kpis.Scope("alfa", (scope.version_ids[1],), PERIOD, NOW)
    got_v2 = Counter({c.states: c.cases for c in kpis.state_combos(session, only_v2)})
    assert got_v2 == Counter(tuple(s.states) for s in specs if s.status in OPEN and s.version == 2)


def test_open_tasks_per_role(seeded: tuple[Session, list[Spec], kpis.Scope]) -> None:
    session, specs, scope = seeded
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for task in (t for s in specs for t in s.tasks if t["status"] == "open"):
        row = expected[str(task["role"])]
        row[0] += 1
        row[1] += task["assignee"] is None
        row[2] += bool(task["overdue"])
        row[3] += bool(task["escalated"])
    got = {
        r.role: [r.open, r.unassigned, r.overdue, r.escalated]
        for r in kpis.tasks_by_role(session, scope)
    }
    assert got == dict(expected) and sum(v[0] for v in got.values()) > 50


def test_escalations_in_the_period(seeded: tuple[Session, list[Spec], kpis.Scope]) -> None:
    session, specs, scope = seeded
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for to, reason, created, resolved in (e for s in specs for e in s.escalations):
        if inside(created):
            expected[(to, reason)][0] += 1
            expected[(to, reason)][1] += not resolved
    got = {(r.to_role, r.reason): [r.count, r.unresolved] for r in kpis.escalations(session, scope)}
    assert got == dict(expected)


def test_started_and_finished_per_week(seeded: tuple[Session, list[Spec], kpis.Scope]) -> None:
    session, specs, scope = seeded
    expected: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for s in specs:
        for index, moment in enumerate((s.started, s.finished)):
            if inside(moment):
                assert moment is not None
                day = moment.date()
                expected[day - timedelta(days=day.weekday())][index] += 1
    got = kpis.weekly(session, scope)
    assert {k: list(v) for k, v in got.items()} == dict(expected)
    assert set(got) <= set(kpi.weeks(PERIOD))
    started, finished, still_open = kpis.started_finished(session, scope)
    assert started == sum(inside(s.started) for s in specs)
    assert finished == Counter(s.outcome for s in specs if inside(s.finished))
    assert still_open == sum(
        s.started < PERIOD.until and (s.finished is None or s.finished >= PERIOD.until)
        for s in specs
    )


def test_throughput_per_outcome(seeded: tuple[Session, list[Spec], kpis.Scope]) -> None:
    session, specs, scope = seeded
    want: dict[str, list[float]] = defaultdict(list)
    for s in specs:
        if s.outcome and inside(s.finished):
            assert s.finished is not None
            want[s.outcome].append((s.finished - s.started).total_seconds() / 86400)
    got = kpis.outcome_durations(session, scope)
    assert set(got) == set(want)
    for key, values in want.items():
        assert sorted(got[key]) == pytest.approx(sorted(values), abs=1e-5)
    # what the pages read: the same, summarised by the database on PostgreSQL
    assert_spreads(kpis.outcome_spreads, session, scope, want)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 1, 1), date(2025, 6, 30)),  # whole months: the histogram alone
        (date(2025, 1, 17), date(2025, 5, 9)),  # ragged ends: stays there, whole months between
        (date(2025, 2, 10), date(2025, 3, 20)),  # no whole month: the stays alone
        (date(2025, 3, 3), date(2025, 3, 3)),  # one day
        (date(2022, 1, 1), date(2025, 7, 1)),  # everything
    ],
)
def test_throughput_per_phase(
    seeded: tuple[Session, list[Spec], kpis.Scope], start: date, end: date
) -> None:
    session, specs, scope = seeded
    period = kpi.Period(start, end)
    want: dict[str, list[float]] = defaultdict(list)
    for s in specs:
        for state, entered, exited in s.visits:
            if exited is not None and period.since <= exited < period.until:
                want[state].append((exited - entered).total_seconds() / 86400)
    assert want or start == end, "the seeded stays reach into the period"
    assert_spreads(kpis.phase_spreads, session, replace(scope, period=period), want)


def assert_spreads(
    spreads: Callable[[Session, kpis.Scope, dict[str, float | None]], dict[str, kpi.Spread]],
    session: Session,
    scope: kpis.Scope,
    want: dict[str, list[float]],
) -> None:
    """The median, p80, p95 and count over a target as numpy has them, for targets of every
    kind: none, a whole number of days (a bucket's edge), a fraction, beyond every value."""
    kinds = (
        lambda v: None,
        lambda v: float(int(numpy.median(v))),
        lambda v: float(numpy.median(v)),
        lambda v: max(v) + 1,
    )
    targets = {
        key: kinds[n % len(kinds)](values) for n, (key, values) in enumerate(sorted(want.items()))
    }
    got = spreads(session, scope, targets)
    assert set(got) == set(want)
    for key, values in want.items():
        spread, goal = got[key], targets[key]
        assert spread.summary.n == len(values)
        for q, value in (
            (50, spread.summary.median),
            (80, spread.summary.p80),
            (95, spread.summary.p95),
        ):
            assert value == pytest.approx(numpy.percentile(values, q), abs=1e-5), (key, q)
        assert spread.over == (None if not goal else sum(v > goal for v in values)), key


def test_participatieladder(seeded: tuple[Session, list[Spec], kpis.Scope]) -> None:
    session, specs, scope = seeded
    horizon = 18
    latest: Counter[int] = Counter()
    changes: Counter[tuple[int, int]] = Counter()
    monthly: dict[date, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])
    at_horizon: Counter[int | None] = Counter()
    for s in specs:
        alive = s.started < PERIOD.until and (s.finished is None or s.finished >= PERIOD.since)
        seen = sorted((m for m in s.ladder if m[0] < PERIOD.until), key=lambda m: m[0])
        if alive and seen:
            latest[seen[-1][1]] += 1
            changes[(seen[0][1], seen[-1][1])] += 1
            for previous, (moment, step) in zip([None, *seen], seen, strict=False):
                if moment >= PERIOD.since:
                    row = monthly[moment.date().replace(day=1)]
                    row[0] += 1
                    row[1] += previous is not None and step > previous[1]
                    row[2] += previous is not None and step < previous[1]
                    row[3] += step
        mark = kpi.plus_months(s.started, horizon)
        if PERIOD.since <= mark < PERIOD.until:
            before = [m for m in sorted(s.ladder) if m[0] <= mark]
            at_horizon[before[-1][1] if before else None] += 1
    figures = kpis.ladder(session, scope, horizon)
    assert figures.latest == dict(latest)
    assert figures.changes == dict(changes)
    assert set(figures.monthly) == set(monthly)
    for month, (n, up, down, total) in monthly.items():
        got = figures.monthly[month]
        assert got[:3] == (n, up, down) and got[3] == pytest.approx(total / n)
    assert figures.at_horizon == dict(at_horizon) and sum(at_horizon.values()) > 5


def test_wet_inburgering_indicators(seeded: tuple[Session, list[Spec], kpis.Scope]) -> None:
    session, specs, scope = seeded
    assert kpis_wi.applies(WI) and not kpis_wi.applies(compile_file(DEFINITIONS / "pvt1.yaml"))
    due = on_time = 0
    routes: Counter[str] = Counter()
    switches: Counter[str] = Counter()
    with_pip = pvt = map_done = exempt = cohort = met = 0
    for s in specs:
        duo, pip = s.dates["duo_melding"], s.dates.get("pip_datum")
        deadline = duo + timedelta(days=70)
        if PERIOD.start <= deadline <= PERIOD.end and (
            pip or s.outcome not in ("ontheffing", "verhuisd")
        ):
            due += 1
            on_time += pip is not None and pip <= deadline
        for task in s.tasks:
            if task["status"] == "completed" and inside(task["done"]):  # type: ignore[arg-type]
                if task["name"] == "pip_vaststellen":
                    routes[task["form"]["route"]] += 1  # type: ignore[index]
                if task["name"] == "pip_wijzigen":
                    switches[task["form"]["nieuwe_route"]] += 1  # type: ignore[index]
        if pip is not None and pip <= PERIOD.end:
            with_pip += 1
            done = {(k, subject) for k, subject, moment in s.reports if moment < PERIOD.until}
            pvt += ("reported", "pvt_afgerond") in done
            map_done += ("reported", "map_afgerond") in done
            exempt += ("state_entered", "map_vrijgesteld") in done
        if pip is not None and s.outcome not in ("ontheffing", "verhuisd"):
            term_end = kpi.plus_months(pip, 36) + timedelta(days=1)
            fulfilled = (
                s.outcome == "inburgeringsplicht_voldaan"
                and s.finished is not None
                and s.finished.date() <= term_end
            )
            known = s.finished.date() if fulfilled and s.finished else term_end
            if PERIOD.start <= known <= min(PERIOD.end, NOW.date()):
                cohort += 1
                met += fulfilled
    f = kpis_wi.indicators(session, scope)
    assert (f.pip_due, f.pip_on_time) == (due, on_time) and 0 < on_time < due
    assert f.routes == dict(routes) and f.switches == dict(switches)
    assert (f.with_pip, f.pvt_done, f.map_done, f.map_exempt) == (with_pip, pvt, map_done, exempt)
    assert (f.term_cohort, f.term_met) == (cohort, met)


def test_stuck_cases_and_the_scoreboard(seeded: tuple[Session, list[Spec], kpis.Scope]) -> None:
    session, specs, scope = seeded
    combos = kpis.state_combos(session, scope)
    limits = {c.text: 20.0 + 10 * len(c.states) for c in combos}  # any rule: the query follows it
    by_states = {c.states: limits[c.text] for c in combos}
    stuck = [
        s
        for s in specs
        if s.status in OPEN
        and s.progress is not None
        and NOW - s.progress > timedelta(days=by_states[tuple(s.states)])
    ]
    counts, rows = kpis_cases.stuck(session, scope, limits, show=10)
    assert sum(counts.values()) == len(stuck) > 10
    oldest = sorted(stuck, key=lambda s: (s.progress, s.id))[:10]
    assert [r.case_id for r in rows] == [s.id for s in oldest]

    total, page = kpis_cases.scoreboard(session, scope, 2, 25)
    open_specs = sorted((s for s in specs if s.status in OPEN), key=lambda s: (s.started, s.id))
    assert total == len(open_specs)
    assert [p.case_id for p in page] == [s.id for s in open_specs[25:50]]
    for p, s in zip(page, open_specs[25:50], strict=True):
        assert p.completed == {str(t["name"]) for t in s.tasks if t["status"] == "completed"}
        assert p.open_tasks == sum(t["status"] == "open" for t in s.tasks)
        assert p.step == (max(s.ladder)[1] if s.ladder else None)


def test_a_case_that_never_recorded_a_step_is_listed(
    seeded: tuple[Session, list[Spec], kpis.Scope],
) -> None:
    session, specs, scope = seeded
    expected = sorted(
        (s for s in specs if s.status == "starting" and s.started < NOW - timedelta(minutes=10)),
        key=lambda s: s.started,
    )
    assert [r.case_id for r in kpis_cases.not_recorded(session, scope)] == [s.id for s in expected]
    assert expected


# ------------------------------------------------------------------- the pure arithmetic
def test_percentiles_periods_and_calendar_months_by_hand() -> None:
    assert kpi.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert kpi.percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.8) == pytest.approx(42.0)
    assert kpi.summarize([]) == kpi.Summary(0, None, None, None)
    assert kpi.plus_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert kpi.plus_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert kpi.plus_months(date(2023, 11, 15), 14) == date(2025, 1, 15)
    assert kpi.shift_text("2024-01-31", 1, 1) == "2024-03-01"
    assert kpi.shift_text("2024-08-31 10:00:00.000000", 36, 0) == "2027-08-31 10:00:00.000000"
    assert kpi.Period.quarter(2025, 4) == kpi.Period(date(2025, 10, 1), date(2025, 12, 31))
    assert kpi.Period.previous_quarter(date(2025, 2, 10)) == kpi.Period.quarter(2024, 4)
    assert kpi.weeks(kpi.Period(date(2025, 1, 1), date(2025, 1, 13))) == [
        date(2024, 12, 30), date(2025, 1, 6), date(2025, 1, 13)
    ]  # fmt: skip
    assert kpi.Period.parse("nonsense", "2025-06-30", date(2026, 1, 1)).start == date(2024, 6, 1)
    assert kpi.csv_text(["a", "b"], [[1.5, None], ["x,y", 2.0]]) == 'a,b\r\n1.5,\r\n"x,y",2\r\n'


def test_a_csv_download_runs_no_formula_in_a_spreadsheet() -> None:
    """A title or reason a designer or case worker typed that starts like a formula is written
    as text (leading apostrophe); numbers, negative ones too, and moments stay as they are."""
    rows = [
        ['=HYPERLINK("http://x")', -3, -2.5],
        ["+31 6", "@SUM(A1)", "-1+1"],
        ["\tTab", "gewoon", date(2026, 12, 7)],
        [True, 0, "a=b"],
    ]
    assert kpi.csv_text(["a", "b", "c"], rows).split("\r\n")[1:-1] == [
        '"\'=HYPERLINK(""http://x"")",-3,-2.5',
        "'+31 6,'@SUM(A1),'-1+1",
        "'\tTab,gewoon,2026-12-07",
        "True,0,a=b",
    ]


def test_state_rollup_heatmap_and_stuck_limits_of_a_real_definition() -> None:
    pragma = compile_file(DEFINITIONS / "pragma.yaml")
    combos = {("weten_open", "kunnen_done", "coaching_loopt"): 3, ("eerste_opvang",): 2}
    counts = kpi.rollup(pragma, combos)
    assert counts["zelfredzaamheid"] == 3 and counts["fasen"] == 5 and counts["traject"] == 5
    assert counts["weten"] == counts["weten_open"] == counts["kunnen"] == 3
    assert counts["eerste_opvang"] == 2 and counts["spreekuur"] == 0
    text = kpi.heatmap(pragma, counts)
    assert 'state "Fase 1: eerste opvang door vrijwilligers (2)" as eerste_opvang' in text
    assert "class weten_open heat4" in text and "class eerste_opvang heat3" in text
    assert " : " not in "".join(line for line in text.splitlines() if "-->" in line)
    # innermost KPI: Fase 1 has a maximum of 6 weeks; the checklist items inherit Fase 2's 24 months
    assert kpi.stuck_limit(pragma, ["eerste_opvang"]) == pytest.approx(42)
    assert kpi.stuck_limit(pragma, ["weten_open"]) == pytest.approx(24 * 30.436875, rel=0.01)
    assert kpi.stuck_limit(pragma, ["coaching_loopt"]) is None
    assert kpi.ladder_horizon(pragma) == 18 and kpi.ladder_horizon(WI) == 36
    assert kpi.pseudonym("k0001") == kpi.pseudonym("k0001") != kpi.pseudonym("k0002")
