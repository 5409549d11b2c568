"""TrajectoryWorkflow's durable behaviour on a real local Temporal server."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from tests.workflow.conftest import Recorder
from tests.workflow.definitions import intake
from tests.workflow.test_durable_scenarios import wait_started
from workflows.messages import (
    CaseDecision,
    CompleteTask,
    RecordLadder,
    TrajectoryInput,
    TrajectoryView,
)
from workflows.trajectory import (
    DEFINITION,
    MUNICIPALITY,
    OVERDUE,
    STATE,
    VERSION,
    TrajectoryWorkflow,
    start_attributes,
)

Handle = WorkflowHandle[TrajectoryWorkflow, TrajectoryView]
VALID = {"trede": 2, "route": "b1"}


def worker(client: Client, task_queue: str, recorder: Recorder) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[recorder.record_step],
    )


async def start(
    client: Client,
    task_queue: str,
    attributes: TypedSearchAttributes | None = None,
    **extra: object,
) -> Handle:
    """Started as Traject starts a case (start_attributes), unless `attributes` says otherwise."""
    d = intake()
    case_id = f"case-{uuid.uuid4().hex[:12]}"
    params = TrajectoryInput(case_id=case_id, definition=d, **extra)  # type: ignore[arg-type]
    if attributes is None:
        attributes = start_attributes(d)
    handle = await client.start_workflow(
        TrajectoryWorkflow.run,
        params,
        id=f"trajectory-{case_id}",
        task_queue=task_queue,
        search_attributes=attributes,
    )
    await wait_started(handle)
    return handle


async def settled_history_length(handle: Handle) -> int:
    """The history length once the workflow task that is running has completed."""
    previous = -1
    for _ in range(50):
        current = len((await handle.fetch_history()).events)
        if current == previous:
            return current
        previous = current
        await asyncio.sleep(0.2)
    raise AssertionError("the history kept growing")


async def complete(handle: Handle, task: str, data: dict[str, object]) -> TrajectoryView:
    return await handle.execute_update(
        TrajectoryWorkflow.complete_task, CompleteTask(task=task, data=data, actor="km-1")
    )


async def test_a_rejected_update_writes_nothing_to_history(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue, manual_clock=True)  # no timer may add events
        before = await settled_history_length(handle)
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await complete(handle, "intakegesprek", {"trede": 9})
        assert "invalid_form" in str(rejected.value.cause) or "not valid" in str(
            rejected.value.cause
        )
        with pytest.raises(WorkflowUpdateFailedError):
            await complete(handle, "plan_opstellen", {})  # not open yet
        assert len((await handle.fetch_history()).events) == before
        view = await handle.query(TrajectoryWorkflow.view)
        assert view.active == ["intake"]


async def test_form_errors_are_typed_per_field(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue)
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await complete(handle, "intakegesprek", {"trede": 9, "bijzonderheden": "x"})
        cause = rejected.value.cause
        assert getattr(cause, "type", None) == "invalid_form"
        (errors,) = cause.details  # type: ignore[union-attr]
        assert set(errors) == {"trede", "route", "bijzonderheden"}
        assert "personal data" in errors["bijzonderheden"]


async def test_completing_twice_is_refused(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue)
        view = await complete(handle, "intakegesprek", VALID)
        assert view.active == ["plan"] and view.ladder == 2
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await complete(handle, "intakegesprek", VALID)
        assert getattr(again.value.cause, "type", None) == "task_not_open"


async def test_the_same_update_id_is_applied_once(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue)
        request = CompleteTask(task="intakegesprek", data=VALID, actor="km-1")
        first, second = await asyncio.gather(
            handle.execute_update(TrajectoryWorkflow.complete_task, request, id="submit-1"),
            handle.execute_update(TrajectoryWorkflow.complete_task, request, id="submit-1"),
        )
        assert first.active == second.active == ["plan"]
        completions = [
            e
            for r in recorder.records
            for e in r.effects
            if e.kind == "task_closed" and e.task == "intakegesprek"
        ]
        assert len(completions) == 1


def upserts(events: list[Any]) -> list[dict[str, list[str]]]:
    """What each search attribute upsert of a history set (decoded keyword lists, by name)."""
    return [
        {
            name: json.loads(payload.data)
            for name, payload in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields.items()
        }
        for e in events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]


def patch_markers(events: list[Any]) -> list[Any]:
    """The patch markers of a history (workflow.patched writes one the first time it is asked)."""
    return [
        e
        for e in events
        if e.HasField("marker_recorded_event_attributes")
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]


async def test_a_trajectory_keeps_its_states_out_of_temporals_visibility(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    """Traject starts a case with TrajectOverdue and without TrajectState (its read model keeps
    the states): a change of state upserts nothing and asks for no patch marker."""
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue, manual_clock=True)
        await complete(handle, "intakegesprek", VALID)
        await handle.execute_update(
            TrajectoryWorkflow.record_ladder, RecordLadder(step=3, actor="km-1")
        )
        events = list((await handle.fetch_history()).events)
        assert upserts(events) == [] and patch_markers(events) == []
        described = await handle.describe()
        assert described.typed_search_attributes.get(STATE) is None
        assert described.typed_search_attributes.get(OVERDUE) is False
        assert described.typed_search_attributes.get(DEFINITION) == intake().definition


async def test_a_trajectory_started_with_its_states_upserts_only_when_they_change(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    """Trajectories started on 2026-12-07 set the states of their first step at the start: that
    step upserts nothing; every later change of state does, and asks for no patch marker."""
    d = intake()
    with_states = TypedSearchAttributes(
        [
            SearchAttributePair(DEFINITION, d.definition),
            SearchAttributePair(VERSION, d.version),
            SearchAttributePair(MUNICIPALITY, d.municipality),
            SearchAttributePair(STATE, ["intake"]),
            SearchAttributePair(OVERDUE, False),
        ]
    )
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue, with_states, manual_clock=True)
        await settled_history_length(handle)
        events = list((await handle.fetch_history()).events)
        assert upserts(events) == [], "the first step's states were set by the start"
        assert patch_markers(events) == []

        await complete(handle, "intakegesprek", VALID)
        await handle.execute_update(
            TrajectoryWorkflow.record_ladder, RecordLadder(step=3, actor="km-1")
        )  # a step that changes no state: nothing to upsert, no marker
        events = list((await handle.fetch_history()).events)
        assert [u.get("TrajectState") for u in upserts(events)] == [["plan"]]
        assert patch_markers(events) == []
        described = await handle.describe()
        assert described.typed_search_attributes.get(STATE) == ["plan"]


async def test_a_trajectory_started_without_its_states_upserts_them_on_its_first_step(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    """A start that sets only the case's definition (as Traject did before start_attributes,
    and as a guess that turns out wrong does): the first step upserts the states itself."""
    d = intake()
    only_definition = TypedSearchAttributes(
        [
            SearchAttributePair(DEFINITION, d.definition),
            SearchAttributePair(VERSION, d.version),
            SearchAttributePair(MUNICIPALITY, d.municipality),
        ]
    )
    wrong = TypedSearchAttributes(
        [
            *only_definition,
            SearchAttributePair(STATE, ["plan"]),
            SearchAttributePair(OVERDUE, False),
        ]
    )
    async with worker(client, task_queue, recorder):
        for attributes in (only_definition, wrong):
            handle = await start(client, task_queue, attributes, manual_clock=True)
            await settled_history_length(handle)
            events = list((await handle.fetch_history()).events)
            assert [u.get("TrajectState") for u in upserts(events)] == [["intake"]]
            described = await handle.describe()
            assert described.typed_search_attributes.get(STATE) == ["intake"]


async def test_durable_timers_remind_mark_overdue_and_escalate_once(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue)
        await asyncio.sleep(4.5)
        view = await handle.query(TrajectoryWorkflow.view)
        (task,) = view.open_tasks
        assert task.overdue and task.escalated
        actions = recorder.actions(handle.id)
        assert actions.count("escalate") == 1 and actions.count("notify") == 1
        described = await handle.describe()  # ops find it among the overdue cases
        assert described.typed_search_attributes.get(OVERDUE) is True
        events = list((await handle.fetch_history()).events)
        assert upserts(events) == [{"TrajectOverdue": True}], "upserted once, when it changed"


async def test_a_new_worker_continues_where_a_stopped_one_left_off(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue)
        await complete(handle, "intakegesprek", VALID)
    # the first worker is gone; a second one (a new process in production) picks the case up
    async with worker(client, task_queue, recorder):
        view = await complete(handle, "plan_opstellen", {})
        assert view.finished and view.outcome == "plan_klaar"
        assert (await handle.result()).finished
    sequences = [r.sequence for r in recorder.records if r.workflow_id == handle.id]
    assert sequences == sorted(set(sequences)), "a step was recorded twice"
    assert recorder.actions(handle.id).count("sign_declaration") == 1


async def test_continue_as_new_keeps_the_trajectory(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue, history_limit=10, manual_clock=True)
        first_run = handle.first_execution_run_id
        await complete(handle, "intakegesprek", VALID)
        # the length a workflow sees is the one its current task started with: one more step
        # (a measurement) lets it notice that the limit has passed
        await handle.execute_update(
            TrajectoryWorkflow.record_ladder, RecordLadder(step=3, actor="km-1")
        )
        for _ in range(100):
            if (await client.get_workflow_handle(handle.id).describe()).run_id != first_run:
                break
            await asyncio.sleep(0.1)
        latest = client.get_workflow_handle(handle.id)
        view = await latest.query(TrajectoryWorkflow.view)
        assert view.active == ["plan"] and view.ladder == 3
        described = await latest.describe()
        assert described.run_id != first_run
        # the new run keeps what the first kept: its overdue flag, not its states
        assert described.typed_search_attributes.get(OVERDUE) is False
        assert described.typed_search_attributes.get(STATE) is None
        done = await latest.execute_update(
            TrajectoryWorkflow.complete_task,
            CompleteTask(task="plan_opstellen", data={}, actor="km-1"),
        )
        assert done.finished
        assert upserts(list((await latest.fetch_history()).events)) == []


async def test_suspension_stops_the_clock_and_resume_restarts_it(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue)
        await handle.execute_update(
            TrajectoryWorkflow.suspend, CaseDecision(reason="documenten_ontbreken", actor="km-1")
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await complete(handle, "intakegesprek", VALID)
        assert getattr(refused.value.cause, "type", None) == "suspended"
        await asyncio.sleep(3.5)
        view = await handle.query(TrajectoryWorkflow.view)
        assert view.suspended and not view.open_tasks[0].escalated
        resumed = await handle.execute_update(
            TrajectoryWorkflow.resume, CaseDecision(reason="documenten_ontvangen", actor="km-1")
        )
        assert not resumed.suspended
        await asyncio.sleep(3.8)
        assert (await handle.query(TrajectoryWorkflow.view)).open_tasks[0].escalated


async def test_a_date_anchored_timer_waits_for_its_date(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        registered = datetime(2020, 1, 6, tzinfo=UTC).date().isoformat()
        handle = await start(client, task_queue, dates={"registratiedatum": registered})
        await complete(handle, "intakegesprek", VALID)
        # ten weeks after a 2020 registration have long passed: the escalation fires at once
        for _ in range(50):
            if "escalate" in recorder.actions(handle.id):
                break
            await asyncio.sleep(0.1)
        assert recorder.actions(handle.id).count("escalate") == 1


async def test_cancel_ends_the_trajectory(
    client: Client, task_queue: str, recorder: Recorder
) -> None:
    async with worker(client, task_queue, recorder):
        handle = await start(client, task_queue)
        view = await handle.execute_update(
            TrajectoryWorkflow.cancel, CaseDecision(reason="verhuisd", actor="km-1")
        )
        assert view.cancelled
        result = await handle.result()
        assert result.cancelled and not result.finished
        assert recorder.records[-1].status == "cancelled"
