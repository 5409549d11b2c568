"""The worker's sandbox setting: on unless turned off, and what each gives the Temporal worker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from traject.config import Settings
from worker.main import workflow_runner


@pytest.mark.parametrize(
    ("value", "sandboxed"),
    [(None, True), ("on", True), ("off", False), ("false", False), ("0", False), ("ON", True)],
)
def test_the_sandbox_is_on_unless_turned_off(
    setting: Callable[[str, str | None], None], value: str | None, sandboxed: bool
) -> None:
    setting("WORKFLOW_SANDBOX", value)
    settings = Settings()
    assert settings.workflow_sandbox is sandboxed
    runner = workflow_runner(settings.workflow_sandbox)
    assert isinstance(runner, SandboxedWorkflowRunner if sandboxed else UnsandboxedWorkflowRunner)
