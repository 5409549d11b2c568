"""Sign-in through the municipality's identity provider (OpenID Connect, authorization code flow
with PKCE). The ID token is checked (signature against the provider's JWKS, issuer, audience,
expiry, nonce); the user is found by `sub`, or by username on first sign-in; a user the IdP knows
but Traject does not is created only when the token carries Traject roles.

Configured with TRAJECT_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _MUNICIPALITY (whose users the
IdP signs in), and optionally _ROLES_CLAIM / _GROUPS_CLAIM and TRAJECT_PUBLIC_URL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from traject.api.auth import SESSION_COOKIE, same_secret
from traject.api.problems import Problem
from traject.config import Settings
from traject.store import accounts
from traject.store.db import transaction
from traject.store.models import User

log = structlog.get_logger()
FLOW_COOKIE = "traject_oidc"
HttpFactory = Callable[[], httpx.AsyncClient]


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    municipality: str
    public_url: str = "http://127.0.0.1:8000"
    roles_claim: str = "roles"
    groups_claim: str = "groups"
    scopes: str = "openid profile email"

    @classmethod
    def of(cls, settings: Settings) -> OidcSettings | None:
        """From TRAJECT_OIDC_*; None when no issuer is configured, an error when half is."""
        if not settings.oidc_issuer:
            return None
        missing = [
            f"TRAJECT_OIDC_{name.upper()}"
            for name in ("client_id", "client_secret", "municipality")
            if not getattr(settings, f"oidc_{name}")
        ]
        if missing:
            raise ValueError(f"TRAJECT_OIDC_ISSUER is set, but not {', '.join(missing)}")
        return cls(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            municipality=settings.oidc_municipality,
            public_url=settings.public_url or f"http://{settings.api_host}:{settings.api_port}",
            roles_claim=settings.oidc_roles_claim,
            groups_claim=settings.oidc_groups_claim,
        )

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/login/oidc/callback"


class OidcLogin:
    def __init__(self, settings: OidcSettings, http: HttpFactory = httpx.AsyncClient) -> None:
        self.settings, self.http = settings, http
        self._metadata: dict[str, Any] | None = None

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with self.http() as client:
                response = await client.get(url, timeout=10)
                response.raise_for_status()
                self._metadata = response.json()
        return self._metadata

    async def start(self) -> tuple[str, dict[str, str]]:
        """The provider's authorize URL, and what the flow cookie must remember."""
        meta = await self.metadata()
        flow = {
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48),
        }
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(flow["verifier"].encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": self.settings.redirect_uri,
                "scope": self.settings.scopes,
                "state": flow["state"],
                "nonce": flow["nonce"],
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{meta['authorization_endpoint']}?{query}", flow

    async def finish(self, code: str, flow: dict[str, str]) -> dict[str, Any]:
        """Exchange the code and return the ID token's verified claims."""
        meta = await self.metadata()
        async with self.http() as client:
            response = await client.post(
                meta["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.settings.redirect_uri,
                    "client_id": self.settings.client_id,
                    "client_secret": self.settings.client_secret,
                    "code_verifier": flow["verifier"],
                },
                timeout=10,
            )
            if response.status_code != 200:
                raise Problem("unauthenticated", "the identity provider refused the sign-in")
            id_token = response.json().get("id_token")
            keys = (await client.get(meta["jwks_uri"], timeout=10)).json()
        if not isinstance(id_token, str):
            raise Problem("unauthenticated", "the identity provider sent no ID token")
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=["RS256", "ES256"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": meta.get("issuer", self.settings.issuer)},
                aud={"essential": True, "value": self.settings.client_id},
                nonce={"essential": True, "value": flow["nonce"]},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as error:
            log.warning("oidc_token_refused", reason=type(error).__name__)
            raise Problem("unauthenticated", "the sign-in could not be verified") from None
        return dict(token.claims)


def user_for(session: Session, settings: OidcSettings, claims: dict[str, Any]) -> User:
    """The Traject user these claims sign in: by subject, else by username (linking the subject),
    else a new user when the token carries Traject roles."""
    sub = str(claims["sub"])
    municipality = settings.municipality
    user = session.scalar(
        select(User).where(User.municipality == municipality, User.oidc_subject == sub)
    )
    username = str(claims.get("preferred_username") or claims.get("email") or sub)[:100]
    if user is None:
        user = accounts.find_user(session, municipality, username)
        if user is not None and user.oidc_subject not in (None, sub):
            raise Problem("unauthenticated", "this account is linked to another identity")
    roles = [r for r in _strings(claims.get(settings.roles_claim)) if r in accounts.ROLES]
    groups = _strings(claims.get(settings.groups_claim))
    if user is None:
        if not roles:
            raise Problem("forbidden", "your account has no Traject role: ask your administrator")
        name = str(claims.get("name") or username)[:200]
        user = accounts.create_user(session, municipality, username, name, roles, groups)
    elif roles:  # the IdP manages roles and groups when it sends them
        user.roles, user.groups = roles, groups
    if not user.active:
        raise Problem("forbidden", "this account is switched off")
    user.oidc_subject = sub
    return user


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return sorted({str(v) for v in value}) if isinstance(value, list) else []


def oidc_router(login: OidcLogin, secure_cookies: bool) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login/oidc")
    async def begin(request: Request, next: str = "/") -> Response:
        url, flow = await login.start()
        flow["next"] = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            FLOW_COOKIE,
            base64.urlsafe_b64encode(json.dumps(flow).encode()).decode(),
            max_age=600,
            httponly=True,
            samesite="lax",
            secure=secure_cookies,
            path="/login/oidc",
        )
        return response

    @router.get("/login/oidc/callback")
    async def callback(request: Request, code: str = "", state: str = "") -> Response:
        try:
            flow = json.loads(base64.urlsafe_b64decode(request.cookies.get(FLOW_COOKIE, "")))
        except ValueError:
            flow = {}
        if not isinstance(flow, dict):  # a cookie that is JSON, but not this flow's
            flow = {}
        if not code or not flow or not same_secret(state, str(flow.get("state", ""))):
            raise Problem("unauthenticated", "this sign-in is stale or forged: start again")
        claims = await login.finish(code, flow)
        with transaction(request.app.state.auth.sessions) as session:
            user = user_for(session, login.settings, claims)
            token, _csrf = accounts.open_session(session, user)
            accounts.audit_sign_in(session, user, "oidc")
        response = RedirectResponse(str(flow.get("next", "/")), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(accounts.SESSION_MAX.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=secure_cookies,
            path="/",
        )
        response.delete_cookie(FLOW_COOKIE, path="/login/oidc")
        return response

    return router
