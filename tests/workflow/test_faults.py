"""Faults, bounded in time and on loopback only: a worker killed with SIGKILL under load, a step
that fails halfway through its transaction, a clock jump past many deadlines, the same completion
sent twice at once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.record import StepRecorder
from tests.conftest import DEFINITIONS
from tests.workflow.conftest import Recorder
from tests.workflow.test_durable_scenarios import wait_started
from traject.definition import compile_text
from traject.seed import seed
from traject.service import Refused, Traject
from traject.store.models import AuditEvent, Declaration, OutboxMessage, Task, TimelineEvent
from workflows.messages import AdvanceClock, TrajectoryInput
from workflows.trajectory import TrajectoryWorkflow

ROOT = Path(__file__).parents[2]
PVT1_STEPS = (
    ("aanmelding_bevestigen", {"tolk_nodig": False}),
    ("aanwezigheid", {"aanwezig": True, "brochure_ontvangen": True}),
    ("ondertekening", {"getekend": True}),
)


def start_worker(address: str, queue: str, url: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.workflow.worker_process", address, queue, url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


async def open_task_id(
    sessions: sessionmaker[Session], case_id: str, name: str, seconds: float = 20
) -> int:
    for _ in range(int(seconds / 0.05)):
        with sessions() as session:
            found = session.scalar(
                select(Task.id).where(
                    Task.case_id == case_id, Task.name == name, Task.status == "open"
                )
            )
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {name} of {case_id} never opened")


TRAIL: dict[str, list[str]] = {}


async def drive(traject: Traject, sessions: sessionmaker[Session], case_id: str) -> None:
    trail = TRAIL.setdefault(case_id, [])
    for name, data in PVT1_STEPS:
        task_id = await open_task_id(sessions, case_id, name)
        for _ in range(100):  # a refused or lost call is simply tried again, as a client would
            try:
                await asyncio.wait_for(traject.complete_task(task_id, data, "km-1"), timeout=10)
                trail.append(f"{name}: ok")
                break
            except Refused as refused:
                trail.append(f"{name}: refused {refused.code} {refused}")
                if refused.code == "task_not_open":
                    break
                raise
            except (TimeoutError, RuntimeError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
                trail.append(f"{name}: {type(error).__name__}")
                await asyncio.sleep(0.2)  # the worker died under this call: send it again


async def test_a_worker_killed_under_load_loses_and_duplicates_nothing(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    sessions: sessionmaker[Session],
    migrated: str,
) -> None:
    seed(sessions, DEFINITIONS)
    address = temporal_env.client.service_client.config.target_host
    traject = Traject(sessions, temporal_env.client, task_queue)
    first = start_worker(address, task_queue, migrated)
    cases = [await traject.start_case("pvt1", f"Last{i}", actor="km-1") for i in range(30)]
    load = asyncio.gather(*(drive(traject, sessions, c.id) for c in cases))
    await asyncio.sleep(1.0)
    first.send_signal(signal.SIGKILL)  # no goodbye: running activities and workflow tasks die
    first.wait(timeout=10)
    second = start_worker(address, task_queue, migrated)
    try:
        await asyncio.wait_for(load, timeout=120)
        for case in cases:
            view = await traject.handle(case).query(TrajectoryWorkflow.view)
            assert view.finished and view.outcome == "verklaring_getekend", (
                case.id,
                TRAIL[case.id],
            )
    finally:
        second.kill()
        second.wait(timeout=10)
    with sessions() as session:
        ids = [c.id for c in cases]

        def per_case(model: type) -> set[int]:
            rows = session.execute(
                select(model.case_id, func.count())
                .where(model.case_id.in_(ids))
                .group_by(model.case_id)
            ).all()
            return {count for _, count in rows} | ({0} if len(rows) < len(ids) else set())

        assert per_case(Task) == {3}
        assert per_case(Declaration) == {1}
        assert per_case(OutboxMessage) == {3}  # two letters and the report, each once
        keys = session.scalars(
            select(TimelineEvent.key).where(TimelineEvent.case_id.in_(ids))
        ).all()
        assert len(keys) == len(set(keys))


class FailingOnce(StepRecorder):
    """Fails every step's first attempt after writing part of it, inside the transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(sessions)
        self.failed: set[tuple[str, int]] = set()

    def apply(self, record):  # type: ignore[no-untyped-def]
        key = (record.workflow_id, record.sequence)
        if key not in self.failed:
            self.failed.add(key)
            from activities import effects

            original = effects._task_opened

            def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
                original(*args, **kwargs)
                raise ConnectionError("the database went away halfway through the step")

            effects._task_opened = crash  # type: ignore[assignment]
            try:
                return super().apply(record)
            finally:
                effects._task_opened = original  # type: ignore[assignment]
        return super().apply(record)


async def test_a_step_that_fails_halfway_is_retried_and_written_once(
    client: Client, task_queue: str, sessions: sessionmaker[Session]
) -> None:
    seed(sessions, DEFINITIONS)
    recorder = FailingOnce(sessions)
    traject = Traject(sessions, client, task_queue)
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[TrajectoryWorkflow],
            activities=[recorder.record_step],
            activity_executor=executor,
        ):
            case = await traject.start_case("pvt1", "Herhaal", actor="km-1")
            await wait_started(traject.handle(case))
            await drive(traject, sessions, case.id)
    assert recorder.failed
    with sessions() as session:
        tasks = session.scalars(
            select(Task.name).where(Task.case_id == case.id).order_by(Task.id)
        ).all()
    assert list(tasks) == [name for name, _ in PVT1_STEPS]


async def test_the_same_completion_twice_at_once_is_applied_once(
    client: Client, task_queue: str, sessions: sessionmaker[Session]
) -> None:
    seed(sessions, DEFINITIONS)
    traject = Traject(sessions, client, task_queue)
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[TrajectoryWorkflow],
            activities=[StepRecorder(sessions).record_step],
            activity_executor=executor,
        ):
            case = await traject.start_case("pvt1", "Dubbel", actor="km-1")
            await wait_started(traject.handle(case))
            task_id = await open_task_id(sessions, case.id, "aanmelding_bevestigen")
            same = {"tolk_nodig": True, "taal": "farsi"}
            answers = await asyncio.gather(
                traject.complete_task(task_id, same, "km-1"),
                traject.complete_task(task_id, same, "km-1"),
                return_exceptions=True,
            )
            refusals = [a for a in answers if isinstance(a, Refused)]
            assert len(refusals) == 1 and refusals[0].code == "task_not_open", answers
            with pytest.raises(Refused) as other:
                await traject.complete_task(task_id, {"tolk_nodig": False}, "km-2")
            assert other.value.code == "task_not_open"
    with sessions() as session:
        completed = session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.case_id == case.id, TimelineEvent.kind == "task_completed"
            )
        ).all()
        audited = session.scalars(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "task_completed"
            )
        ).all()
    assert len(completed) == 1 and len(audited) == 1


JUMP = (
    """
definition: klokken
title: Klokken
municipality: test
version: 1
roles: {km: Klantmanager, coordinator: Coordinator}
outcomes: {klaar: {title: Klaar}}
initial: p
states:
  p:
    on: {done: klaar}
    parallel:
"""
    + "".join(
        f"""      r{i}:
        initial: s{i}
        states:
          s{i}:
            tasks: {{t{i}: {{title: T{i}, role: km, due: P{i + 1}D, escalate: {{after: P{i + 2}W, to: coordinator}}}}}}
            on: {{t{i}.done: f{i}}}
          f{i}: {{final: true}}
"""
        for i in range(8)
    )
    + """  klaar: {final: true, outcome: klaar}
"""
)


async def test_a_clock_jump_past_many_deadlines_fires_each_escalation_once(
    client: Client, task_queue: str
) -> None:
    recorder = Recorder()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[recorder.record_step],
    ):
        handle = await client.start_workflow(
            TrajectoryWorkflow.run,
            TrajectoryInput(
                case_id="case-klok",
                definition=compile_text(JUMP),
                manual_clock=True,
                clock_start="2025-01-06T09:00:00+00:00",
            ),
            id=f"trajectory-klok-{task_queue}",
            task_queue=task_queue,
        )
        await wait_started(handle)
        view = await handle.execute_update(
            TrajectoryWorkflow.advance_clock, AdvanceClock(duration="P1Y", actor="ops")
        )
        assert all(t.overdue and t.escalated for t in view.open_tasks) and len(view.open_tasks) == 8
        again = await handle.execute_update(
            TrajectoryWorkflow.advance_clock, AdvanceClock(duration="P1Y", actor="ops")
        )
        assert again.timers == {}
    assert recorder.actions(handle.id).count("escalate") == 8
