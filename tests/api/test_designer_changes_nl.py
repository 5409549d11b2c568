"""The designer's pages say what happens after an action in the page's language: the editor's
check lists what changes against the published version and why a scenario test fails, the
migrate page why a case cannot move, the editor why publishing is refused: in Dutch, with the
names the designer wrote kept as written; in English for a browser that asks for English. The
API keeps the service's English (traject/web/i18n_designer.py)."""

from __future__ import annotations

import html
import re

from tests.api.conftest import Api, signed_in
from tests.api.test_designer_drafts import copy_of_pvt1, publish
from tests.conftest import DEFINITIONS

PVT1 = (DEFINITIONS / "pvt1.yaml").read_text(encoding="utf-8")


def items(page: str, list_id: str) -> list[str]:
    """The texts of the list `list_id` on the page, markup and spacing taken out."""
    found = re.search(rf'<ul id="{list_id}">(.*?)</ul>', page, re.S)
    assert found, f"no list {list_id} on the page"
    texts = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split()) for text in texts]


def changed(source: str) -> str:
    """Version 2 of `source`: the workshop's title, the first task's deadline and a state more."""
    new = (
        source.replace("version: 1", "version: 2", 1)
        .replace("title: Workshop kernwaarden en brochure", "title: Workshop kernwaarden", 1)
        .replace("due: P2W", "due: P3W", 1)
        .replace(
            "  afgerond: {final: true",
            "  nagesprek:\n    title: Nagesprek\n    tasks: {nabellen: {title: Nabellen, role:"
            " klantmanager}}\n    on: {nabellen.done: afgerond}\n  afgerond: {final: true",
            1,
        )
        .replace("- target: afgerond", "- target: nagesprek", 1)
    )
    assert new.count("nagesprek") == 2 and "due: P3W" in new, "pvt1 changed: change this test"
    return new


async def test_the_check_says_what_changes_in_the_pages_language(api: Api) -> None:
    name = "pvt1_wijzigingen"
    async with signed_in(api, "vormgever") as csrf:
        await publish(api, csrf, name, copy_of_pvt1(name))
        draft = changed(copy_of_pvt1(name))
        check = f"/designer/{name}/check"
        dutch = await api.http.post(check, data={"csrf_token": csrf, "source": draft})
        assert dutch.status_code == 200, dutch.text
        assert items(dutch.text, "wijzigingen") == [
            "stap 'nagesprek' toegevoegd",
            "taak 'nabellen' toegevoegd",
            "stap 'ondertekenen': de overgangen zijn veranderd",
            "timer 'uitnodigen.aanmelding_bevestigen.overdue': gaat af na P2W → P3W",
            "stap 'workshop': titel Workshop kernwaarden en brochure → Workshop kernwaarden",
            "taak 'aanmelding_bevestigen': uiterlijk na P2W → P3W",
        ]
        assert "keer doorlopen" in dutch.text and " runs)" not in dutch.text

        english = await api.http.post(
            check, data={"csrf_token": csrf, "source": draft}, headers={"Accept-Language": "en"}
        )
        assert items(english.text, "wijzigingen") == [
            "state 'nagesprek' added",
            "task 'nabellen' added",
            "state 'ondertekenen': its transitions changed",
            "timer 'uitnodigen.aanmelding_bevestigen.overdue': after P2W → P3W",
            "state 'workshop': title Workshop kernwaarden en brochure → Workshop kernwaarden",
            "task 'aanmelding_bevestigen': due P2W → P3W",
        ]

        # the diff page, once it is published, says the same
        await publish(api, csrf, name, draft)
        page = await api.http.get(f"/designer/{name}/diff")
        assert items(page.text, "wijzigingen")[0] == "stap 'nagesprek' toegevoegd"

        # publishing other content under a version that exists is refused, in Dutch
        taken = draft.replace("title: Nagesprek", "title: Nagesprek met de klantmanager", 1)
        refused = await api.http.post(
            f"/designer/{name}/publish", data={"csrf_token": csrf, "source": taken, "note": "x"}
        )
        assert refused.status_code == 422
        assert (
            f"voorbeeldgemeente/{name}@2 is al gepubliceerd met een andere inhoud: verhoog"
            " 'version' om een wijziging te publiceren." in html.unescape(refused.text)
        )


async def test_the_diff_page_says_a_roles_new_title_and_its_button_compares(api: Api) -> None:
    """A designer who renames the coordinator role (its title) sees it on the diff page, not
    "Geen verschillen."; the button that picks the two versions says what it does."""
    name = "pvt1_rol"
    v2 = copy_of_pvt1(name, 2).replace(
        "  klantmanager: Klantmanager van de gemeente", "  klantmanager: Klantregisseur", 1
    )
    assert "Klantregisseur" in v2, "pvt1 changed: change this test"
    async with signed_in(api, "vormgever") as csrf:
        await publish(api, csrf, name, copy_of_pvt1(name))
        await publish(api, csrf, name, v2)
        page = (await api.http.get(f"/designer/{name}/diff?a=1&b=2")).text
        english = (
            await api.http.get(f"/designer/{name}/diff?a=1&b=2", headers={"Accept-Language": "en"})
        ).text
    assert items(page, "wijzigingen") == [
        "rol 'klantmanager': titel Klantmanager van de gemeente → Klantregisseur"
    ]
    assert "Geen verschillen." not in page
    assert items(english, "wijzigingen") == [
        "role 'klantmanager': title Klantmanager van de gemeente → Klantregisseur"
    ]
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", page, re.S)
    assert "Vergelijken" in buttons and "Filteren" not in buttons, buttons
    assert "Compare" in re.findall(r"<button[^>]*>(.*?)</button>", english, re.S)


async def test_the_check_says_why_a_scenario_fails_in_the_pages_language(api: Api) -> None:
    """pvt1's scenarios run on the draft: with its workshop task renamed they cannot complete
    it. The page says so at the scenario's line, without the server's path to the file."""
    draft = PVT1.replace("aanwezigheid", "presentie").replace("version: 1", "version: 9", 1)
    async with signed_in(api, "vormgever") as csrf:
        dutch = await api.http.post(
            "/designer/pvt1/check", data={"csrf_token": csrf, "source": draft}
        )
        english = await api.http.post(
            "/designer/pvt1/check",
            data={"csrf_token": csrf, "source": draft},
            headers={"Accept-Language": "en"},
        )
    assert str(DEFINITIONS) not in dutch.text + english.text
    assert [re.sub(r"(regel|line) \d+", r"\1 …", s) for s in items(dutch.text, "scenarios")] == [
        "✗ afwezig_en_escalatie.yaml: regel … steps[1]: afronden is geweigerd: taak"
        " 'aanwezigheid' staat niet open",
        "✗ hoofdpad.yaml: regel … steps[2]: de open taken zijn ['presentie'], verwacht was"
        " ['aanwezigheid']",
    ]
    assert [re.sub(r"(regel|line) \d+", r"\1 …", s) for s in items(english.text, "scenarios")] == [
        "✗ afwezig_en_escalatie.yaml: line … steps[1]: complete was rejected: task"
        " 'aanwezigheid' is not open",
        "✗ hoofdpad.yaml: line … steps[2]: open tasks are ['presentie'], expected ['aanwezigheid']",
    ]


async def test_the_migrate_page_says_why_a_case_cannot_move_in_the_pages_language(
    api: Api,
) -> None:
    name = "pvt1_overzetten"
    v1 = copy_of_pvt1(name)
    v2 = copy_of_pvt1(name, 2).replace("uitnodigen", "aanmelden")
    started = await api.post("vormgever", "/api/definitions", {"source": v1, "note": "proef"})
    assert started.status_code == 201, started.text
    case = await api.post("leiden", "/api/cases", {"definition": name, "first_name": "Lina"})
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    await api.open_task(case_id, "aanmelding_bevestigen", "leiden")
    published = await api.post("vormgever", "/api/definitions", {"source": v2, "note": "naam"})
    assert published.status_code == 201, published.text

    url = f"/designer/{name}/migrate"
    async with signed_in(api, "vormgever") as csrf:
        nothing = await api.http.post(url, data={"csrf_token": csrf, "to_version": "2"})
        assert "Kies de zaken die je wilt overzetten." in html.unescape(nothing.text)

        form = {"csrf_token": csrf, "to_version": "2", "case": case_id, "mapping": ""}
        dutch = await api.http.post(url, data=form)
        english = await api.http.post(url, data=form, headers={"Accept-Language": "en"})
    row = re.search(rf'<tr data-case="{case_id}" data-ok="false">(.*?)</tr>', dutch.text, re.S)
    assert row, dutch.text
    assert (
        "de huidige stap 'uitnodigen' is niet gekoppeld, en versie 2 heeft geen stap 'uitnodigen'"
        in html.unescape(row.group(1))
    )
    assert (
        "current state 'uitnodigen' has no mapping and no state of the same name 'uitnodigen'"
        " in version 2" in html.unescape(english.text)
    )
    # the API keeps the service's English
    answer = await api.http.post(
        f"/api/definitions/{name}/migrations",
        json={"to_version": 2, "case_ids": [case_id], "dry_run": True},
        headers={**api.headers("vormgever"), "Accept-Language": "nl"},
    )
    assert answer.json()["results"][0]["problems"] == [
        "current state 'uitnodigen' has no mapping and no state of the same name 'uitnodigen'"
        " in version 2"
    ]
