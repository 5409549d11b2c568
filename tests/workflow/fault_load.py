"""A load of PVT1 trajectories driven to their signing while something breaks (issue 9), and the
facts checked afterwards: every trajectory finished, and no task, workshop seat, letter, audit
event, timeline row or declaration duplicated or lost.

`TRAJECT_FAULT_LOAD` sets the number of trajectories (default 100, a bounded run for `make test`;
`make faults` runs 1,000). The load starts them all, then completes their three tasks as a case
worker would: at most `IN_FLIGHT` completions at a time, each answer awaited at most
`ANSWER_TIMEOUT` seconds, a lost or failed call sent again — the same completion, which Traject
applies once.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from traject.service import Refused, Traject
from traject.store.models import (
    AppliedStep,
    AuditEvent,
    Case,
    Declaration,
    Escalation,
    OutboxMessage,
    Task,
    TimelineEvent,
    WorkshopSeat,
    WorkshopSession,
)

LOAD = int(os.environ.get("TRAJECT_FAULT_LOAD", "100"))
IN_FLIGHT = 50  # completions sent at once
STARTS_IN_FLIGHT = 20
ANSWER_TIMEOUT = 15.0  # seconds one call may take before the case worker sends it again
POLL = 0.2  # seconds between looks for the trajectories' open tasks

ACTORS = {"aanmelding_bevestigen": "km-1", "aanwezigheid": "trainer-1", "ondertekening": "km-1"}
PVT1_STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("aanmelding_bevestigen", {"tolk_nodig": False}),
    ("aanwezigheid", {"aanwezig": True, "brochure_ontvangen": True}),
    ("ondertekening", {"getekend": True}),
)
LETTERS = {"uitnodiging_workshop_kernwaarden", "uitnodiging_ondertekening", "pvt_afgerond"}
STEPS_PER_CASE = 1 + len(PVT1_STEPS)  # the start and one step per completion


def bound(seconds_per_trajectory: float, base: float) -> float:
    """A time limit that grows with the load."""
    return base + seconds_per_trajectory * LOAD


@dataclass
class Load:
    traject: Traject
    sessions: sessionmaker[Session]
    size: int = LOAD
    cases: list[Case] = field(default_factory=list)
    applied: int = 0  # completions answered (200)
    retries: int = 0  # calls sent again after a timeout or an error
    trails: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    open: dict[tuple[str, str], int] = field(default_factory=dict)
    started_at: float = field(default_factory=time.monotonic)  # reset by start()
    events: list[str] = field(default_factory=list)  # what happened when, for the report

    @property
    def completions(self) -> int:
        return self.size * len(PVT1_STEPS)

    def note(self, what: str) -> None:
        line = f"{time.monotonic() - self.started_at:7.1f}s  {what}"
        self.events.append(line)
        print(line, flush=True)

    # ------------------------------------------------------------------------------- driving
    async def start(self, prefix: str) -> None:
        self.started_at = time.monotonic()
        gate = asyncio.Semaphore(STARTS_IN_FLIGHT)

        async def one(i: int) -> Case:
            async with gate:
                return await self.traject.start_case("pvt1", f"{prefix}{i}", actor="km-1")

        self.cases = list(await asyncio.gather(*(one(i) for i in range(self.size))))
        self.note(f"{self.size} trajectories started")

    async def drive(self) -> None:
        """Every case through its three tasks; returns when all are answered."""
        gate, stop = asyncio.Semaphore(IN_FLIGHT), asyncio.Event()
        poller = asyncio.create_task(self._poll(stop))
        try:
            await asyncio.gather(*(self._drive(case.id, gate) for case in self.cases))
        finally:
            stop.set()
            await poller
        self.note(f"all {self.applied} completions answered ({self.retries} sent again)")

    async def progress(self, fraction: float, driving: asyncio.Future[None]) -> None:
        """Until `fraction` of all completions are answered (or the load failed: raise)."""
        while self.applied < self.completions * fraction and not driving.done():
            await asyncio.sleep(0.05)
        if driving.done():
            driving.result()

    async def _poll(self, stop: asyncio.Event) -> None:
        ids = [case.id for case in self.cases]

        def look() -> dict[tuple[str, str], int]:
            with self.sessions() as session:
                rows = session.execute(
                    select(Task.case_id, Task.name, Task.id).where(
                        Task.status == "open", Task.case_id.in_(ids)
                    )
                ).all()
            return {(case_id, name): task_id for case_id, name, task_id in rows}

        while not stop.is_set():
            try:
                self.open = await asyncio.to_thread(look)
            except Exception as error:  # a dropped connection: look again
                self.note(f"poll failed: {type(error).__name__}")
            await asyncio.sleep(POLL)

    async def _task(self, case_id: str, name: str) -> int:
        while (case_id, name) not in self.open:
            await asyncio.sleep(POLL / 2)
        return self.open[(case_id, name)]

    async def _drive(self, case_id: str, gate: asyncio.Semaphore) -> None:
        trail = self.trails[case_id]
        for name, data in PVT1_STEPS:
            task_id = await self._task(case_id, name)
            actor = ACTORS[name]
            while True:
                async with gate:
                    try:
                        await asyncio.wait_for(
                            self.traject.complete_task(task_id, data, actor), ANSWER_TIMEOUT
                        )
                        trail.append(f"{name}: ok")
                        self.applied += 1
                        break
                    except Refused as refused:
                        trail.append(f"{name}: refused {refused.code} {refused}")
                        if refused.code == "task_not_open" and self._done(task_id, data, actor):
                            self.applied += 1  # an earlier call of ours applied it (and wrote
                            break  # its audit event): the second answer is a 409
                        raise
                    except (
                        TimeoutError,
                        RPCError,
                        WorkflowUpdateRPCTimeoutOrCancelledError,
                        RuntimeError,
                    ) as error:
                        trail.append(f"{name}: {type(error).__name__}")
                        self.retries += 1
                await asyncio.sleep(0.5)  # a worker or server is down: send it again soon

    def _done(self, task_id: int, data: dict[str, Any], actor: str) -> bool:
        with self.sessions() as session:
            task = session.get(Task, task_id)
            return (
                task is not None
                and task.status == "completed"
                and task.completed_by == actor
                and task.form_data == data
            )

    async def check_results(self) -> None:
        """Every workflow ended with the outcome (its result, read from its history)."""
        gate = asyncio.Semaphore(STARTS_IN_FLIGHT)

        async def result(case: Case) -> tuple[str, str | None]:
            async with gate:
                view = await self.traject.handle(case).result()
                return case.id, view.outcome if view.finished else "not finished"

        results = await asyncio.gather(*(result(case) for case in self.cases))
        wrong = [(c, o, self.trails[c]) for c, o in results if o != "verklaring_getekend"]
        assert not wrong, wrong[:5]

    # ------------------------------------------------------------------------------- facts
    def check(self) -> dict[str, tuple[int, int]]:
        """Assert that nothing was lost or duplicated; returns {what: (expected, found)}."""
        return check_pvt1_facts(self.sessions, self.cases)


def _per_case(session: Session, model: type, ids: list[str]) -> Counter[str]:
    column = model.case_id  # type: ignore[attr-defined]
    rows = session.execute(
        select(column, func.count()).where(column.in_(ids)).group_by(column)
    ).all()
    return Counter({case_id: count for case_id, count in rows})


def _only(counts: Counter[str], ids: Iterable[str], expected: int, what: str) -> None:
    wrong = {i: counts.get(i, 0) for i in ids if counts.get(i, 0) != expected}
    assert not wrong, (
        f"{what}: expected {expected} per trajectory, found {dict(list(wrong.items())[:10])}"
    )


def check_pvt1_facts(
    sessions: sessionmaker[Session], cases: list[Case]
) -> dict[str, tuple[int, int]]:
    ids = [case.id for case in cases]
    workflows = {case.workflow_id: case.id for case in cases}
    n = len(ids)
    with sessions() as session:
        finished = session.execute(
            select(Case.id, Case.status, Case.outcome).where(Case.id.in_(ids))
        ).all()
        not_done = [row for row in finished if row[1:] != ("finished", "verklaring_getekend")]
        assert len(finished) == n and not not_done, not_done[:10]

        steps: dict[str, list[int]] = defaultdict(list)
        for workflow_id, sequence in session.execute(
            select(AppliedStep.workflow_id, AppliedStep.sequence)
            .where(AppliedStep.workflow_id.in_(list(workflows)))
            .order_by(AppliedStep.sequence)
        ):
            steps[workflow_id].append(sequence)
        expected_steps = list(range(1, STEPS_PER_CASE + 1))
        wrong_steps = {w: s for w, s in steps.items() if s != expected_steps}
        assert len(steps) == n and not wrong_steps, list(wrong_steps.items())[:10]

        tasks = session.execute(
            select(Task.case_id, Task.name, Task.status, Task.completed_by, Task.id).where(
                Task.case_id.in_(ids)
            )
        ).all()
        by_case: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
        for case_id, name, status, completed_by, _ in tasks:
            by_case[case_id].append((name, status, completed_by))
        expected_tasks = sorted((name, "completed", ACTORS[name]) for name, _ in PVT1_STEPS)
        wrong_tasks = {c: t for c, t in by_case.items() if sorted(t) != expected_tasks}
        assert len(by_case) == n and not wrong_tasks, list(wrong_tasks.items())[:5]

        seats = session.execute(
            select(WorkshopSeat.case_id, WorkshopSeat.status).where(WorkshopSeat.case_id.in_(ids))
        ).all()
        _only(Counter(case_id for case_id, _ in seats), ids, 1, "workshop seats")
        waitlisted = sum(status == "waitlisted" for _, status in seats)
        booked = sum(status == "booked" for _, status in seats)
        assert booked + waitlisted == n, Counter(status for _, status in seats)
        capacity = session.execute(
            select(WorkshopSession.id, WorkshopSession.capacity, func.count(WorkshopSeat.id))
            .join(WorkshopSeat, WorkshopSeat.session_id == WorkshopSession.id, isouter=True)
            .where(WorkshopSession.workshop == "kernwaarden")
            .where(WorkshopSession.municipality == "voorbeeldgemeente")
            .where((WorkshopSeat.status == "booked") | WorkshopSeat.id.is_(None))
            .group_by(WorkshopSession.id, WorkshopSession.capacity)
        ).all()
        overbooked = [(s, cap, taken) for s, cap, taken in capacity if taken > cap]
        assert not overbooked, overbooked
        if waitlisted:  # a waiting list only when every session is full: no seat lost
            assert all(taken == cap for _, cap, taken in capacity), capacity

        letters = session.execute(
            select(OutboxMessage.case_id, OutboxMessage.template).where(
                OutboxMessage.case_id.in_(ids)
            )
        ).all()
        per_case_letters: dict[str, list[str]] = defaultdict(list)
        for case_id, template in letters:
            per_case_letters[case_id].append(template)
        wrong_letters = {c: t for c, t in per_case_letters.items() if sorted(t) != sorted(LETTERS)}
        assert len(per_case_letters) == n and not wrong_letters, list(wrong_letters.items())[:5]

        declarations = _per_case(session, Declaration, ids)
        _only(declarations, ids, 1, "declarations")
        assert not _per_case(session, Escalation, ids), "no escalation on this path"

        audits = session.execute(
            select(AuditEvent.case_id, AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.case_id.in_(ids)
            )
        ).all()
        started = Counter(c for c, action, _ in audits if action == "case_started")
        _only(started, ids, 1, "case_started audit events")
        completed = [(c, d.get("task_id")) for c, action, d in audits if action == "task_completed"]
        _only(Counter(c for c, _ in completed), ids, len(PVT1_STEPS), "task_completed audits")
        task_ids = {(case_id, task_id) for case_id, _, _, _, task_id in tasks}
        assert set(completed) == task_ids, "one task_completed audit event for each task"

        timeline = session.execute(
            select(TimelineEvent.case_id, TimelineEvent.kind, TimelineEvent.subject).where(
                TimelineEvent.case_id.in_(ids)
            )
        ).all()
        rows: dict[str, Counter[tuple[str, str | None]]] = defaultdict(Counter)
        for case_id, kind, subject in timeline:
            kind = "workshop_seat" if kind.startswith("workshop_") else kind
            rows[case_id][(kind, subject)] += 1
        reference = rows[ids[0]]
        assert reference[("task_completed", "ondertekening")] == 1
        assert reference[("finished", "afgerond")] == 1, reference
        assert sum(v for (k, _), v in reference.items() if k == "task_opened") == 3
        assert all(count == 1 for count in reference.values()), reference
        different = [c for c in ids if rows[c] != reference]
        assert not different, (different[:5], [rows[c] for c in different[:2]], reference)
        seqs = session.execute(
            select(TimelineEvent.case_id, TimelineEvent.seq, func.count())
            .where(TimelineEvent.case_id.in_(ids))
            .group_by(TimelineEvent.case_id, TimelineEvent.seq)
            .having(func.count() > 1)
        ).all()
        assert not seqs, seqs[:5]

    per_trajectory_timeline = sum(reference.values())
    return {
        "trajectories finished": (n, len(finished) - len(not_done)),
        "steps recorded": (n * STEPS_PER_CASE, sum(len(s) for s in steps.values())),
        "tasks": (n * len(PVT1_STEPS), len(tasks)),
        "workshop seats (booked + waiting list)": (n, len(seats)),
        "letters and reports (outbox)": (n * len(LETTERS), len(letters)),
        "declarations": (n, sum(declarations.values())),
        "audit events (started + completed)": (
            n * (1 + len(PVT1_STEPS)),
            sum(started.values()) + len(completed),
        ),
        "timeline rows": (n * per_trajectory_timeline, len(timeline)),
    }


def table(facts: dict[str, tuple[int, int]]) -> str:
    lines = ["| what | expected | found |", "|---|---:|---:|"]
    lines += [f"| {what} | {expected} | {found} |" for what, (expected, found) in facts.items()]
    return "\n".join(lines)


# --------------------------------------------------------------------------------- processes
ROOT = Path(__file__).parents[2]


def start_worker(address: str, queue: str, url: str, log: Path) -> subprocess.Popen[str]:
    """A worker process (tests/workflow/worker_process.py), once it polls; its logs go to `log`."""
    return start_module("tests.workflow.worker_process", [address, queue, url], log)


def start_module(module: str, args: list[str], log: Path) -> subprocess.Popen[str]:
    """`python -m module args…` as a process, once it prints `ready`; its stderr goes to `log`."""
    with log.open("a") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        stop(process)
        raise AssertionError(f"{module} did not start: {log.read_text()[-2000:]}")
    return process


def stop(process: subprocess.Popen[Any] | None) -> None:
    """Kill a process this test started and reap it."""
    if process is not None and process.poll() is None:
        process.kill()
    if process is not None:
        process.wait(timeout=30)


async def connect(address: str, seconds: float = 60) -> Client:
    """A client, once the server answers (a fresh dev server listens before it is healthy)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await Client.connect(address, data_converter=pydantic_data_converter)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)
