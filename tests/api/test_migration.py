"""A designer publishes version 2 of pvt1 and moves chosen version-1 cases onto it: checked, dry
run first, applied through the workflow, reversible while the case has not moved on; refused
migrations leave the case untouched. The migrate page does the same over the same service: cases
by kenmerk, states by title, a confirmation before anything moves, the outcome and an undo.
Real worker, Temporal server and store."""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Api, signed_in
from tests.conftest import DEFINITIONS
from tests.workflow.test_trajectory_workflow import settled_history_length
from traject.store.models import AuditEvent, Case
from workflows.trajectory import TrajectoryWorkflow

# A copy of pvt1 under its own name: the built-in pvt1 is the base of pvt4, which other tests edit.
V1 = (
    (DEFINITIONS / "pvt1.yaml")
    .read_text(encoding="utf-8")
    .replace("definition: pvt1", "definition: pvt1_proef", 1)
)
V2 = V1.replace("version: 1", "version: 2", 1).replace("uitnodigen", "aanmelden")


async def publish_v2(api: Api) -> None:
    response = await api.post(
        "vormgever", "/api/definitions", {"source": V2, "note": "andere naam"}
    )
    assert response.status_code in (201, 409), response.text  # 409: published by an earlier test


async def case_on(api: Api, user: str = "leiden") -> dict[str, Any]:
    started = await api.post(user, "/api/cases", {"definition": "pvt1_proef", "first_name": "Lina"})
    assert started.status_code == 201, started.text
    case: dict[str, Any] = started.json()
    await api.open_task(case["id"], "aanmelding_bevestigen", user)
    return case


async def migrate(api: Api, case_id: str, mapping: dict[str, str], dry_run: bool) -> Any:
    body = {"to_version": 2, "case_ids": [case_id], "mapping": mapping, "dry_run": dry_run}
    response = await api.post("vormgever", "/api/definitions/pvt1_proef/migrations", body)
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


async def test_publishing_refuses_broken_or_foreign_definitions(api: Api) -> None:
    broken = V2.replace("initial: aanmelden", "initial: aanmelde").replace(
        "version: 2", "version: 9"
    )
    refused = await api.post("vormgever", "/api/definitions", {"source": broken, "note": "x"})
    assert refused.status_code == 422
    assert any(
        "aanmelde" in m and "did you mean 'aanmelden'" in m
        for m in refused.json()["errors"].values()
    )
    assert any(k.startswith("line ") for k in refused.json()["errors"])
    taken = (
        (DEFINITIONS / "pvt1.yaml")
        .read_text(encoding="utf-8")
        .replace("title: Participatieverklaringstraject PVT1", "title: Anders", 1)
    )
    conflict = await api.post("vormgever", "/api/definitions", {"source": taken, "note": "x"})
    assert conflict.status_code == 409 and "raise 'version'" in conflict.json()["detail"]
    foreign = (DEFINITIONS / "zaanstad_pvt.yaml").read_text(encoding="utf-8")
    assert (
        await api.post("vormgever", "/api/definitions", {"source": foreign, "note": "x"})
    ).status_code == 403
    assert (
        await api.post("leiden", "/api/definitions", {"source": V2, "note": "x"})
    ).status_code == 403


async def test_a_version_1_case_is_moved_to_version_2_after_a_refused_attempt(api: Api) -> None:
    first = await api.post("vormgever", "/api/definitions", {"source": V1, "note": "proef"})
    assert first.status_code == 201, first.text
    old, spare = await case_on(api), await case_on(api)  # version-1 cases
    assert old["version"] == spare["version"] == 1
    await publish_v2(api)
    other = await case_on(api)  # a case started now runs on version 2; the others stay on 1
    assert other["version"] == 2
    versions = (await api.get("vormgever", "/api/definitions/pvt1_proef/versions")).json()["items"]
    assert {v["version"]: v["running_cases"] > 0 for v in versions} == {2: True, 1: True}

    check = await migrate(api, old["id"], {}, dry_run=True)
    assert not check["ok"]
    assert "current state 'uitnodigen' has no mapping" in check["problems"][0]
    attempt = await migrate(api, old["id"], {"uitnodigen": "workshop"}, dry_run=False)
    assert not attempt["ok"]
    assert any("open task 'aanmelding_bevestigen'" in p for p in attempt["problems"])
    untouched = (await api.get("leiden", f"/api/cases/{old['id']}")).json()
    assert untouched["version"] == 1 and untouched["states"] == ["uitnodigen"]

    check = await migrate(api, old["id"], {"uitnodigen": "aanmelden"}, dry_run=True)
    assert check["ok"] and check["mapping"] == {"uitnodigen": "aanmelden"}
    assert (await api.get("leiden", f"/api/cases/{old['id']}")).json()["version"] == 1  # dry run
    done = await migrate(api, old["id"], {"uitnodigen": "aanmelden"}, dry_run=False)
    assert done["ok"] and done["to_version"] == 2
    moved = (await api.get("leiden", f"/api/cases/{old['id']}")).json()
    assert moved["version"] == 2 and moved["states"] == ["aanmelden"]
    assert "migrated" in [e["kind"] for e in moved["timeline"]["items"]]
    task = next(t for t in moved["tasks"] if t["status"] == "open")
    assert task["state"] == "aanmelden"
    completed = await api.post(
        "leiden", f"/api/tasks/{task['id']}/complete", {"data": {"tolk_nodig": False}}
    )
    assert completed.status_code == 200 and completed.json()["active"] == ["workshop"]
    assert (
        await api.post("vormgever", f"/api/cases/{old['id']}/revert-migration")
    ).status_code == 409

    # undone while the case has not moved on
    assert (await migrate(api, spare["id"], {"uitnodigen": "aanmelden"}, dry_run=False))["ok"]
    reverted = await api.post("vormgever", f"/api/cases/{spare['id']}/revert-migration")
    assert reverted.status_code == 200 and reverted.json()["active"] == ["uitnodigen"]
    back = (await api.get("leiden", f"/api/cases/{spare['id']}")).json()
    assert back["version"] == 1 and back["states"] == ["uitnodigen"]
    again = await api.post("vormgever", f"/api/cases/{spare['id']}/revert-migration")
    assert again.status_code == 409


# Its own copy of pvt1, so that this test has a version-1 case whatever ran before it.
REFUSAL_V1 = V1.replace("definition: pvt1_proef", "definition: pvt1_weigering", 1)
REFUSAL_V2 = V2.replace("definition: pvt1_proef", "definition: pvt1_weigering", 1)


async def audit_rows(api: Api, case_id: str | None = None) -> list[dict[str, Any]]:
    url = f"/api/cases/{case_id}/audit" if case_id else "/api/audit"
    response = await api.get("leiden", url, params={"size": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_an_incomplete_mapping_is_refused_and_leaves_the_case_untouched(
    api: Api, temporal_env: WorkflowEnvironment
) -> None:
    first = await api.post(
        "vormgever", "/api/definitions", {"source": REFUSAL_V1, "note": "proef weigering"}
    )
    assert first.status_code == 201, first.text
    started = await api.post(
        "leiden", "/api/cases", {"definition": "pvt1_weigering", "first_name": "Noor"}
    )
    assert started.status_code == 201 and started.json()["version"] == 1, started.text
    case_id = started.json()["id"]
    task_id = await api.open_task(case_id, "aanmelding_bevestigen", "leiden")
    second = await api.post(
        "vormgever", "/api/definitions", {"source": REFUSAL_V2, "note": "andere naam"}
    )
    assert second.status_code == 201, second.text

    # publishing is audited: who, which version, why
    published = [
        row["detail"]
        for row in await audit_rows(api)
        if row["action"] == "definition_published"
        and row["detail"]["definition"].startswith("voorbeeldgemeente/pvt1_weigering@")
        and row["actor"].startswith("user:")
    ]
    assert sorted(published, key=lambda d: str(d["definition"])) == [
        {"definition": "voorbeeldgemeente/pvt1_weigering@1", "note": "proef weigering"},
        {"definition": "voorbeeldgemeente/pvt1_weigering@2", "note": "andere naam"},
    ]

    with api.sessions() as session:
        workflow_id = session.scalars(select(Case.workflow_id).where(Case.id == case_id)).one()
    handle = temporal_env.client.get_workflow_handle_for(TrajectoryWorkflow.run, workflow_id)
    history = await settled_history_length(handle)
    before = (await api.get("leiden", f"/api/cases/{case_id}")).json()
    assert before["version"] == 1 and before["states"] == ["uitnodigen"]
    open_before = [(t["id"], t["name"], t["status"]) for t in before["tasks"]]
    assert open_before == [(task_id, "aanmelding_bevestigen", "open")]

    # not a dry run: 'uitnodigen' has no state of that name in version 2 and is not mapped; the
    # second attempt maps a state the case is not in, and still leaves 'uitnodigen' out
    url = "/api/definitions/pvt1_weigering/migrations"
    for mapping in ({}, {"workshop": "aanmelden"}):
        body = {"to_version": 2, "case_ids": [case_id], "mapping": mapping, "dry_run": False}
        response = await api.post("vormgever", url, body)
        assert response.status_code == 200, response.text  # one result per chosen case
        (result,) = response.json()["results"]
        assert result["ok"] is False and result["case_id"] == case_id
        assert result["from_version"] == 1 and result["to_version"] is None
        assert (
            "current state 'uitnodigen' has no mapping and no state of the same name "
            "'uitnodigen' in version 2"
        ) in result["problems"]
        if mapping:
            assert "'workshop' is not a current state of this case" in result["problems"]

    after = (await api.get("leiden", f"/api/cases/{case_id}")).json()
    assert (
        after == before
    )  # version, states, tasks (ids, status), timeline, dates: all as they were
    assert after["timeline"]["total"] == before["timeline"]["total"] > 0
    assert await settled_history_length(handle) == history  # the refused update wrote no event
    assert "case_migrated" not in [row["action"] for row in await audit_rows(api, case_id)]

    # a complete mapping moves it, and that is audited with the mapping
    body = {
        "to_version": 2,
        "case_ids": [case_id],
        "mapping": {"uitnodigen": "aanmelden"},
        "dry_run": False,
    }
    response = await api.post("vormgever", url, body)
    assert response.status_code == 200 and response.json()["results"][0]["ok"], response.text
    moved = (await api.get("leiden", f"/api/cases/{case_id}")).json()
    assert moved["version"] == 2 and moved["states"] == ["aanmelden"]
    assert [(t["id"], t["status"]) for t in moved["tasks"]] == [(task_id, "open")]
    migrated = [r for r in await audit_rows(api, case_id) if r["action"] == "case_migrated"]
    assert len(migrated) == 1
    assert migrated[0]["actor"].startswith("user:")
    assert migrated[0]["detail"] == {"to_version": 2, "mapping": {"uitnodigen": "aanmelden"}}


# ------------------------------------------------------------------------------ the migrate page
# The page over the same API: cases by kenmerk (names for those who may read cases), states by
# their titles in the old and the new version, a confirmation before anything moves, what moved
# and what was refused afterwards (in Dutch), and an undo while a case has not moved on.
PAGE = "pvt1_pagina"
OLD_TITLE, NEW_TITLE = "Aanmelden voor de workshop", "Inschrijven voor de workshop"
WORKSHOP = "Workshop kernwaarden en brochure"


def page_versions(name: str) -> tuple[str, str]:
    """Versions 1 and 2 of a copy of pvt1: in 2, 'uitnodigen' is 'aanmelden', with a new title."""
    v1 = V1.replace("definition: pvt1_proef", f"definition: {name}", 1)
    v2 = (
        v1.replace("version: 1", "version: 2", 1)
        .replace("uitnodigen", "aanmelden")
        .replace(f"title: {OLD_TITLE}", f"title: {NEW_TITLE}", 1)
    )
    assert f"title: {OLD_TITLE}" in v1 and f"title: {NEW_TITLE}" in v2, "pvt1 changed"
    return v1, v2


def words(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(page: str, table_id: str) -> dict[str, list[str]]:
    """The rows of the table `table_id` by their case id, each as the texts of its cells."""
    table = re.search(rf'<table[^>]* id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    if table is None:
        return {}
    return {
        case_id: [words(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
        for case_id, body in re.findall(
            r'<tr data-case="([^"]+)"[^>]*>(.*?)</tr>', table.group(1), re.S
        )
    }


def choices(page: str) -> dict[str, str]:
    """The cases the form offers to move, by id: what their checkbox says."""
    return {
        case_id: words(label)
        for case_id, label in re.findall(
            r'<label class="traject-choice" data-case="([^"]+)">(.*?)</label>', page, re.S
        )
    }


def said(page: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert found, f"no {element_id} on the page"
    return words(found.group(2))


def hidden_cases(page: str, form_id: str) -> list[str]:
    form = re.search(rf'<form[^>]* id="{form_id}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form {form_id} on the page"
    return re.findall(r'name="case" value="([^"]+)"', form.group(1))


def listed(api: Api) -> int:
    """How many times a list of cases with names was read (the audit log's cases_listed)."""
    with api.sessions() as session:
        return session.scalar(select(func.count()).where(AuditEvent.action == "cases_listed")) or 0


async def named_case(api: Api, definition: str, tag: str) -> dict[str, Any]:
    body = {
        "definition": definition,
        "first_name": f"Lina{tag}",
        "last_name": f"Achternaam{tag}",
        "reference": f"KM-{tag}",
    }
    started = await api.post("leiden", "/api/cases", body)
    assert started.status_code == 201 and started.json()["version"] == 1, started.text
    case: dict[str, Any] = {**started.json(), **body}
    case["task"] = await api.open_task(case["id"], "aanmelding_bevestigen", "leiden")
    return case


async def case_now(api: Api, case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.get("leiden", f"/api/cases/{case_id}")).json()
    return found


async def test_the_migrate_page_names_cases_confirms_shows_the_outcome_and_undoes(
    api: Api,
) -> None:
    v1, v2 = page_versions(PAGE)
    assert (await api.post("vormgever", "/api/definitions", {"source": v1, "note": "p"})).is_success
    tag = secrets.token_hex(3)
    a, b, c = [await named_case(api, PAGE, f"{tag}{n}") for n in "abc"]
    done = await api.post(
        "leiden", f"/api/tasks/{c['task']}/complete", {"data": {"tolk_nodig": False}}
    )
    assert done.status_code == 200 and done.json()["active"] == ["workshop"], done.text
    assert (await api.post("vormgever", "/api/definitions", {"source": v2, "note": "p"})).is_success
    url = f"/designer/{PAGE}/migrate"
    mapping = "uitnodigen: aanmelden"

    # a designer who is not a case worker or coordinator: kenmerk and states by title, no names
    async with signed_in(api, "vormgever") as csrf:
        count = listed(api)
        form = await api.http.get(url)
        assert form.status_code == 200, form.text
        assert listed(api) == count  # no names shown, no personal data read
        assert {
            k: v for k, v in choices(form.text).items() if k in (a["id"], b["id"], c["id"])
        } == {
            a["id"]: f"{a['reference']} · v1 · {OLD_TITLE}",
            b["id"]: f"{b['reference']} · v1 · {OLD_TITLE}",
            c["id"]: f"{c['reference']} · v1 · {WORKSHOP}",
        }
        assert not any(
            x["first_name"] in form.text or x["last_name"] in form.text for x in (a, b, c)
        )

        # "Overzetten": a confirmation that says what will happen; nothing moves yet
        chosen = {"csrf_token": csrf, "to_version": "2", "mapping": mapping, "apply": "1"}
        ids = [a["id"], b["id"], c["id"]]
        confirm = await api.http.post(url, data={**chosen, "case": ids})
        assert confirm.status_code == 200, confirm.text
        assert (
            said(confirm.text, "bevestiging") == "Je zet 2 zaken over van versie 1 naar versie 2."
        )
        assert rows(confirm.text, "resultaten") == {  # where each is now, and lands
            x["id"]: [x["reference"], "gaat over", f"v1 · {OLD_TITLE}", f"v2 · {NEW_TITLE}"]
            for x in (a, b)
        }
        assert rows(confirm.text, "weigeringen") == {
            c["id"]: [
                c["reference"],
                "geweigerd",
                f"v1 · {WORKSHOP}",
                "—",
                "'uitnodigen' is geen stap waar deze zaak nu in staat",
            ]
        }
        assert hidden_cases(confirm.text, "bevestigen") == [a["id"], b["id"]]
        assert "Ja, zet 2 zaken over" in confirm.text
        assert hidden_cases(confirm.text, "terug") == ids  # back: the same choices, nothing moved
        for x in (a, b, c):
            assert (await case_now(api, x["id"]))["version"] == 1
        assert "case_migrated" not in [r["action"] for r in await audit_rows(api, a["id"])]

        # confirmed (with c, which was refused, sent along): two move, c is refused and says why
        moved = await api.http.post(url, data={**chosen, "confirm": "1", "case": ids})
        assert moved.status_code == 200, moved.text
        assert said(moved.text, "uitkomst") == (
            "Overgezet naar versie 2: 2 van de 3 zaken. Niet overgezet: 1. Bij elke zaak staat"
            " waarom; aan die zaken is niets veranderd."
        )
        outcome = rows(moved.text, "resultaten")
        for x in (a, b):
            assert outcome[x["id"]] == [
                x["reference"],
                "overgezet",
                f"v1 · {OLD_TITLE}",
                f"v2 · {NEW_TITLE}",
                "",
                "Ongedaan maken",
            ]
        assert outcome[c["id"]] == [
            c["reference"],
            "geweigerd",
            f"v1 · {WORKSHOP}",
            "—",
            "'uitnodigen' is geen stap waar deze zaak nu in staat",
            "",
        ]
        for x, version, states in (
            (a, 2, ["aanmelden"]),
            (b, 2, ["aanmelden"]),
            (c, 1, ["workshop"]),
        ):
            now = await case_now(api, x["id"])
            assert (now["version"], now["states"]) == (version, states), x

        # undo from the page: a is back on version 1, in its state; b can still be undone
        listing = await api.http.get(url)
        assert set(rows(listing.text, "terugzetten")) >= {a["id"], b["id"]}
        assert rows(listing.text, "terugzetten")[a["id"]][:3] == [a["reference"], "v2", NEW_TITLE]
        undone = await api.http.post(f"{url}/undo", data={"csrf_token": csrf, "case": a["id"]})
        assert undone.status_code == 303 and undone.headers["location"] == url, undone.text
        after = await api.http.get(url)
        assert f"Overzetten ongedaan gemaakt: {a['reference']} staat weer op versie 1." in (
            html.unescape(after.text)
        )
        assert a["id"] not in rows(after.text, "terugzetten")
        assert b["id"] in rows(after.text, "terugzetten")
        back = await case_now(api, a["id"])
        assert (back["version"], back["states"]) == (1, ["uitnodigen"])
        assert choices(after.text)[a["id"]] == f"{a['reference']} · v1 · {OLD_TITLE}"

    # b moves on: its move can no longer be undone; the page says so and changes nothing
    task = next(t for t in (await case_now(api, b["id"]))["tasks"] if t["status"] == "open")
    done = await api.post(
        "leiden", f"/api/tasks/{task['id']}/complete", {"data": {"tolk_nodig": False}}
    )
    assert done.status_code == 200 and done.json()["active"] == ["workshop"], done.text
    before = await case_now(api, b["id"])
    async with signed_in(api, "vormgever") as csrf:
        assert b["id"] not in rows((await api.http.get(url)).text, "terugzetten")
        refused = await api.http.post(f"{url}/undo", data={"csrf_token": csrf, "case": b["id"]})
        assert refused.status_code == 409, refused.text
        assert (
            f"{b['reference']} is niet teruggezet. Het overzetten kan niet ongedaan worden"
            " gemaakt: de zaak is sindsdien verder gegaan, of er is niets om ongedaan te maken."
        ) in html.unescape(refused.text)
        english = await api.http.post(
            f"{url}/undo",
            data={"csrf_token": csrf, "case": b["id"]},
            headers={"Accept-Language": "en"},
        )
        assert english.status_code == 409
        assert (
            f"{b['reference']} was not moved back. there is no migration to undo, or the case has"
            " moved on since" in html.unescape(english.text)
        )
    assert await case_now(api, b["id"]) == before
    reverted = [
        r for r in await audit_rows(api, b["id"]) if r["action"] == "case_migration_reverted"
    ]
    assert reverted == []

    # a coordinator (who reads cases) sees the newcomers' names, and that read is audited
    async with signed_in(api, "leiden"):
        count = listed(api)
        page = await api.http.get(url)
        assert page.status_code == 200, page.text
        assert choices(page.text)[c["id"]] == (
            f"{c['first_name']} {c['last_name']} · {c['reference']} · v1 · {WORKSHOP}"
        )
        assert listed(api) == count + 1


async def test_the_migrate_page_refuses_other_municipalities_and_other_roles(api: Api) -> None:
    name = "pvt1_pagina_tenant"
    v1, v2 = page_versions(name)
    assert (await api.post("vormgever", "/api/definitions", {"source": v1, "note": "p"})).is_success
    case = await named_case(api, name, secrets.token_hex(3))
    assert (await api.post("vormgever", "/api/definitions", {"source": v2, "note": "p"})).is_success
    url = f"/designer/{name}/migrate"
    move = {"to_version": "2", "mapping": "uitnodigen: aanmelden", "apply": "1", "confirm": "1"}
    async with signed_in(api, "vormgever") as csrf:
        moved = await api.http.post(url, data={**move, "csrf_token": csrf, "case": case["id"]})
        assert rows(moved.text, "resultaten")[case["id"]][1] == "overgezet", moved.text
    before = await case_now(api, case["id"])
    assert (before["version"], before["states"]) == (2, ["aanmelden"])

    # a designer of zaanstad: voorbeeldgemeente's definition and case are not there for them
    async with signed_in(api, "ontwerper") as csrf:
        for asked, form in (
            ("GET", None),
            ("POST", {**move, "case": case["id"]}),
            ("POST undo", {"case": case["id"]}),
        ):
            where = f"{url}/undo" if asked == "POST undo" else url
            answer = (
                await api.http.get(where)
                if form is None
                else await api.http.post(where, data={**form, "csrf_token": csrf})
            )
            assert answer.status_code == 404, (asked, answer.text)
            assert f"Er is geen definitie '{name}'." in html.unescape(answer.text), asked
            assert case["reference"] not in answer.text and case["first_name"] not in answer.text
        # their own definition with our case: no such case
        own = "/designer/zaanstad_pvt/migrate"
        undo = await api.http.post(f"{own}/undo", data={"csrf_token": csrf, "case": case["id"]})
        assert undo.status_code == 404
        assert f"Er is geen zaak '{case['id']}'." in html.unescape(undo.text)
        tried = await api.http.post(own, data={**move, "csrf_token": csrf, "case": case["id"]})
        assert f"Er is geen zaak '{case['id']}'." in html.unescape(tried.text)
        assert case["reference"] not in tried.text
    # a case worker of the municipality itself: not a designer or coordinator
    async with signed_in(api, "docent") as csrf:
        assert (await api.http.get(url)).status_code == 403
        undo = await api.http.post(f"{url}/undo", data={"csrf_token": csrf, "case": case["id"]})
        assert undo.status_code == 403
    assert await case_now(api, case["id"]) == before  # nothing changed

    # and the move can still be undone by the municipality's own designer
    async with signed_in(api, "vormgever") as csrf:
        undone = await api.http.post(f"{url}/undo", data={"csrf_token": csrf, "case": case["id"]})
        assert undone.status_code == 303, undone.text
    back = await case_now(api, case["id"])
    assert (back["version"], back["states"]) == (1, ["uitnodigen"])
