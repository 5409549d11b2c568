"""Every built-in definition's scenarios, run durably through TrajectoryWorkflow on a real server.

The same scenario files `traject test` runs against the pure machine: task completions and events
become validated updates, `advance` moves the trajectory's manual clock (so three-year terms take no
three years), and every expectation is checked against the workflow's own view.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from tests.workflow.conftest import Recorder
from traject.definition import CompiledDefinition, compile_file
from traject.scenario import (
    LoadedScenario,
    Observed,
    check_expectation,
    load_scenario,
    scenario_files,
)
from workflows.messages import (
    AdvanceClock,
    CompleteTask,
    RecordEvent,
    RecordLadder,
    TrajectoryInput,
    TrajectoryView,
)
from workflows.trajectory import TrajectoryWorkflow

DEFINITIONS = Path(__file__).parents[2] / "definitions"


def _cases() -> list[tuple[Path, Path]]:
    cases = []
    for file in sorted(DEFINITIONS.glob("*.yaml")):
        compiled = compile_file(file)
        cases += [(file, scenario) for scenario in scenario_files(file, compiled)]
    return cases


CASES = _cases()


@pytest.mark.skipif(not CASES, reason="no scenario files")
@pytest.mark.parametrize(
    ("definition_file", "scenario_file"),
    CASES,
    ids=[f"{d.stem}/{s.stem}" for d, s in CASES],
)
async def test_scenario_runs_durably(
    client: Client, task_queue: str, recorder: Recorder, definition_file: Path, scenario_file: Path
) -> None:
    compiled = compile_file(definition_file)
    loaded = load_scenario(scenario_file)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[recorder.record_step],
    ):
        handle = await start(client, task_queue, compiled, loaded)
        await run_steps(handle, recorder, compiled, loaded)


async def start(
    client: Client, task_queue: str, compiled: CompiledDefinition, loaded: LoadedScenario
) -> WorkflowHandle[TrajectoryWorkflow, TrajectoryView]:
    sc = loaded.scenario
    case_id = f"case-{uuid.uuid4().hex[:12]}"
    clock = datetime.combine(sc.start, datetime.min.time()) + timedelta(hours=9)
    handle = await client.start_workflow(
        TrajectoryWorkflow.run,
        TrajectoryInput(
            case_id=case_id,
            definition=compiled,
            dates={k: v.isoformat() for k, v in sc.case_dates.items()},
            manual_clock=True,
            clock_start=clock.isoformat() + "+00:00",
        ),
        id=f"trajectory-{case_id}",
        task_queue=task_queue,
    )
    await wait_started(handle)
    return handle


async def wait_started(
    handle: WorkflowHandle[TrajectoryWorkflow, TrajectoryView],
) -> TrajectoryView:
    """Until the first step is taken and written to the store."""
    for _ in range(200):
        view = await handle.query(TrajectoryWorkflow.view)
        if view.steps > 0 and view.recorded > 0:
            return view
        await asyncio.sleep(0.05)
    raise AssertionError("the trajectory did not take its first step")


async def run_steps(
    handle: WorkflowHandle[TrajectoryWorkflow, TrajectoryView],
    recorder: Recorder,
    compiled: CompiledDefinition,
    loaded: LoadedScenario,
) -> None:
    seen_actions = 0
    for index, step in enumerate(loaded.scenario.steps):
        where = f"{loaded.file}:{loaded.line(index)} steps[{index}]"
        kind = step.kind()
        if kind == "expect":
            assert step.expect is not None
            view = await handle.query(TrajectoryWorkflow.view)
            actions = recorder.actions(handle.id)
            observed = Observed(
                active=tuple(view.active),
                open_tasks={t.name: (t.overdue, t.escalated) for t in view.open_tasks},
                actions=actions[seen_actions:],
                ladder=view.ladder,
                dates=frozenset(view.dates),
                finished=view.finished,
                outcome=view.outcome,
            )
            seen_actions = len(actions)
            message = check_expectation(step.expect, observed, compiled)
            assert message is None, f"{where}: {message}"
            continue
        actor = "tester"
        try:
            if kind == "complete":
                request = CompleteTask(task=step.complete or "", data=step.data, actor=actor)
                await handle.execute_update(TrajectoryWorkflow.complete_task, request)
            elif kind == "event":
                request_event = RecordEvent(
                    event=step.event or "",
                    date=step.date.isoformat() if step.date else None,
                    actor=actor,
                )
                await handle.execute_update(TrajectoryWorkflow.record_event, request_event)
            elif kind == "advance":
                advance = AdvanceClock(duration=step.advance or "", actor=actor)
                await handle.execute_update(TrajectoryWorkflow.advance_clock, advance)
            elif kind == "ladder":
                ladder = RecordLadder(step=step.ladder or 0, actor=actor)
                await handle.execute_update(TrajectoryWorkflow.record_ladder, ladder)
        except (WorkflowUpdateFailedError, RPCError) as error:
            text = str(error.cause) if isinstance(error, WorkflowUpdateFailedError) else str(error)
            if "already completed" in text:  # the server refuses updates to a closed workflow
                text = f"the trajectory has finished ({text})"
            assert step.rejected is not None, f"{where}: {kind} was rejected: {text}"
            assert step.rejected.lower() in text.lower(), f"{where}: rejected with {text!r}"
            continue
        assert step.rejected is None, f"{where}: {kind} was accepted, expected a rejection"
