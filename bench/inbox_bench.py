"""Benchmark: inbox, case list, case page and task page latency with 10,000 open cases, through the
real ASGI app (web pages and REST API), on PostgreSQL (and, with --sqlite, on the embedded SQLite
default as well). Target: p95 < 200 ms for every page and API call.

The read model is written directly in SQL (bulk inserts shaped like what the step recorder writes),
not by running 10,000 workflows: this is a read benchmark. Requests go through
httpx.ASGITransport, so the figures exclude the network and uvicorn. Every endpoint is measured in
the same interleaved rounds as the `/health` baseline, one request at a time.

    .venv/bin/python bench/inbox_bench.py [--cases 10000] [--other 2000] [--requests 300] [--sqlite]
        [--try-index "CREATE INDEX ..."]...

--try-index measures everything again after creating the given index(es) by hand in the benchmark
database (before/after in the same run); the migrations are not touched.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, Select, event, func, insert, select, text
from sqlalchemy.orm import ORMExecuteState, Session, defer, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from traject.api.app import create_app
from traject.api.auth import SESSION_COOKIE
from traject.casework import Casework
from traject.definition import CompiledDefinition, compile_file
from traject.definition.duration import Duration
from traject.definition.model import Invite, ScheduleWorkshop
from traject.seed import seed
from traject.service import Traject
from traject.store import accounts
from traject.store import repositories as repo
from traject.store.db import make_engine, session_factory, transaction
from traject.store.migrate import upgrade
from traject.store.models import (
    AuditEvent,
    Base,
    Case,
    CaseDate,
    CasePerson,
    CaseTermijn,
    DefinitionVersion,
    Task,
    TimelineEvent,
)

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = ROOT / "definitions"
REPORT = Path(__file__).parent / "REPORT-inbox.md"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_MS = 200.0
HOME, OTHER = "zaanstad", "leiden"

FIRST_NAMES = (  # noqa: SIM905 (one line of names reads better)
    "Amina Mohammed Yonas Fatima Ahmad Sara Tesfay Hiba Omar Nour Rahaf Dawit Mariam Yusuf Layla "
    "Khaled Selam Aziz Hanna Samir Aster Bilal Rania Tekle Zainab Hamid Ruta Jamal Shirin Ali "
    "Eden Karim Dina Filmon Salma Hassan Lina Mehari Noor Tarek"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Haddad Tesfamariam Al-Khatib Rahimi Yohannes Mansour Osman Habtom Haidari Nasser Kidane "
    "Al-Hassan Ghebre Sultani Abdi Berhane Kassem Amiri Tekle Jaber Mehretab Sayed Ahmadi Ibrahim "
    "Woldu Darwish Hosseini Mebrahtu Saleh Karimi Hailu Yousef Naderi Gebremedhin Farah Qasim"
).split()

# Where open cases stand, per parallel region: (path of leaf states in order, weight of each).
# Weights are a plausible spread of 10,000 running trajectories; a case without any open task is
# drawn again (it would be waiting on a timer or an event, which is fine, but the brief wants 1+).
ZAANSTAD_REGIONS = (
    (
        ("workshop_kernwaarden", "workshop_praktijk", "ondertekening", "pvt_afgerond"),
        (0.30, 0.22, 0.16, 0.32),
    ),
    (
        (
            "wacht_op_huisvesting",
            "participatiegesprek",
            "plan_van_aanpak",
            "plan_uitvoering",
            "plan_evalueren",
            "begeleiding_afgerond",
        ),
        (0.20, 0.20, 0.16, 0.26, 0.14, 0.04),
    ),
)
LEIDEN_PREFIX = ("plan",)
LEIDEN_REGIONS = (
    (("diplomawaardering_beoordelen", "wacht_op_waardering", "waardering_klaar"), (0.3, 0.4, 0.3)),
    (("lessen_open", "lessen_done"), (0.7, 0.3)),
    (("extra_bepalen", "ielts_engels", "extra_klaar"), (0.3, 0.3, 0.4)),
)


# ------------------------------------------------------------------------------------- database
@dataclass
class Store:
    kind: str  # postgresql, sqlite
    url: str
    engine: Engine
    sessions: sessionmaker[Session]


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def postgres_answers() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", 5432)) == 0


@contextmanager
def fresh_store(kind: str) -> Iterator[Store]:
    """A new, migrated, seeded database, dropped afterwards."""
    if kind == "postgresql":
        name = f"traject_bench_{secrets.token_hex(4)}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(tmp.name) / 'traject.db'}"
    engine = make_engine(url)
    try:
        upgrade(url)
        sessions = session_factory(engine)
        seed(sessions, DEFINITIONS)
        yield Store(kind, url, engine, sessions)
    finally:
        engine.dispose()
        if tmp is not None:
            tmp.cleanup()
        else:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def db_version(store: Store) -> str:
    if store.kind == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
    with store.engine.connect() as conn:
        return str(conn.scalar(text("SHOW server_version"))).split(" ")[0]


def row_counts(store: Store) -> dict[str, int]:
    with store.sessions() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


# ------------------------------------------------------------------------------- the read model
@dataclass
class People:
    """The users of one municipality, by candidate group, as 'user:<id>' refs."""

    by_group: dict[str, list[str]]
    everyone: list[str]


@dataclass
class Generated:
    cases: list[str] = field(default_factory=list)
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            t: [] for t in ("cases", "persons", "dates", "tasks", "timeline", "termijnen")
        }
    )
    audit: list[dict[str, Any]] = field(default_factory=list)


def bsn(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def make_users(session: Session, municipality: str, groups: dict[str, int]) -> People:
    """`n` colleagues per group (no password: they exist to hold tasks and appear in timelines)."""
    by_group: dict[str, list[str]] = {g: [] for g in groups}
    for group, n in groups.items():
        for i in range(1, n + 1):
            user = accounts.create_user(
                session,
                municipality,
                f"{group}-{i:02d}",
                f"{group.capitalize()} {i:02d}",
                ["caseworker"],
                [group],
            )
            by_group[group].append(f"user:{user.id}")
    return People(by_group, [u for refs in by_group.values() for u in refs])


class CaseWriter:
    """Writes open cases of one definition shaped like the step recorder's rows: the person, the
    case dates, the tasks of the states passed (closed) and of the current states (open), the
    timeline of every step, and audit rows of earlier reads."""

    def __init__(
        self,
        d: CompiledDefinition,
        version_id: int,
        people: People,
        rng: random.Random,
        now: datetime,
        prefix: tuple[str, ...],
        regions: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...],
        reference: str,
        termijnen: bool = False,
    ) -> None:
        self.d, self.version_id, self.people, self.rng, self.now = d, version_id, people, rng, now
        self.prefix, self.regions, self.reference = prefix, regions, reference
        self.termijnen = termijnen

    def due_days(self, task: str) -> int:
        due = self.d.tasks[task].due
        return (Duration.parse(due).add_to(self.now) - self.now).days if due else 28

    def write(self, out: Generated, n: int, claimed_share: float = 0.45) -> None:
        for i in range(n):
            self._case(out, i, claimed_share)

    def _pick(self) -> list[tuple[tuple[str, ...], int]]:
        while True:
            chosen = [(path, self.rng.choices(range(len(path)), w)[0]) for path, w in self.regions]
            if any(self.d.states[path[at]].tasks for path, at in chosen):
                return chosen

    def _case(self, out: Generated, i: int, claimed_share: float) -> None:
        rng, d, now = self.rng, self.d, self.now
        case_id = f"case-{rng.getrandbits(48):012x}"
        workflow = f"trajectory-{case_id}"
        chosen = self._pick()
        current = [path[at] for path, at in chosen]
        # when each current state was entered: the open task's due date spread so ~1 in 5 is late
        entered = {}
        for state in current:
            tasks = d.states[state].tasks
            span = self.due_days(tasks[0]) * 1.25 if tasks else rng.uniform(5, 90)
            entered[state] = now - timedelta(days=rng.uniform(0.2, span))
        passed = sum(at for _, at in chosen) + len(self.prefix)
        started = min(entered.values()) - timedelta(days=rng.uniform(10, 28) * max(passed, 1))
        seq = Seq(workflow, case_id, out.rows["timeline"])
        seq.step(started, "system")
        for leaf in [path[0] for path, _ in chosen]:  # the composites entered at the start
            for name in reversed(d.ancestors(leaf)[1:]):
                seq.event("state_entered", name)
        closed: list[dict[str, Any]] = []
        prefix_end = started
        for state in self.prefix:
            prefix_end = started + timedelta(days=rng.uniform(7, 21))
            self._visit(seq, out, case_id, state, started, prefix_end, closed)
        for (path, at), state in zip(chosen, current, strict=True):
            t0 = prefix_end
            stops = sorted(
                t0 + (entered[state] - t0) * rng.uniform(0.05, 0.95) for _ in range(max(at - 1, 0))
            )
            moments = [t0, *stops, entered[state]]
            for k, past in enumerate(path[:at]):
                self._visit(seq, out, case_id, past, moments[k], moments[k + 1], closed)
            seq.step(entered[state], "system")
            seq.event("state_entered", state)
            self._entry(seq, state)
        # the open tasks of the current states
        opened: list[dict[str, Any]] = []
        for state in current:
            names = list(d.states[state].tasks)
            if len(names) > 1:  # a checklist: some of its tasks are already done
                keep = rng.sample(names, rng.randint(1, len(names)))
                for done in (n for n in names if n not in keep):
                    closed.append(self._task(case_id, workflow, done, entered[state], "completed"))
                names = [n for n in names if n in keep]
            for name in names:
                opened.append(self._task(case_id, workflow, name, entered[state], "open"))
        overdue = False
        for task in opened:
            seq.step(task["created_at"], "system")
            seq.event("task_opened", task["name"], role=task["role"])
            if rng.random() < claimed_share:
                task["assignee"] = rng.choice(self.people.by_group[task["role"]])
                seq.step(task["created_at"] + timedelta(hours=rng.uniform(1, 72)), task["assignee"])
                seq.event("task_claimed", task["name"], assignee=task["assignee"])
            if task["due_at"] < now:
                task["overdue"] = overdue = True
                seq.step(task["due_at"], "system")
                seq.event("task_overdue", task["name"])
                if task["due_at"] + timedelta(days=14) < now:
                    task["escalated"] = True
                    seq.event("escalated", "coordinator", task=task["name"], reason=None)
        if self.termijnen:
            self._termijnen(out, seq, case_id, started)
        wanted = rng.randint(15, 22)
        while len(seq.rows) - seq.first < wanted:  # reminders and notices to the team
            seq.step(seq.at + timedelta(hours=rng.uniform(1, 30)), "system")
            seq.event("notified", rng.choice(("klantmanager", "trainer")), template="herinnering")
        out.rows["tasks"] += closed + opened
        out.cases.append(case_id)
        out.rows["cases"].append(
            {
                "id": case_id,
                "municipality": d.municipality,
                "definition_version_id": self.version_id,
                "workflow_id": workflow,
                "reference": f"{self.reference}-{i + 1:05d}" if rng.random() < 0.7 else None,
                "status": "running",
                "current_states": current,
                "outcome": None,
                "overdue": overdue,
                "started_at": started,
                "last_progress_at": max(entered.values()),
                "finished_at": None,
            }
        )
        born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 365 * 45))
        out.rows["persons"].append(
            {
                "case_id": case_id,
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": rng.choice(LAST_NAMES),
                "bsn": bsn(rng),
                "birth_date": born,
                "contact": {"phone": f"06{rng.randint(10000000, 99999999)}"},
            }
        )
        for _ in range(rng.randint(2, 8)):  # earlier reads of this case
            out.audit.append(
                {
                    "at": started + (now - started) * rng.random(),
                    "municipality": d.municipality,
                    "actor": rng.choice(self.people.everyone),
                    "action": rng.choice(("case_read", "case_read", "task_read")),
                    "case_id": case_id,
                    "detail": {},
                }
            )

    def _termijnen(self, out: Generated, seq: Seq, case_id: str, started: datetime) -> None:
        """The two Wi2021 termijnen (as in wi2021.yaml): the PIP within ten weeks of DUO's notice,
        then three years to pass the exams; rows as the step recorder keeps them."""
        rng, today = self.rng, self.now.date()
        start = started.date()
        pip_due = start + timedelta(weeks=10)
        rows = out.rows["termijnen"]

        def row(name: str, title: str, status: str, on: date, due: date | None) -> None:
            used = (today - on).days / max(((due or today) - on).days, 1)
            rows.append(
                {
                    "case_id": case_id,
                    "municipality": self.d.municipality,
                    "name": name,
                    "title": title,
                    "status": status,
                    "started_on": on,
                    "due_on": due,
                    "warned": status == "running" and used >= 0.8,
                    "suspensions": int(status == "suspended"),
                    "extensions": 0,
                    "updated_at": self.now,
                }
            )

        pip = "PIP binnen tien weken na de melding van DUO"
        if pip_due >= today:
            status = "suspended" if rng.random() < 0.05 else "running"
            row("pip_termijn", pip, status, start, None if status == "suspended" else pip_due)
        elif rng.random() < 0.08:
            row("pip_termijn", pip, "expired", start, pip_due)
            seq.event("termijn_expired", "pip_termijn", due=pip_due.isoformat(), reason=None)
        else:
            met = start + timedelta(days=rng.randint(20, 70))
            row("pip_termijn", pip, "met", start, pip_due)
            seq.event("termijn_met", "pip_termijn", due=pip_due.isoformat(), reason=None)
            due = met + timedelta(days=3 * 365)
            row("inburgeringstermijn", "Inburgeringstermijn van drie jaar", "running", met, due)
            seq.event("termijn_started", "inburgeringstermijn", due=due.isoformat(), reason=None)

    def _entry(self, seq: Seq, state: str) -> None:
        for action in self.d.states[state].on_entry:
            if isinstance(action, ScheduleWorkshop):
                seq.event("workshop_booked", action.workshop, session=None)
            elif isinstance(action, Invite):
                seq.event("invited", action.template)

    def _visit(
        self,
        seq: Seq,
        out: Generated,
        case_id: str,
        state: str,
        start: datetime,
        end: datetime,
        closed: list[dict[str, Any]],
    ) -> None:
        """A state passed: entered, its tasks opened and completed, left."""
        seq.step(start, "system")
        seq.event("state_entered", state)
        self._entry(seq, state)
        spec = self.d.states[state]
        for name in spec.tasks:
            seq.event("task_opened", name, role=self.d.tasks[name].role)
        actor = "system"
        for name in spec.tasks:
            task = self._task(case_id, seq.workflow, name, start, "completed", end)
            closed.append(task)
            actor = task["completed_by"]
        seq.step(end, actor)
        if spec.tasks:
            for name in spec.tasks:
                seq.event("task_completed", name)
        elif any(t.trigger.startswith("event:") for t in spec.transitions):
            event_name = next(
                t.trigger.split(":", 1)[1]
                for t in spec.transitions
                if t.trigger.startswith("event:")
            )
            seq.event("event_recorded", event_name)
            if date_name := self.d.events.get(event_name):
                seq.event("date_set", date_name, value=end.date().isoformat())
                out.rows["dates"].append(
                    {"case_id": case_id, "name": date_name, "value": end.date()}
                )
        else:
            seq.event("timer_fired", f"{state}.timer")
        seq.event("state_exited", state)

    def _task(
        self,
        case_id: str,
        workflow: str,
        name: str,
        opened: datetime,
        status: str,
        done: datetime | None = None,
    ) -> dict[str, Any]:
        spec = self.d.tasks[name]
        by = self.rng.choice(self.people.by_group[spec.role]) if status == "completed" else None
        return {
            "key": f"{workflow}:{self.rng.getrandbits(40):010x}:task:{name}",
            "case_id": case_id,
            "municipality": self.d.municipality,
            "name": name,
            "state": spec.state,
            "title": spec.title,
            "role": spec.role,
            "status": status,
            "assignee": by,
            "created_at": opened,
            "due_at": opened + timedelta(days=self.due_days(name)),
            "completed_at": done,
            "completed_by": by,
            "overdue": False,
            "escalated": False,
            "form_data": {f: True for f in list(spec.form)[:2]} if status == "completed" else {},
            "personal_data": {},
        }


class Seq:
    """Timeline numbering as the step recorder does it: seq = step * 1000 + position."""

    def __init__(self, workflow: str, case_id: str, rows: list[dict[str, Any]]) -> None:
        self.workflow, self.case_id, self.rows = workflow, case_id, rows
        self.first, self.n, self.position = len(rows), 0, 0
        self.at, self.actor = datetime.now(UTC), "system"

    def step(self, at: datetime, actor: str) -> None:
        self.n, self.position, self.at, self.actor = self.n + 1, 0, at, actor

    def event(self, kind: str, subject: str | None, **detail: Any) -> None:
        self.position += 1
        self.rows.append(
            {
                "key": f"{self.workflow}:{self.n}:t{self.position}",
                "case_id": self.case_id,
                "seq": self.n * 1000 + self.position,
                "at": self.at,
                "kind": kind,
                "subject": subject,
                "detail": detail,
                "actor": self.actor,
            }
        )


@dataclass
class Bench:
    """What the measurements need from the generated data."""

    caseworker: accounts.Principal
    cases: list[str]
    tasks: list[int]
    token: str
    coordinator_token: str
    cookie: str
    coordinator_cookie: str
    load_seconds: float


def generate(
    store: Store, n_home: int, n_other: int, rng: random.Random, termijnen: bool = True
) -> Bench:
    started = time.perf_counter()
    now = datetime.now(UTC)
    zaanstad = compile_file(DEFINITIONS / "zaanstad_pvt.yaml")
    leiden = compile_file(DEFINITIONS / "leiden_jas.yaml")
    with transaction(store.sessions) as session:
        home_people = make_users(session, HOME, {"klantmanager": 30, "trainer": 12})
        other_people = make_users(session, OTHER, {"klantmanager": 8, "jobcoach": 4, "docent": 4})
        me = accounts.create_user(
            session,
            HOME,
            "bench-klantmanager",
            "Bench Klantmanager",
            ["caseworker"],
            ["klantmanager", "trainer"],
        )
        boss = accounts.create_user(
            session, HOME, "bench-teamleider", "Bench Teamleider", ["coordinator"], ["coordinator"]
        )
        for group in ("klantmanager", "trainer"):  # the bench user holds tasks like a colleague
            home_people.by_group[group].append(f"user:{me.id}")
        home_people.everyone.append(f"user:{me.id}")
        token = accounts.create_token(session, me, "bench")[1]
        coordinator_token = accounts.create_token(session, boss, "bench")[1]
        cookie, _ = accounts.open_session(session, me)
        coordinator_cookie, _ = accounts.open_session(session, boss)
        principal = accounts.principal_of(me, "token")
        z_version = repo.latest_version(session, HOME, "zaanstad_pvt").id
        l_version = repo.latest_version(session, OTHER, "leiden_jas").id
    out = Generated()
    CaseWriter(
        zaanstad, z_version, home_people, rng, now, (), ZAANSTAD_REGIONS, "ZS-2026", termijnen
    ).write(out, n_home)
    home_cases = list(out.cases)
    CaseWriter(
        leiden, l_version, other_people, rng, now, LEIDEN_PREFIX, LEIDEN_REGIONS, "LJ-2026"
    ).write(out, n_other)
    for j in range(n_home // 5):  # the case list was looked at too
        out.audit.append(
            {
                "at": now - timedelta(days=rng.uniform(0, 365)),
                "municipality": HOME,
                "actor": rng.choice(home_people.everyone),
                "action": "cases_listed",
                "case_id": None,
                "detail": {"cases": home_cases[j % len(home_cases) :][:25]},
            }
        )
    tables = (
        (Case, out.rows["cases"]),
        (CasePerson, out.rows["persons"]),
        (CaseDate, out.rows["dates"]),
        (Task, out.rows["tasks"]),
        (TimelineEvent, out.rows["timeline"]),
        (CaseTermijn, out.rows["termijnen"]),
        (AuditEvent, out.audit),
    )
    with store.engine.begin() as conn:
        for model, rows in tables:
            for at in range(0, len(rows), 5000):
                conn.execute(insert(model.__table__), rows[at : at + 5000])  # type: ignore[arg-type]
    with store.sessions() as session:
        open_tasks = list(
            session.scalars(
                select(Task.id).where(Task.municipality == HOME, Task.status == "open")
            ).all()
        )
    return Bench(
        caseworker=principal,
        cases=home_cases,
        tasks=open_tasks,
        token=token,
        coordinator_token=coordinator_token,
        cookie=cookie,
        coordinator_cookie=coordinator_cookie,
        load_seconds=time.perf_counter() - started,  # the caller adds ANALYZE
    )


# ---------------------------------------------------------------------------------- measurement
class NoTemporal:
    """Stands in for the Temporal client: reads never touch it, and a touch fails the request."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a read used the Temporal client: .{name}")


class Meter:
    """Per request: SQL statements and the time spent in them (SQLAlchemy cursor events; the app
    runs sync routes in a thread pool, one request at a time here) and CPython's full (generation
    2) garbage collections. With `capture`, keeps each statement, its parameters and its time."""

    def __init__(self, engine: Engine) -> None:
        self.queries, self.seconds, self.full_gcs = 0, 0.0, 0
        self.capture: list[tuple[str, Any, float]] | None = None
        self._local = threading.local()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        gc.callbacks.append(self._gc)

    def close(self) -> None:
        gc.callbacks.remove(self._gc)

    def reset(self) -> None:
        self.queries, self.seconds, self.full_gcs = 0, 0.0, 0

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            self.full_gcs += 1

    def _before(self, *args: Any) -> None:
        self._local.started = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        took = time.perf_counter() - self._local.started
        self.queries += 1
        self.seconds += took
        if self.capture is not None:
            self.capture.append((statement, params, took))


class DeferDefinition:
    """The change proposed for `queries.cases`, applied from outside for an A/B comparison: the case
    list loads only the DefinitionVersion columns it shows, not `source` and `compiled`. Same as
    adding `.options(defer(DefinitionVersion.source), defer(DefinitionVersion.compiled))` to the
    select in `queries.cases` (a no-op once that is done)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.on = False
        event.listen(sessions, "do_orm_execute", self._apply)

    def _apply(self, state: ORMExecuteState) -> None:
        if not (self.on and state.is_select and isinstance(state.statement, Select)):
            return
        entities = {d.get("entity") for d in state.statement.column_descriptions}
        if Case in entities and DefinitionVersion in entities:
            state.statement = state.statement.options(
                defer(DefinitionVersion.source), defer(DefinitionVersion.compiled)
            )


@dataclass
class Endpoint:
    name: str
    client: str  # page, boss_page, api, boss_api
    url: Callable[[random.Random], str]


@dataclass
class Figures:
    name: str
    ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    full_gcs: int = 0

    def p(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


BASELINE = "baseline: GET /health"


def endpoints(bench: Bench) -> list[Endpoint]:
    cases, tasks = bench.cases, bench.tasks
    team_pages = max(1, len(tasks) // 25)

    def case(r: random.Random) -> str:
        return r.choice(cases)

    def task(r: random.Random) -> str:
        return str(r.choice(tasks))

    def name(r: random.Random) -> str:
        return r.choice(LAST_NAMES)[:5].lower()

    return [
        Endpoint(BASELINE, "api", lambda r: "/health"),
        Endpoint("page / (inbox, team)", "page", lambda r: "/?view=team"),
        Endpoint("page / unassigned", "page", lambda r: "/?view=unassigned"),
        Endpoint("page / mine", "page", lambda r: "/?view=mine"),
        Endpoint("page / overdue", "page", lambda r: "/?view=overdue"),
        Endpoint("page / deadline", "page", lambda r: "/?view=deadline"),
        Endpoint("page / all (coordinator)", "boss_page", lambda r: "/?view=all"),
        Endpoint(
            "page / team, random page", "page", lambda r: f"/?page={r.randint(1, team_pages)}"
        ),
        Endpoint("page /cases", "page", lambda r: "/cases"),
        Endpoint("page /cases?q=<name>", "page", lambda r: f"/cases?q={name(r)}"),
        Endpoint(
            "page /cases, random page",
            "page",
            lambda r: f"/cases?page={r.randint(1, len(cases) // 25)}",
        ),
        Endpoint("page /cases/{id}", "page", lambda r: f"/cases/{case(r)}"),
        Endpoint("page /tasks/{id}", "page", lambda r: f"/tasks/{task(r)}"),
        Endpoint("GET /api/tasks?view=team", "api", lambda r: "/api/tasks?view=team"),
        Endpoint("GET /api/tasks?view=unassigned", "api", lambda r: "/api/tasks?view=unassigned"),
        Endpoint("GET /api/tasks?view=mine", "api", lambda r: "/api/tasks?view=mine"),
        Endpoint("GET /api/tasks?view=overdue", "api", lambda r: "/api/tasks?view=overdue"),
        Endpoint("GET /api/tasks?view=deadline", "api", lambda r: "/api/tasks?view=deadline"),
        Endpoint(
            "GET /api/tasks?view=all (coordinator)", "boss_api", lambda r: "/api/tasks?view=all"
        ),
        Endpoint("GET /api/cases", "api", lambda r: "/api/cases"),
        Endpoint("GET /api/cases?q=<name>", "api", lambda r: f"/api/cases?q={name(r)}"),
        Endpoint("GET /api/cases/{id}", "api", lambda r: f"/api/cases/{case(r)}"),
        Endpoint("GET /api/tasks/{id}", "api", lambda r: f"/api/tasks/{task(r)}"),
    ]


@dataclass
class Measured:
    figures: dict[str, list[Figures]]  # by variant, endpoints in order
    statements: dict[str, list[tuple[str, Any, float]]]  # by endpoint (first variant)
    load: tuple[float, float]  # load average (1 min) before and after


async def measure(
    store: Store,
    bench: Bench,
    args: argparse.Namespace,
    meter: Meter,
    variants: dict[str, Callable[[], None]],
    only: Callable[[str], bool] = lambda name: True,
) -> Measured:
    """`args.requests` requests per endpoint and variant after `args.warmup` rounds; every round
    runs each variant (set up by its callable) with all endpoints, both in a shuffled order."""
    rng = random.Random(args.seed)
    casework = Casework(Traject(store.sessions, NoTemporal(), "bench"))  # type: ignore[arg-type]

    async def not_ready() -> bool:
        return False

    app = create_app(store.sessions, not_ready, casework=casework)
    transport = httpx.ASGITransport(app=app)

    def client(cookie: str | None = None, token: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=transport,
            base_url="http://traject",
            cookies={SESSION_COOKIE: cookie} if cookie else None,
            headers={"Authorization": f"Bearer {token}"} if token else None,
        )

    made = {
        "page": client(cookie=bench.cookie),
        "boss_page": client(cookie=bench.coordinator_cookie),
        "api": client(token=bench.token),
        "boss_api": client(token=bench.coordinator_token),
    }
    points = [p for p in endpoints(bench) if p.name == BASELINE or only(p.name)]
    figures = {v: {p.name: Figures(p.name) for p in points} for v in variants}
    statements: dict[str, list[tuple[str, Any, float]]] = {}
    first = next(iter(variants))
    load_before = os.getloadavg()[0]
    try:
        for round_ in range(args.warmup + args.requests):
            measured = round_ >= args.warmup
            for variant in rng.sample(list(variants), len(variants)):
                variants[variant]()
                for point in rng.sample(points, len(points)):  # drift hits every endpoint alike
                    url = point.url(rng)
                    capture = measured and variant == first and round_ < args.warmup + 20
                    meter.reset()
                    meter.capture = [] if capture else None
                    started = time.perf_counter()
                    response = await made[point.client].get(url)
                    took = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise AssertionError(f"{url}: {response.status_code} {response.text[:300]}")
                    if meter.capture is not None:
                        statements.setdefault(point.name, []).extend(meter.capture)
                        meter.capture = None
                    if measured:
                        f = figures[variant][point.name]
                        f.ms.append(took)
                        f.sql_ms.append(meter.seconds * 1000)
                        f.queries.append(meter.queries)
                        f.full_gcs += meter.full_gcs
            if round_ % 50 == 0:
                print(f"  round {round_}/{args.warmup + args.requests}", file=sys.stderr)
    finally:
        for made_client in made.values():
            await made_client.aclose()
    return Measured(
        {v: list(f.values()) for v, f in figures.items()},
        statements,
        (load_before, os.getloadavg()[0]),
    )


@dataclass
class Statement:
    sql: str
    params: Any  # of the last run
    ms: list[float]
    endpoints: set[str]

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def short(self) -> str:
        """The statement without its select lists, on one line."""
        flat = re.sub(r"%\(\w+\)s(::\w+)?", "?", " ".join(self.sql.split()))
        return re.sub(r"SELECT (?:(?!SELECT|FROM).)+ FROM", "SELECT … FROM", flat)


def statements_by_text(measured: Measured, only: str | None = None) -> list[Statement]:
    """The SELECTs the endpoints ran (first 20 measured rounds), slowest (median) first."""
    found: dict[str, Statement] = {}
    for endpoint, runs in measured.statements.items():
        if only is not None and endpoint != only:
            continue
        for sql, params, took in runs:
            if sql.lstrip().upper().startswith("SELECT"):
                s = found.setdefault(sql, Statement(sql, params, [], set()))
                s.params = params
                s.ms.append(took * 1000)
                s.endpoints.add(endpoint)
    return sorted(found.values(), key=lambda s: -s.median)


def explain(store: Store, sql: str, params: Any) -> str:
    with store.engine.connect() as conn:
        if store.kind == "postgresql":
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).all()
            return "\n".join(str(r[0]) for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
        return "\n".join(str(r[-1]) for r in rows)


def analyze(store: Store) -> None:
    if store.kind == "postgresql":  # what autovacuum does on a live database
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


# ------------------------------------------------------------------------------------- a run
@dataclass
class Run:
    kind: str
    version: str
    counts: dict[str, int]
    load_seconds: float
    open_tasks: int
    main: Measured
    slowest: Statement | None = None
    plan: str = ""
    index: Measured | None = None
    index_plan: str = ""
    defer: Measured | None = None


def _noop() -> None:
    pass


async def run(kind: str, args: argparse.Namespace) -> Run:
    print(f"{kind}: generating {args.cases:,} + {args.other:,} cases", file=sys.stderr)
    with fresh_store(kind) as store:
        bench = generate(
            store, args.cases, args.other, random.Random(args.seed), not args.no_termijnen
        )
        started = time.perf_counter()
        analyze(store)
        bench.load_seconds += time.perf_counter() - started
        meter = Meter(store.engine)
        defer_change = DeferDefinition(store.sessions)
        try:
            print(f"{kind}: measuring", file=sys.stderr)
            main = await measure(store, bench, args, meter, {"as is": _noop})
            result = Run(
                kind,
                db_version(store),
                row_counts(store),
                bench.load_seconds,
                len(bench.tasks),
                main,
            )
            result.slowest = statements_by_text(main)[0]
            result.plan = explain(store, result.slowest.sql, result.slowest.params)
            if args.try_defer:
                print(f"{kind}: A/B, case list with source+compiled deferred", file=sys.stderr)

                def as_is() -> None:
                    defer_change.on = False

                def deferred() -> None:
                    defer_change.on = True

                result.defer = await measure(
                    store,
                    bench,
                    args,
                    meter,
                    {"as is": as_is, "deferred": deferred},
                    lambda name: "/cases" in name and "{id}" not in name,
                )
                defer_change.on = False
            if args.try_index:
                print(f"{kind}: again with {args.try_index}", file=sys.stderr)
                with store.engine.begin() as conn:
                    for ddl in args.try_index:
                        conn.execute(text(ddl))
                analyze(store)
                result.index = await measure(store, bench, args, meter, {"index": _noop})
                inbox = statements_by_text(main, "page / (inbox, team)")[0]
                result.index_plan = explain(store, inbox.sql, inbox.params)
        finally:
            meter.close()
    return result


# ------------------------------------------------------------------------------------- report
ANALYSIS = "<!-- analysis: written by hand; bench/inbox_bench.py keeps everything below -->"


def revision() -> str:
    """The commit measured, and whether the working tree had changes (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except OSError:
        return "unknown"
    return f"commit {head}" + (f" with {len(changed)} changed files" if changed else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def verdict(f: Figures) -> str:
    if f.name == BASELINE:
        return ""
    return "met" if f.p(95) < TARGET_MS else "**MISSED**"


def table(figures: list[Figures]) -> str:
    lines = [
        "| endpoint | p50 | p95 | p99 | max | SQL stmts | SQL p50 | full GCs | p95 < 200 ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for f in figures:
        lines.append(
            f"| {f.name} | {f.p(50):.1f} | {f.p(95):.1f} | {f.p(99):.1f} | {max(f.ms):.1f} "
            f"| {statistics.median(f.queries):.0f} | {statistics.median(f.sql_ms):.1f} "
            f"| {f.full_gcs} | {verdict(f)} |"
        )
    return "\n".join(lines)


def compare(before: list[Figures], after: list[Figures], a: str, b: str) -> str:
    by_name = {f.name: f for f in after}
    lines = [
        f"| endpoint | p50 {a} | p50 {b} | p95 {a} | p95 {b} | p99 {a} | p99 {b} "
        f"| SQL p50 {a} | SQL p50 {b} | full GCs {a} | full GCs {b} |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for f in before:
        g = by_name[f.name]
        lines.append(
            f"| {f.name} | {f.p(50):.1f} | {g.p(50):.1f} | {f.p(95):.1f} | {g.p(95):.1f} "
            f"| {f.p(99):.1f} | {g.p(99):.1f} | {statistics.median(f.sql_ms):.1f} "
            f"| {statistics.median(g.sql_ms):.1f} | {f.full_gcs} | {g.full_gcs} |"
        )
    return "\n".join(lines)


def top_statements(r: Run, n: int = 6) -> str:
    lines = ["| ms | statement | run by |", "|--:|---|---|"]
    for s in statements_by_text(r.main)[:n]:
        by = (
            ", ".join(sorted(s.endpoints))
            if len(s.endpoints) < 4
            else f"{len(s.endpoints)} endpoints"
        )
        lines.append(f"| {s.median:.1f} | `{s.short}` | {by} |")
    return "\n".join(lines)


def section(r: Run, args: argparse.Namespace) -> str:
    name = "PostgreSQL" if r.kind == "postgresql" else "SQLite (embedded default)"
    figures = r.main.figures["as is"]
    app = [f for f in figures if f.name != BASELINE]
    missed = [f.name for f in app if f.p(95) >= TARGET_MS]
    worst = max(app, key=lambda f: f.p(95))
    outcome = (
        f"every endpoint met p95 < {TARGET_MS:.0f} ms (highest: {worst.name}, "
        f"p95 {worst.p(95):.1f} ms)"
        if not missed
        else f"**MISSED** by {', '.join(missed)}"
    )
    load = r.main.load
    text_ = f"""## {name} {r.version}

Data load (generation, bulk insert{", VACUUM ANALYZE" if r.kind == "postgresql" else ""}):
{r.load_seconds:.1f} s; {r.counts["cases"]:,} cases, {r.open_tasks:,} open tasks in `{HOME}`.
Load average (1 min) before / after measuring: {load[0]:.1f} / {load[1]:.1f} on {os.cpu_count()}
cores. Outcome: {outcome}.

Milliseconds, {args.requests} requests per endpoint; SQL = statements per request and time spent in
them (median); full GCs = CPython generation-2 collections that ran during those requests.

{table(figures)}

The slowest statements (median over the first 20 measured rounds, as the app sees them: execution
and fetching the rows; select lists left out):

{top_statements(r)}

The slowest, in full, and its plan ({"EXPLAIN (ANALYZE, BUFFERS)" if r.kind == "postgresql" else "EXPLAIN QUERY PLAN"}, same parameters):

```sql
{r.slowest.sql.strip() if r.slowest else ""}
```

```
{r.plan}
```
"""
    if r.defer is not None:
        text_ += f"""
### A/B: the case list without `definition_versions.source` and `.compiled`

Both variants in the same rounds, interleaved ({args.requests} requests each); "deferred" adds
`.options(defer(DefinitionVersion.source), defer(DefinitionVersion.compiled))` to the select of
`queries.cases`.

{compare(r.defer.figures["as is"], r.defer.figures["deferred"], "as is", "deferred")}
"""
    if r.index is not None:
        text_ += f"""
### Before / after creating by hand: `{"; ".join(args.try_index)}`

Measured after the run above (not interleaved: same process, same data, later in time).

{compare(figures, r.index.figures["index"], "before", "after")}

The inbox page query (team view) with the index:

```
{r.index_plan}
```
"""
    return text_


def write_report(runs: list[Run], args: argparse.Namespace) -> None:
    command = " ".join(["bench/inbox_bench.py", *sys.argv[1:]])
    first = runs[0]
    counts = "\n".join(
        f"| {name} | {first.counts[name]:,} |"
        for name in (
            "cases",
            "case_persons",
            "case_dates",
            "tasks",
            "timeline_events",
            "case_termijnen",
            "audit_log",
            "users",
        )
    )
    termijnen = (
        "No termijnen (`zaanstad_pvt` declares none; `--no-termijnen`), so the `deadline` view is"
        " empty."
        if args.no_termijnen
        else "Each case also has the two Wi2021 termijnen of `wi2021.yaml` in `case_termijnen`"
        " (the PIP within ten weeks: running, suspended, met or expired by the case's age; then"
        " the three-year inburgeringstermijn), although `zaanstad_pvt` declares none: the inbox"
        " counts the `deadline` view on every load, and this gives that view real work."
    )
    kept = ""
    if REPORT.exists() and ANALYSIS in REPORT.read_text():
        kept = REPORT.read_text().split(ANALYSIS, 1)[1]
    text_ = f"""# Benchmark: inbox and case page latency with {args.cases:,} open cases

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores
({cpu_model()}), Python {platform.python_version()}, {platform.system()} {platform.release()};
{", ".join(f"{'PostgreSQL' if r.kind == 'postgresql' else 'SQLite'} {r.version}" for r in runs)}.
Code: {revision()}. Command: `.venv/bin/python {command}`

**Target: p95 < {TARGET_MS:.0f} ms** for the inbox, the case list, the case page and the task page,
as web pages and as REST API calls.

How it was measured:

- A fresh database per run (PostgreSQL on 127.0.0.1:5432, dropped afterwards; SQLite in a temporary
  file), migrated with alembic and seeded with the built-in definitions, as `make up` does.
- The read model is **written directly in SQL** (bulk inserts), not by running {args.cases:,}
  workflows: this is a read benchmark. The rows have the shape the step recorder writes:
  {args.cases:,} running cases in `{HOME}` on `zaanstad_pvt`, spread over the states of both
  parallel regions (`current_states` = one leaf per region); the open tasks of those states
  (trainer / klantmanager; ~45 % claimed by one of 43 colleagues `user:<id>`, due dates spread
  over the task's `due` so ~1 in 5 is past due and marked overdue, escalated after two more
  weeks); the closed tasks of the states already passed; 15–42 timeline events per case (average
  27: state entered/exited, workshop booked, invited, task opened/claimed/completed/overdue,
  events, dates, reminders); a person with a valid BSN per case; audit rows of earlier reads.
  {termijnen}
  Plus {args.other:,} running cases in `{OTHER}` (`leiden_jas`, which has `klantmanager` tasks
  too), so the municipality filter does real work. `zaanstad_pvt` has two parallel regions with at
  most one task per state, so a case there has 1–2 open tasks (3 cannot happen on this
  definition); Leiden's checklist state gives its cases up to 6. PostgreSQL gets a
  `VACUUM ANALYZE` after the load (what autovacuum does on a live database); SQLite gets nothing
  (the embedded default never runs ANALYZE).
- Requests go through the real FastAPI app with `httpx.AsyncClient(transport=ASGITransport(app))`:
  **no network, no uvicorn**; add both for what a browser sees. Pages are signed in with a session
  cookie (`accounts.open_session`), the API with an API token, as a caseworker (groups
  klantmanager + trainer) or, for `all`, as a coordinator. The Temporal client is a stub that
  fails on any use: no read touched it.
- {args.requests} measured requests per endpoint after {args.warmup} warm-up rounds, one request at
  a time; in every round all endpoints and the `/health` baseline run in a shuffled order, so
  drift in the machine hits all alike. Case and task pages take a random case / open task each
  time, searches a random surname fragment (`q=hadda`), "random page" a random page of the list.
  Reading personal data writes an audit row (case list, case page, task page): that INSERT and
  its commit are in the figures.
- The machine is shared: other sessions ran test suites during the run (see the load averages),
  so compare endpoints within a run and take the absolute figures as an upper bound.

Data volume ({first.kind}):

| table | rows |
|---|--:|
{counts}

{"".join(section(r, args) for r in runs)}
{ANALYSIS}{kept}"""
    REPORT.write_text(text_)
    print(text_)


async def main(args: argparse.Namespace) -> None:
    kinds = []
    if postgres_answers():
        kinds.append("postgresql")
    else:
        print("PostgreSQL does not answer on 127.0.0.1:5432: SQLite only", file=sys.stderr)
    if args.sqlite or not kinds:
        kinds.append("sqlite")
    runs = [await run(kind, args) for kind in kinds]
    write_report(runs, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--other", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sqlite", action="store_true", help="also on the embedded SQLite")
    parser.add_argument(
        "--no-termijnen", action="store_true", help="no Wi2021 termijnen on the zaanstad cases"
    )
    parser.add_argument(
        "--try-defer",
        action="store_true",
        help="A/B the case list with definition_versions.source and .compiled deferred",
    )
    parser.add_argument(
        "--try-index",
        action="append",
        default=[],
        metavar="DDL",
        help="create this index by hand after the first measurement, then measure again",
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still drop the database
    asyncio.run(main(parser.parse_args()))
