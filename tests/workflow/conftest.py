"""A real local Temporal server (the bundled dev server binary) for the workflow tests.

One server per test session; each test gets its own task queue and worker. The step-recording
activity is replaced by a fake with the same name that keeps the records in memory, so these tests
exercise the workflow alone; the store has its own tests and the end-to-end tests use both.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from traject.devserver import temporal_binary
from workflows.messages import StepRecord
from workflows.trajectory import RECORD_STEP, SEARCH_ATTRIBUTES


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
        dev_server_startup_timeout=timedelta(seconds=60),
    )
    async with env:
        yield env


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


class Recorder:
    """Fake of the record_step activity: keeps every step record, in order."""

    def __init__(self) -> None:
        self.records: list[StepRecord] = []

    @activity.defn(name=RECORD_STEP)
    async def record_step(self, record: StepRecord) -> None:
        self.records.append(record)

    def actions(self, workflow_id: str) -> list[str]:
        return [
            effect.action.action
            for record in self.records
            if record.workflow_id == workflow_id
            for effect in record.effects
            if effect.kind == "action"
        ]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
