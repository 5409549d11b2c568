"""The embedded default keeps trajectories across a restart of the dev server (its SQLite file)."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from tests.workflow.conftest import Recorder
from tests.workflow.definitions import intake
from tests.workflow.test_durable_scenarios import wait_started
from tests.workflow.test_trajectory_workflow import VALID
from traject import devserver
from workflows.messages import CompleteTask, TrajectoryInput
from workflows.trajectory import TrajectoryWorkflow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_trajectories_survive_a_dev_server_restart(tmp_path: Path) -> None:
    port, db, log = free_port(), tmp_path / "temporal.db", tmp_path / "server.log"
    recorder, queue = Recorder(), f"restart-{uuid.uuid4().hex[:8]}"
    server = devserver.start(db, port, None, log)
    ids = []
    try:
        client = await Client.connect(f"127.0.0.1:{port}", data_converter=pydantic_data_converter)
        async with Worker(
            client,
            task_queue=queue,
            workflows=[TrajectoryWorkflow],
            activities=[recorder.record_step],
        ):
            for i in range(5):
                handle = await client.start_workflow(
                    TrajectoryWorkflow.run,
                    TrajectoryInput(
                        case_id=f"case-restart{i}", definition=intake(), manual_clock=True
                    ),
                    id=f"trajectory-restart-{uuid.uuid4().hex[:8]}",
                    task_queue=queue,
                )
                await wait_started(handle)
                await handle.execute_update(
                    TrajectoryWorkflow.complete_task,
                    CompleteTask(task="intakegesprek", data=VALID, actor="km"),
                )
                ids.append(handle.id)
    finally:
        server.terminate()
        server.wait(timeout=30)

    server = devserver.start(db, port, None, log)
    try:
        client = await Client.connect(f"127.0.0.1:{port}", data_converter=pydantic_data_converter)
        async with Worker(
            client,
            task_queue=queue,
            workflows=[TrajectoryWorkflow],
            activities=[recorder.record_step],
        ):
            for workflow_id in ids:
                handle = client.get_workflow_handle_for(TrajectoryWorkflow.run, workflow_id)
                assert (await handle.query(TrajectoryWorkflow.view)).active == ["plan"]
                done = await handle.execute_update(
                    TrajectoryWorkflow.complete_task,
                    CompleteTask(task="plan_opstellen", data={}, actor="km"),
                )
                assert done.finished and done.outcome == "plan_klaar"
    finally:
        server.terminate()
        server.wait(timeout=30)
    for workflow_id in ids:
        sequences = [r.sequence for r in recorder.records if r.workflow_id == workflow_id]
        assert sequences == [1, 2, 3], "every step recorded exactly once"
