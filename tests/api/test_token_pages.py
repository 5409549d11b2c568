"""The API-tokens page: a signed-in user makes a token for an integration (its text shown that
once), sees when each was last used, and revokes one, which the API refuses from then on.
Through the login form and the real store."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from tests.api.conftest import Api
from tests.api.test_tenancy_web import browser
from traject.store.accounts import digest
from traject.store.models import ApiToken
from traject.web.pages import local


def made_token(page: str) -> str:
    found = re.search(r'<code id="nieuw-token"[^>]*>(trj_[^<]+)</code>', page)
    assert found, "no new token on the page"
    return html.unescape(found.group(1))


def count_tokens(api: Api) -> int:
    with api.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ApiToken)) or 0)


async def test_a_user_makes_and_revokes_a_token_on_the_page(api: Api) -> None:
    async with browser(api, "collega") as b:
        page = await b.http.get("/tokens")
        assert page.status_code == 200
        assert 'href="/tokens"' in page.text  # linked from every page's top bar

        before = count_tokens(api)
        for name in ("", "   ", "x" * 101, "tab\tin"):
            refused = await b.post("/tokens", {"name": name})
            assert refused.status_code == 422, (name, refused.text[:500])
            assert "1 to 100 characters of plain text" in refused.text
            assert "nieuw-token" not in refused.text
        assert count_tokens(api) == before

        made = await b.post("/tokens", {"name": "zaaksysteem"})
        assert made.status_code == 200, made.text[:500]
        token = made_token(made.text)
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await b.http.get("/api/me", headers=bearer)).status_code == 200

        listed = await b.http.get("/tokens")
        assert token not in listed.text  # shown once
        row = re.search(r"<tr>\s*<td[^>]*>zaaksysteem</td>(.*?)</tr>", listed.text, re.S)
        assert row and "active" in row.group(1)
        with api.sessions() as session:
            made_at = session.scalar(
                select(ApiToken.created_at).where(ApiToken.token_hash == digest(token))
            )
        assert made_at is not None  # stored in UTC, shown on Dutch clocks
        assert f">{local(made_at):%d-%m-%Y %H:%M}</td>" in row.group(1)
        revoke = re.search(r'action="/tokens/(\d+)/revoke"', row.group(1))
        assert revoke
        url = f"/tokens/{revoke.group(1)}/revoke"

        assert (await b.post(url, csrf="")).status_code == 403  # no CSRF token: nothing changes
        assert (await b.http.get("/api/me", headers=bearer)).status_code == 200

        done = await b.post(url)
        assert done.status_code == 303 and done.headers["location"] == "/tokens"
        assert (await b.http.get("/api/me", headers=bearer)).status_code == 401
        after = await b.http.get("/tokens")
        assert "Token revoked." in after.text
        row = re.search(r"<tr>\s*<td[^>]*>zaaksysteem</td>(.*?)</tr>", after.text, re.S)
        assert row and "revoked" in row.group(1) and "/revoke" not in row.group(1)


async def test_every_page_title_is_plain_text(api: Api) -> None:
    async with browser(api, "teamleider") as b:
        for url in ("/", "/cases", "/cases/new", "/tokens", "/audit", "/dashboard"):
            page = await b.http.get(url)
            assert page.status_code == 200, url
            title = re.search(r"<title>(.*?)</title>", page.text, re.S)
            assert title and "<" not in title.group(1), (url, title and title.group(1))
