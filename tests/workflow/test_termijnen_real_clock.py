"""Termijnen on a real clock and real Temporal timers (no manual clock, no advance_clock): a
termijn is suspended, resumed and extended through the workflow's `change_termijn` update, the
durable timer follows each change, and the escalation fires exactly once, on the day after the
moved last day, never before; also when the worker process is killed (SIGKILL) while the termijn
runs and a new worker process takes over.

A termijn counts in days and expires at midnight, so on the wall clock it cannot last seconds.
`CompressedClockTrajectory` is the product's `TrajectoryWorkflow` with one thing changed, where
its clock comes from: the workflow's own deterministic `workflow.now()`, with `DAY` real seconds
counted as one day from `V0` (the trajectory's `clock_start`) at the workflow's start. The
machine, the termijn arithmetic, the updates, the timer bookkeeping and the fire loop are the
product's; the durable wake-up is a real Temporal timer (`TimerStarted`/`TimerCanceled`/
`TimerFired` in the history) of the real seconds until the earliest armed moment. The last test
runs the unchanged `TrajectoryWorkflow` on the real clock and checks its Temporal timers point at
the real midnights the termijn's changes give.

The SIGKILL variant's workers run this module as a process:
python -m tests.workflow.test_termijnen_real_clock TEMPORAL_ADDRESS TASK_QUEUE RECORDS_FILE
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from temporalio import activity, workflow
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.workflow.conftest import Recorder
from tests.workflow.fault_load import connect, start_module, stop
from traject.definition import CompiledDefinition, compile_text
from traject.machine import ActionRun, TermijnChanged
from workflows.messages import (
    ChangeTermijn,
    CompleteTask,
    StepRecord,
    TrajectoryInput,
    TrajectoryView,
)
from workflows.trajectory import RECORD_STEP, TrajectoryWorkflow

DAY = 3.0  # real seconds per day of the compressed clock
SCALE = 86_400 / DAY
V0 = datetime(2025, 3, 3, 9, tzinfo=UTC)  # a Monday, 09:00: the compressed clock's start
NAME = "beslistermijn"
EXPIRY_TIMER = f"termijn:{NAME}"

# Two days from the day after Monday 3 March: last day Wednesday 5 March, expiry at midnight.
BESLISTERMIJN = """
definition: beslistermijn_real_clock
title: Beslistermijn op de echte klok
municipality: testgemeente
version: 1
roles: {klantmanager: Klantmanager, coordinator: Coordinator}
termijnen:
  beslistermijn:
    title: Besluit binnen twee dagen
    start: {state: wachten}
    length: P2D
    atw: false
    amber: 1.0
    met: [besloten]
    on_expiry: [{escalate: {to: coordinator, reason: beslistermijn_verlopen}}]
    suspend: {roles: [klantmanager], max_times: 2, max_length: P20D}
    extend: {roles: [coordinator], max_times: 1, max_length: P1M}
outcomes: {besloten: {title: Besloten}}
initial: wachten
states:
  wachten:
    tasks: {besluit_nemen: {title: Besluit nemen, role: klantmanager}}
    on: {besluit_nemen.done: besloten}
  besloten: {final: true, outcome: besloten}
"""
# Suspended on Tuesday 4 March, over the first expiry moment, and resumed on Friday 7 March
# (three days stood still: last day Saturday 8 March), then extended by one day: last day
# Sunday 9 March, expiry at midnight.
SUSPEND_ON, RESUME_ON = "2025-03-04T12:00:00+00:00", "2025-03-07T12:00:00+00:00"
FIRST_EXPIRY = datetime(2025, 3, 6, tzinfo=UTC)  # without the suspension and the extension
RESUMED_EXPIRY = datetime(2025, 3, 9, tzinfo=UTC)  # with the suspension only
EXPIRY = datetime(2025, 3, 10, tzinfo=UTC)  # the day after the extended, shifted last day
EXPECTED_CHANGES = [
    ("started", "2025-03-05", "2025-03-03"),
    ("suspend", None, "2025-03-04"),
    ("resume", "2025-03-08", "2025-03-07"),
    ("extend", "2025-03-09", "2025-03-07"),
    ("expired", "2025-03-09", "2025-03-10"),
]


def definition() -> CompiledDefinition:
    return compile_text(BESLISTERMIJN, "beslistermijn_real_clock.yaml")


@workflow.defn(name="TrajectoryCompressedClock")
class CompressedClockTrajectory(TrajectoryWorkflow):
    """`TrajectoryWorkflow` on a compressed real clock (see the module docstring)."""

    @workflow.run
    async def run(self, params: TrajectoryInput) -> TrajectoryView:
        return await super().run(params)

    def _clock(self) -> datetime:
        assert self.params.clock_start is not None and self.manual_now is None
        real = workflow.now() - workflow.info().workflow_start_time
        return datetime.fromisoformat(self.params.clock_start) + real * SCALE

    async def _sleep_until_next_timer(self) -> None:
        """The product's, with the wait converted to real seconds."""
        self.woken = False
        moments = [m for m in self.due.values() if m is not None]
        timeout = None
        if moments and not self.suspended:
            timeout = max((min(moments) - self._clock()).total_seconds() / SCALE, 0.0)
            if timeout == 0:
                return
            timeout = max(timeout, 0.01)  # a Temporal timer needs a positive length
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.woken or self._over(), timeout=timeout)


Handle = WorkflowHandle[Any, TrajectoryView]


def runner() -> SandboxedWorkflowRunner:
    """The worker's sandbox (worker/main.py), this test module passed through as the workflows."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows", "tests")
    )


def real_moment(started: datetime, virtual: datetime) -> datetime:
    """When the compressed clock of a workflow started at `started` shows `virtual`."""
    return started + (virtual - V0) / SCALE


async def sleep_until(moment: datetime) -> None:
    await asyncio.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0.0))


async def start(client: Client, queue: str, case_id: str) -> tuple[Handle, datetime]:
    handle: Handle = await client.start_workflow(
        "TrajectoryCompressedClock",
        TrajectoryInput(case_id=case_id, definition=definition(), clock_start=V0.isoformat()),
        id=f"trajectory-{case_id}",
        task_queue=queue,
        result_type=TrajectoryView,
    )
    described = await handle.describe()
    return handle, described.start_time


async def change(
    handle: Handle, what: Literal["suspend", "resume", "extend"], length: str | None = None
) -> TrajectoryView:
    request = ChangeTermijn(
        name=NAME,
        change=what,
        reason="wacht_op_documenten" if what == "suspend" else "test",
        length=length,
        actor="tester",
    )
    view: TrajectoryView = await handle.execute_update(
        "change_termijn", request, result_type=TrajectoryView
    )
    return view


async def refused(update: Awaitable[TrajectoryView], message: str) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await update
    assert message in str(info.value.cause)


async def suspend_resume_extend(handle: Handle, started: datetime) -> None:
    """Suspend on 4 March, resume and extend on 7 March, each at noon on the compressed clock;
    the expiry timer is gone while suspended (over its first moment) and moves with each
    change."""
    await sleep_until(real_moment(started, datetime.fromisoformat(SUSPEND_ON)))
    view = await change(handle, "suspend")
    assert view.now[:10] == SUSPEND_ON[:10], view.now  # the test kept to its schedule
    assert EXPIRY_TIMER not in view.timers  # a suspended termijn cannot expire
    assert view.timers[f"{EXPIRY_TIMER}.resume"] == "2025-03-24T00:00:00+00:00"  # max P20D
    await refused(change(handle, "suspend"), "already suspended")

    await sleep_until(real_moment(started, datetime.fromisoformat(RESUME_ON)))
    view = await change(handle, "resume")
    assert view.timers[EXPIRY_TIMER] == RESUMED_EXPIRY.isoformat()
    assert f"{EXPIRY_TIMER}.resume" not in view.timers
    view = await change(handle, "extend", "P1D")
    assert view.now[:10] == RESUME_ON[:10], view.now
    assert view.timers == {EXPIRY_TIMER: EXPIRY.isoformat()}
    await refused(change(handle, "extend", "P1D"), "at most 1 extension")


def changes_of(records: list[StepRecord]) -> list[tuple[str, str | None, str]]:
    return [
        (e.change, e.due, r.at[:10])
        for r in records
        for e in r.effects
        if isinstance(e, TermijnChanged)
    ]


def escalations_of(records: list[StepRecord]) -> list[StepRecord]:
    return [
        r
        for r in records
        for e in r.effects
        if isinstance(e, ActionRun) and e.action.action == "escalate"
    ]


async def until_escalated(records: Any, seconds: float) -> list[StepRecord]:
    """Poll `records()` until an escalation appears (at most `seconds`)."""
    for _ in range(int(seconds / 0.05)):
        found = escalations_of(records())
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the termijn never escalated")


def timers_in(events: list[HistoryEvent]) -> tuple[dict[int, HistoryEvent], list[Any], list[Any]]:
    started = {e.event_id: e for e in events if e.HasField("timer_started_event_attributes")}
    fired = [
        e.timer_fired_event_attributes for e in events if e.HasField("timer_fired_event_attributes")
    ]
    cancelled = [
        e.timer_canceled_event_attributes
        for e in events
        if e.HasField("timer_canceled_event_attributes")
    ]
    return started, fired, cancelled


def fires_at(timer: HistoryEvent) -> datetime:
    armed = timer.event_time.ToDatetime(tzinfo=UTC)
    return armed + timer.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()


async def check_one_real_timer_fired(handle: Handle, started: datetime) -> None:
    """Real Temporal timers were armed and re-armed; only the last one fired, at the moved
    deadline; every other one was cancelled (no stale timer fired)."""
    events = list((await handle.fetch_history()).events)
    timers, fired, cancelled = timers_in(events)
    assert len(timers) >= 4, len(timers)  # at the start, suspended (max), resumed, extended
    assert len(fired) == 1, fired
    assert len(cancelled) == len(timers) - 1
    assert {c.started_event_id for c in cancelled} | {fired[0].started_event_id} == set(timers)
    last = timers[fired[0].started_event_id]
    assert last.event_id == max(timers)  # the one armed at the extension
    deadline = real_moment(started, EXPIRY)
    assert abs((fires_at(last) - deadline).total_seconds()) < 1.0, (fires_at(last), deadline)
    fired_event = next(e for e in events if e.HasField("timer_fired_event_attributes"))
    assert fired_event.event_time.ToDatetime(tzinfo=UTC) >= deadline - timedelta(seconds=0.05)


def check_escalated_once_on_time(records: list[StepRecord]) -> None:
    assert changes_of(records) == EXPECTED_CHANGES
    (escalation,) = escalations_of(records)
    escalated_at = datetime.fromisoformat(escalation.at)
    assert EXPIRY <= escalated_at < EXPIRY + timedelta(days=1), escalation.at  # the day after
    assert escalation.timer == EXPIRY_TIMER


# ------------------------------------------------------------------------------------ in process
async def test_suspended_resumed_extended_termijn_escalates_once_on_a_real_timer(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    case_id = f"case-{uuid.uuid4().hex[:12]}"

    def records() -> list[StepRecord]:
        return [r for r in recorder.records if r.case_id == case_id]

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CompressedClockTrajectory],
        activities=[recorder.record_step],
        workflow_runner=runner(),
    ):
        handle, started = await start(client, task_queue, case_id)
        await suspend_resume_extend(handle, started)

        # FIRST_EXPIRY passed while suspended (else the resumption was refused: expired); past
        # the moment without the extension, and just before the moved one: nothing yet
        for virtual in (RESUMED_EXPIRY + timedelta(hours=6), EXPIRY - timedelta(hours=3)):
            await sleep_until(real_moment(started, virtual))
            assert escalations_of(records()) == [], f"escalated before {EXPIRY}, at {virtual}"
        await until_escalated(records, 6 * DAY)
        await sleep_until(real_moment(started, EXPIRY + timedelta(days=1, hours=12)))
        view = await handle.query("view", result_type=TrajectoryView)
        assert view.timers == {} and view.open_tasks  # expired: nothing armed; the task waits
        check_escalated_once_on_time(records())
        await check_one_real_timer_fired(handle, started)

        done = await handle.execute_update(
            "complete_task",
            CompleteTask(task="besluit_nemen", actor="tester"),
            result_type=TrajectoryView,
        )
        assert done.finished
    assert [c for c, _, _ in changes_of(records())] == [c for c, _, _ in EXPECTED_CHANGES]


# ----------------------------------------------------------------------------- a killed process
class FileRecorder:
    """The record_step activity of the worker processes: each step as a JSON line, appended in
    one write, so the test reads what every process recorded (a step recorded again after the
    kill appears twice, identically)."""

    def __init__(self, path: str) -> None:
        self.path = path

    @activity.defn(name=RECORD_STEP)
    async def record_step(self, record: StepRecord) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (record.model_dump_json() + "\n").encode())
        finally:
            os.close(fd)


def read_records(path: Path) -> list[StepRecord]:
    """The distinct steps, in order; a step recorded twice must be the same both times."""
    steps: dict[tuple[str, int], StepRecord] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            record = StepRecord.model_validate_json(line)
            key = (record.workflow_id, record.sequence)
            if key in steps:
                assert steps[key] == record, f"step {key} recorded differently twice"
            steps[key] = record
    return [steps[k] for k in sorted(steps, key=lambda k: k[1])]


async def serve(address: str, queue: str, records: str) -> None:
    client = await connect(address)
    async with Worker(
        client,
        task_queue=queue,
        workflows=[CompressedClockTrajectory],
        activities=[FileRecorder(records).record_step],
        workflow_runner=runner(),
        # after a kill, what the dead worker's sticky queue held moves on within a second
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
    ):
        print("ready", flush=True)
        await asyncio.Event().wait()


def start_worker(address: str, queue: str, records: Path, log: Path) -> subprocess.Popen[str]:
    """A worker process running this module, once it polls."""
    return start_module(
        "tests.workflow.test_termijnen_real_clock", [address, queue, str(records)], log
    )


async def test_the_escalation_fires_once_after_the_worker_process_is_killed(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    address = client.service_client.config.target_host
    path, log = tmp_path / "records.jsonl", tmp_path / "workers.log"
    case_id = f"case-{uuid.uuid4().hex[:12]}"
    first = await asyncio.to_thread(start_worker, address, task_queue, path, log)
    second = None
    try:
        handle, started = await start(client, task_queue, case_id)
        await suspend_resume_extend(handle, started)
        first.send_signal(signal.SIGKILL)  # while the termijn runs, its timer armed
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        killed_at = datetime.now(UTC)
        second = await asyncio.to_thread(start_worker, address, task_queue, path, log)
        assert killed_at < real_moment(started, RESUMED_EXPIRY)  # before the termijn could end

        for virtual in (RESUMED_EXPIRY + timedelta(hours=6), EXPIRY - timedelta(hours=3)):
            await sleep_until(real_moment(started, virtual))
            assert escalations_of(read_records(path)) == [], f"escalated before {EXPIRY}"
        await until_escalated(lambda: read_records(path), 6 * DAY)
        await sleep_until(real_moment(started, EXPIRY + timedelta(days=1, hours=12)))
        check_escalated_once_on_time(read_records(path))
        await check_one_real_timer_fired(handle, started)
        events = (await handle.fetch_history()).events
        identities = {
            e.workflow_task_completed_event_attributes.identity
            for e in events
            if e.HasField("workflow_task_completed_event_attributes")
        }
        assert len(identities) == 2  # the first process, then the one that took over
        view = await handle.query("view", result_type=TrajectoryView)
        assert view.timers == {} and not view.finished
        await handle.terminate("test over")
    finally:
        stop(first)
        stop(second)


# ------------------------------------------------------------------ the product's own workflow
def midnight(day: Any) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()


async def armed_timer(handle: Handle, moment: str, after_event: int) -> HistoryEvent:
    """The Temporal timer started after event `after_event` that fires at `moment` (±2 s)."""
    target = datetime.fromisoformat(moment)
    for _ in range(100):
        events = list((await handle.fetch_history()).events)
        for e in events:
            if (
                e.event_id > after_event
                and e.HasField("timer_started_event_attributes")
                and abs((fires_at(e) - target).total_seconds()) < 2
            ):
                return e
        await asyncio.sleep(0.05)
    raise AssertionError(f"no Temporal timer armed for {moment}")


async def test_the_product_workflow_arms_and_rearms_real_temporal_timers(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    """The unchanged TrajectoryWorkflow on the real clock: its durable timer is a Temporal
    timer for the real midnight after the termijn's last day; a suspension cancels it, the
    resumption (the same day: no time lost) and the extension re-arm it."""
    now = datetime.now(UTC)
    tomorrow = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    if (tomorrow - now).total_seconds() < 30:  # the whole test on one (UTC) day
        await sleep_until(tomorrow + timedelta(seconds=1))
    case_id = f"case-{uuid.uuid4().hex[:12]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[recorder.record_step],
    ):
        handle: Handle = await client.start_workflow(
            TrajectoryWorkflow.run,
            TrajectoryInput(case_id=case_id, definition=definition()),
            id=f"trajectory-{case_id}",
            task_queue=task_queue,
        )
        for _ in range(200):
            view = await handle.query("view", result_type=TrajectoryView)
            if view.recorded:
                break
            await asyncio.sleep(0.05)
        today = datetime.fromisoformat(view.now).date()
        expiry = midnight(today + timedelta(days=3))  # last day: two days after today
        assert view.timers == {EXPIRY_TIMER: expiry}
        first = await armed_timer(handle, expiry, 0)

        view = await change(handle, "suspend")
        resume_on = midnight(today + timedelta(days=20))  # the longest suspension, P20D
        assert view.timers == {f"{EXPIRY_TIMER}.resume": resume_on}
        suspended = await armed_timer(handle, resume_on, first.event_id)
        view = await change(handle, "resume")
        assert view.timers == {EXPIRY_TIMER: expiry}  # suspended and resumed on the same day
        resumed = await armed_timer(handle, expiry, suspended.event_id)
        view = await change(handle, "extend", "P2D")
        extended_expiry = midnight(today + timedelta(days=5))
        assert view.timers == {EXPIRY_TIMER: extended_expiry}
        extended = await armed_timer(handle, extended_expiry, resumed.event_id)

        events = list((await handle.fetch_history()).events)
        timers, fired, cancelled = timers_in(events)
        assert fired == []
        assert {c.started_event_id for c in cancelled} == set(timers) - {extended.event_id}
        assert max(timers) == extended.event_id  # the only one still armed
        assert escalations_of(recorder.records) == []
        records = [r for r in recorder.records if r.case_id == case_id]
        assert [(c, d) for c, d, _ in changes_of(records)] == [
            ("started", (today + timedelta(days=2)).isoformat()),
            ("suspend", None),
            ("resume", (today + timedelta(days=2)).isoformat()),
            ("extend", (today + timedelta(days=4)).isoformat()),
        ]
        done = await handle.execute_update(
            "complete_task",
            CompleteTask(task="besluit_nemen", actor="tester"),
            result_type=TrajectoryView,
        )
        assert done.finished


if __name__ == "__main__":  # a worker process; import by name, so the workflow's module is ours
    from tests.workflow.test_termijnen_real_clock import serve as serve_here

    asyncio.run(serve_here(*sys.argv[1:4]))
