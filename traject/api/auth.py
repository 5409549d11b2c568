"""Who is calling: a browser session (cookie + CSRF token on every change) or an API token
(`Authorization: Bearer trj_…`, no cookie, so no CSRF). Both give a `Principal` of one
municipality; every query below filters on it."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from traject.api.problems import Problem
from traject.store import accounts
from traject.store.accounts import Principal
from traject.store.db import transaction

SESSION_COOKIE = "traject_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AuthConfig:
    sessions: sessionmaker[Session]
    secure_cookies: bool = False


def _config(request: Request) -> AuthConfig:
    config: AuthConfig = request.app.state.auth
    return config


def bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def optional_user(request: Request) -> Principal | None:
    """The signed-in user, or None. Looked up once per request."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    config = _config(request)
    principal = None
    token = bearer(request)
    with transaction(config.sessions) as session:
        if token is not None:
            principal = accounts.token_principal(session, token)
            if principal is None:
                raise Problem("unauthenticated", "this API token is unknown or revoked")
        elif cookie := request.cookies.get(SESSION_COOKIE):
            principal = accounts.session_principal(session, cookie)
    request.state.principal = principal
    return principal


async def current_user(request: Request) -> Principal:
    principal = optional_user(request)
    if principal is None:
        raise Problem("unauthenticated", "sign in, or send an API token as 'Bearer trj_…'")
    if principal.via == "session" and request.method not in SAFE_METHODS:
        await check_csrf(request, principal)
    return principal


async def check_csrf(request: Request, principal: Principal) -> None:
    """A change made with a session cookie must carry the session's CSRF token (header for
    scripts and htmx, form field for plain forms)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = principal.csrf_token or ""
    if not sent or not same_secret(sent, expected):
        raise Problem("csrf", "the form is stale or forged: reload the page and try again")


def same_secret(sent: str, expected: str) -> bool:
    """Whether a secret a client sent is the one expected, in constant time. Compared as UTF-8:
    `hmac.compare_digest` refuses text with non-ASCII characters (a TypeError, so a 500)."""
    return hmac.compare_digest(sent.encode(), expected.encode())


User = Annotated[Principal, Depends(current_user)]
