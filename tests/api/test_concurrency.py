"""Issue 9 (d): the same completion sent twice at once through the REST API is applied once; the
other request is answered 409 (problem+json) and writes nothing — no second timeline row, audit
event, metric or personal answer. Two different completions at once: one wins, the other is 409."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from tests.api.conftest import Api
from traject.store.models import AuditEvent, Task, TimelineEvent

TIMEOUT = 60  # seconds: a hung request fails the test instead of hanging it


async def both(
    api: Api, task_id: int, *requests: tuple[str, dict[str, Any]]
) -> list[httpx.Response]:
    """Send the completions at the same moment and wait for every answer."""
    url = f"/api/tasks/{task_id}/complete"
    sent = (api.post(user, url, {"data": data}) for user, data in requests)
    return list(await asyncio.wait_for(asyncio.gather(*sent), timeout=TIMEOUT))


def written(api: Api, case_id: str, task_id: int) -> tuple[Task, list[str], list[AuditEvent]]:
    with api.sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        completed = session.scalars(
            select(TimelineEvent.key).where(
                TimelineEvent.case_id == case_id,
                TimelineEvent.kind == "task_completed",
                TimelineEvent.subject == task.name,
            )
        ).all()
        audits = session.scalars(
            select(AuditEvent).where(
                AuditEvent.case_id == case_id, AuditEvent.action == "task_completed"
            )
        ).all()
    return task, list(completed), list(audits)


def one_applied(responses: list[httpx.Response]) -> tuple[int, httpx.Response]:
    """The index of the 200 and the 409 problem; anything else fails with both bodies."""
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [(r.status_code, r.text) for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    refused = responses[1 - winner]
    assert refused.headers["content-type"] == "application/problem+json", refused.text
    problem = refused.json()
    assert problem["status"] == 409 and problem["detail"], problem
    return winner, refused


async def test_the_same_completion_twice_at_once_is_applied_once_and_refused_once(
    api: Api,
) -> None:
    case = await api.start(first_name="Dubbel")
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    form = {"aanwezig": True, "tolk_ingezet": False, "opmerkingen": "kwam op tijd"}
    responses = await both(api, task_id, ("klantmanager", form), ("klantmanager", form))
    winner, _ = one_applied(responses)
    assert "workshop_praktijk" in responses[winner].json()["active"]

    task, completed, audits = written(api, case["id"], task_id)
    assert task.status == "completed" and task.completed_by is not None
    assert task.form_data == {"aanwezig": True, "tolk_ingezet": False}
    assert task.personal_data == {"opmerkingen": "kwam op tijd"}
    assert len(completed) == 1, completed
    assert len(audits) == 1, [a.detail for a in audits]

    again = await both(api, task_id, ("klantmanager", form))  # later, the same: still 409
    assert again[0].status_code == 409, again[0].text
    assert len(written(api, case["id"], task_id)[2]) == 1


async def test_two_different_completions_at_once_one_wins_the_other_is_409(api: Api) -> None:
    case = await api.start(first_name="Twee")
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    present = {"aanwezig": True, "opmerkingen": "aanwezig"}
    absent = {"aanwezig": False, "opmerkingen": "niet gezien"}
    responses = await both(api, task_id, ("klantmanager", present), ("klantmanager", absent))
    winner, _ = one_applied(responses)
    applied = (present, absent)[winner]
    expected_state = "workshop_praktijk" if applied["aanwezig"] else "afwezig_kernwaarden"
    assert expected_state in responses[winner].json()["active"]

    task, completed, audits = written(api, case["id"], task_id)
    assert task.form_data == {"aanwezig": applied["aanwezig"]}
    assert task.personal_data == {"opmerkingen": applied["opmerkingen"]}  # not the loser's
    assert len(completed) == 1 and len(audits) == 1


async def test_two_colleagues_completing_one_task_at_once_one_wins(api: Api) -> None:
    case = await api.start(first_name="Collega")
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    form = {"aanwezig": True}
    responses = await both(api, task_id, ("klantmanager", form), ("collega", form))
    winner, _ = one_applied(responses)
    me = (await api.get(("klantmanager", "collega")[winner], "/api/me")).json()

    task, completed, audits = written(api, case["id"], task_id)
    assert task.completed_by == f"user:{me['id']}"
    assert len(completed) == 1 and [a.actor for a in audits] == [f"user:{me['id']}"]
