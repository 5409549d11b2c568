"""CSRF protection: a change sent with the session cookie must carry that session's CSRF token
(form field on the pages, `X-CSRF-Token` for scripts). Without it, or with a wrong one (also
another session's real token), it is refused with 403 and a message that says what to do, and
nothing changes; with the right one it works. An API token is not sent by a browser on its own,
so a request with one needs no CSRF token."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

from sqlalchemy import func, select

from tests.api.conftest import PASSWORD, Api, signed_in
from tests.api.test_tenancy_web import Browser, browser
from traject.store import accounts
from traject.store.models import Case, CasePerson, LadderMeasurement, Task

MESSAGE = "the form is stale or forged: reload the page and try again"  # English, as the API
DUTCH = "Het formulier is verlopen of niet van deze sessie: laad de pagina opnieuw."


def state(api: Api, case_id: str, task_id: int) -> dict[str, Any]:
    with api.sessions() as session:
        case = session.get(Case, case_id)
        task = session.get(Task, task_id)
        assert case is not None and task is not None
        return {
            "case": (case.status, list(case.current_states)),
            "task": (task.status, task.assignee),
            "ladder": session.scalar(
                select(func.count()).where(LadderMeasurement.case_id == case_id)
            ),
        }


async def settled(api: Api, case_id: str, task_id: int, **expected: Any) -> dict[str, Any]:
    """The store's state once the workflow has recorded the change (it answers first)."""
    for _ in range(100):
        found = state(api, case_id, task_id)
        if all(found[k] == v for k, v in expected.items()):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{found} is not {expected}")


def user_ref(api: Api, name: str) -> str:
    with api.sessions() as session:
        user = accounts.find_user(session, "zaanstad", name)
        assert user is not None
        return f"user:{user.id}"


async def forged(b: Browser, url: str, data: dict[str, str], other_token: str) -> None:
    """The same form without a token, with an empty one, a made-up one and another session's."""
    for token in ("", " ", "x" * 43, other_token):
        response = await b.post(url, data, csrf=token)
        assert response.status_code == 403, (url, repr(token), response.text[:1000])
        assert MESSAGE in response.text, (url, response.text[:1000])
        assert 'name="csrf_token"' in response.text  # a page again, with the right token to retry
    bare = await b.http.post(url, data=data)  # no field at all
    assert bare.status_code == 403 and MESSAGE in bare.text


async def test_a_form_without_the_right_token_is_refused_and_changes_nothing(api: Api) -> None:
    case = await api.start(first_name="Samira")
    task = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    before = state(api, case["id"], task)
    async with browser(api, "klantmanager") as b, browser(api, "collega") as other:
        assert b.csrf != other.csrf  # a token per session
        name = f"Csrf{secrets.token_hex(3)}"
        forms = [
            (f"/tasks/{task}/claim", {}),
            (f"/tasks/{task}", {"aanwezig": "true"}),
            (f"/cases/{case['id']}/ladder", {"step": "3"}),
            (f"/cases/{case['id']}/decide", {"decision": "suspend", "reason": "ziek"}),
            (f"/cases/{case['id']}/event", {"event": "gehuisvest"}),
            ("/cases/new", {"definition": "zaanstad_pvt", "first_name": name}),
        ]
        for url, data in forms:
            await forged(b, url, data, other.csrf)
        assert state(api, case["id"], task) == before
        with api.sessions() as session:
            started = select(func.count()).where(CasePerson.first_name == name)
            assert session.scalar(started) == 0

        # scripts send the header: a wrong one is refused with a problem+json saying why
        api_claim = f"/api/tasks/{task}/claim"
        for headers in ({}, {"X-CSRF-Token": other.csrf}):
            refused = await b.http.post(api_claim, headers=headers)
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["detail"] == MESSAGE
        assert state(api, case["id"], task) == before

        # signing out is a change too: without the token the session stays
        assert (await b.post("/logout", csrf="")).status_code == 403
        assert (await b.http.get("/")).status_code == 200

        # with the right token the same forms work
        claimed = await b.post(f"/tasks/{task}/claim", {"next": f"/tasks/{task}"})
        assert claimed.status_code == 303, claimed.text
        measured = await b.post(f"/cases/{case['id']}/ladder", {"step": "3"})
        assert measured.status_code == 303, measured.text
        await settled(
            api,
            case["id"],
            task,
            task=("open", user_ref(api, "klantmanager")),
            ladder=before["ladder"] + 1,
        )
        via_header = await b.http.post(
            f"/api/tasks/{task}/unclaim", headers={"X-CSRF-Token": b.csrf}
        )
        assert via_header.status_code == 200, via_header.text
        await settled(api, case["id"], task, task=("open", None))

        signed_out = await b.post("/logout")
        assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
        assert (await b.http.get("/")).status_code == 303  # to the login page


async def test_an_api_token_needs_no_csrf_token(api: Api) -> None:
    case = await api.start(first_name="Yara")
    task = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    claimed = await api.post("klantmanager", f"/api/tasks/{task}/claim")
    assert claimed.status_code == 200, claimed.text
    await settled(api, case["id"], task, task=("open", user_ref(api, "klantmanager")))
    measured = await api.post("klantmanager", f"/api/cases/{case['id']}/ladder", {"step": 2})
    assert measured.status_code == 200 and measured.json()["ladder"] == 2
    # a token with a stale session cookie next to it: the token decides, still no CSRF needed
    async with browser(api, "klantmanager") as b:
        released = await b.http.post(f"/api/tasks/{task}/unclaim", headers=api.headers("collega"))
        assert released.status_code == 409  # refused as collega (not theirs), not as CSRF
        assert released.json()["title"] != "csrf"
        mine = await b.http.post(f"/api/tasks/{task}/unclaim", headers=api.headers("klantmanager"))
        assert mine.status_code == 200, mine.text
    await settled(api, case["id"], task, task=("open", None))


async def test_the_login_form_has_its_own_token(api: Api) -> None:
    """Before there is a session, the login form is protected by a token of its own page."""
    async with browser(api, "klantmanager") as b:
        fields = {"municipality": "zaanstad", "username": "collega", "password": PASSWORD}
        for sent in ("", "x" * 32):
            refused = await b.http.post("/login", data={**fields, "login_token": sent})
            assert refused.status_code == 403
            assert "traject_session" not in refused.headers.get("set-cookie", "")
        me = (await b.http.get("/api/me")).json()
        assert me["username"] == "klantmanager"  # still the same person
        token = re.search(r'name="login_token" value="([^"]+)"', refused.text)  # a fresh form
        assert token
        signed = await b.http.post("/login", data={**fields, "login_token": token.group(1)})
        assert signed.status_code == 303
        assert (await b.http.get("/api/me")).json()["username"] == "collega"


async def test_a_dutch_browser_is_told_in_dutch(api: Api) -> None:
    async with browser(api, "klantmanager", lang="nl") as b:
        refused = await b.post("/logout", {}, csrf="x" * 43)
        assert refused.status_code == 403
        assert DUTCH in refused.text and MESSAGE not in refused.text


async def test_a_csrf_token_with_non_ascii_characters_is_refused_not_a_crash(api: Api) -> None:
    async with signed_in(api, "collega"):
        for forged in ("é", "\u200b", "😀"):
            answer = await api.http.post(
                "/api/tokens",
                json={"name": "x"},
                headers={"X-CSRF-Token": forged.encode()},
            )
            assert answer.status_code == 403, answer.text
