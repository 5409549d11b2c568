"""A user's API tokens on a page: make one for an integration (its text shown this once), see
when each was last used, revoke one. The same account functions as `/api/tokens` and
`traject users token|tokens|revoke-token`, so all three refuse and allow the same."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from traject.service import Refused
from traject.store import accounts
from traject.store.accounts import AccountError, Principal
from traject.store.db import transaction
from traject.web.pages import posted, redirect, render, signed_in


def tokens_router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/tokens")
    def tokens_page(request: Request) -> Response:
        return _page(request, signed_in(request))

    @web.post("/tokens")
    async def make_token(request: Request) -> Response:
        user, form = await posted(request)
        name = str(form.get("name", ""))
        with transaction(request.app.state.auth.sessions) as session:
            try:
                _, token = accounts.create_token(session, accounts.account_of(session, user), name)
            except AccountError as refused:
                error = str(refused)
            else:
                error = ""
        if error:
            return _page(request, user, status=422, error=error, name=name)
        return _page(request, user, made=token)

    @web.post("/tokens/{token_id}/revoke")
    async def revoke_token(request: Request, token_id: int) -> Response:
        user, _form = await posted(request)
        with transaction(request.app.state.auth.sessions) as session:
            try:
                accounts.revoke_token(session, accounts.account_of(session, user), token_id)
            except AccountError as refused:
                raise Refused("not_found", str(refused)) from None
        return redirect("/tokens", "tokens.revoked")

    return web


def _page(request: Request, user: Principal, status: int = 200, **context: object) -> Response:
    with request.app.state.auth.sessions() as session:
        rows = accounts.tokens_of(session, accounts.account_of(session, user))
    return render(request, "tokens.html", user, status, tokens=rows, **context)
