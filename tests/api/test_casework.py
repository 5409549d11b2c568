"""A case worker's day through the REST API: start, inbox, claim, complete (wrong, then right),
outside events, ladder, suspend/resume/cancel; every error a problem+json that says what to fix."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tests.api.conftest import Api
from tests.api.test_tenancy_web import browser
from traject.calendar_nl import DutchCalendar
from traject.store.models import AuditEvent, CasePerson, Task


async def test_a_case_worker_starts_a_case_and_works_its_first_task(api: Api) -> None:
    case = await api.start(last_name="Haddad", bsn="111222333", reference="ZS-1")
    assert case["person"] == {"first_name": "Amina", "last_name": "Haddad", "bsn": "111222333"}
    assert case["status"] in ("starting", "running")
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")

    inbox = await api.get("klantmanager", "/api/tasks", params={"view": "unassigned"})
    assert inbox.status_code == 200
    assert task_id in [t["id"] for t in inbox.json()["items"]]
    assert "unassigned=" in inbox.headers["X-Task-Counts"]

    claimed = await api.post("klantmanager", f"/api/tasks/{task_id}/claim")
    assert claimed.status_code == 200, claimed.text
    me = (await api.get("klantmanager", "/api/me")).json()
    assert claimed.json()["open_tasks"][0]["assignee"] == f"user:{me['id']}"
    mine = (await api.get("klantmanager", "/api/tasks", params={"view": "mine"})).json()
    assert task_id in [t["id"] for t in mine["items"]]

    taken = await api.post("collega", f"/api/tasks/{task_id}/claim")
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    assert "claimed" in taken.json()["detail"]

    wrong = await api.post(
        "klantmanager", f"/api/tasks/{task_id}/complete", {"data": {"aanwezig": "ja"}}
    )
    assert wrong.status_code == 422
    assert set(wrong.json()["errors"]) == {"aanwezig"}
    done = await api.post(
        "klantmanager", f"/api/tasks/{task_id}/complete", {"data": {"aanwezig": True}}
    )
    assert done.status_code == 200, done.text
    assert "workshop_praktijk" in done.json()["active"]
    again = await api.post(
        "klantmanager", f"/api/tasks/{task_id}/complete", {"data": {"aanwezig": False}}
    )
    assert again.status_code == 409

    detail = (await api.get("klantmanager", f"/api/cases/{case['id']}")).json()
    kinds = [e["kind"] for e in detail["timeline"]["items"]]
    assert {"task_opened", "task_claimed", "task_completed"} <= set(kinds)
    with api.sessions() as session:
        person = session.get(CasePerson, case["id"])
        assert person is not None and person.bsn == "111222333"
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_id == case["id"])
        ).all()
    assert {"case_started", "case_read", "task_assigned", "task_completed"} <= set(actions)


async def test_bad_requests_are_refused_with_what_to_fix(api: Api) -> None:
    bad_bsn = await api.post(
        "klantmanager",
        "/api/cases",
        {"definition": "zaanstad_pvt", "first_name": "A", "bsn": "123"},
    )
    assert bad_bsn.status_code == 422
    assert "bsn" in bad_bsn.json()["errors"]
    unknown = await api.post(
        "klantmanager", "/api/cases", {"definition": "vip18", "first_name": "A"}
    )
    assert unknown.status_code == 404  # vip18 belongs to another municipality
    extra = await api.post(
        "klantmanager", "/api/cases", {"definition": "zaanstad_pvt", "first_name": "A", "x": 1}
    )
    assert extra.status_code == 422
    no_role = await api.post(
        "ontwerper", "/api/cases", {"definition": "zaanstad_pvt", "first_name": "A"}
    )
    assert no_role.status_code == 403
    anonymous = await api.http.get("/api/cases")
    assert anonymous.status_code == 401
    forged = await api.http.get("/api/cases", headers={"Authorization": "Bearer trj_nope"})
    assert forged.status_code == 401


async def test_events_ladder_and_decisions_go_through_the_workflow(api: Api) -> None:
    case = await api.start()
    cid = case["id"]
    await api.open_task(cid, "aanwezigheid_kernwaarden")
    housed = await api.post("klantmanager", f"/api/cases/{cid}/events", {"event": "gehuisvest"})
    assert housed.status_code == 200, housed.text
    assert "participatiegesprek" in housed.json()["active"]
    unknown = await api.post(
        "klantmanager", f"/api/cases/{cid}/events", {"event": "verhuisd_naar_mars"}
    )
    assert unknown.status_code == 409
    ladder = await api.post("klantmanager", f"/api/cases/{cid}/ladder", {"step": 3})
    assert ladder.json()["ladder"] == 3
    assert (
        await api.post("klantmanager", f"/api/cases/{cid}/ladder", {"step": 7})
    ).status_code == 422

    not_suspended = await api.post("klantmanager", f"/api/cases/{cid}/resume", {"reason": "terug"})
    assert not_suspended.status_code == 409
    suspended = await api.post(
        "klantmanager", f"/api/cases/{cid}/suspend", {"reason": "ziek", "note": "in het ziekenhuis"}
    )
    assert suspended.json()["suspended"] is True
    task_id = await api.open_task(cid, "participatiegesprek_voeren")
    while_suspended = await api.post("klantmanager", f"/api/tasks/{task_id}/complete", {"data": {}})
    assert while_suspended.status_code in (409, 422)
    resumed = await api.post("klantmanager", f"/api/cases/{cid}/resume", {"reason": "hersteld"})
    assert resumed.json()["suspended"] is False
    not_allowed = await api.post("klantmanager", f"/api/cases/{cid}/cancel", {"reason": "verhuisd"})
    assert not_allowed.status_code == 403  # cancelling is for coordinators
    cancelled = await api.post("teamleider", f"/api/cases/{cid}/cancel", {"reason": "verhuisd"})
    assert cancelled.json()["cancelled"] is True
    with api.sessions() as session:
        statuses = session.scalars(select(Task.status).where(Task.case_id == cid)).all()
    assert "open" not in statuses


async def test_a_volunteer_sees_a_first_name_and_only_their_tasks(api: Api) -> None:
    case = await api.start(last_name="Haddad", bsn="111222333")
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    assert (await api.get("vrijwilliger", f"/api/cases/{case['id']}")).status_code == 404
    task = await api.get("vrijwilliger", f"/api/tasks/{task_id}")
    assert task.status_code == 200
    assert task.json()["first_name"] == "Amina"
    assert "111222333" not in task.text and "Haddad" not in task.text
    assert (await api.post("vrijwilliger", f"/api/tasks/{task_id}/claim")).status_code == 200
    visible = (await api.get("vrijwilliger", f"/api/cases/{case['id']}")).json()
    assert visible["person"] == {"first_name": "Amina", "last_name": None, "bsn": None}
    listed = await api.get("vrijwilliger", "/api/cases")
    assert "Haddad" not in listed.text and "111222333" not in listed.text
    assert all(c["person"]["bsn"] is None for c in listed.json()["items"])


async def test_a_coordinator_hands_a_task_over_and_reads_the_audit_log(api: Api) -> None:
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    users = (await api.get("teamleider", "/api/users", params={"group": "trainer"})).json()["items"]
    collega = next(u for u in users if u["display_name"] == "Collega")
    handed = await api.post(
        "teamleider", f"/api/tasks/{task_id}/assign", {"user_id": collega["id"]}
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["open_tasks"][0]["assignee"] == f"user:{collega['id']}"
    not_yours = await api.post("klantmanager", f"/api/tasks/{task_id}/unclaim")
    assert not_yours.status_code == 409
    assert (
        await api.post("klantmanager", f"/api/tasks/{task_id}/assign", {"user_id": 1})
    ).status_code == 403
    log = await api.get("teamleider", f"/api/cases/{case['id']}/audit")
    assert log.status_code == 200
    assert "task_assigned" in [e["action"] for e in log.json()["items"]]
    assert (await api.get("klantmanager", "/api/audit")).status_code == 403


async def test_lists_are_paged(api: Api) -> None:
    for _ in range(3):
        await api.start()
    first = (await api.get("klantmanager", "/api/cases", params={"size": 2})).json()
    assert len(first["items"]) == 2 and first["total"] >= 3 and first["pages"] >= 2
    second = (await api.get("klantmanager", "/api/cases", params={"size": 2, "page": 2})).json()
    assert {c["id"] for c in first["items"]}.isdisjoint(c["id"] for c in second["items"])
    too_big = await api.get("klantmanager", "/api/cases", params={"size": 10_000})
    assert too_big.status_code == 422


def duo_notice_weeks_ago(weeks: int) -> date:
    """A DUO notice about `weeks` weeks ago whose ten-week PIP termijn, and that plus the two
    weeks of an extension, end on an ordinary working day (a Monday that is no holiday), so the
    Algemene termijnenwet moves neither and the expected dates below are plain arithmetic."""
    calendar = DutchCalendar()
    day = datetime.now(UTC).date() - timedelta(weeks=weeks)
    day -= timedelta(days=day.weekday())
    while calendar.is_atw_day_off(day + timedelta(weeks=10)) or calendar.is_atw_day_off(
        day + timedelta(weeks=12)
    ):
        day -= timedelta(weeks=1)
    return day


async def test_a_termijn_is_suspended_resumed_and_extended_within_its_rules(api: Api) -> None:
    duo = duo_notice_weeks_ago(2)
    started = await api.post(
        "leiden",
        "/api/cases",
        {"definition": "wi2021", "first_name": "Samir", "dates": {"duo_melding": duo.isoformat()}},
    )
    assert started.status_code == 201, started.text
    case = started.json()
    due = (duo + timedelta(weeks=10)).isoformat()  # ten weeks, counted from the day after
    assert [(t["name"], t["status"]) for t in case["termijnen"]] == [("pip_termijn", "on_time")]
    assert case["termijnen"][0]["due_on"] == due
    await api.open_task(case["id"], "intake_afnemen", "leiden")
    team = (await api.get("leiden", "/api/tasks", params={"view": "team", "size": 200})).json()
    mine = [t for t in team["items"] if t["case_id"] == case["id"]]
    assert mine and mine[0]["termijn_status"] == "on_time" and mine[0]["termijn_due_on"] == due
    near = (await api.get("leiden", "/api/tasks", params={"view": "deadline", "size": 200})).json()
    assert case["id"] not in {
        t["case_id"] for t in near["items"]
    }  # ends in about two months, not two weeks
    url = f"/api/cases/{case['id']}/termijnen/pip_termijn"
    not_allowed = await api.post("docent", f"{url}/suspend", {"reason": "ziek"})
    assert not_allowed.status_code == 403
    assert (await api.post("leiden", f"{url}/resume", {"reason": "terug"})).status_code == 409
    assert (
        await api.post("leiden", f"{url}/suspend", {"reason": "wacht_op_documenten"})
    ).status_code == 200
    suspended = (await api.get("leiden", f"/api/cases/{case['id']}")).json()["termijnen"][0]
    assert suspended["status"] == "suspended" and suspended["due_on"] is None
    assert (await api.post("leiden", f"{url}/resume", {"reason": "ontvangen"})).status_code == 200
    too_long = await api.post("leiden", f"{url}/extend", {"reason": "complex", "length": "P3M"})
    assert too_long.status_code == 409 and "at most P6W" in too_long.json()["detail"]
    extended = await api.post("leiden", f"{url}/extend", {"reason": "complex", "length": "P2W"})
    assert extended.status_code == 200
    after = (await api.get("leiden", f"/api/cases/{case['id']}")).json()
    assert after["termijnen"][0]["status"] == "on_time"
    extended_due = (duo + timedelta(weeks=12)).isoformat()
    assert after["termijnen"][0]["due_on"] == extended_due  # two weeks later (same day, no pause)
    kinds = [e["kind"] for e in after["timeline"]["items"]]
    assert {"termijn_started", "termijn_suspend", "termijn_resume", "termijn_extend"} <= set(kinds)
    audit = (await api.get("leiden", f"/api/cases/{case['id']}/audit")).json()["items"]
    assert {"termijn_suspend", "termijn_resume", "termijn_extend"} <= {a["action"] for a in audit}


async def test_the_deadline_view_puts_the_nearest_termijn_first(api: Api) -> None:
    today = datetime.now(UTC).date()
    ids = []
    for weeks_ago in (9, 7):  # a PIP termijn of ten weeks: ends in about one and three weeks
        body = {
            "definition": "wi2021",
            "first_name": "Nour",
            "dates": {"duo_melding": (today - timedelta(weeks=weeks_ago)).isoformat()},
        }
        started = await api.post("leiden", "/api/cases", body)
        ids.append(started.json()["id"])
        await api.open_task(ids[-1], "intake_afnemen", "leiden")
    near = (await api.get("leiden", "/api/tasks", params={"view": "deadline", "size": 200})).json()
    listed = [t["case_id"] for t in near["items"] if t["case_id"] in ids]
    assert listed == [ids[0]]  # ends within two weeks; the other not yet
    ours = [t for t in near["items"] if t["case_id"] == ids[0]]
    assert ours[0]["termijn_status"] in ("amber", "red")

    # the dashboard counts them per team: both cases have an open intake for the klantmanager
    csv = await api.get("leiden", "/dashboard/termijnen.csv", params={"definition": "wi2021"})
    assert csv.status_code == 200, csv.text
    lines = [line.split(",") for line in csv.text.strip().splitlines()]
    pip = [row for row in lines[1:] if row[0].startswith("PIP") and row[1] == "klantmanager"]
    assert pip and int(pip[0][3]) >= 1 and int(pip[0][4]) >= 1  # one near, one on time (at least)


async def test_the_case_list_page_filters_by_the_state_a_case_is_in(api: Api) -> None:
    """Which states a case is in lives in Traject's read model (not in Temporal's visibility):
    the case list offers the chosen trajectory's states and lists the cases in one of them."""
    case = await api.start(reference=f"ZS-STAND-{uuid.uuid4().hex[:6]}")
    await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    state = (await api.get("klantmanager", f"/api/cases/{case['id']}")).json()["states"][0]
    async with browser(api, "klantmanager") as page:
        listed = await page.http.get("/cases", params={"definition": "zaanstad_pvt"})
        assert listed.status_code == 200
        assert f'<option value="{state}"' in listed.text  # the trajectory's states to choose
        inside = await page.http.get(
            "/cases", params={"definition": "zaanstad_pvt", "state": state}
        )
        assert case["id"] in inside.text and f'value="{state}" selected' in inside.text
        # the list names the state by its title, as the filter does
        title = inside.text.split(f'value="{state}" selected>', 1)[1].split("<", 1)[0]
        row = inside.text.split(f'data-case="{case["id"]}"', 1)[1].split("</tr>", 1)[0]
        assert title and title in row
        elsewhere = await page.http.get(
            "/cases", params={"definition": "zaanstad_pvt", "state": "afgerond"}
        )
        assert elsewhere.status_code == 200 and case["id"] not in elsewhere.text
        unknown = await page.http.get("/cases", params={"state": "no_such_state"})
        assert unknown.status_code == 200  # a state outside the chosen trajectory is ignored


async def test_a_change_answers_with_the_ids_of_the_tasks_to_do_next(api: Api) -> None:
    """A completion answers with the open tasks' ids from the store, so the case worker goes on
    with the next task without reading the case again; a volunteer gets only the ids of tasks
    they hold."""
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    done = await api.post(
        "klantmanager", f"/api/tasks/{task_id}/complete", {"data": {"aanwezig": True}}
    )
    assert done.status_code == 200, done.text
    answered = {t["name"]: t["id"] for t in done.json()["open_tasks"]}
    with api.sessions() as session:
        stored = dict(
            session.execute(
                select(Task.name, Task.id).where(Task.case_id == case["id"], Task.status == "open")
            ).all()
        )
    assert answered and answered == stored
    next_id = next(iter(answered.values()))
    claimed = await api.post("klantmanager", f"/api/tasks/{next_id}/claim")
    assert claimed.status_code == 200, claimed.text

    other = await api.start()
    first = await api.open_task(other["id"], "aanwezigheid_kernwaarden")
    held = await api.post("vrijwilliger", f"/api/tasks/{first}/claim")
    assert held.status_code == 200, held.text
    assert [t["id"] for t in held.json()["open_tasks"]] == [first]
    released = await api.post("vrijwilliger", f"/api/tasks/{first}/unclaim")
    assert released.status_code == 200, released.text
    assert [t["id"] for t in released.json()["open_tasks"]] == [None]  # no longer theirs


async def test_a_start_is_audited_once_and_each_later_read_again(api: Api) -> None:
    """The answer to a start shows its caller what they have just given: the start's own audit
    row records it. Every later read of the case is a row of its own."""

    def actions(case_id: str) -> list[str]:
        with api.sessions() as session:
            return list(
                session.scalars(
                    select(AuditEvent.action)
                    .where(AuditEvent.case_id == case_id)
                    .order_by(AuditEvent.id)
                )
            )

    case = await api.start(first_name="Eenmaal")
    assert case["person"]["first_name"] == "Eenmaal"
    assert case["started_at"].endswith("Z")  # the API's moments say they are UTC
    assert actions(case["id"]) == ["case_started"]
    assert (await api.get("klantmanager", f"/api/cases/{case['id']}")).status_code == 200
    assert actions(case["id"]) == ["case_started", "case_read"]
