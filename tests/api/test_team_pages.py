"""The team page: a coordinator sees the municipality's users with the tasks each holds, and
deactivates a colleague who leaves (their tasks back with their groups) or lets one in again;
there is no button for themselves, and other roles get no page. Through the login form, a real
worker, Temporal server and store."""

from __future__ import annotations

import re

from tests.api.conftest import Api
from tests.api.test_team import TASK, claimed_task, colleague, user_id
from tests.api.test_tenancy_web import browser
from traject.store.models import User


def row_of(page: str, member: int) -> str:
    found = re.search(rf'<tr id="lid-{member}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row for user {member}"
    return found.group(0)


async def test_a_coordinator_deactivates_a_leaver_on_the_team_page(api: Api) -> None:
    member, headers = colleague(api, ["caseworker"], ["klantmanager", "trainer"])
    _case, task_id = await claimed_task(api, headers)
    async with browser(api, "teamleider", lang="nl") as b:
        page = await b.http.get("/team")
        assert page.status_code == 200, page.text[:500]
        assert 'href="/team" aria-current="page"' in page.text  # in the menu, as the page
        row = row_of(page.text, member)
        assert "Vertrekker" in row and "medewerker" in row and "actief" in row  # roles in Dutch
        assert "caseworker" not in row
        assert ">Klantmanager, Trainer</td>" in row  # the groups by name, not by their code
        assert re.search(r'traject-table__number">1</td>', row)  # the task they claimed
        assert 'name="release_tasks" checked' in row
        mine = row_of(page.text, user_id(api, "teamleider"))
        assert "(jij)" in mine and "<form" not in mine  # nobody deactivates themselves

        unsafe = await b.post(f"/team/{member}/deactivate", {"release_tasks": "on"}, csrf="")
        assert unsafe.status_code == 403  # no CSRF token: refused, nothing changed
        with api.sessions() as session:
            still = session.get(User, member)
            assert still is not None and still.active

        done = await b.post(f"/team/{member}/deactivate", {"release_tasks": "on"})
        assert done.status_code == 303 and done.headers["location"] == "/team", done.text
        after = await b.http.get("/team")
        assert "hun taken zijn terug bij hun groep" in after.text
        row = row_of(after.text, member)
        assert "gedeactiveerd" in row and "traject-table__row--muted" in row
        assert re.search(r'traject-table__number">0</td>', row)
        assert f'action="/team/{member}/activate"' in row
        assert (await b.http.get("/api/me", headers=headers)).status_code == 401
        task = (await api.get("klantmanager", f"/api/tasks/{task_id}")).json()
        assert task["name"] == TASK and task["assignee"] is None

        again = await b.post(f"/team/{member}/activate", {})
        assert again.status_code == 303
        assert "weer inloggen" in (await b.http.get("/team")).text
        assert (await b.http.get("/api/me", headers=headers)).status_code == 200

        own = await b.post(f"/team/{user_id(api, 'teamleider')}/deactivate", {})
        assert (
            own.status_code == 409 and "jezelf niet uitschakelen" in own.text
        )  # says why, in Dutch


async def test_the_tasks_of_a_colleague_deactivated_before_go_back_from_the_page(
    api: Api,
) -> None:
    member, headers = colleague(api, ["caseworker"], ["klantmanager", "trainer"])
    _case, task_id = await claimed_task(api, headers)
    async with browser(api, "teamleider", lang="nl") as b:
        kept = await b.post(f"/team/{member}/deactivate", {})  # the box not ticked
        assert kept.status_code == 303
        row = row_of((await b.http.get("/team")).text, member)
        assert re.search(r'traject-table__number">1</td>', row)
        assert f'action="/team/{member}/release-tasks"' in row
        task_page = (await b.http.get(f"/tasks/{task_id}")).text  # says who, and that they left
        assert re.search(r"Vertrekker\s*<span class=\"traject-badge[^>]*>gedeactiveerd<", task_page)
        back = await b.post(f"/team/{member}/release-tasks", {})
        assert back.status_code == 303
        page = (await b.http.get("/team")).text
        assert "De taken zijn terug bij hun groep." in page
        row = row_of(page, member)
        assert re.search(r'traject-table__number">0</td>', row) and "release-tasks" not in row
        assert "gedeactiveerd" not in (await b.http.get(f"/tasks/{task_id}")).text
    task = (await api.get("klantmanager", f"/api/tasks/{task_id}")).json()
    assert task["assignee"] is None


async def test_only_coordinators_get_the_team_page(api: Api) -> None:
    async with browser(api, "klantmanager") as b:
        home = await b.http.get("/")
        assert 'href="/team"' not in home.text
        page = await b.http.get("/team")
        assert page.status_code == 403 and "coordinator" in page.text
