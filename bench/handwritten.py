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


# ------------------------------------------------------------------------------------------------
# The same path coded by hand for the product: what Traject needs of any workflow, not only of the
# interpreter. It records each step as the store's read model needs it (the same StepRecord, with
# the same effects, for the same step-recording activity), checks the form, answers each update
# with the case's view, and is started with the same search attributes. What is left between it
# and the interpreter is the cost of being generic: reading the path from a definition.

with workflow.unsafe.imports_passed_through():
    from traject.definition.model import Invite, ScheduleWorkshop, SignDeclaration
    from traject.machine import (
        ActionRun,
        Effect,
        Finished,
        StateEntered,
        StateExited,
        TaskClosed,
        TaskOpened,
        TimerArmed,
        TimerCancelled,
    )
    from workflows.messages import StepRecord, TaskView, TrajectoryView

_OVERDUE = "uitnodigen.aanmelding_bevestigen.overdue"
_ESCALATE = "uitnodigen.aanmelding_bevestigen.escalate"
# (task, its state, its role) along the path, then where the path ends
_PATH = (
    ("aanmelding_bevestigen", "uitnodigen", "klantmanager"),
    ("aanwezigheid", "workshop", "trainer"),
    ("ondertekening", "ondertekenen", "klantmanager"),
)


def pvt1_effects(step: int) -> list[Effect]:
    """The effects of step `step` (0: the start) of the PVT1 path, written out by hand."""
    if step == 0:
        return [
            StateEntered(state="uitnodigen"),
            TaskOpened(
                task="aanmelding_bevestigen", state="uitnodigen", role="klantmanager", due="P2W"
            ),
            TimerArmed(timer=_OVERDUE, after="P2W"),
            TimerArmed(timer=_ESCALATE, after="P4W"),
            ActionRun(
                key="0.0",
                state="uitnodigen",
                action=ScheduleWorkshop(action="schedule_workshop", workshop="kernwaarden"),
            ),
            ActionRun(
                key="0.1",
                state="uitnodigen",
                action=Invite(action="invite", template="uitnodiging_workshop"),
            ),
        ]
    task, state, _ = _PATH[step - 1]
    closed: list[Effect] = [TaskClosed(task=task, reason="completed")]
    if step == 1:
        closed += [TimerCancelled(timer=_OVERDUE), TimerCancelled(timer=_ESCALATE)]
    if step == 3:
        signed = ActionRun(
            key="3.0", state=state, action=SignDeclaration(action="sign_declaration")
        )
        return [
            *closed,
            signed,
            StateExited(state=state),
            StateEntered(state="afgerond"),
            Finished(state="afgerond", outcome="verklaring_getekend"),
        ]
    following, next_state, role = _PATH[step]
    return [
        *closed,
        StateExited(state=state),
        StateEntered(state=next_state),
        TaskOpened(task=following, state=next_state, role=role, due=None),
    ]


@workflow.defn(name="HandwrittenPvt1Recorded")
class HandwrittenPvt1Recorded:
    def __init__(self) -> None:
        self.case_id = ""
        self.step = 0  # steps taken; the task open is _PATH[step - 1][0]
        self.completed: dict[str, dict[str, Any]] = {}
        self.due: dict[str, str | None] = {}
        self.lock = asyncio.Lock()

    def _open(self) -> str | None:
        return _PATH[self.step - 1][0] if 0 < self.step <= len(_PATH) else None

    async def _record(self, task: str | None) -> None:
        effects = pvt1_effects(self.step)
        now = workflow.now()
        if self.step == 0:
            self.due = {
                _OVERDUE: (now + timedelta(weeks=2)).isoformat(),
                _ESCALATE: (now + timedelta(weeks=4)).isoformat(),
            }
        elif self.step == 1:
            self.due = {}
        self.step += 1
        finished = self.step > len(_PATH)
        await workflow.execute_local_activity(
            "record_step",
            StepRecord(
                case_id=self.case_id,
                workflow_id=workflow.info().workflow_id,
                sequence=self.step,
                at=now.isoformat(),
                actor=None if task is None else "bench",
                effects=effects,
                active=["afgerond" if finished else _PATH[self.step - 1][1]],
                finished=finished,
                outcome="verklaring_getekend" if finished else None,
                status="finished" if finished else "running",
                overdue=False,
                completed={} if task is None else {task: self.completed[task]},
            ),
            start_to_close_timeout=timedelta(seconds=30),
        )

    @workflow.run
    async def run(self, case_id: str) -> TrajectoryView:
        self.case_id = case_id
        async with self.lock:
            await self._record(None)
        try:  # the first task's earliest timer: overdue after two weeks
            await workflow.wait_condition(lambda: self.step > 1, timeout=timedelta(weeks=2))
        except TimeoutError:
            await workflow.wait_condition(lambda: self.step > 1)
        await workflow.wait_condition(lambda: self.step > len(_PATH))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    @workflow.update
    async def complete_task(self, request: CompleteTask) -> TrajectoryView:
        await workflow.wait_condition(lambda: self.step > 0)  # (as the interpreter) the start
        async with self.lock:
            if request.task != self._open():
                raise ApplicationError(f"task '{request.task}' is not open", type="task_not_open")
            self.completed[request.task] = dict(request.data)
            await self._record(request.task)
        return self.view()

    @complete_task.validator
    def _validate(self, request: CompleteTask) -> None:
        if self.step == 0:  # not started yet: the handler waits and checks again
            return
        if request.task != self._open():
            raise ApplicationError(f"task '{request.task}' is not open", type="task_not_open")
        if request.task == "aanwezigheid" and not isinstance(request.data.get("aanwezig"), bool):
            raise ApplicationError("aanwezig: required", type="invalid_form")

    def view(self) -> TrajectoryView:
        task = self._open()
        finished = self.step > len(_PATH)
        return TrajectoryView(
            case_id=self.case_id,
            definition="pvt1",
            version=1,
            active=["afgerond" if finished else _PATH[self.step - 1][1]],
            open_tasks=[
                TaskView(
                    name=task,
                    state=_PATH[self.step - 1][1],
                    role=_PATH[self.step - 1][2],
                    overdue=False,
                    escalated=False,
                )
            ]
            if task
            else [],
            finished=finished,
            cancelled=False,
            suspended=False,
            outcome="verklaring_getekend" if finished else None,
            steps=self.step,
            recorded=self.step,
            timers=dict(self.due),
            ladder=None,
            dates={},
            now=workflow.now().isoformat(),
        )
