"""API tokens after they are made: their user lists them (never their text) and revokes one, which
is refused from its next request on; each making and revoking is in the audit log. Tokens are
managed signed in: a token cannot list, make or revoke tokens. Real store, through the API."""

from __future__ import annotations

from sqlalchemy import select

from tests.api.conftest import Api, signed_in
from traject.store.models import ApiToken, AuditEvent


async def test_a_user_lists_and_revokes_their_own_tokens(api: Api) -> None:
    async with signed_in(api, "collega") as csrf:
        change = {"X-CSRF-Token": csrf}
        bad = await api.http.post("/api/tokens", json={"name": "tab\tin"}, headers=change)
        assert bad.status_code == 422 and "name" in bad.json()["errors"], bad.text
        made = await api.http.post("/api/tokens", json={"name": "zaaksysteem"}, headers=change)
        assert made.status_code == 201, made.text
        body = made.json()
        token, token_id = body["token"], body["id"]
        assert body["name"] == "zaaksysteem" and body["revoked_at"] is None
        assert body["created_at"].endswith("Z")  # a moment in UTC, and it says so
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await api.http.get("/api/me", headers=bearer)).status_code == 200

        listed = await api.http.get("/api/tokens")
        assert listed.status_code == 200, listed.text
        assert token not in listed.text  # its text is shown once, when it is made
        mine = {t["id"]: t for t in listed.json()["items"]}
        assert mine[token_id]["name"] == "zaaksysteem"
        assert mine[token_id]["last_used_at"] is not None and mine[token_id]["revoked_at"] is None
        assert listed.json()["items"][0]["id"] == token_id  # newest first

        unsafe = await api.http.delete(f"/api/tokens/{token_id}")  # no CSRF token
        assert unsafe.status_code == 403
        assert (await api.http.get("/api/me", headers=bearer)).status_code == 200

        revoked = await api.http.delete(f"/api/tokens/{token_id}", headers=change)
        assert revoked.status_code == 204, revoked.text
        refused = await api.http.get("/api/me", headers=bearer)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["detail"]
        first = (await api.http.get("/api/tokens")).json()["items"][0]["revoked_at"]
        assert first is not None

        again = await api.http.delete(f"/api/tokens/{token_id}", headers=change)
        assert again.status_code == 204
        assert (await api.http.get("/api/tokens")).json()["items"][0]["revoked_at"] == first

        with api.sessions() as session:
            theirs = session.scalar(  # the token the tests made for another user
                select(ApiToken.id).where(ApiToken.user_id != mine_user_id(api, token_id))
            )
        other = await api.http.delete(f"/api/tokens/{theirs}", headers=change)
        assert other.status_code == 404
        assert other.headers["content-type"] == "application/problem+json"
        missing = await api.http.delete("/api/tokens/999999999", headers=change)
        assert missing.status_code == 404
    assert (await api.get("klantmanager", "/api/me")).status_code == 200  # theirs still works

    with api.sessions() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.action.in_(("token_created", "token_revoked")))
            .order_by(AuditEvent.id)
        ).all()
    of_this = [action for action, detail in rows if detail.get("token_id") == token_id]
    assert of_this == [
        "token_created",
        "token_revoked",
    ]  # once each: the second revoke is no change
    assert all(token not in str(detail) for _, detail in rows)


def mine_user_id(api: Api, token_id: int) -> int:
    with api.sessions() as session:
        found = session.get(ApiToken, token_id)
        assert found is not None
        return found.user_id


async def test_a_token_cannot_manage_tokens(api: Api) -> None:
    with api.sessions() as session:
        own = session.scalars(select(ApiToken.id)).first()
    for method, url, body in (
        ("GET", "/api/tokens", None),
        ("POST", "/api/tokens", {"name": "nog een"}),
        ("DELETE", f"/api/tokens/{own}", None),
    ):
        answer = await api.http.request(method, url, headers=api.headers("klantmanager"), json=body)
        assert answer.status_code == 403, (method, answer.text)
        assert "sign in" in answer.json()["detail"]
    assert (await api.get("klantmanager", "/api/me")).status_code == 200  # nothing was revoked
