"""Plausible read-model rows for the dashboard: cases of a definition with their state stays,
tasks, ladder measurements, escalations, case dates and reports, shaped like what the step
recorder writes (no workflows run). Used by bench/dashboard_bench.py (100,000 cases, COPY into
PostgreSQL) and by the dashboard's browser test (a few hundred, on SQLite).

A case walks the definition's atomic states in their written order, skipping some; each stay
lasts a lognormal time around the KPI of the state (or of the innermost state around it that has
one). Composite states are entered with their first child and left with their last.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from traject.definition.compiled import CompiledDefinition
from traject.definition.duration import Duration
from traject.store.models import (
    Case,
    CaseDate,
    Escalation,
    LadderMeasurement,
    Task,
    TimelineEvent,
)

TABLES = {
    "cases": Case.__table__,
    "timeline_events": TimelineEvent.__table__,
    "tasks": Task.__table__,
    "ladder_measurements": LadderMeasurement.__table__,
    "escalations": Escalation.__table__,
    "case_dates": CaseDate.__table__,
}


@dataclass
class Rows:
    by_table: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {t: [] for t in TABLES}
    )

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.by_table.values())


class Generator:
    def __init__(
        self,
        d: CompiledDefinition,
        version_id: int,
        municipality: str,
        now: datetime,
        years: float = 3.0,
    ) -> None:
        self.d, self.version_id, self.municipality, self.now = d, version_id, municipality, now
        self.years = years
        self.leaves = [s.name for s in d.states.values() if s.kind == "atomic" and not s.children]
        self.finals = [s for s in d.states.values() if s.kind == "final" and s.parent is None]
        self.medians = {name: self._median(name) for name in self.leaves}
        self.event_id = 0

    def _median(self, name: str) -> float:
        for around in self.d.ancestors(name):
            kpi = self.d.states[around].kpi
            if kpi:
                inside = max(1, sum(1 for leaf in self.leaves if around in self.d.ancestors(leaf)))
                days = Duration.parse(kpi.expected).approx_days()
                return days if around == name else days / inside
        return 21.0

    def case(self, rng: random.Random, case_id: str, out: Rows) -> None:
        d, now = self.d, self.now
        started = now - timedelta(
            days=rng.uniform(0, 365 * self.years), minutes=rng.randint(0, 600)
        )
        path = [s for i, s in enumerate(self.leaves) if i == 0 or rng.random() < 0.6]
        seq, t, inside, visits = 0, started, [], []
        events = out.by_table["timeline_events"]

        def event(kind: str, subject: str | None, at: datetime, **detail: Any) -> None:
            nonlocal seq
            seq += 1
            events.append(
                {
                    "key": f"{case_id}:{seq}",
                    "case_id": case_id,
                    "seq": seq,
                    "at": at,
                    "kind": kind,
                    "subject": subject,
                    "detail": detail,
                    "actor": None,
                }
            )

        current: list[str] = []
        finished_at = None
        for leaf in path:
            chain = list(reversed(d.ancestors(leaf)))
            for name in [n for n in inside if n not in chain][::-1]:
                event("state_exited", name, t)
                inside.remove(name)
            for name in chain:
                if name not in inside:
                    event("state_entered", name, t)
                    inside.append(name)
            stay = self.medians[leaf] * math.exp(rng.gauss(0, 0.6))
            visits.append((leaf, t))
            self._tasks(rng, case_id, leaf, t, t + timedelta(days=stay), out)
            if t + timedelta(days=stay) > now:
                current = [leaf]
                break
            t = t + timedelta(days=stay)
        else:
            for name in inside[::-1]:
                event("state_exited", name, t)
            final = rng.choice(self.finals)
            event("state_entered", final.name, t)
            event("finished", final.name, t, outcome=final.outcomes[0] if final.outcomes else None)
            finished_at, current = t, [final.name]
        outcome = None
        if finished_at is not None:
            options = [s for s in self.finals if s.outcomes]
            outcome = rng.choice(options).outcomes[0] if options else None
        status = "finished" if finished_at else ("suspended" if rng.random() < 0.03 else "running")
        out.by_table["cases"].append(
            {
                "id": case_id,
                "municipality": self.municipality,
                "definition_version_id": self.version_id,
                "workflow_id": f"traject-{case_id}",
                "reference": None,
                "status": status,
                "current_states": current,
                "outcome": outcome,
                "overdue": rng.random() < 0.1,
                "started_at": started,
                "last_progress_at": visits[-1][1],
                "finished_at": finished_at,
            }
        )
        self._ladder(rng, case_id, started, finished_at or now, out)
        self._wi(rng, case_id, started, visits, out, event)
        if rng.random() < 0.15:
            at = started + (min(now, finished_at or now) - started) * rng.random()
            out.by_table["escalations"].append(
                {
                    "key": f"{case_id}:e",
                    "case_id": case_id,
                    "task": None,
                    "to_role": rng.choice(list(d.roles)),
                    "reason": rng.choice(
                        ["taak_te_laat", "termijn_bijna_verstreken", "geen_reactie"]
                    ),
                    "created_at": at,
                    "resolved_at": at + timedelta(days=3) if rng.random() < 0.6 else None,
                }
            )

    def _tasks(
        self, rng: random.Random, case_id: str, leaf: str, start: datetime, end: datetime, out: Rows
    ) -> None:
        for name in self.d.states[leaf].tasks[:2]:
            spec = self.d.tasks[name]
            due = Duration.parse(spec.due).add_to(start) if spec.due else None
            done = end <= self.now
            out.by_table["tasks"].append(
                {
                    "key": f"{case_id}:{leaf}:{name}:{start.timestamp():.0f}",
                    "case_id": case_id,
                    "municipality": self.municipality,
                    "name": name,
                    "state": leaf,
                    "title": spec.title,
                    "role": spec.role,
                    "status": "completed" if done else "open",
                    "assignee": None if rng.random() < 0.5 else "user:1",
                    "created_at": start,
                    "due_at": due,
                    "completed_at": end if done else None,
                    "completed_by": "user:1" if done else None,
                    "overdue": bool(due and due < min(end, self.now)),
                    "escalated": rng.random() < 0.03,
                    "form_data": {"route": rng.choice(["b1", "b1", "z", "onderwijs"])}
                    if name == "pip_vaststellen"
                    else {},
                    "personal_data": {},
                }
            )

    def _ladder(
        self, rng: random.Random, case_id: str, start: datetime, end: datetime, out: Rows
    ) -> None:
        step, at, n = rng.choice([1, 1, 2, 2, 3]), start + timedelta(days=rng.uniform(5, 30)), 0
        while at < end and n < 8:
            out.by_table["ladder_measurements"].append(
                {
                    "key": f"{case_id}:l{n}",
                    "case_id": case_id,
                    "step": step,
                    "measured_at": at,
                    "measured_by": "user:1",
                    "source": "bench",
                }
            )
            step = max(1, min(6, step + rng.choice([-1, 0, 0, 1, 1])))
            at, n = at + timedelta(days=rng.uniform(60, 150)), n + 1

    def _wi(
        self,
        rng: random.Random,
        case_id: str,
        started: datetime,
        visits: list[tuple[str, datetime]],
        out: Rows,
        event: Any,
    ) -> None:
        if "duo_melding" not in self.d.case_dates:
            return
        dates = out.by_table["case_dates"]
        dates.append(
            {
                "case_id": case_id,
                "name": "duo_melding",
                "value": (started - timedelta(days=rng.randint(0, 14))).date(),
            }
        )
        after_pip = [
            at
            for name, at in visits
            if name
            not in ("brede_intake", "niet_verschenen", "leerbaarheidstoets", "pip_opstellen")
        ]
        if after_pip:
            pip = after_pip[0]
            dates.append({"case_id": case_id, "name": "pip_datum", "value": pip.date()})
            for subject, share, days in (("pvt_afgerond", 0.7, 150), ("map_afgerond", 0.5, 300)):
                at = pip + timedelta(days=days * math.exp(rng.gauss(0, 0.4)))
                if rng.random() < share and at < self.now:
                    event("reported", subject, at, to="duo")


def generate(gen: Generator, n: int, rng: random.Random, prefix: str) -> Rows:
    out = Rows()
    for i in range(n):
        gen.case(rng, f"{prefix}{i:06d}", out)
    return out


def write(connection: Connection, rows: Rows, chunk: int = 5000) -> None:
    """COPY on PostgreSQL (fast), plain multi-row inserts elsewhere. Parents first."""
    for table_name in TABLES:
        table, found = TABLES[table_name], rows.by_table[table_name]
        if not found:
            continue
        raw = connection.connection.driver_connection
        if connection.dialect.name == "postgresql":
            _copy(raw, table_name, found)
        else:
            for start in range(0, len(found), chunk):
                connection.execute(insert(table), found[start : start + chunk])


def _copy(raw: Any, table: str, rows: Iterable[dict[str, Any]]) -> None:
    import json

    rows = list(rows)
    columns = list(rows[0])
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [json.dumps(v) if isinstance(v, dict | list) else v for v in row.values()]
            )


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
