"""The worker's sandbox (worker/sandbox.py) runs trajectories with its glue code compiled once, and
refuses what Temporal's sandbox refuses."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from tests.workflow.conftest import Recorder
from tests.workflow.definitions import intake
from tests.workflow.restricted_workflow import ReadsTheWallClock
from worker.main import workflow_runner
from worker.sandbox import CompiledOnceSandbox, compiled
from workflows.messages import CompleteTask, TrajectoryInput
from workflows.trajectory import TrajectoryWorkflow


async def test_trajectories_run_with_the_sandbox_glue_compiled_once(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    runner = workflow_runner()
    assert isinstance(runner, CompiledOnceSandbox)
    before = compiled.cache_info()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[recorder.record_step],
        workflow_runner=runner,
    ):
        for _ in range(3):
            case_id = f"case-{uuid.uuid4().hex[:12]}"
            handle = await client.start_workflow(
                TrajectoryWorkflow.run,
                TrajectoryInput(case_id=case_id, definition=intake(), manual_clock=True),
                id=f"trajectory-{case_id}",
                task_queue=task_queue,
            )
            for task, data in (
                ("intakegesprek", {"trede": 2, "route": "b1"}),
                ("plan_opstellen", {}),
            ):
                view = await handle.execute_update(
                    TrajectoryWorkflow.complete_task,
                    CompleteTask(task=task, data=data, actor="km-1"),
                )
            assert view.finished and view.outcome == "plan_klaar"
            assert (await handle.result()).finished
    after = compiled.cache_info()
    compiled_now = after.misses - before.misses
    reused = after.hits - before.hits
    assert compiled_now <= 8, "a handful of glue texts, compiled once each"
    assert reused > 10 * max(compiled_now, 1), "every later activation reuses them"


async def test_the_sandbox_still_refuses_what_is_not_deterministic(
    client: Client, task_queue: str
) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ReadsTheWallClock],
        workflow_runner=workflow_runner(),
        workflow_failure_exception_types=[Exception],
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await client.execute_workflow(
                ReadsTheWallClock.run, id=f"clock-{uuid.uuid4().hex[:8]}", task_queue=task_queue
            )
    assert "restricted" in str(failed.value.cause).lower()
