"""A hand-written Temporal workflow for the PVT1 path, the baseline the generic interpreter is
measured against: the same updates, timers and one step-recording local activity per step, but with
the path coded by hand instead of interpreted from a definition."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.messages import CompleteTask

TASKS = ("aanmelding_bevestigen", "aanwezigheid", "ondertekening")


@workflow.defn(name="HandwrittenPvt1")
class HandwrittenPvt1:
    def __init__(self) -> None:
        self.open: str | None = TASKS[0]
        self.done: dict[str, dict[str, Any]] = {}
        self.step = 0
        self.lock = asyncio.Lock()

    async def _record(self, what: str) -> None:
        self.step += 1
        await workflow.execute_local_activity(
            "record_plain",
            args=[workflow.info().workflow_id, self.step, what],
            start_to_close_timeout=timedelta(seconds=30),
        )

    @workflow.run
    async def run(self, case_id: str) -> str:
        await self._record("uitnodigen")
        for task in TASKS:
            try:
                await workflow.wait_condition(
                    lambda t=task: t in self.done, timeout=timedelta(weeks=4)
                )
            except TimeoutError:
                await self._record(f"escalate:{task}")
                await workflow.wait_condition(lambda t=task: t in self.done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return "verklaring_getekend"

    @workflow.update
    async def complete_task(self, request: CompleteTask) -> str:
        async with self.lock:
            if request.task != self.open:
                raise ApplicationError(f"task '{request.task}' is not open", type="task_not_open")
            self.done[request.task] = request.data
            following = TASKS.index(request.task) + 1
            self.open = TASKS[following] if following < len(TASKS) else None
            await self._record(f"done:{request.task}")
            return request.task

    @complete_task.validator
    def _validate(self, request: CompleteTask) -> None:
        if request.task != self.open or request.task in self.done:
            raise ApplicationError(f"task '{request.task}' is not open", type="task_not_open")
        if request.task == "aanwezigheid" and not isinstance(request.data.get("aanwezig"), bool):
            raise ApplicationError("aanwezig: required", type="invalid_form")
