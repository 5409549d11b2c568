"""Municipality tenancy on every endpoint: a user of one municipality never sees or changes
another's cases, tasks or audit log. The matrix is built from the OpenAPI document, so an
endpoint added later is covered (or this test fails until it is classified)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

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
}
# Endpoints named by a definition: another municipality's definition does not exist for you.
BY_DEFINITION = {
    "/api/definitions/{definition}/versions": None,
    "/api/definitions/{definition}/migrations": {"to_version": 2, "case_ids": ["x"]},
}
# Endpoints without another municipality's ids in their path, and how each one is checked.
UNSCOPED = {
    "/api/session",  # signs in to the municipality named in the body
    "/api/me",
    "/api/tokens",
    "/api/definitions",
    "/api/cases",
    "/api/tasks",
    "/api/users",
    "/api/audit",
}


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
    checked = []
    for method, path in routes(api):
        if path in UNSCOPED:
            continue
        if path in BY_DEFINITION:
            url = path.replace("{definition}", "zaanstad_pvt")
            response = await api.http.request(
                method,
                url,
                headers=api.headers("leiden"),
                json=BODIES.get(path) or BY_DEFINITION[path],
            )
            assert response.status_code == 404, (method, path, response.status_code, response.text)
            checked.append(path)
            continue
        assert "{case_id}" in path or "{task_id}" in path, f"classify {method} {path}"
        url = path.replace("{case_id}", case["id"]).replace("{task_id}", str(task_id))
        url = url.replace("{name}", "pip_termijn").replace("{change}", "suspend")
        response = await api.http.request(
            method, url, headers=api.headers("leiden"), json=BODIES.get(path)
        )
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert "Amina" not in response.text and "111222333" not in response.text
        checked.append(path)
    assert len(checked) >= 12
    after = (await api.get("klantmanager", f"/api/cases/{case['id']}")).json()
    assert after["states"] == before["states"] and after["status"] == before["status"]
    assert [t["assignee"] for t in after["tasks"]] == [t["assignee"] for t in before["tasks"]]


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
    names = {u["display_name"] for u in (await api.get("leiden", "/api/users")).json()}
    assert "Leiden" in names and not names & {"Klantmanager", "Collega", "Teamleider"}
    definitions = {d["definition"] for d in (await api.get("leiden", "/api/definitions")).json()}
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
