"""Record the workflow histories the replay tests guard. Run when the workflow changes *on purpose*:

    .venv/bin/python -m tests.histories.record SUFFIX

Each trajectory starts as Traject starts a case (with `start_attributes`). It writes
`intake_*_SUFFIX.json` from today's TrajectoryWorkflow next to the histories of earlier
versions (keep those: running trajectories still have them), and `incompatible_extra_timer.json`
from a variant that sleeps before its first step: replaying that one against today's code must
fail, which proves the replay test can fail at all.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflow.conftest import Recorder
from tests.workflow.definitions import intake
from tests.workflow.test_termijnen import BESLISTERMIJN
from traject.definition import compile_text
from traject.devserver import temporal_binary
from workflows.messages import (
    AdvanceClock,
    AssignTask,
    CaseDecision,
    ChangeTermijn,
    CompleteTask,
    TrajectoryInput,
    TrajectoryView,
)
from workflows.trajectory import SEARCH_ATTRIBUTES, TrajectoryWorkflow, start_attributes

HERE = Path(__file__).parent
VALID = {"trede": 3, "route": "b1"}


@workflow.defn(name="Trajectory", sandboxed=False)
class IncompatibleTrajectory(TrajectoryWorkflow):
    """An incompatible change: a timer before the first step."""

    @workflow.run
    async def run(self, params: TrajectoryInput) -> TrajectoryView:
        await workflow.sleep(timedelta(milliseconds=10))
        return await super().run(params)


def started(params: TrajectoryInput) -> TypedSearchAttributes:
    """The search attributes Traject starts this trajectory with."""
    return start_attributes(params.definition)


async def _drive(client: Client, queue: str, name: str, manual: bool) -> WorkflowHandle:
    params = TrajectoryInput(
        case_id=f"case-{uuid.uuid4().hex[:12]}",
        definition=intake(),
        dates={"registratiedatum": "2025-01-06"},
        manual_clock=manual,
        clock_start="2025-01-06T09:00:00+00:00",
    )
    handle = await client.start_workflow(
        "Trajectory",
        params,
        id=f"replay-{name}-{uuid.uuid4().hex[:6]}",
        task_queue=queue,
        result_type=TrajectoryView,
        search_attributes=started(params),
    )
    await asyncio.sleep(0.5)
    claim = AssignTask(task="intakegesprek", assignee="user:1", actor="user:1")
    await handle.execute_update("assign_task", claim)
    if manual:  # past the task's deadline: TrajectOverdue goes up, and down at its completion
        await handle.execute_update("advance_clock", AdvanceClock(duration="PT3S", actor="km-1"))
    complete = CompleteTask(task="intakegesprek", data=VALID, actor="user:1")
    await handle.execute_update("complete_task", complete)
    if manual:
        await handle.execute_update("advance_clock", AdvanceClock(duration="P11W", actor="km-1"))
    await handle.execute_update("suspend", CaseDecision(reason="ziekte", actor="km-1"))
    await handle.execute_update("resume", CaseDecision(reason="hersteld", actor="km-1"))
    await handle.execute_update(
        "complete_task", CompleteTask(task="plan_opstellen", data={}, actor="km-1")
    )
    await handle.result()
    return handle


async def _drive_termijn(client: Client, queue: str, name: str, manual: bool) -> WorkflowHandle:
    """A termijn suspended, resumed and extended; its trajectory suspended while it runs on and
    expires (escalation); resumed, the task done."""
    params = TrajectoryInput(
        case_id=f"case-{uuid.uuid4().hex[:12]}",
        definition=compile_text(BESLISTERMIJN, "beslistermijn.yaml"),
        manual_clock=True,
        clock_start="2025-03-03T09:00:00+00:00",
    )
    handle = await client.start_workflow(
        "Trajectory",
        params,
        id=f"replay-{name}-{uuid.uuid4().hex[:6]}",
        task_queue=queue,
        result_type=TrajectoryView,
        search_attributes=started(params),
    )
    await asyncio.sleep(0.5)
    for change, length in (("suspend", None), ("resume", None), ("extend", "P3D")):
        await handle.execute_update("advance_clock", AdvanceClock(duration="P2D", actor="km-1"))
        request = ChangeTermijn(
            name="beslistermijn", change=change, reason="test", length=length, actor="km-1"
        )
        await handle.execute_update("change_termijn", request)
    # the trajectory suspended: its termijn runs on and expires meanwhile (since v6)
    await handle.execute_update("suspend", CaseDecision(reason="ziekte", actor="km-1"))
    await handle.execute_update("advance_clock", AdvanceClock(duration="P20D", actor="km-1"))
    await handle.execute_update("resume", CaseDecision(reason="hersteld", actor="km-1"))
    await handle.execute_update(
        "complete_task", CompleteTask(task="besluit_nemen", data={}, actor="km-1")
    )
    await handle.result()
    return handle


async def main(suffix: str) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
    )
    async with env:
        recorder = Recorder()
        for name, workflow_class, manual in (
            ("intake_manual_clock", TrajectoryWorkflow, True),
            ("intake_real_clock", TrajectoryWorkflow, False),
            ("termijn_manual_clock", TrajectoryWorkflow, True),
            ("incompatible_extra_timer", IncompatibleTrajectory, True),
        ):
            queue = f"record-{uuid.uuid4().hex[:8]}"
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[workflow_class],
                activities=[recorder.record_step],
            ):
                drive = _drive_termijn if name.startswith("termijn") else _drive
                handle = await drive(env.client, queue, name, manual)
            history = await handle.fetch_history()
            file = f"{name}.json" if name.startswith("incompatible") else f"{name}_{suffix}.json"
            (HERE / file).write_text(history.to_json())
            print(f"wrote {file} ({len(history.events)} events)")


if __name__ == "__main__":
    import sys

    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "latest"))
