"""End to end: the service, a real worker with the real step recorder, Temporal and the store
(SQLite and PostgreSQL). What a case worker does, and what lands in the store and in history."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.record import StepRecorder
from tests.conftest import DEFINITIONS
from tests.workflow.test_durable_scenarios import wait_started
from traject.seed import seed
from traject.service import Refused, Traject
from traject.store import repositories as repo
from traject.store.db import transaction
from traject.store.models import Declaration, LadderMeasurement, OutboxMessage, Task, TimelineEvent
from workflows.trajectory import TrajectoryWorkflow


@dataclass
class Running:
    traject: Traject
    sessions: sessionmaker[Session]
    recorder: StepRecorder
    client: Client
    task_queue: str


@pytest_asyncio.fixture
async def running(
    client: Client, task_queue: str, sessions: sessionmaker[Session]
) -> AsyncIterator[Running]:
    seed(sessions, DEFINITIONS)
    recorder = StepRecorder(sessions)
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with worker(client, task_queue, recorder, executor):
            yield Running(
                Traject(sessions, client, task_queue), sessions, recorder, client, task_queue
            )


def worker(
    client: Client, task_queue: str, recorder: StepRecorder, executor: ThreadPoolExecutor
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[recorder.record_step],
        activity_executor=executor,
    )


def open_task(r: Running, case_id: str, name: str) -> int:
    with r.sessions() as session:
        task_id = session.scalar(
            select(Task.id).where(Task.case_id == case_id, Task.name == name, Task.status == "open")
        )
    assert task_id is not None, f"no open task {name}"
    return task_id


def count(r: Running, model: type, case_id: str) -> int:
    with r.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(model).where(model.case_id == case_id))
            or 0
        )


async def test_a_case_worker_takes_a_pvt1_case_to_its_signing(running: Running) -> None:
    r = running
    with transaction(r.sessions) as session:  # a seat of its own, whatever tests ran before
        soon = datetime.now(UTC) + timedelta(hours=1)
        repo.add_session(session, "voorbeeldgemeente", "kernwaarden", "Kernwaarden", soon, "B", 1)
    case = await r.traject.start_case(
        "pvt1", "Amina", last_name="Haddad", bsn="123456782", actor="km-1"
    )
    await wait_started(r.traject.handle(case))
    first = open_task(r, case.id, "aanmelding_bevestigen")
    with pytest.raises(Refused) as refused:
        await r.traject.complete_task(first, {"tolk_nodig": "ja"}, "km-1")
    assert refused.value.code == "invalid_form" and "tolk_nodig" in refused.value.errors
    await r.traject.complete_task(first, {"tolk_nodig": True, "taal": "arabisch"}, "km-1")
    with pytest.raises(Refused) as twice:
        await r.traject.complete_task(first, {"tolk_nodig": True}, "km-1")
    assert twice.value.code == "task_not_open"
    await r.traject.complete_task(
        open_task(r, case.id, "aanwezigheid"),
        {"aanwezig": True, "brochure_ontvangen": True},
        "trainer-1",
    )
    view = await r.traject.complete_task(
        open_task(r, case.id, "ondertekening"), {"getekend": True}, "km-1"
    )
    assert view.finished and view.outcome == "verklaring_getekend"

    shown = r.traject.show(case.id)
    assert shown["case"].status == "finished" and shown["case"].outcome == "verklaring_getekend"
    kinds = [e.kind for e in shown["timeline"]]
    for kind in (
        "workshop_booked",
        "invited",
        "task_completed",
        "declaration_signed",
        "reported",
        "finished",
    ):
        assert kind in kinds
    assert count(r, Declaration, case.id) == 1
    with r.sessions() as session:
        letters = session.scalars(
            select(OutboxMessage.template).where(OutboxMessage.case_id == case.id)
        ).all()
    assert "uitnodiging_workshop_kernwaarden" in letters and "uitnodiging_ondertekening" in letters

    history = json.dumps((await r.traject.handle(case).fetch_history()).to_json_dict())
    for personal in ("Amina", "Haddad", "123456782"):
        assert personal not in history


async def test_personal_answers_stay_in_the_store(running: Running) -> None:
    r = running
    case = await r.traject.start_case("zaanstad_pvt", "Yonas", actor="km-1")
    await wait_started(r.traject.handle(case))
    await r.traject.record_event(case.id, "gehuisvest", "km-1")
    task_id = open_task(r, case.id, "participatiegesprek_voeren")
    talent = "Was lasser in Asmara, kookt graag"
    await r.traject.complete_task(
        task_id, {"opleidingsniveau": "mbo", "trede": 2, "talenten": talent}, "km-1"
    )
    with r.sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        assert task.personal_data == {"talenten": talent}
        assert task.form_data == {"opleidingsniveau": "mbo", "trede": 2}
        assert (
            session.scalar(
                select(LadderMeasurement.step).where(LadderMeasurement.case_id == case.id)
            )
            == 2
        )
    history = json.dumps((await r.traject.handle(case).fetch_history()).to_json_dict())
    assert "Asmara" not in history and "Yonas" not in history


async def test_a_replacement_worker_loses_and_duplicates_nothing(
    client: Client, task_queue: str, sessions: sessionmaker[Session]
) -> None:
    seed(sessions, DEFINITIONS)
    recorder = StepRecorder(sessions)
    traject = Traject(sessions, client, task_queue)
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with worker(client, task_queue, recorder, executor):
            case = await traject.start_case("pvt1", "Farah", actor="km-1")
            await wait_started(traject.handle(case))
            with sessions() as session:
                first = session.scalar(select(Task.id).where(Task.case_id == case.id))
            assert first is not None
            await traject.complete_task(first, {"tolk_nodig": False}, "km-1")
        async with worker(client, task_queue, StepRecorder(sessions), executor):
            with sessions() as session:
                second = session.scalar(
                    select(Task.id).where(Task.case_id == case.id, Task.status == "open")
                )
            assert second is not None
            await traject.complete_task(
                second, {"aanwezig": True, "brochure_ontvangen": False}, "t-1"
            )
    with sessions() as session:
        tasks = session.scalars(select(Task).where(Task.case_id == case.id)).all()
        assert [t.name for t in tasks] == ["aanmelding_bevestigen", "aanwezigheid", "ondertekening"]
        keys = session.scalars(
            select(TimelineEvent.key).where(TimelineEvent.case_id == case.id)
        ).all()
        assert len(keys) == len(set(keys))
        seats = session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.case_id == case.id)
        ).scalar()
        assert seats == 2  # two invitations: the workshop and the signing


async def test_applying_a_step_twice_writes_nothing_the_second_time(running: Running) -> None:
    r = running
    case = await r.traject.start_case("pvt1", "Sara", actor="km-1")
    await wait_started(r.traject.handle(case))
    from workflows.messages import StepRecord

    captured: list[StepRecord] = []
    original = r.recorder.apply

    def spy(record: StepRecord) -> bool:
        captured.append(record)
        return original(record)

    r.recorder.apply = spy  # type: ignore[method-assign]
    await r.traject.complete_task(
        open_task(r, case.id, "aanmelding_bevestigen"), {"tolk_nodig": False}, "km"
    )
    before = (
        count(r, TimelineEvent, case.id),
        count(r, Task, case.id),
        count(r, OutboxMessage, case.id),
    )
    assert captured and r.recorder.apply(captured[-1]) is False
    after = (
        count(r, TimelineEvent, case.id),
        count(r, Task, case.id),
        count(r, OutboxMessage, case.id),
    )
    assert before == after


async def test_a_running_case_keeps_its_version_when_a_new_one_is_published(
    running: Running,
) -> None:
    from traject.definition import compile_text
    from traject.store import repositories as repo
    from traject.store.db import transaction

    r = running
    old = await r.traject.start_case("pvt1", "Nadia", actor="km-1")
    await wait_started(r.traject.handle(old))
    source = (DEFINITIONS / "pvt1.yaml").read_text()
    changed = source.replace("version: 1", "version: 2").replace("due: P2W", "due: P1W")
    with transaction(r.sessions) as session:
        repo.publish(session, compile_text(changed, "pvt1.yaml"), changed, by="designer")
    new = await r.traject.start_case("pvt1", "Omar", actor="km-1")
    await wait_started(r.traject.handle(new))
    with r.sessions() as session:
        versions = {
            c: repo.version_of(session, repo.get_case(session, c)).version for c in (old.id, new.id)
        }
        due = {
            t.case_id: t.due_at - t.created_at
            for t in repo.list_tasks(session, status="open")
            if t.case_id in versions
        }
    assert versions == {old.id: 1, new.id: 2}
    assert due[old.id].days == 14 and due[new.id].days == 7
    view = await r.traject.complete_task(
        open_task(r, old.id, "aanmelding_bevestigen"), {"tolk_nodig": False}, "km"
    )
    assert view.version == 1 and view.active == ["workshop"]
