"""(c) PostgreSQL drops the step recorder's connection in the middle of a step's transaction, under
a load of running trajectories (issue 9): the server ends the backend (`pg_terminate_backend`, as
a restart, a failover or a network cut does) after the step's rows are written and before they
commit. The activity fails, Temporal retries it on a fresh connection, and every step is in the
store exactly once: nothing half-written, nothing lost, nothing twice.

The load's size is TRAJECT_FAULT_LOAD (default 100; `make faults` runs 1,000)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities import aggregates
from activities.record import StepRecorder
from tests.conftest import DEFINITIONS, PG_ADMIN, postgres_answers
from tests.workflow.fault_load import Load, bound, table
from traject.seed import seed
from traject.service import Traject
from traject.store.models import Case
from workflows.messages import StepRecord
from workflows.trajectory import TrajectoryWorkflow

pytestmark = pytest.mark.skipif(not postgres_answers(), reason="needs PostgreSQL")

EVERY = 3  # one step in three loses its connection on its first attempt


class Dropper:
    """Ends the backend of every EVERY-th step's transaction once, after the step's rows were
    sent to the server (the aggregates are the last thing a step writes before it commits)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen = 0
        self.dropped: set[tuple[str, int]] = set()
        self.original = aggregates.apply

    def __call__(
        self, session: Session, case: Case, record: StepRecord, at: datetime
    ) -> Callable[[], None]:
        write = self.original(session, case, record, at)

        def written() -> None:
            write()
            key = (record.workflow_id, record.sequence)
            with self.lock:
                self.seen += 1
                drop = self.seen % EVERY == 0 and key not in self.dropped
                if drop:
                    self.dropped.add(key)
            if drop:
                session.flush()  # the step's rows are on the server, uncommitted
                pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                terminate(pid)

        return written


def terminate(pid: int) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        ended = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
    assert ended == (True,)


@pytest.fixture
def dropper(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dropper]:
    found = Dropper()
    monkeypatch.setattr(aggregates, "apply", found)
    yield found


async def test_a_dropped_database_connection_mid_step_is_retried_and_written_once(
    client: Client, task_queue: str, sessions: sessionmaker[Session], dropper: Dropper
) -> None:
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("a connection to drop: PostgreSQL only")
    seed(sessions, DEFINITIONS)
    errors: list[str] = []
    recorder = StepRecorder(sessions)

    class Watched(StepRecorder):
        def apply(self, record: StepRecord) -> bool:
            try:
                return recorder.apply(record)
            except OperationalError as error:  # what the activity's attempt died of
                errors.append(type(error.orig).__name__)
                raise

    traject = Traject(sessions, client, task_queue)
    load = Load(traject, sessions)
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[TrajectoryWorkflow],
            activities=[Watched(sessions).record_step],
            activity_executor=executor,
            max_concurrent_activities=8,
        ):
            await asyncio.wait_for(load.start("Verbinding"), bound(0.2, 30))
            await asyncio.wait_for(load.drive(), bound(0.5, 120))
            await load.check_results()
    assert len(dropper.dropped) >= load.size, "about one step in three lost its connection"
    # each drop failed its attempt (under a large load an attempt may also time out and be
    # retried: more failures, never fewer)
    assert len(errors) >= len(dropper.dropped)
    facts = load.check()
    print(f"\n(c) {len(dropper.dropped)} connections dropped mid-step, {load.size} trajectories:")
    print(table(facts), flush=True)
