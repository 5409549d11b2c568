"""The team page: a coordinator sees who works in the municipality with Traject (roles, groups,
the open tasks each holds, who is deactivated), deactivates a colleague who leaves, handing
their tasks back to their groups, or lets a deactivated colleague in again. The same `Team`
service as `/api/team`, so page and API refuse and allow the same."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from traject.team import Team
from traject.web.pages import posted, redirect, render, signed_in


def _team(request: Request) -> Team:
    team: Team = request.app.state.team
    return team


def team_router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/team")
    def team_page(request: Request) -> Response:
        user = signed_in(request)
        members = _team(request).members(user)
        return render(request, "team.html", user, members=members, active_nav="team")

    @web.post("/team/{user_id}/deactivate")
    async def deactivate(request: Request, user_id: int) -> Response:
        user, form = await posted(request)
        release = form.get("release_tasks") == "on"
        change = await _team(request).set_active(user, user_id, False, release)
        if not change.changed:
            return redirect("/team", "team.unchanged")
        return redirect("/team", "team.released" if change.released.back else "team.deactivated")

    @web.post("/team/{user_id}/release-tasks")
    async def release_tasks(request: Request, user_id: int) -> Response:
        user, _form = await posted(request)
        change = await _team(request).release(user, user_id)
        return redirect("/team", "team.tasks_back" if change.changed else "team.unchanged")

    @web.post("/team/{user_id}/activate")
    async def activate(request: Request, user_id: int) -> Response:
        user, _form = await posted(request)
        change = await _team(request).set_active(user, user_id, True)
        return redirect("/team", "team.activated" if change.changed else "team.unchanged")

    return web
