"""Sign-in through a municipality's identity provider (OIDC code flow + PKCE), against a fake
provider that really signs ID tokens and really checks the PKCE verifier."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest_asyncio
from fastapi import FastAPI, Form
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from traject.api.app import create_app
from traject.api.oidc import FLOW_COOKIE, OidcLogin, OidcSettings
from traject.casework import Casework
from traject.service import Traject
from traject.store.models import AuditEvent

ISSUER = "https://idp.zaanstad.test"


@dataclass
class FakeIdp:
    """Just enough of an OpenID provider: discovery, authorize, token (checks PKCE), JWKS."""

    claims: dict[str, Any] = field(default_factory=dict)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    signing_key: RSAKey | None = None  # to sign with a key the JWKS does not hold
    nonce_override: str | None = None
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def app(self) -> FastAPI:
        idp = FastAPI()

        @idp.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, str]:
            return {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
            }

        @idp.get("/authorize")
        def authorize(
            redirect_uri: str, state: str, nonce: str, code_challenge: str, client_id: str
        ) -> RedirectResponse:
            code = secrets.token_urlsafe(8)
            self.codes[code] = {"nonce": nonce, "challenge": code_challenge, "client": client_id}
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

        @idp.post("/token")
        def token(code: str = Form(), code_verifier: str = Form()) -> JSONResponse:
            grant = self.codes.pop(code, None)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant is None or challenge != grant["challenge"]:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {
                "iss": ISSUER,
                "aud": grant["client"],
                "iat": now,
                "exp": now + 300,
                "nonce": self.nonce_override or grant["nonce"],
                **self.claims,
            }
            key = self.signing_key or self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            return JSONResponse({"id_token": id_token, "token_type": "Bearer"})

        @idp.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        return idp


@dataclass
class Site:
    http: httpx.AsyncClient
    idp: FakeIdp

    async def sign_in(self) -> httpx.Response:
        begin = await self.http.get("/login/oidc", params={"next": "/cases"})
        assert begin.status_code == 303
        location = begin.headers["location"]
        assert location.startswith(f"{ISSUER}/authorize?")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.idp.app())) as idp:
            at_idp = await idp.get(location)
        back = urlsplit(at_idp.headers["location"])
        return await self.http.get(f"{back.path}?{back.query}")


@pytest_asyncio.fixture
async def site(api_sessions: sessionmaker[Session]) -> AsyncIterator[Site]:
    idp = FakeIdp()
    settings = OidcSettings(ISSUER, "traject", "secret", "zaanstad", public_url="http://traject")
    login = OidcLogin(
        settings, lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=idp.app()))
    )
    casework = Casework(Traject(api_sessions, None, "unused"))  # type: ignore[arg-type]
    app = create_app(api_sessions, _healthy, casework=casework, oidc=login)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://traject") as http:
        yield Site(http, idp)


async def _healthy() -> bool:
    return True


async def test_a_known_idp_user_is_created_with_the_roles_of_the_token(site: Site) -> None:
    sub = secrets.token_hex(4)
    site.idp.claims = {
        "sub": sub,
        "preferred_username": f"j.devries-{sub}",
        "name": "Jan de Vries",
        "roles": ["caseworker", "superuser"],
        "groups": ["klantmanager"],
    }
    done = await site.sign_in()
    assert done.status_code == 303 and done.headers["location"] == "/cases"
    me = (await site.http.get("/api/me")).json()
    assert me["display_name"] == "Jan de Vries" and me["municipality"] == "zaanstad"
    assert me["roles"] == ["caseworker"] and me["groups"] == [
        "klantmanager"
    ]  # unknown role dropped
    # the second sign-in finds the same user by its subject, with the roles the IdP now gives
    site.idp.claims["roles"] = ["coordinator"]
    site.http.cookies.clear()
    await site.sign_in()
    again = (await site.http.get("/api/me")).json()
    assert again["id"] == me["id"] and again["roles"] == ["coordinator"]


async def test_an_existing_local_user_is_linked_by_username(
    site: Site, api_sessions: sessionmaker[Session]
) -> None:
    site.idp.claims = {"sub": "sub-collega", "preferred_username": "collega"}
    done = await site.sign_in()
    assert done.status_code == 303
    me = (await site.http.get("/api/me")).json()
    assert me["username"] == "collega" and me["roles"] == ["caseworker"]  # kept: no roles sent
    with api_sessions() as session:
        assert session.scalar(
            select(AuditEvent).where(
                AuditEvent.actor == f"user:{me['id']}", AuditEvent.action == "signed_in"
            )
        )


async def test_forged_or_unverifiable_sign_ins_are_refused(site: Site) -> None:
    site.idp.claims = {"sub": "x1", "preferred_username": "nobody-x1", "roles": ["caseworker"]}
    site.idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    assert (await site.sign_in()).status_code == 401  # signature does not match the JWKS
    site.idp.signing_key, site.idp.nonce_override = None, "replayed"
    assert (await site.sign_in()).status_code == 401  # nonce of another sign-in
    site.idp.nonce_override = None
    begin = await site.http.get("/login/oidc")
    state = parse_qs(urlsplit(begin.headers["location"]).query)["state"][0]
    forged = await site.http.get("/login/oidc/callback", params={"code": "x", "state": state + "x"})
    assert forged.status_code == 401
    for cookie in ("WzFd", "bnVsbA==", "%%%"):  # JSON that is not the flow ([1], null), junk
        site.http.cookies.set(FLOW_COOKIE, cookie, path="/login/oidc")
        odd = await site.http.get("/login/oidc/callback", params={"code": "x", "state": "é"})
        assert odd.status_code == 401, (cookie, odd.status_code)
        site.http.cookies.delete(FLOW_COOKIE, path="/login/oidc")
    site.idp.claims = {"sub": "x2", "preferred_username": "nobody-x2"}  # unknown, no roles
    refused = await site.sign_in()
    assert refused.status_code == 403
    assert "geen rol in Traject" in refused.text  # said on the sign-in page
    assert (await site.http.get("/api/me")).status_code == 401
