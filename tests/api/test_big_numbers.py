"""Numbers past what the store can hold, typed into a page's address or form or sent to the API
(a task, page, version or user number), name nothing: an answer that says so, never a server
error (the database's integer would overflow rather than find nothing)."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.test_tenancy_web import browser

HUGE = ("2147483648", "9223372036854775808", "1" + "0" * 30)


@pytest.mark.parametrize("number", HUGE)
async def test_big_numbers_in_page_addresses_and_forms_are_refused_cleanly(
    api: Api, number: str
) -> None:
    case = await api.start(first_name="Groot")
    async with browser(api, "teamleider") as b:
        answers = {
            f"GET /tasks/{number}": await b.http.get(f"/tasks/{number}"),
            f"POST /tasks/{number}": await b.post(f"/tasks/{number}", {"aanwezig": "true"}),
            f"POST /tasks/{number}/claim": await b.post(f"/tasks/{number}/claim"),
            f"POST /tasks/{number}/assign": await b.post(
                f"/tasks/{number}/assign", {"user_id": "1"}
            ),
            f"POST /tokens/{number}/revoke": await b.post(f"/tokens/{number}/revoke"),
            "GET /?page=": await b.http.get(f"/?page={number}"),
            "GET /cases?page=": await b.http.get(f"/cases?page={number}"),
            "GET /audit?page=": await b.http.get(f"/audit?page={number}"),
            "GET /cases/{id}?timeline_page=": await b.http.get(
                f"/cases/{case['id']}?timeline_page={number}"
            ),
            "POST /cases/{id}/ladder": await b.post(
                f"/cases/{case['id']}/ladder", {"step": number}
            ),
            "GET /designer/pvt1/diff": await b.http.get(
                f"/designer/zaanstad_pvt/diff?a={number}&b=1"
            ),
        }
        task = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
        answers["POST /tasks/{id}/assign user"] = await b.post(
            f"/tasks/{task}/assign", {"user_id": number}
        )
    async with browser(api, "ontwerper") as designer:
        answers["GET /designer/…/diff"] = await designer.http.get(
            f"/designer/zaanstad_pvt/diff?a={number}&b=1"
        )
        for version in (number, "zeven", "-1"):
            answers[f"POST /designer/…/migrate {version}"] = await designer.post(
                "/designer/zaanstad_pvt/migrate", {"case": case["id"], "to_version": version}
            )
            answers[f"POST /designer/…/migrate confirmed {version}"] = await designer.post(
                "/designer/zaanstad_pvt/migrate",
                {"case": case["id"], "to_version": version, "apply": "1", "confirm": "1"},
            )
        answers["POST /designer/…/migrate/undo"] = await designer.post(
            "/designer/zaanstad_pvt/migrate/undo", {"case": number}
        )
    body = {"to_version": int(number), "case_ids": [case["id"]], "dry_run": True}
    answers["POST /api/definitions/…/migrations"] = await api.post(
        "ontwerper", "/api/definitions/zaanstad_pvt/migrations", body
    )
    crashed = {what: r.status_code for what, r in answers.items() if r.status_code >= 500}
    assert crashed == {}


async def test_a_page_address_with_a_non_number_where_a_number_goes_is_a_page_not_json(
    api: Api,
) -> None:
    async with browser(api, "teamleider") as b:
        for url, status in (("/tasks/abc", 404), ("/tasks/1.5", 404), ("/?page=abc", 422)):
            answer = await b.http.get(url)
            assert answer.status_code == status, (url, answer.status_code)
            assert answer.headers["content-type"].startswith("text/html"), url
            assert "<h1>" in answer.text
    api_answer = await api.get("teamleider", "/api/tasks/abc")  # the API keeps its problem+json
    assert api_answer.status_code == 422
    assert api_answer.headers["content-type"] == "application/problem+json"
