"""A worker in its own process, for tests that kill it (`kill -9`) mid-load or take its Temporal
server away: the options of the real worker (worker/main.py), without its encryption.

python -m tests.workflow.worker_process TEMPORAL_ADDRESS TASK_QUEUE DATABASE_URL

It prints `ready` on stdout once it polls, and logs (JSON lines) to stderr only, so a test that
reads the one line and no more never blocks it on a full pipe.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.record import StepRecorder
from traject import eventloop
from traject.config import Settings
from traject.store.db import make_engine, session_factory
from worker.main import workflow_runner
from workflows.trajectory import TrajectoryWorkflow


async def main(address: str, queue: str, database_url: str) -> None:
    structlog.configure(
        processors=[
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    recorder = StepRecorder(session_factory(make_engine(database_url)))
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[TrajectoryWorkflow],
            activities=[recorder.record_step],
            activity_executor=executor,
            workflow_runner=workflow_runner(),
            graceful_shutdown_timeout=timedelta(seconds=10),
            max_concurrent_activities=8,
        ):
            print("ready", flush=True)
            await asyncio.Event().wait()


if __name__ == "__main__":
    # on the event loop the real worker runs on (uvloop unless TRAJECT_EVENT_LOOP says otherwise)
    eventloop.run(main(*sys.argv[1:4]), Settings().event_loop)
