"""The embedded default keeps trajectories across a restart of the dev server (its SQLite file):
idle ones, and (issue 9b) a load of running ones whose server is killed while they are driven.
The load's size is TRAJECT_FAULT_LOAD (default 100; `make faults` runs 1,000)."""

from __future__ import annotations

import asyncio
import signal
import socket
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from tests.conftest import DEFINITIONS
from tests.workflow.conftest import Recorder
from tests.workflow.definitions import intake
from tests.workflow.fault_load import Load, bound, connect, start_worker, stop, table
from tests.workflow.test_durable_scenarios import wait_started
from tests.workflow.test_trajectory_workflow import VALID
from traject import devserver
from traject.seed import seed
from traject.service import Traject
from traject.store.db import make_engine, session_factory
from traject.store.migrate import upgrade
from workflows.messages import CompleteTask, TrajectoryInput
from workflows.trajectory import TrajectoryWorkflow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_trajectories_survive_a_dev_server_restart(tmp_path: Path) -> None:
    port, db, log = free_port(), tmp_path / "temporal.db", tmp_path / "server.log"
    recorder, queue = Recorder(), f"restart-{uuid.uuid4().hex[:8]}"
    server = devserver.start(db, port, None, log)
    ids = []
    try:
        client = await Client.connect(f"127.0.0.1:{port}", data_converter=pydantic_data_converter)
        async with Worker(
            client,
            task_queue=queue,
            workflows=[TrajectoryWorkflow],
            activities=[recorder.record_step],
        ):
            for i in range(5):
                handle = await client.start_workflow(
                    TrajectoryWorkflow.run,
                    TrajectoryInput(
                        case_id=f"case-restart{i}", definition=intake(), manual_clock=True
                    ),
                    id=f"trajectory-restart-{uuid.uuid4().hex[:8]}",
                    task_queue=queue,
                )
                await wait_started(handle)
                await handle.execute_update(
                    TrajectoryWorkflow.complete_task,
                    CompleteTask(task="intakegesprek", data=VALID, actor="km"),
                )
                ids.append(handle.id)
    finally:
        server.terminate()
        server.wait(timeout=30)

    server = devserver.start(db, port, None, log)
    try:
        client = await Client.connect(f"127.0.0.1:{port}", data_converter=pydantic_data_converter)
        async with Worker(
            client,
            task_queue=queue,
            workflows=[TrajectoryWorkflow],
            activities=[recorder.record_step],
        ):
            for workflow_id in ids:
                handle = client.get_workflow_handle_for(TrajectoryWorkflow.run, workflow_id)
                assert (await handle.query(TrajectoryWorkflow.view)).active == ["plan"]
                done = await handle.execute_update(
                    TrajectoryWorkflow.complete_task,
                    CompleteTask(task="plan_opstellen", data={}, actor="km"),
                )
                assert done.finished and done.outcome == "plan_klaar"
    finally:
        server.terminate()
        server.wait(timeout=30)
    for workflow_id in ids:
        sequences = [r.sequence for r in recorder.records if r.workflow_id == workflow_id]
        assert sequences == [1, 2, 3], "every step recorded exactly once"


async def test_a_dev_server_killed_mid_load_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """(b) kill -9 the dev server a third of the way through the load and start it again on the
    same database file and port; the worker and the case workers' calls carry on when it is
    back: every trajectory finishes, nothing is duplicated or lost (the store: SQLite, as in the
    embedded default)."""
    port, db, log = free_port(), tmp_path / "temporal.db", tmp_path / "server.log"
    url = f"sqlite:///{tmp_path / 'traject.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    seed(sessions, DEFINITIONS)
    address, queue = f"127.0.0.1:{port}", f"restart-{uuid.uuid4().hex[:8]}"
    server = devserver.start(db, port, None, log)
    worker = None
    try:
        client = await connect(address)
        load = Load(Traject(sessions, client, queue), sessions)
        worker = start_worker(address, queue, url, tmp_path / "worker.log")
        await asyncio.wait_for(load.start("Herstart"), bound(0.2, 30))
        driving = asyncio.ensure_future(load.drive())
        try:
            await asyncio.wait_for(load.progress(1 / 3, driving), bound(0.5, 60))
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
            load.note(
                f"dev server killed (SIGKILL) after {load.applied} of {load.completions}"
                " completions"
            )
            await asyncio.sleep(1.0)  # calls fail meanwhile, and are sent again
            server = await asyncio.to_thread(devserver.start, db, port, None, log)
            load.note("dev server started again on the same file and port")
            await asyncio.wait_for(asyncio.shield(driving), bound(0.5, 120))
        finally:
            driving.cancel()
        await load.check_results()
    finally:
        stop(worker)
        server.terminate()
        server.wait(timeout=30)
    facts = load.check()
    print(f"\n(b) dev server killed, {load.size} trajectories:")
    print(table(facts), flush=True)
