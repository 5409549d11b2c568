"""Municipality tenancy on every endpoint: a user of one municipality never sees or changes
another's cases, tasks or audit log. The matrix is built from the OpenAPI document, so an
endpoint added later is covered (or this test fails until it is classified)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.conftest import DEFINITIONS
from traject.definition import compile_file
from traject.store import accounts

# Bodies that would be valid for the owner, so only tenancy can refuse them.
BODIES: dict[str, dict[str, Any]] = {
    "/api/cases/{case_id}/events": {"event": "gehuisvest"},
    "/api/cases/{case_id}/ladder": {"step": 2},
    "/api/cases/{case_id}/suspend": {"reason": "ziek"},
    "/api/cases/{case_id}/resume": {"reason": "hersteld"},
    "/api/cases/{case_id}/cancel": {"reason": "verhuisd"},
    "/api/tasks/{task_id}/complete": {"data": {"aanwezig": True}},
    "/api/tasks/{task_id}/assign": {"user_id": 1},
    "/api/cases/{case_id}/termijnen/{name}/{change}": {"reason": "ziek"},
    "/api/team/{user_id}/deactivate": {"release_tasks": True},
}
# Endpoints named by a definition: another municipality's definition does not exist for you.
# Asked by a designer of the caller's own municipality (so the role lets it through) about real
# ids of the other one: `{case_id}` in a body is the other municipality's case.
ZAANSTAD_VERSION = compile_file(DEFINITIONS / "zaanstad_pvt.yaml").version  # what cases start on
BY_DEFINITION = {
    "/api/definitions/{definition}/versions": None,
    "/api/definitions/{definition}/migrations": {
        "to_version": ZAANSTAD_VERSION,
        "case_ids": ["{case_id}"],
        "mapping": {},
        "dry_run": False,
    },
}
DESIGNER = "vormgever"  # voorbeeldgemeente's designer
# Endpoints without another municipality's ids in their path, and how each one is checked.
UNSCOPED = {
    "/api/session",  # signs in to the municipality named in the body
    "/api/me",
    "/api/tokens",
    "/api/tokens/{token_id}",  # a user's own tokens only (tests/api/test_tokens.py)
    "/api/definitions",
    "/api/cases",
    "/api/tasks",
    "/api/users",
    "/api/team",
    "/api/audit",
}


def _with_case(body: dict[str, Any] | None, case_id: str) -> dict[str, Any] | None:
    if body is None:
        return None
    return {**body, "case_ids": [case_id]}


def routes(api: Api) -> list[tuple[str, str]]:
    schema = api.http._transport.app.openapi()  # type: ignore[attr-defined]
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/")
        for method in operations
    ]


async def test_every_endpoint_hides_another_municipalitys_case_and_task(api: Api) -> None:
    case = await api.start(last_name="Haddad", bsn="111222333")
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    before = (await api.get("klantmanager", f"/api/cases/{case['id']}")).json()
    with api.sessions() as session:  # a colleague in zaanstad, with the task claimed
        member = accounts.find_user(session, "zaanstad", "collega")
        assert member is not None
        member_id = member.id
    checked = []
    for method, path in routes(api):
        if path in UNSCOPED:
            continue
        if path in BY_DEFINITION:
            body = _with_case(BY_DEFINITION[path], case["id"])
            # the other's definition, and (for a migration) the caller's own definition with the
            # other's case: each is "not found", and the own definition does exist for the caller
            for definition in ("zaanstad_pvt", "pvt1"):
                if body is None and definition == "pvt1":
                    continue
                url = path.replace("{definition}", definition)
                response = await api.http.request(
                    method, url, headers=api.headers(DESIGNER), json=body
                )
                assert response.status_code == 404, (
                    method,
                    url,
                    response.status_code,
                    response.text,
                )
                assert "Amina" not in response.text and "111222333" not in response.text
            checked.append(path)
            continue
        assert "{case_id}" in path or "{task_id}" in path or "{user_id}" in path, (
            f"classify {method} {path}"
        )
        url = path.replace("{case_id}", case["id"]).replace("{task_id}", str(task_id))
        url = url.replace("{user_id}", str(member_id))
        url = url.replace("{name}", "pip_termijn").replace("{change}", "suspend")
        response = await api.http.request(
            method, url, headers=api.headers("leiden"), json=BODIES.get(path)
        )
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert "Amina" not in response.text and "111222333" not in response.text
        checked.append(path)
    assert len(checked) >= 12
    own = await api.get(DESIGNER, "/api/definitions/pvt1/versions")
    assert own.status_code == 200 and own.json()["total"] >= 1  # the caller's own one is there
    # for the owner's designer the same definition and case exist: the 404s were tenancy
    theirs = await api.get("ontwerper", "/api/definitions/zaanstad_pvt/versions")
    assert theirs.status_code == 200 and theirs.json()["total"] >= 1
    check = {"to_version": ZAANSTAD_VERSION, "case_ids": [case["id"]], "dry_run": True}
    dry = await api.post("ontwerper", "/api/definitions/zaanstad_pvt/migrations", check)
    assert dry.status_code == 200, dry.text
    assert dry.json()["results"][0]["case_id"] == case["id"]
    after = (await api.get("klantmanager", f"/api/cases/{case['id']}")).json()
    assert after["states"] == before["states"] and after["status"] == before["status"]
    assert after["version"] == before["version"]
    assert [t["assignee"] for t in after["tasks"]] == [t["assignee"] for t in before["tasks"]]
    with api.sessions() as session:  # and zaanstad's colleague is as active as before
        member = accounts.find_user(session, "zaanstad", "collega")
        assert member is not None and member.active


async def test_lists_and_searches_show_only_the_own_municipality(api: Api) -> None:
    zaanstad = await api.start(first_name="Yusuf", reference="ZS-TENANT")
    await api.open_task(zaanstad["id"], "aanwezigheid_kernwaarden")
    leiden = await api.post("leiden", "/api/cases", {"definition": "pvt1", "first_name": "Rahel"})
    assert leiden.status_code == 201, leiden.text
    leiden_id = leiden.json()["id"]

    for user, own, other in (
        ("leiden", leiden_id, zaanstad["id"]),
        ("teamleider", zaanstad["id"], leiden_id),
    ):
        cases = await api.get(user, "/api/cases", params={"size": 200})
        ids = {c["id"] for c in cases.json()["items"]}
        assert own in ids and other not in ids
        found = await api.get(user, "/api/cases", params={"q": other})
        assert found.json()["total"] == 0
        tasks = await api.get(user, "/api/tasks", params={"view": "all", "size": 200})
        assert other not in {t["case_id"] for t in tasks.json()["items"]}
        audit = await api.get(user, "/api/audit", params={"size": 200})
        assert other not in {e["case_id"] for e in audit.json()["items"]}
    listed = (await api.get("leiden", "/api/users", params={"size": 200})).json()
    names = {u["display_name"] for u in listed["items"]}
    assert "Leiden" in names and not names & {"Klantmanager", "Collega", "Teamleider"}
    team = (await api.get("leiden", "/api/team", params={"size": 200})).json()
    names = {u["display_name"] for u in team["items"]}
    assert "Leiden" in names and not names & {"Klantmanager", "Collega", "Teamleider"}
    found = (await api.get("leiden", "/api/definitions", params={"size": 200})).json()
    definitions = {d["definition"] for d in found["items"]}
    assert "zaanstad_pvt" not in definitions and "pvt1" in definitions
    # signing in with a name of another municipality does not work
    wrong = await api.http.post(
        "/api/session",
        json={
            "municipality": "voorbeeldgemeente",
            "username": "klantmanager",
            "password": "x" * 20,
        },
    )
    assert wrong.status_code == 401
