"""Temporal's workflow sandbox, with its glue code compiled once per process instead of per call.

The sandbox enters itself by `exec` of a few lines of source: on every activation, and for every
payload of every command (to find the payload's serialization context), some 60 times per PVT1
trajectory. `exec` of a string compiles it each time, which cost the worker a tenth of its
orchestration CPU (bench/REPORT.md: 24.1 → 21.7 ms per trajectory, measured in one worker process
switching between the two). Those strings are a handful of constants per workflow class, so this
runner compiles each once and hands `exec` the code object, which it runs the same.

Everything else, the restrictions included, is the SDK's own sandbox. `_Instance._run_code` is a
private method of temporalio's: if a release renames it, this override is simply never called, and
if it moves `_Instance`, this runner is the SDK's own; the sandbox works as before either way
(tests/workflow/test_sandbox_runner.py would then fail, saying so).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import CodeType
from typing import Any, cast

from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

try:
    from temporalio.worker.workflow_sandbox._runner import _Instance
except ImportError:  # pragma: no cover - a temporalio that moved it: its own sandbox, as it is
    _Instance = None  # type: ignore[assignment,misc]


@lru_cache(maxsize=256)
def compiled(source: str) -> CodeType:
    """The sandbox's glue code, compiled as `exec` would compile it (one entry per distinct
    text: a few per workflow class)."""
    return compile(source, "<string>", "exec")


if _Instance is not None:

    class _CompiledOnceInstance(_Instance):
        def _run_code(self, code: str, **extra_globals: Any) -> None:
            super()._run_code(cast(str, compiled(code)), **extra_globals)


@dataclass(frozen=True)
class CompiledOnceSandbox(SandboxedWorkflowRunner):
    """SandboxedWorkflowRunner, whose instances reuse compiled glue code."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        if _Instance is None:
            return super().create_instance(det)
        return _CompiledOnceInstance(det, self.runner_class, self.restrictions)
