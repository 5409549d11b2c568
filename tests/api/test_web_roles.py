"""Roles on the web pages: a volunteer sees a first name and their own tasks, never a BSN or a
surname, on any page, and is linked to a case only once they hold one of its tasks; the audit log
page is for coordinators (its rows show who read or changed what), a caseworker or volunteer is
refused it; a designer who works no cases lands on Ontwerpen, offered no inbox or case list."""

from __future__ import annotations

import html
import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tests.api.conftest import Api
from tests.api.test_audit_page import nav_links
from tests.api.test_tenancy_web import Browser, app_of, browser, new_bsn, web_routes
from traject.store.models import CasePerson


async def zaanstad_case(api: Api) -> dict[str, Any]:
    tag = secrets.token_hex(3)
    person = {
        "first_name": f"Noor{tag}",
        "last_name": f"Achternaam{tag}",
        "bsn": new_bsn(),
        "reference": f"ZS-ROL-{tag}",
    }
    case = await api.start(**person)
    task = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    return {**person, "id": case["id"], "task": task}


def every_get_page(api: Api, case: dict[str, Any]) -> list[str]:
    """Every GET page of the app outside /api, its ids filled with the volunteer's case and task,
    and the query variants that show people."""
    fill = {
        "{case_id}": case["id"],
        "{task_id}": str(case["task"]),
        "{definition}": "zaanstad_pvt",
        "{version}": "1",
        "{key}": "states",
    }
    urls = []
    for method, path in sorted(web_routes(app_of(api))):
        if method == "GET":
            for name, value in fill.items():
                path = path.replace(name, value)
            assert "{" not in path, path
            urls.append(path)
    urls += [f"/?view={v}" for v in ("team", "mine", "unassigned", "overdue", "deadline", "all")]
    urls += [
        f"/cases?q={case['first_name']}",
        f"/cases?q={case['id']}",
        f"/audit?case={case['id']}",
    ]
    return urls


async def test_a_volunteer_never_sees_a_bsn_or_surname_on_any_web_page(api: Api) -> None:
    case = await zaanstad_case(api)
    secret = (case["bsn"], case["last_name"])
    async with browser(api, "vrijwilliger") as volunteer:
        # the task of their group, before they hold it: a first name only; the case is not theirs
        task = await volunteer.http.get(f"/tasks/{case['task']}")
        assert task.status_code == 200 and case["first_name"] in task.text
        assert not any(s in task.text for s in secret)
        assert (await volunteer.http.get(f"/cases/{case['id']}")).status_code == 404
        claimed = await volunteer.post(f"/tasks/{case['task']}/claim", {"next": "/?view=mine"})
        assert claimed.status_code == 303, claimed.text

        statuses = {}
        for url in every_get_page(api, case):
            page = await volunteer.http.get(url)
            statuses[url] = page.status_code
            assert page.status_code < 500, (url, page.text[:2000])
            for s in secret:
                assert s not in page.text, (url, s)
        # the pages that show the person did show them, by first name
        for url in (f"/cases/{case['id']}", f"/tasks/{case['task']}", "/?view=mine"):
            assert statuses[url] == 200, url
            assert case["first_name"] in (await volunteer.http.get(url)).text, url
        found = await volunteer.http.get("/cases", params={"q": case["first_name"]})
        assert f'href="/cases/{case["id"]}"' in found.text  # listed, without surname or BSN
        for surname in (case["last_name"], case["reference"]):  # no probing for what is hidden
            probe = await volunteer.http.get("/cases", params={"q": surname})
            assert f'href="/cases/{case["id"]}"' not in probe.text, surname
        for url in ("/audit", "/dashboard", "/designer", "/cases/new"):  # not for volunteers
            assert statuses[url] == 403, (url, statuses[url])
        assert 'href="/cases/new"' not in (await volunteer.http.get("/")).text
        # nor is starting one, should they post the form anyway
        name = f"Niet{secrets.token_hex(3)}"
        started = await volunteer.post(
            "/cases/new", {"definition": "zaanstad_pvt", "first_name": name, "bsn": new_bsn()}
        )
        assert started.status_code == 422
        assert "This is only for case workers and coordinators." in started.text
        with api.sessions() as session:
            assert session.scalar(select(CasePerson).where(CasePerson.first_name == name)) is None

        # a form with a mistake is shown again, still without them
        wrong = await volunteer.post(f"/tasks/{case['task']}", {"tolk_ingezet": "true"})
        assert wrong.status_code == 422 and 'id="foutoverzicht"' in wrong.text
        assert not any(s in wrong.text for s in secret)

    async with browser(api, "klantmanager") as caseworker:  # a caseworker does see them
        page = await caseworker.http.get(f"/cases/{case['id']}")
        assert page.status_code == 200 and all(s in page.text for s in secret)


def audit_rows(html: str) -> list[list[str]]:
    table = re.search(r'<table class="traject-table[^"]*" id="auditlog">(.*?)</table>', html, re.S)
    assert table, "no audit table"
    rows = re.findall(r"<tr data-action[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]


async def test_the_audit_page_is_for_coordinators(api: Api) -> None:
    case = await zaanstad_case(api)
    async with browser(api, "klantmanager") as caseworker:
        assert (await caseworker.http.get(f"/cases/{case['id']}")).status_code == 200  # a read
        for url in ("/audit", f"/audit?case={case['id']}"):
            refused = await caseworker.http.get(url)
            assert refused.status_code == 403, url
            assert "this needs the role coordinator" in refused.text
            assert 'id="auditlog"' not in refused.text
    async with browser(api, "vrijwilliger") as volunteer:
        assert (await volunteer.http.get("/audit")).status_code == 403

    async with browser(api, "teamleider") as coordinator:
        log = await coordinator.http.get("/audit")
        assert log.status_code == 200
        rows = audit_rows(log.text)
        times = [datetime.strptime(r[0], "%d-%m-%Y %H:%M:%S") for r in rows]
        assert len(rows) >= 3 and times == sorted(times, reverse=True)  # newest first
        newest = [r for r in rows if case["id"] in r[3]]
        # the caseworker's read of the case page is there, by name
        assert any(r[1] == "Klantmanager" and r[2] == "Case viewed" for r in newest), newest
        of_case = await coordinator.http.get("/audit", params={"case": case["id"]})
        assert of_case.status_code == 200
        rows = audit_rows(of_case.text)
        # the action, without what it was about (the version started, ...)
        done = {re.sub(r'<span class="traject-audit-detail">.*?</span>', "", r[2]) for r in rows}
        assert done >= {"Trajectory started", "Case viewed"}
        assert all(case["id"] in r[3] for r in rows)
        assert not any(s in of_case.text for s in (case["bsn"], case["last_name"]))


async def test_the_navigation_speaks_the_pages_language(api: Api) -> None:
    """The menu is in the language the browser asks for, like the rest of the page."""
    for lang, words in (
        ("nl", ('aria-label="Hoofdmenu"', ">Zaken<", ">Nieuw traject<")),
        ("en", ('aria-label="Main menu"', ">Cases<", ">New trajectory<", ">Sign out<")),
    ):
        async with browser(api, "klantmanager", lang) as page:
            home = await page.http.get("/")
            assert home.status_code == 200
            assert all(word in home.text for word in words), (lang, words)


async def test_the_page_tells_the_browser_its_language(api: Api) -> None:
    """<html lang> is the page's language (a screen reader reads English as English, the diagram's
    button takes its words from it), and the English termijn form asks for its length in
    English, not "By (e.g. P2W or 10 werkdagen)"."""
    case = await api.start(
        "leiden", definition="wi2021", first_name="Lang", dates={"pip_datum": "2026-01-05"}
    )
    for lang, skip, length in (("nl", "Naar de inhoud", "Met "), ("en", "Skip to content", "By ")):
        async with browser(api, "leiden", lang) as page:
            for url in ("/", f"/cases/{case['id']}", "/cases/new"):
                shown = await page.http.get(url)
                assert shown.status_code == 200, (url, shown.text)
                assert f'<html lang="{lang}">' in shown.text, (lang, url)
                assert f'href="#inhoud">{skip}</a>' in shown.text, (lang, url)
            label = re.search(
                r'<label for="lengte-inburgeringstermijn">(.*?)</label>',
                (await page.http.get(f"/cases/{case['id']}")).text,
            )
            assert label, lang
            words = html.unescape(label[1])
            assert words.startswith(length) and ("werkdagen" in words) == (lang == "nl"), words


async def test_refusals_speak_the_pages_language(api: Api) -> None:
    """A refusal on a Dutch page is said in Dutch, not in the service's English (which the
    English pages and the API keep): a wrong address, another municipality's case or a task
    that is not there, a missing role."""
    other = await api.start(user="leiden", definition="pvt1", first_name="Ander")
    for lang, wanted in (
        (
            "nl",
            {
                "/tasks/abc": (404, "Deze pagina bestaat niet."),
                "/nergens": (404, "Deze pagina bestaat niet."),
                f"/cases/{other['id']}": (404, f"Er is geen zaak &#39;{other['id']}&#39;."),
                "/tasks/99999999": (404, "Er is geen taak 99999999."),
                "/audit": (403, "Hiervoor heb je de rol coördinator nodig."),
            },
        ),
        (
            "en",
            {
                "/tasks/abc": (404, "There is no such page."),
                f"/cases/{other['id']}": (404, f"no case &#39;{other['id']}&#39;"),
                "/audit": (403, "this needs the role coordinator"),
            },
        ),
    ):
        async with browser(api, "klantmanager", lang) as page:
            for path, (status, text) in wanted.items():
                shown = await page.http.get(path)
                assert shown.status_code == status, (lang, path, shown.status_code)
                assert text in shown.text, (
                    lang,
                    path,
                    shown.text[shown.text.find("<main") :][:1500],
                )
                for english in ("Input should be", "Not Found", "no case", "this needs the role"):
                    assert lang == "en" or english not in shown.text, (path, english)


def case_links(page: str) -> set[str]:
    """The case ids a page links to (/cases/<id>)."""
    return set(re.findall(r'href="/cases/(case-[\w-]+)"', page))


async def inbox_row(volunteer: Browser, view: str, task: int) -> str:
    """The inbox row of `task` in `view`, on whichever page of it it is."""
    for number in range(1, 50):
        page = (await volunteer.http.get("/", params={"view": view, "page": number})).text
        row = re.search(rf'<tr data-task="{task}">(.*?)</tr>', page, re.S)
        if row:
            return row.group(1)
        assert 'rel="next"' in page, f"task {task} is not in the view {view}"
    raise AssertionError(f"task {task} is not in the first pages of {view}")


async def test_a_volunteer_is_linked_to_a_case_once_they_may_open_it(api: Api) -> None:
    """A volunteer opens the case of a task they hold, nothing else (README: only tasks they
    hold; a first name, never a surname or BSN). So the pages link a case only then: a task of
    their group they have not taken on names its newcomer by first name and its case unlinked,
    on the inbox and the task page; "Zaken" says which cases it lists. Every case link a
    volunteer is shown opens."""
    case = await zaanstad_case(api)
    secret = (case["bsn"], case["last_name"])
    async with browser(api, "vrijwilliger", "nl") as volunteer:
        row = await inbox_row(volunteer, "team", case["task"])
        assert case["first_name"] in row and case["id"] in row  # named, not linked
        assert case["id"] not in case_links(row), row
        task = (await volunteer.http.get(f"/tasks/{case['task']}")).text
        assert case["id"] not in case_links(task)
        assert f'<span id="taak-zaak">{case["first_name"]} · {case["id"]}</span>' in task
        listed = (await volunteer.http.get("/cases")).text
        assert "Hier staan de zaken waarin je een taak hebt opgepakt." in listed
        assert "Zoeken op voornaam of zaaknummer" in listed  # what they may search by
        assert case["id"] not in case_links(listed)
        assert (await volunteer.http.get(f"/cases/{case['id']}")).status_code == 404

        claimed = await volunteer.post(f"/tasks/{case['task']}/claim", {"next": "/?view=mine"})
        assert claimed.status_code == 303, claimed.text
        assert case["id"] in case_links(await inbox_row(volunteer, "mine", case["task"]))
        assert case["id"] in case_links((await volunteer.http.get(f"/tasks/{case['task']}")).text)
        assert case["id"] in case_links((await volunteer.http.get("/cases")).text)
        page = await volunteer.http.get(f"/cases/{case['id']}")
        assert page.status_code == 200 and case["first_name"] in page.text
        assert not any(s in page.text for s in secret)
        # the case page shows the volunteer's own tasks only
        shown = set(re.findall(r'<tr data-task="(\d+)"', page.text))
        assert shown == {str(case["task"])}, shown

        # every case a volunteer's page links opens for them
        linked: set[str] = set()
        for url in ("/?view=team", "/?view=mine", "/?view=unassigned", "/cases"):
            linked |= case_links((await volunteer.http.get(url)).text)
        assert case["id"] in linked
        for case_id in sorted(linked):
            assert (await volunteer.http.get(f"/cases/{case_id}")).status_code == 200, case_id


async def test_a_designer_lands_on_ontwerpen_and_is_offered_only_their_pages(api: Api) -> None:
    """A designer who works no cases lands on Ontwerpen, not on an empty inbox, and the menu
    offers no inbox or case list (which refuses them); asked for it anyway, the refusal reads
    as Dutch (or English) does. A designer who also works cases keeps both."""
    async with browser(api, "ontwerper", "nl") as designer:
        home = await designer.http.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/designer"
        page = await designer.http.get("/designer")
        assert nav_links(page.text) == {"/designer": "Ontwerpen*"}
        refused = await designer.http.get("/cases")
        assert refused.status_code == 403
        assert "Dit is alleen voor medewerkers, coördinatoren en vrijwilligers." in refused.text
        assert "rol medewerker of" not in refused.text
        assert nav_links(refused.text) == {"/designer": "Ontwerpen"}
        assert '<a href="/designer">Ontwerpen</a>' in refused.text  # the way back is theirs
    async with browser(api, "ontwerper", "en") as designer:
        refused = await designer.http.get("/cases")
        assert "This is only for case workers, coordinators and volunteers." in refused.text
    async with browser(api, "procesontwerper", "nl") as both:
        home = await both.http.get("/")
        assert home.status_code == 200 and "Mijn werkvoorraad" in home.text
        assert {"/", "/cases", "/designer"} <= set(nav_links(home.text))
