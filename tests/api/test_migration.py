"""A designer publishes version 2 of pvt1 and moves chosen version-1 cases onto it: checked, dry
run first, applied through the workflow, reversible while the case has not moved on; refused
migrations leave the case untouched. Real worker, Temporal server and store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Api
from tests.conftest import DEFINITIONS
from tests.workflow.test_trajectory_workflow import settled_history_length
from traject.store.models import Case
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
