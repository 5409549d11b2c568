"""The inbox as a new user reads it: a coordinator lands on the tasks of every group (not on an
empty "Mijn team" with work waiting elsewhere) and sees who holds a claimed task; a case is named
by its kenmerk where it has one, so two newcomers of one name are told apart (not for a volunteer,
who sees a first name only); and a termijn's last day has its year."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from tests.api.conftest import Api
from tests.api.test_task_page import text_of
from tests.api.test_tenancy_web import Browser, browser


def current_tab(page: str) -> str:
    """The inbox view whose tab is marked as the current one."""
    found = re.findall(r'<a href="/\?view=(\w+)" aria-current="page"', page)
    assert len(found) == 1, found
    return found[0]


def tab_counts(page: str) -> dict[str, int]:
    """Each tab's view and the count it shows."""
    tabs = re.findall(
        r'<a href="/\?view=(\w+)"[^>]*>.*?<span class="traject-count">(\d+)</span>', page, re.S
    )
    return {view: int(n) for view, n in tabs}


async def inbox_row(b: Browser, view: str, task_id: int) -> list[str]:
    """The cells (as read) of the task's row in the inbox view, on whichever page it is."""
    for number in range(1, 100):
        page = (await b.http.get("/", params={"view": view, "page": number})).text
        row = re.search(rf'<tr data-task="{task_id}">(.*?)</tr>', page, re.S)
        if row:
            return [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]
        if 'rel="next"' not in page:
            break
    raise AssertionError(f"task {task_id} is not in the inbox view {view}")


async def test_a_coordinator_lands_on_every_groups_tasks_and_sees_who_holds_each(
    api: Api,
) -> None:
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")  # the trainers' task
    claimed = await api.post("klantmanager", f"/api/tasks/{task_id}/claim")
    assert claimed.status_code == 200, claimed.text

    async with browser(api, "teamleider", "nl") as coordinator:  # their own group: coordinator
        home = (await coordinator.http.get("/")).text
        assert current_tab(home) == "all"
        counts = tab_counts(home)
        assert counts["all"] >= 1 and counts["all"] >= max(counts.values()), counts
        assert "Geen taken in deze lijst." not in home
        # the tab they asked for stays theirs to choose
        assert current_tab((await coordinator.http.get("/?view=team")).text) == "team"
        cells = await inbox_row(coordinator, "all", task_id)
        assert cells[5] == "opgepakt door Klantmanager", cells  # who holds it, by name

    async with browser(api, "collega", "nl") as colleague:  # a case worker: their groups' tasks
        home = (await colleague.http.get("/")).text
        assert current_tab(home) == "team" and "all" not in tab_counts(home)
        assert (await inbox_row(colleague, "team", task_id))[5] == "opgepakt door Klantmanager"
    async with browser(api, "klantmanager", "en") as holder:
        assert (await inbox_row(holder, "team", task_id))[5] == "claimed by you"
        assert (await inbox_row(holder, "mine", task_id))[5] == "claimed"  # all theirs there


async def test_the_inbox_names_a_case_by_its_kenmerk_and_a_termijn_with_its_year(
    api: Api,
) -> None:
    reference = f"VG-{secrets.token_hex(3)}"
    pip = date.today() - timedelta(days=7)
    body = {"definition": "wi2021", "first_name": "Amina", "dates": {"pip_datum": pip.isoformat()}}
    known = await api.start("leiden", reference=reference, **body)
    unknown = await api.start("leiden", **body)  # another Amina, without a kenmerk
    async with browser(api, "leiden", "nl") as b:
        for case, name in ((known, reference), (unknown, unknown["id"])):
            task_id = await api.open_task(case["id"], "intake_afnemen", "leiden")
            cells = await inbox_row(b, "team", task_id)
            assert cells[1] == f"Amina · {name}", cells
            # the inburgeringstermijn of three years ends years from now: its year is said
            termijn = re.fullmatch(r"op tijd (\d\d)-(\d\d)-(\d{4})", cells[4])
            assert termijn and int(termijn[3]) == pip.year + 3, cells
        page = (await b.http.get(f"/cases/{known['id']}")).text
        assert reference in page  # the kenmerk is the case's, shown on its page too

    # a volunteer sees a first name and the case's number, not its kenmerk
    zaanstad = await api.start(reference=f"ZS-{secrets.token_hex(3)}")
    task_id = await api.open_task(zaanstad["id"], "aanwezigheid_kernwaarden")
    async with browser(api, "vrijwilliger", "nl") as volunteer:
        cells = await inbox_row(volunteer, "team", task_id)
        assert cells[1] == f"Amina · {zaanstad['id']}", cells
