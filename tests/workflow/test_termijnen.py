"""Termijnen on a real Temporal server: suspended, resumed and extended; the escalation fires
exactly once, on the day after the moved last day, also after the worker was replaced. A manual
clock (sandbox mode) lets ten-day termijnen pass in seconds, timers firing in order."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from tests.workflow.conftest import Recorder
from tests.workflow.test_durable_scenarios import wait_started
from traject.definition import CompiledDefinition, compile_text
from traject.machine import TermijnChanged
from workflows.messages import (
    AdvanceClock,
    CaseDecision,
    ChangeTermijn,
    TrajectoryInput,
    TrajectoryView,
)
from workflows.trajectory import TrajectoryWorkflow

BESLISTERMIJN = """
definition: beslistermijn_test
title: Beslistermijn
municipality: testgemeente
version: 1
roles: {klantmanager: Klantmanager, coordinator: Coordinator}
termijnen:
  beslistermijn:
    title: Besluit binnen tien dagen
    start: {state: wachten}
    length: P10D
    atw: false
    amber: 0.5
    met: [besloten]
    on_expiry: [{escalate: {to: coordinator, reason: beslistermijn_verlopen}}]
    suspend: {roles: [klantmanager], max_times: 2, max_length: P20D}
    extend: {roles: [coordinator], max_times: 1, max_length: P1M}
outcomes: {besloten: {title: Besloten}}
initial: wachten
states:
  wachten:
    tasks: {besluit_nemen: {title: Besluit nemen, role: klantmanager}}
    on: {besluit_nemen.done: besloten}
  besloten: {final: true, outcome: besloten}
"""
Handle = WorkflowHandle[TrajectoryWorkflow, TrajectoryView]


def termijn_changes(recorder: Recorder, workflow_id: str) -> list[tuple[str, str | None, str]]:
    return [
        (e.change, e.due, r.at[:10])
        for r in recorder.records
        if r.workflow_id == workflow_id
        for e in r.effects
        if isinstance(e, TermijnChanged)
    ]


async def refused(update: Awaitable[TrajectoryView], message: str) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await update
    assert message in str(info.value.cause)


async def advance(handle: Handle, duration: str) -> TrajectoryView:
    return await handle.execute_update(
        TrajectoryWorkflow.advance_clock, AdvanceClock(duration=duration, actor="tester")
    )


async def change(handle: Handle, what: str, length: str | None = None) -> TrajectoryView:
    request = ChangeTermijn(
        name="beslistermijn",
        change=what,
        reason="test",
        length=length,
        actor="tester",  # type: ignore[arg-type]
    )
    return await handle.execute_update(TrajectoryWorkflow.change_termijn, request)


def worker(client: Client, task_queue: str, recorder: Recorder) -> Worker:
    """A worker for the trajectories of these tests, their steps recorded by `recorder`."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[recorder.record_step],
    )


async def start_on_monday(
    client: Client, task_queue: str, compiled: CompiledDefinition, case_id: str
) -> Handle:
    """A trajectory of `compiled` on a manual clock from Monday 3 March 2025, 09:00 (a ten-day
    termijn's last day is Thursday 13 March), once its first step is recorded."""
    handle: Handle = await client.start_workflow(
        TrajectoryWorkflow.run,
        TrajectoryInput(
            case_id=case_id,
            definition=compiled,
            manual_clock=True,
            clock_start="2025-03-03T09:00:00+00:00",
        ),
        id=f"trajectory-{case_id}",
        task_queue=task_queue,
    )
    await wait_started(handle)
    return handle


async def test_suspend_resume_extend_and_one_escalation_after_a_worker_restart(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    compiled = compile_text(BESLISTERMIJN, "beslistermijn.yaml")
    case_id = f"case-{uuid.uuid4().hex[:12]}"

    async with worker(client, task_queue, recorder):
        handle = await start_on_monday(client, task_queue, compiled, case_id)
        assert termijn_changes(recorder, handle.id) == [("started", "2025-03-13", "2025-03-03")]
        await advance(handle, "P2D")  # 5 March
        await change(handle, "suspend")
        await refused(change(handle, "suspend"), "already suspended")
        view = await advance(handle, "P5D")  # 10 March: without the suspension, amber was due
        assert "termijn:beslistermijn" not in view.timers  # a suspended termijn has no expiry timer
        await change(handle, "resume")  # five days stood still: the last day moves to 18 March
        view = await change(handle, "extend", "P3D")  # and three more: 21 March
        assert view.timers["termijn:beslistermijn"] == "2025-03-22T00:00:00+00:00"
        await refused(change(handle, "extend", "P1D"), "at most 1 extension")
        history_before = len((await handle.fetch_history()).events)
        await refused(change(handle, "extend", "P2M"), "extended by at most P1M")
        assert len((await handle.fetch_history()).events) == history_before  # refused: no trace

    async with worker(client, task_queue, recorder):  # another worker takes over
        await advance(handle, "P11D")  # 21 March 09:00: the last day, not yet expired
        assert recorder.actions(handle.id).count("escalate") == 0
        await advance(handle, "P1D")  # 22 March 09:00: expired at midnight
        await advance(handle, "P5D")
        view = await handle.query(TrajectoryWorkflow.view)

    assert recorder.actions(handle.id).count("escalate") == 1
    assert view.timers.get("termijn:beslistermijn") is None
    assert termijn_changes(recorder, handle.id) == [
        ("started", "2025-03-13", "2025-03-03"),
        ("suspend", None, "2025-03-05"),
        ("resume", "2025-03-18", "2025-03-10"),
        ("extend", "2025-03-21", "2025-03-10"),
        ("amber", "2025-03-21", "2025-03-15"),  # half of the (longer) time used
        ("expired", "2025-03-21", "2025-03-22"),
    ]


async def test_meeting_the_termijn_stops_its_timers(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    compiled = compile_text(BESLISTERMIJN, "beslistermijn.yaml")
    case_id = f"case-{uuid.uuid4().hex[:12]}"
    async with worker(client, task_queue, recorder):
        handle = await start_on_monday(client, task_queue, compiled, case_id)
        from workflows.messages import CompleteTask

        view = await handle.execute_update(
            TrajectoryWorkflow.complete_task, CompleteTask(task="besluit_nemen", actor="tester")
        )
        assert view.finished
    assert [c for c, _, _ in termijn_changes(recorder, handle.id)] == ["started", "met"]
    assert recorder.actions(handle.id).count("escalate") == 0


async def test_a_termijn_runs_on_while_its_trajectory_is_suspended(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    """Suspending a trajectory stops its own clock (a task's due date waits), not the law's: the
    termijn runs on, can be extended meanwhile, and expires on its day with its escalation."""
    text = BESLISTERMIJN.replace(
        "{besluit_nemen: {title: Besluit nemen, role: klantmanager}}",
        "{besluit_nemen: {title: Besluit nemen, role: klantmanager, due: P4D}}",
    )
    compiled = compile_text(text, "beslistermijn.yaml")
    case_id = f"case-{uuid.uuid4().hex[:12]}"
    async with worker(client, task_queue, recorder):
        handle = await start_on_monday(client, task_queue, compiled, case_id)
        await advance(handle, "P2D")  # 5 March: the task is due on 7 March, two days from now
        view = await handle.execute_update(
            TrajectoryWorkflow.suspend,
            CaseDecision(reason="persoonlijke_omstandigheden", actor="tester"),
        )
        assert view.suspended
        assert view.timers["termijn:beslistermijn"] == "2025-03-14T00:00:00+00:00"  # runs on
        assert not any(m for t, m in view.timers.items() if not t.startswith("termijn:"))
        view = await change(handle, "extend", "P2D")  # DUO's extension, while suspended
        assert view.timers["termijn:beslistermijn"] == "2025-03-16T00:00:00+00:00"
        view = await advance(handle, "P12D")  # 17 March: expired at midnight
        assert view.suspended and not view.open_tasks[0].overdue  # the task's clock stood still
        assert recorder.actions(handle.id).count("escalate") == 1
        view = await handle.execute_update(
            TrajectoryWorkflow.resume, CaseDecision(reason="hersteld", actor="tester")
        )
        assert "termijn:beslistermijn" not in {t for t, m in view.timers.items() if m}
        assert not view.open_tasks[0].overdue
        view = await advance(handle, "P2D")  # the task's two days left run after the resume
        assert next(t for t in view.open_tasks if t.name == "besluit_nemen").overdue
        await advance(handle, "P30D")
    assert recorder.actions(handle.id).count("escalate") == 1
    assert termijn_changes(recorder, handle.id) == [
        ("started", "2025-03-13", "2025-03-03"),
        ("extend", "2025-03-15", "2025-03-05"),
        ("amber", "2025-03-15", "2025-03-09"),  # half of the (longer) time, while suspended
        ("expired", "2025-03-15", "2025-03-16"),
    ]
