"""Termijnen where a case worker and a coordinator see them: the inbox's deadline view puts the
nearest termijn first, and the dashboard's termijnen-per-team table counts a case past its
deadline as past (and the others as near, on time or suspended), exactly.

Five Wet inburgering 2021 cases of one municipality, each with its DUO notice a known number of
days ago; the PIP termijn is ten weeks from the day after the notice (moved by at most a few days
by the Algemene termijnenwet when it ends on a weekend or holiday):

    past       12 weeks ago        last day about two weeks ago: expired at once, escalated
    soon       9 weeks 5 days ago  last day in about 2 days
    later      8 weeks 5 days ago  last day in about 9 days (within the view's two weeks)
    far        4 weeks ago         last day in about 6 weeks: not in the deadline view
    suspended  5 weeks ago         suspended by the case worker
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.api.conftest import Api
from tests.api.test_tenancy_web import browser
from traject.store.models import CaseTermijn

USER = "leiden"  # voorbeeldgemeente: caseworker and coordinator, in the klantmanager group
PIP = "PIP binnen tien weken na de melding van DUO"
DAYS_AGO = {"past": 84, "soon": 68, "later": 61, "far": 28, "suspended": 35}
EXPECTED_STATUS = {
    "past": "expired",
    "soon": "amber",
    "later": "amber",
    "far": "on_time",
    "suspended": "suspended",
}
Table = dict[tuple[str, str], tuple[int, int, int, int]]


async def start(api: Api, days_ago: int) -> dict[str, Any]:
    notice = (datetime.now(UTC).date() - timedelta(days=days_ago)).isoformat()
    body = {"definition": "wi2021", "first_name": "Yasmin", "dates": {"duo_melding": notice}}
    response = await api.post(USER, "/api/cases", body)
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


async def pip_termijn(api: Api, case_id: str, status: str) -> dict[str, Any]:
    """The case's PIP termijn once the workflow has recorded `status` for it (and the case is
    running, so the dashboard counts it)."""
    found: dict[str, Any] = {}
    for _ in range(200):
        case = (await api.get(USER, f"/api/cases/{case_id}")).json()
        found = {t["name"]: t for t in case["termijnen"]}.get("pip_termijn", {})
        if found.get("status") == status and case["status"] == "running":
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"pip_termijn of {case_id} is {found}, not {status}")


async def termijnen_table(api: Api) -> Table:
    response = await api.get(USER, "/dashboard/termijnen.csv", params={"definition": "wi2021"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows[0]) == 6  # termijn, team, expired, near, on time, suspended
    table: Table = {}
    for title, team, *counts in rows[1:]:
        expired, near, on_time, suspended = (int(c) for c in counts)
        table[(title, team)] = (expired, near, on_time, suspended)
    return table


async def test_deadline_view_nearest_first_and_dashboard_counts_past_deadline(api: Api) -> None:
    before = await termijnen_table(api)
    cases = {key: await start(api, days) for key, days in DAYS_AGO.items()}
    ids = {key: case["id"] for key, case in cases.items()}
    for key in cases:
        await api.open_task(ids[key], "intake_afnemen", USER)
    suspend = f"/api/cases/{ids['suspended']}/termijnen/pip_termijn/suspend"
    response = await api.post(USER, suspend, {"reason": "wacht_op_documenten"})
    assert response.status_code == 200, response.text

    today = datetime.now(UTC).date()
    termijnen = {key: await pip_termijn(api, ids[key], EXPECTED_STATUS[key]) for key in ids}
    due = {k: date.fromisoformat(t["due_on"]) for k, t in termijnen.items() if t["due_on"]}
    assert set(due) == {"past", "soon", "later", "far"}  # a suspended termijn has no last day
    assert due["past"] < today  # past its deadline
    assert today <= due["soon"] < due["later"] <= today + timedelta(days=14) < due["far"]
    for key in ("past", "soon", "later", "far"):  # ten weeks after the notice, Atw at most +4
        ten_weeks = today - timedelta(days=DAYS_AGO[key]) + timedelta(weeks=10)
        assert ten_weeks <= due[key] <= ten_weeks + timedelta(days=4), key

    # the escalation of the expired termijn fired, once
    detail = (await api.get(USER, f"/api/cases/{ids['past']}")).json()
    kinds = [e["kind"] for e in detail["timeline"]["items"]]
    assert kinds.count("termijn_expired") == 1 and kinds.count("escalated") == 1, kinds
    # the case page says to whom and why in words: the group and the definition's reason code
    async with browser(api, USER, "nl") as reader:
        page = (await reader.http.get(f"/cases/{ids['past']}")).text
    escalated = re.search(r'<li[^>]*data-kind="escalated"[^>]*>(.*?)</li>', page, re.S)
    assert escalated, page
    said = " ".join(re.sub(r"<[^>]+>", "", escalated.group(1)).split())
    assert "Geëscaleerd: Coördinator · PIP niet binnen tien weken" in said, said

    # the inbox: the cases whose termijn is past or ends within two weeks, nearest first
    inbox = await api.get(USER, "/api/tasks", params={"view": "deadline", "size": 200})
    assert inbox.status_code == 200, inbox.text
    items = inbox.json()["items"]
    mine = {case_id: key for key, case_id in ids.items()}
    listed = [mine[t["case_id"]] for t in items if t["case_id"] in mine]
    assert listed == ["past", "soon", "later"]
    shown = {mine[t["case_id"]]: t for t in items if t["case_id"] in mine}
    for key in ("soon", "later"):
        assert shown[key]["termijn_status"] == "amber"
        assert shown[key]["termijn_due_on"] == due[key].isoformat()
    positions = [i for i, t in enumerate(items) if t["case_id"] in mine]
    assert positions == sorted(positions)  # and nothing of theirs in between out of order
    dues = [t["termijn_due_on"] for t in items if t["termijn_due_on"]]
    assert dues == sorted(dues)  # the whole view, not only these cases, is nearest first

    # the dashboard counts per team: exactly these five more cases, under the klantmanager
    after = await termijnen_table(api)
    changed = {
        row: tuple(a - b for a, b in zip(after[row], before.get(row, (0, 0, 0, 0)), strict=True))
        for row in after
        if after[row] != before.get(row)
    }
    assert changed == {(PIP, "klantmanager"): (1, 2, 1, 1)}  # expired, near, on time, suspended
    assert set(before) <= set(after)


async def test_the_duo_date_recorded_later_starts_the_pip_termijn_and_a_correction_moves_it(
    api: Api,
) -> None:
    """A Wet inburgering case started before DUO's notice came: the event with the notice's
    date sets the case's date and starts the ten weeks from it; a corrected date moves them."""
    response = await api.post(USER, "/api/cases", {"definition": "wi2021", "first_name": "Sami"})
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    await api.open_task(case_id, "intake_afnemen", USER)
    events = f"/api/cases/{case_id}/events"
    seen: dict[str, Any] = {}
    for notice in ("2026-11-02", "2026-11-16"):  # the date, then a correction of it
        recorded = await api.post(USER, events, {"event": "duo_melding_ontvangen", "date": notice})
        assert recorded.status_code == 200, recorded.text
        for _ in range(200):
            seen = (await api.get(USER, f"/api/cases/{case_id}")).json()
            pip = {t["name"]: t for t in seen["termijnen"]}.get("pip_termijn", {})
            if pip.get("started_on") == notice:
                break
            await asyncio.sleep(0.05)
        assert seen["dates"].get("duo_melding") == notice, seen["dates"]
        pip = {t["name"]: t for t in seen["termijnen"]}["pip_termijn"]
        assert pip["started_on"] == notice, seen["termijnen"]
        ten_weeks = date.fromisoformat(notice) + timedelta(weeks=10)
        assert ten_weeks <= date.fromisoformat(pip["due_on"]) <= ten_weeks + timedelta(days=4)


async def test_an_event_dated_in_the_future_is_refused_and_changes_nothing(api: Api) -> None:
    response = await api.post(USER, "/api/cases", {"definition": "wi2021", "first_name": "Noor"})
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    refused = await api.post(
        USER, f"/api/cases/{case_id}/events", {"event": "duo_melding_ontvangen", "date": tomorrow}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == {"date": "not after today"}
    case = (await api.get(USER, f"/api/cases/{case_id}")).json()
    assert case["dates"] == {} and case["termijnen"] == []


async def test_a_termijn_runs_on_while_its_case_is_suspended_and_is_changed_meanwhile(
    api: Api,
) -> None:
    """Suspending a case does not stop the law's clock: the PIP termijn keeps its last day, the
    suspend form says so, and the termijn can be suspended on its own while the case stands still
    (it could not be before: every change to a suspended case was refused)."""
    case = await start(api, 20)
    running = await pip_termijn(api, case["id"], "on_time")
    async with browser(api, USER, "nl") as worker:
        page = (await worker.http.get(f"/cases/{case['id']}")).text
    hint = re.search(r'<p [^>]*id="termijnen-lopen-door"[^>]*>(.*?)</p>', page, re.S)
    assert hint and PIP in hint.group(1) and "loopt door" in hint.group(1), page[:300]

    suspended = await api.post(
        USER, f"/api/cases/{case['id']}/suspend", {"reason": "persoonlijke_omstandigheden"}
    )
    assert suspended.status_code == 200, suspended.text
    detail = (await api.get(USER, f"/api/cases/{case['id']}")).json()
    assert detail["status"] == "suspended"
    pip = {t["name"]: t for t in detail["termijnen"]}["pip_termijn"]
    assert (pip["status"], pip["due_on"]) == (running["status"], running["due_on"])  # runs on
    async with browser(api, USER, "nl") as worker:
        page = (await worker.http.get(f"/cases/{case['id']}")).text
    status = re.search(r'<dd id="zaakstatus">(.*?)</dd>', page, re.S)
    assert status, page[:300]
    said = " ".join(re.sub(r"<[^>]+>", " ", status.group(1)).split())
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%d-%m-%Y")
    assert said == f"opgeschort · sinds {today} · Persoonlijke omstandigheden", said
    assert 'id="termijn-pip_termijn"' in page  # its own suspension, offered while suspended

    changed = await api.post(
        USER,
        f"/api/cases/{case['id']}/termijnen/pip_termijn/suspend",
        {"reason": "wacht_op_documenten"},
    )
    assert changed.status_code == 200, changed.text
    for _ in range(200):
        detail = (await api.get(USER, f"/api/cases/{case['id']}")).json()
        if {t["name"]: t for t in detail["termijnen"]}["pip_termijn"]["status"] == "suspended":
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the PIP termijn was not suspended: {detail['termijnen']}")
    assert detail["status"] == "suspended"  # and the case still is

    resumed = await api.post(USER, f"/api/cases/{case['id']}/resume", {"reason": "hersteld"})
    assert resumed.status_code == 200, resumed.text
    again = await api.post(
        USER,
        f"/api/cases/{case['id']}/termijnen/pip_termijn/resume",
        {"reason": "documenten_ontvangen"},
    )
    assert again.status_code == 200, again.text
    resumed_pip = await pip_termijn(api, case["id"], "on_time")
    assert resumed_pip["due_on"] == running["due_on"]  # stood still for less than a day


async def test_a_warned_termijn_moved_or_extended_is_on_time_again(api: Api) -> None:
    """The warning belongs to the deadline it warned of: a PIP termijn in its last fifth is
    'amber'; its notice date corrected to two weeks ago (the termijn starts again) or the
    termijn extended, it is on time again, in the store as in the workflow (the inbox's
    deadline view and the dashboard count from the store)."""
    case = await start(api, 66)  # 9 weeks 3 days of ten: amber at once
    warned = await pip_termijn(api, case["id"], "amber")
    notice = (datetime.now(UTC).date() - timedelta(days=14)).isoformat()
    corrected = await api.post(
        USER,
        f"/api/cases/{case['id']}/events",
        {"event": "duo_melding_ontvangen", "date": notice},
    )
    assert corrected.status_code == 200, corrected.text
    moved = await pip_termijn(api, case["id"], "on_time")
    assert moved["due_on"] > warned["due_on"]
    with api.sessions() as session:
        row = session.scalars(
            select(CaseTermijn).where(
                CaseTermijn.case_id == case["id"], CaseTermijn.name == "pip_termijn"
            )
        ).one()
        assert not row.warned

    other = await start(api, 66)
    await pip_termijn(api, other["id"], "amber")
    extended = await api.post(
        USER,
        f"/api/cases/{other['id']}/termijnen/pip_termijn/extend",
        {"reason": "anders", "length": "P6W", "note": "test"},
    )
    assert extended.status_code == 200, extended.text
    await pip_termijn(api, other["id"], "on_time")
