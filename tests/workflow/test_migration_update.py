"""The workflow's `migrate` update on a real local Temporal server: its validator refuses a plan
that does not fit the trajectory's current state with a typed `migration_refused` failure that
names the problem, before anything is accepted (no history event, no step record, the trajectory
still on its version); a plan that fits is applied."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from tests.workflow.conftest import Recorder
from tests.workflow.definitions import INTAKE
from tests.workflow.test_trajectory_workflow import (
    Handle,
    settled_history_length,
    start,
    worker,
)
from traject.definition import CompiledDefinition, compile_text
from workflows.messages import Migrate
from workflows.trajectory import TrajectoryWorkflow

# Version 2 of the workflow tests' intake definition: the state 'intake' is now 'kennismaking'.
V2 = (
    INTAKE.replace("version: 1", "version: 2", 1)
    .replace("initial: intake", "initial: kennismaking")
    .replace("  intake:\n", "  kennismaking:\n")
)


def version_2(text: str = V2) -> CompiledDefinition:
    return compile_text(text, "intake_test.yaml")


async def refused(handle: Handle, definition: CompiledDefinition, mapping: dict[str, str]) -> str:
    """Send the update, expect its typed refusal; the refusal's problems, joined."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(
            TrajectoryWorkflow.migrate,
            Migrate(definition=definition, mapping=mapping, actor="user:1"),
        )
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "migration_refused" and cause.non_retryable
    (problems,) = cause.details
    assert isinstance(problems, dict) and problems
    return "; ".join(problems.values())


async def test_a_plan_that_does_not_fit_the_current_state_is_rejected_without_a_trace(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue, manual_clock=True)  # no timer adds events
        before = await settled_history_length(handle)
        records = len(recorder.records)
        view = await handle.query(TrajectoryWorkflow.view)
        assert (view.version, view.active) == (1, ["intake"])

        unmapped = await refused(handle, version_2(), {})
        assert (
            "current state 'intake' has no mapping and no state of the same name 'intake' in"
            " version 2"
        ) in unmapped
        wrong_target = await refused(handle, version_2(), {"intake": "afspraak"})
        assert "current state 'intake' is mapped to 'afspraak' in version 2" in wrong_target
        not_current = await refused(handle, version_2(), {"plan": "kennismaking"})
        assert "'plan' is not a current state of this case" in not_current
        # the open task 'intakegesprek' would be lost: version 2 calls it 'gesprek'
        lost = V2.replace("intakegesprek", "gesprek")
        lost_task = await refused(handle, version_2(lost), {"intake": "kennismaking"})
        assert "open task 'intakegesprek' does not exist in version 2" in lost_task
        same_version = compile_text(INTAKE, "intake_test.yaml")
        not_later = await refused(handle, same_version, {})
        assert "version 1 is not later than the case's version 1" in not_later

        # nothing was accepted: no history event, no step recorded, still version 1 in 'intake'
        assert len((await handle.fetch_history()).events) == before
        assert len(recorder.records) == records
        view = await handle.query(TrajectoryWorkflow.view)
        assert (view.version, view.active) == (1, ["intake"])
        assert [t.name for t in view.open_tasks] == ["intakegesprek"]

        # the same update with a plan that fits is accepted and applied
        moved = await handle.execute_update(
            TrajectoryWorkflow.migrate,
            Migrate(definition=version_2(), mapping={"intake": "kennismaking"}, actor="user:1"),
        )
        assert (moved.version, moved.active) == (2, ["kennismaking"])
        assert [t.name for t in moved.open_tasks] == ["intakegesprek"]
        assert len((await handle.fetch_history()).events) > before
        assert len(recorder.records) == records + 1
        assert recorder.records[-1].definition_version == 2
