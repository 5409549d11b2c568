"""The worker process: runs TrajectoryWorkflow and the activities that write each step to the store.

`python -m worker.main` (or `traject worker`) connects to the configured Temporal server; `traject up`
starts the same as its child process next to the bundled dev server. SIGINT/SIGTERM stop it
gracefully: running activities finish, workflows resume on the next worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog
from prometheus_client import start_http_server
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxRestrictions

from activities.outbox import FileNotifier, dispatch
from activities.record import StepRecorder
from traject import eventloop, heap, logs, metrics, process
from traject.codec import EncryptionCodec, data_converter, local_keys, parse_keys
from traject.config import Settings
from traject.store.db import make_engine, session_factory
from worker.sandbox import CompiledOnceSandbox
from workflows.trajectory import TrajectoryWorkflow

log = structlog.get_logger()

# set by `traject up` for its child: the worker stops when that process is gone
PARENT_PID = "TRAJECT_PARENT_PID"


def keys(settings: Settings) -> list[tuple[str, bytes]]:
    """TRAJECT_ENCRYPTION_KEYS, or the embedded default's own key file."""
    return parse_keys(settings.encryption_keys) or local_keys(settings.data_dir / "keys.json")


class TemporalUnavailable(RuntimeError):
    """The Temporal server does not answer at the configured address."""


async def connect(settings: Settings) -> Client:
    """A client whose payloads are encrypted; TemporalUnavailable, naming the address, when the
    server does not answer."""
    converter = data_converter(EncryptionCodec(keys(settings)))
    try:
        return await Client.connect(
            settings.temporal_target,
            namespace=settings.temporal_namespace,
            tls=settings.temporal_tls(),
            data_converter=converter,
        )
    except RuntimeError as error:  # the SDK's bridge says "Failed client connect: …"
        raise TemporalUnavailable(
            f"Temporal does not answer at {settings.temporal_target} ({error})"
        ) from error


def workflow_runner(sandbox: bool = True) -> WorkflowRunner:
    """The sandbox, minus re-running our own workflow modules for every new trajectory: they hold
    no state, and importing them per run cost more than the trajectory's own work (bench/).
    Without it (TRAJECT_WORKFLOW_SANDBOX=off) the workflows run as plain code: nothing guards
    them at run time, which the tests do instead (they always use the sandbox)."""
    if not sandbox:
        return UnsandboxedWorkflowRunner()
    return CompiledOnceSandbox(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows", "bench")
    )


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    recorder = StepRecorder(session_factory(make_engine(settings.database_url)))
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[TrajectoryWorkflow],
        workflow_runner=workflow_runner(settings.workflow_sandbox),
        activities=[recorder.record_step],
        activity_executor=executor,
        interceptors=[metrics.MetricsInterceptor()],
        graceful_shutdown_timeout=timedelta(seconds=10),
        max_concurrent_activities=8,
    )


async def run(settings: Settings, stop: asyncio.Event) -> None:
    client = await connect(settings)
    if settings.metrics_port:  # Prometheus: steps, task completions, starts, activity failures
        start_http_server(settings.metrics_port, registry=metrics.WORKER.registry)
        log.info("worker_metrics", port=settings.metrics_port)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="activity") as executor:
        worker = build_worker(client, settings, executor)
        heap.settle(settings.gc)
        log.info(
            "worker_started",
            task_queue=settings.task_queue,
            temporal=settings.temporal_target,
            event_loop=eventloop.running(),
        )
        async with worker:
            await send_outbox(settings, stop)
        log.info("worker_stopped")


async def send_outbox(settings: Settings, stop: asyncio.Event) -> None:
    """Send what steps left in the outbox until told to stop (files in the embedded default)."""
    sessions = session_factory(make_engine(settings.database_url))
    notifier = FileNotifier(settings.data_dir / "mail")
    while not stop.is_set():
        await asyncio.to_thread(dispatch, sessions, notifier)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=2)


async def stop_without_parent(parent: int, stop: asyncio.Event) -> None:
    """Stop when `parent` is no longer this process's parent (it died and we were re-parented)."""
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("worker_parent_gone", parent=parent)
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1)


def main() -> None:
    settings = Settings()
    logs.configure(settings.log_format, settings.log_level)
    stop = asyncio.Event()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if parent := os.environ.get(PARENT_PID):
            watch = asyncio.create_task(stop_without_parent(int(parent), stop))
        await run(settings, stop)
        if parent:
            watch.cancel()

    eventloop.run(serve(), settings.event_loop)


if __name__ == "__main__":
    main()
    process.finish(0)
