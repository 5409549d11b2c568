"""Workflow tests run on the real local Temporal server of tests/conftest.py: each test gets its own
task queue and worker. The step-recording
activity is replaced by a fake with the same name that keeps the records in memory, so these tests
exercise the workflow alone; the store has its own tests and the end-to-end tests use both.
"""

from __future__ import annotations

import pytest
from temporalio import activity

from workflows.messages import StepRecord
from workflows.trajectory import RECORD_STEP


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
