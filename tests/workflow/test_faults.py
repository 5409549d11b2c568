"""Faults, bounded in time and on loopback only (issue 9): a worker killed with SIGKILL under a load
of running trajectories, a step that fails halfway through its transaction, a clock jump past many
deadlines, the same completion sent twice at once. The dev server restarted mid-load is in
test_server_restart.py, a PostgreSQL connection dropped mid-step in test_pg_connection_drop.py.

The load's size is TRAJECT_FAULT_LOAD (default 100; `make faults` runs 1,000)."""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.record import StepRecorder
from tests.conftest import DEFINITIONS
from tests.workflow.conftest import Recorder
from tests.workflow.fault_load import PVT1_STEPS, Load, bound, start_worker, stop, table
from tests.workflow.test_durable_scenarios import wait_started
from traject.definition import compile_text
from traject.seed import seed
from traject.service import Refused, Traject
from traject.store.models import AuditEvent, Task, TimelineEvent
from workflows.messages import AdvanceClock, TrajectoryInput
from workflows.trajectory import TrajectoryWorkflow


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


async def test_a_worker_killed_under_load_loses_and_duplicates_nothing(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    sessions: sessionmaker[Session],
    migrated: str,
    tmp_path: Path,
) -> None:
    """(a) kill -9 the worker a third of the way through the load, start another: every
    trajectory finishes; no task, seat, letter, audit event, timeline row or declaration is
    duplicated or lost."""
    seed(sessions, DEFINITIONS)
    address = temporal_env.client.service_client.config.target_host
    load = Load(Traject(sessions, temporal_env.client, task_queue), sessions)
    log = tmp_path / "workers.log"
    first = start_worker(address, task_queue, migrated, log)
    second = None
    try:
        await asyncio.wait_for(load.start("Last"), bound(0.2, 30))
        driving = asyncio.ensure_future(load.drive())
        try:
            await asyncio.wait_for(load.progress(1 / 3, driving), bound(0.5, 60))
            first.send_signal(signal.SIGKILL)  # no goodbye: activities and workflow tasks die
            first.wait(timeout=10)
            load.note(
                f"worker killed (SIGKILL) after {load.applied} of {load.completions} completions"
            )
            second = start_worker(address, task_queue, migrated, log)
            load.note("second worker polling")
            await asyncio.wait_for(asyncio.shield(driving), bound(0.5, 120))
        finally:
            driving.cancel()
        await load.check_results()
    finally:
        stop(first)
        stop(second)
    facts = load.check()
    print(f"\n(a) worker killed, {load.size} trajectories on {migrated.split(':')[0]}:")
    print(table(facts), flush=True)


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
            await asyncio.wait_for(Load(traject, sessions, 1, [case]).drive(), 60)
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
