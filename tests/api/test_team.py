"""A coordinator's team (`/api/team`): everyone of the municipality with the open tasks each holds;
deactivating a colleague who leaves closes them out (sign-in and tokens refused) and, if asked,
hands their tasks back to their groups through each task's workflow; activating lets them in
again. Refused and changing nothing: another role, oneself, an admin (for a coordinator), an
unknown user. Real worker, Temporal server and store, through the API.

Each test makes its own colleagues: the shared users of tests/api/conftest.py stay active."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from tests.api.conftest import Api
from traject.store import accounts
from traject.store.db import transaction
from traject.store.models import AuditEvent, User

TASK = "aanwezigheid_kernwaarden"  # a trainer's task of zaanstad_pvt


def colleague(api: Api, roles: list[str], groups: list[str]) -> tuple[int, dict[str, str]]:
    """A new zaanstad user: (their id, the headers of their API token)."""
    with transaction(api.sessions) as session:
        user = accounts.create_user(
            session,
            "zaanstad",
            f"vertrekker-{secrets.token_hex(3)}",
            "Vertrekker",
            roles,
            groups,
            None,
        )
        token = accounts.create_token(session, user, "tests")[1]
        return user.id, {"Authorization": f"Bearer {token}"}


def user_id(api: Api, username: str) -> int:
    with api.sessions() as session:
        user = accounts.find_user(session, "zaanstad", username)
        assert user is not None
        return user.id


def audited(api: Api, action: str, member: int) -> list[str]:
    """The actors of the audit rows `action` about user `member`."""
    with api.sessions() as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.detail).where(AuditEvent.action == action)
        ).all()
    return [actor for actor, detail in rows if detail.get("user") == f"user:{member}"]


async def claimed_task(api: Api, member: dict[str, str]) -> tuple[str, int]:
    """A new case's trainer task, claimed by `member`: (the case, the task)."""
    case = await api.start()
    task_id = await api.open_task(case["id"], TASK)
    claimed = await api.http.post(f"/api/tasks/{task_id}/claim", headers=member)
    assert claimed.status_code == 200, claimed.text
    return case["id"], task_id


def releases(api: Api, case_id: str) -> list[str]:
    """The actors who released a task of the case (audit log)."""
    with api.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent.actor).where(
                    AuditEvent.case_id == case_id, AuditEvent.action == "task_released"
                )
            )
        )


def member_row(listing: dict[str, object], member: int) -> dict[str, object]:
    rows = {row["id"]: row for row in listing["items"]}  # type: ignore[attr-defined,index]
    return rows[member]  # type: ignore[no-any-return]


async def test_deactivating_a_leaver_hands_their_tasks_back_and_activating_lets_them_in(
    api: Api,
) -> None:
    member, headers = colleague(api, ["caseworker"], ["klantmanager", "trainer"])
    case_id, task_id = await claimed_task(api, headers)
    team = await api.get("teamleider", "/api/team", params={"size": 200})
    assert team.status_code == 200, team.text
    row = member_row(team.json(), member)
    assert row["held_tasks"] == 1 and row["active"] is True and row["roles"] == ["caseworker"]

    gone = await api.post("teamleider", f"/api/team/{member}/deactivate", {"release_tasks": True})
    assert gone.status_code == 200, gone.text
    body = gone.json()
    assert body["changed"] is True and body["released"] == [task_id]
    assert body["not_released"] == {}
    assert body["member"]["active"] is False and body["member"]["held_tasks"] == 0
    assert (await api.http.get("/api/me", headers=headers)).status_code == 401
    task = (await api.get("klantmanager", f"/api/tasks/{task_id}")).json()
    assert task["assignee"] is None and task["status"] == "open"  # back with the trainers
    coordinator = f"user:{user_id(api, 'teamleider')}"
    assert audited(api, "user_deactivated", member) == [coordinator]
    assert releases(api, case_id) == [coordinator]
    listed = member_row((await api.get("teamleider", "/api/team?size=200")).json(), member)
    assert listed["active"] is False and listed["held_tasks"] == 0  # still listed, as out

    again = await api.post("teamleider", f"/api/team/{member}/deactivate", {})
    assert again.status_code == 200 and again.json()["changed"] is False
    assert audited(api, "user_deactivated", member) == [coordinator]  # nothing written twice

    back = await api.post("teamleider", f"/api/team/{member}/activate")
    assert back.status_code == 200 and back.json()["changed"] is True
    assert back.json()["member"]["active"] is True
    assert (await api.http.get("/api/me", headers=headers)).status_code == 200
    assert audited(api, "user_activated", member) == [coordinator]


async def test_without_release_the_tasks_stay_with_the_deactivated_user(api: Api) -> None:
    member, headers = colleague(api, ["caseworker"], ["klantmanager", "trainer"])
    case_id, task_id = await claimed_task(api, headers)
    gone = await api.http.post(  # no body at all: the tasks are kept
        f"/api/team/{member}/deactivate", headers=api.headers("teamleider")
    )
    assert gone.status_code == 200, gone.text
    assert gone.json()["released"] == [] and gone.json()["member"]["held_tasks"] == 1
    task = (await api.get("klantmanager", f"/api/tasks/{task_id}")).json()
    assert task["assignee"] == f"user:{member}"  # a coordinator hands it over on its page
    assert releases(api, case_id) == []

    refused = await api.post("klantmanager", f"/api/team/{member}/release-tasks")
    assert refused.status_code == 403, refused.text  # coordinators hand tasks back
    back = await api.post("teamleider", f"/api/team/{member}/release-tasks")
    assert back.status_code == 200, back.text
    assert back.json()["released"] == [task_id] and back.json()["changed"] is True
    assert back.json()["member"]["held_tasks"] == 0 and back.json()["member"]["active"] is False
    task = (await api.get("klantmanager", f"/api/tasks/{task_id}")).json()
    assert task["assignee"] is None
    assert releases(api, case_id) == [f"user:{user_id(api, 'teamleider')}"]
    again = await api.post("teamleider", f"/api/team/{member}/release-tasks")
    assert again.status_code == 200 and again.json()["changed"] is False
    assert releases(api, case_id) == [f"user:{user_id(api, 'teamleider')}"]  # nothing twice


async def test_who_may_deactivate_whom(api: Api) -> None:
    member, _ = colleague(api, ["caseworker"], ["klantmanager"])
    admin, admin_headers = colleague(api, ["admin"], [])
    other_admin, _ = colleague(api, ["admin"], [])
    coordinator = user_id(api, "teamleider")

    for role in ("klantmanager", "vrijwilliger", "ontwerper"):  # not a coordinator
        assert (await api.get(role, "/api/team")).status_code == 403
        refused = await api.post(role, f"/api/team/{member}/deactivate", {})
        assert refused.status_code == 403, refused.text
    mine = await api.post("teamleider", f"/api/team/{coordinator}/deactivate", {})
    assert mine.status_code == 409 and "yourself" in mine.json()["detail"], mine.text
    over = await api.post("teamleider", f"/api/team/{admin}/deactivate", {})
    assert over.status_code == 403 and "admin" in over.json()["detail"], over.text
    unknown = await api.post("teamleider", "/api/team/2147483647/deactivate", {})
    assert unknown.status_code == 404, unknown.text
    typo = await api.post("teamleider", f"/api/team/{member}/deactivate", {"release": True})
    assert typo.status_code == 422, typo.text  # an unknown field is refused, not ignored
    with api.sessions() as session:
        for who in (member, admin, coordinator):
            user = session.get(User, who)
            assert user is not None and user.active, who
    assert audited(api, "user_deactivated", member) == []

    by_admin = await api.http.post(
        f"/api/team/{other_admin}/deactivate", json={}, headers=admin_headers
    )
    assert by_admin.status_code == 200 and by_admin.json()["changed"] is True, by_admin.text
