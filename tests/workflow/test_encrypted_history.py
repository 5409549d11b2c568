"""With the codec on, the Temporal server stores no readable payload: not the definition, not the
form data, not a failure message."""

from __future__ import annotations

import json
import uuid

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflow.conftest import Recorder
from tests.workflow.definitions import intake
from tests.workflow.test_durable_scenarios import wait_started
from tests.workflow.test_trajectory_workflow import VALID
from traject.codec import EncryptionCodec, data_converter, new_key
from workflows.messages import CompleteTask, TrajectoryInput
from workflows.trajectory import TrajectoryWorkflow


async def test_the_raw_history_holds_no_plaintext(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    target = temporal_env.client.service_client.config.target_host
    encrypted = await Client.connect(
        target, data_converter=data_converter(EncryptionCodec([("k1", new_key())]))
    )
    recorder = Recorder()
    async with Worker(
        encrypted,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[recorder.record_step],
    ):
        handle = await encrypted.start_workflow(
            TrajectoryWorkflow.run,
            TrajectoryInput(case_id=f"case-{uuid.uuid4().hex[:12]}", definition=intake()),
            id=f"trajectory-{uuid.uuid4().hex[:12]}",
            task_queue=task_queue,
        )
        await wait_started(handle)
        view = await handle.execute_update(
            TrajectoryWorkflow.complete_task,
            CompleteTask(task="intakegesprek", data=VALID, actor="km-1"),
        )
        assert view.active == ["plan"]  # the encrypted client reads its own answers
    plain = Client(temporal_env.client.service_client)  # no codec: what the server has
    raw = json.dumps((await plain.get_workflow_handle(handle.id).fetch_history()).to_json_dict())
    for secret in ("Intake test", "intakegesprek", "klantmanager", "km-1", "Gesprek"):
        assert secret not in raw, f"{secret!r} is readable in the history"
    assert "binary/encrypted" in raw or "YmluYXJ5L2VuY3J5cHRlZA" in raw
