"""The case workers' REST API. Reads come from the SQL read model; every change is a Temporal
update whose answer (the trajectory's new state) is returned. Lists are paged (`page`, `size`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from traject.api import schemas as s
from traject.api.auth import SESSION_COOKIE, User, bearer
from traject.api.problems import OPENAPI_ERRORS, Problem
from traject.casework import Casework
from traject.store import accounts
from traject.store.accounts import AccountError
from traject.store.db import transaction
from traject.store.models import ApiToken
from traject.store.queries import MAX_PAGE, MAX_PAGE_SIZE, TaskView
from traject.store.repositories import MAX_ID
from traject.team import Change, Team
from workflows.messages import TrajectoryView

PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Size = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
SlugQ = Annotated[str | None, Query(pattern=s.SLUG, max_length=64)]


def _casework(request: Request) -> Casework:
    casework: Casework = request.app.state.casework
    return casework


def state_answer(request: Request, user: accounts.Principal, view: TrajectoryView) -> s.StateOut:
    """A change's answer: the workflow's view, and the ids of the open tasks the user may do."""
    return s.StateOut.of(view, _casework(request).open_task_ids(user, view.case_id))


def _page(items: list[Any], page: Any) -> dict[str, Any]:
    return {
        "items": items,
        "total": page.total,
        "page": page.page,
        "size": page.size,
        "pages": page.pages,
    }


def _team(request: Request) -> Team:
    team: Team = request.app.state.team
    return team


def _change(change: Change) -> s.MemberChangeOut:
    return s.MemberChangeOut(
        member=s.MemberOut.model_validate(change.member, from_attributes=True),
        changed=change.changed,
        released=change.released.back,
        not_released={str(task): why for task, why in change.released.kept.items()},
    )


def _token_info(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
    }


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api", responses=OPENAPI_ERRORS)

    # ------------------------------------------------------------------------------- sign in
    @api.post("/session", tags=["auth"], response_model=s.Me)
    def login(body: s.Login, request: Request, response: Response) -> s.Me:
        """Sign in with a local account; sets the session cookie and returns the CSRF token
        that every change made with this cookie must send as `X-CSRF-Token`."""
        config = request.app.state.auth
        with transaction(config.sessions) as session:
            try:
                user = accounts.authenticate(
                    session, body.municipality, body.username, body.password
                )
            except AccountError as error:
                failed = str(error)
            else:
                failed = ""
                token, csrf = accounts.open_session(session, user)
                accounts.audit_sign_in(session, user, "password")
                me = _me(accounts.principal_of(user, "session", csrf))
        if failed:  # outside the block, so the failed-login counter is committed
            raise Problem("unauthenticated", failed)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(accounts.SESSION_MAX.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=config.secure_cookies,
            path="/",
        )
        return me

    @api.delete("/session", tags=["auth"], status_code=204)
    def logout(user: User, request: Request, response: Response) -> None:
        if cookie := request.cookies.get(SESSION_COOKIE):
            with transaction(request.app.state.auth.sessions) as session:
                accounts.close_session(session, cookie)
        response.delete_cookie(SESSION_COOKIE, path="/")

    @api.get("/me", tags=["auth"], response_model=s.Me)
    def me(user: User) -> s.Me:
        return _me(user)

    def _signed_in(request: Request) -> None:
        if bearer(request) is not None:
            raise Problem("forbidden", "a token cannot manage tokens: sign in to do so")

    @api.post("/tokens", tags=["auth"], response_model=s.TokenOut, status_code=201)
    def new_token(body: s.NewToken, user: User, request: Request) -> s.TokenOut:
        """An API token for an integration acting as you (with your roles)."""
        _signed_in(request)
        with transaction(request.app.state.auth.sessions) as session:
            try:
                made, token = accounts.create_token(
                    session, accounts.account_of(session, user), body.name
                )
            except AccountError as error:
                raise Problem("invalid", str(error), {"name": str(error)}) from None
            return s.TokenOut.model_validate({**_token_info(made), "token": token})

    @api.get("/tokens", tags=["auth"], response_model=s.Page[s.TokenInfo])
    def my_tokens(
        user: User, request: Request, page: PageNo = 1, size: Size = 25
    ) -> dict[str, Any]:
        """Your API tokens, revoked ones too, newest first: when each was made and last used."""
        _signed_in(request)
        with request.app.state.auth.sessions() as session:
            tokens = accounts.tokens_of(session, accounts.account_of(session, user))
            return s.page_of([_token_info(t) for t in tokens], page, size)

    @api.delete("/tokens/{token_id}", tags=["auth"], status_code=204)
    def revoke_token(token_id: TokenId, user: User, request: Request) -> None:
        """Revoke one of your API tokens: refused from its next request on. Revoking it again
        changes nothing; another user's token is not found."""
        _signed_in(request)
        with transaction(request.app.state.auth.sessions) as session:
            try:
                accounts.revoke_token(session, accounts.account_of(session, user), token_id)
            except AccountError as error:
                raise Problem("not_found", str(error)) from None

    # ------------------------------------------------------------------------------- cases
    @api.get("/definitions", tags=["cases"], response_model=s.Page[s.DefinitionOut])
    def definitions(
        user: User, request: Request, page: PageNo = 1, size: Size = 25
    ) -> dict[str, Any]:
        """The definitions you can start a trajectory on (the newest version of each), by title."""
        out = []
        for v in _casework(request).definitions(user):
            compiled = v.compiled
            out.append(
                s.DefinitionOut(
                    definition=v.definition,
                    version=v.version,
                    title=v.title,
                    content_hash=v.content_hash,
                    published_at=v.published_at,
                    case_dates=list(compiled.get("case_dates", {})),
                    events=list(compiled.get("events", {})),
                )
            )
        return s.page_of(out, page, size)

    @api.post("/cases", tags=["cases"], response_model=s.CaseDetailOut, status_code=201)
    async def start_case(body: s.StartCase, user: User, request: Request) -> s.CaseDetailOut:
        """Start a trajectory for a newcomer. Name and BSN are stored in SQL only."""
        casework = _casework(request)
        case = await casework.start(
            user,
            body.definition,
            body.first_name,
            body.last_name,
            body.bsn,
            body.reference,
            body.dates,
        )
        return s.CaseDetailOut.of_detail(casework.case(user, case.id, audited=False))

    @api.get("/cases", tags=["cases"], response_model=s.Page[s.CaseOut])
    def list_cases(
        user: User,
        request: Request,
        q: Annotated[
            str | None,
            Query(max_length=100, pattern=r"^[^\x00]*$", description="Name, reference or id"),
        ] = None,
        status: Annotated[
            str | None, Query(pattern="^(starting|running|suspended|finished|cancelled)$")
        ] = None,
        definition: SlugQ = None,
        state: SlugQ = None,
        overdue: bool | None = None,
        page: PageNo = 1,
        size: Size = 25,
    ) -> dict[str, Any]:
        found = _casework(request).cases(
            user,
            page,
            size,
            search=q,
            status=status,
            definition=definition,
            state=state,
            overdue=overdue,
        )
        return _page([s.CaseOut.of(row) for row in found.items], found)

    @api.get("/cases/{case_id}", tags=["cases"], response_model=s.CaseDetailOut)
    def get_case(
        case_id: str, user: User, request: Request, timeline_page: PageNo = 1
    ) -> s.CaseDetailOut:
        """A case with its tasks and timeline (newest last). Reading it is audited."""
        return s.CaseDetailOut.of_detail(_casework(request).case(user, case_id, timeline_page))

    @api.post("/cases/{case_id}/events", tags=["cases"], response_model=s.StateOut)
    async def record_event(
        case_id: str, body: s.OutsideEvent, user: User, request: Request
    ) -> s.StateOut:
        """Something that happened outside Traject, e.g. `duo_beschikking` or `gehuisvest`."""
        view = await _casework(request).record_event(user, case_id, body.event, body.date)
        return state_answer(request, user, view)

    @api.post("/cases/{case_id}/ladder", tags=["cases"], response_model=s.StateOut)
    async def record_ladder(
        case_id: str, body: s.Ladder, user: User, request: Request
    ) -> s.StateOut:
        view = await _casework(request).record_ladder(user, case_id, body.step)
        return state_answer(request, user, view)

    @api.post(
        "/cases/{case_id}/termijnen/{name}/{change}", tags=["cases"], response_model=s.StateOut
    )
    async def change_termijn(
        case_id: str,
        name: Annotated[str, Path(pattern=s.SLUG, max_length=64)],
        change: Literal["suspend", "resume", "extend"],
        body: s.TermijnChange,
        user: User,
        request: Request,
    ) -> s.StateOut:
        """Suspend (opschorten), resume or extend (verlengen) a legal deadline, with a reason;
        the definition says who may, how often and for how long."""
        view = await _casework(request).change_termijn(
            user, case_id, name, change, body.reason, body.length, body.note
        )
        return state_answer(request, user, view)

    for decision in ("suspend", "resume", "cancel"):
        _decision_route(api, decision)

    @api.get("/cases/{case_id}/audit", tags=["cases"], response_model=s.Page[s.AuditOut])
    def case_audit(
        case_id: str, user: User, request: Request, page: PageNo = 1, size: Size = 50
    ) -> dict[str, Any]:
        """Who read or changed this case (coordinators)."""
        found = _casework(request).audit_log(user, case_id, page, size)
        return _page([s.AuditOut.of(e) for e in found.items], found)

    @api.get("/audit", tags=["cases"], response_model=s.Page[s.AuditOut])
    def audit(user: User, request: Request, page: PageNo = 1, size: Size = 50) -> dict[str, Any]:
        """The municipality's audit log, newest first (coordinators)."""
        found = _casework(request).audit_log(user, None, page, size)
        return _page([s.AuditOut.of(e) for e in found.items], found)

    # ------------------------------------------------------------------------------- tasks
    @api.get("/tasks", tags=["tasks"], response_model=s.Page[s.TaskOut])
    def list_tasks(
        user: User,
        request: Request,
        response: Response,
        view: TaskView = "team",
        page: PageNo = 1,
        size: Size = 25,
    ) -> dict[str, Any]:
        """Open tasks: `mine` (claimed by you), `team` (your groups), `unassigned`, `overdue`,
        `deadline` (the case's termijn is past, warned or ends within two weeks; nearest first),
        `all` (coordinators). The count of every view is in the `X-Task-Counts` header."""
        casework = _casework(request)
        found, counts = casework.inbox(user, view, page, size)
        deadlines = casework.deadlines([task.case_id for task, _ in found.items])
        response.headers["X-Task-Counts"] = ",".join(f"{k}={v}" for k, v in counts.items())
        items = []
        for task, name in found.items:
            out = s.TaskOut.of(task, name)
            if (dl := deadlines.get(task.case_id)) is not None:
                out.termijn_status, out.termijn_due_on = dl.status, dl.due_on
            items.append(out)
        return _page(items, found)

    @api.get("/tasks/{task_id}", tags=["tasks"], response_model=s.TaskDetailOut)
    def get_task(task_id: TaskId, user: User, request: Request) -> s.TaskDetailOut:
        """A task with the form to complete it."""
        return s.TaskDetailOut.of_detail(_casework(request).task(user, task_id))

    @api.post("/tasks/{task_id}/claim", tags=["tasks"], response_model=s.StateOut)
    async def claim(task_id: TaskId, user: User, request: Request) -> s.StateOut:
        return state_answer(request, user, await _casework(request).claim(user, task_id))

    @api.post("/tasks/{task_id}/unclaim", tags=["tasks"], response_model=s.StateOut)
    async def unclaim(task_id: TaskId, user: User, request: Request) -> s.StateOut:
        return state_answer(request, user, await _casework(request).release(user, task_id))

    @api.post("/tasks/{task_id}/assign", tags=["tasks"], response_model=s.StateOut)
    async def assign(task_id: TaskId, body: s.Assign, user: User, request: Request) -> s.StateOut:
        """Hand a task to a colleague in its group (coordinators)."""
        return state_answer(
            request, user, await _casework(request).assign(user, task_id, body.user_id)
        )

    @api.post("/tasks/{task_id}/complete", tags=["tasks"], response_model=s.StateOut)
    async def complete(
        task_id: TaskId, body: s.CompleteTask, user: User, request: Request
    ) -> s.StateOut:
        """Complete with the form's answers: 422 names each wrong field, 409 if it was done."""
        return state_answer(
            request, user, await _casework(request).complete(user, task_id, body.data)
        )

    @api.get("/team", tags=["team"], response_model=s.Page[s.MemberOut])
    def team(user: User, request: Request, page: PageNo = 1, size: Size = 25) -> dict[str, Any]:
        """Everyone of your municipality, deactivated users too, with the open tasks each holds
        (coordinators)."""
        members = _team(request).members(user)
        out = [s.MemberOut.model_validate(m, from_attributes=True) for m in members]
        return s.page_of(out, page, size)

    @api.post("/team/{user_id}/deactivate", tags=["team"], response_model=s.MemberChangeOut)
    async def deactivate(
        user_id: UserId, user: User, request: Request, body: s.Deactivate | None = None
    ) -> s.MemberChangeOut:
        """Keep a colleague out (coordinators): sign-in refused, sessions closed, API tokens
        refused; with `release_tasks` the tasks they hold go back to their groups. Not yourself;
        an admin only by an admin. The body may be left out (tasks kept)."""
        release = body is not None and body.release_tasks
        return _change(await _team(request).set_active(user, user_id, False, release))

    @api.post("/team/{user_id}/release-tasks", tags=["team"], response_model=s.MemberChangeOut)
    async def release_tasks(user_id: UserId, user: User, request: Request) -> s.MemberChangeOut:
        """Hand the open tasks a colleague holds back to their groups (coordinators): one who
        was deactivated without that, or who is away for long."""
        return _change(await _team(request).release(user, user_id))

    @api.post("/team/{user_id}/activate", tags=["team"], response_model=s.MemberChangeOut)
    async def activate(user_id: UserId, user: User, request: Request) -> s.MemberChangeOut:
        """Let a deactivated colleague in again (coordinators)."""
        return _change(await _team(request).set_active(user, user_id, True))

    @api.get("/users", tags=["tasks"], response_model=s.Page[s.UserOut])
    def users(
        user: User, request: Request, group: SlugQ = None, page: PageNo = 1, size: Size = 25
    ) -> dict[str, Any]:
        """Colleagues of your municipality (to hand a task to), by name."""
        with request.app.state.auth.sessions() as session:
            found = sorted(
                accounts.users_of(session, user.municipality, group),
                key=lambda u: (u.display_name, u.id),
            )
            out = [
                s.UserOut(id=u.id, display_name=u.display_name, groups=list(u.groups))
                for u in found
            ]
        return s.page_of(out, page, size)

    return api


def _decision_route(api: APIRouter, decision: str) -> None:
    async def decide(case_id: str, body: s.Decision, user: User, request: Request) -> s.StateOut:
        view = await _casework(request).decide(user, case_id, decision, body.reason, body.note)
        return state_answer(request, user, view)

    api.add_api_route(
        f"/cases/{{case_id}}/{decision}",
        decide,
        methods=["POST"],
        tags=["cases"],
        response_model=s.StateOut,
        name=f"{decision}_case",
        summary=f"{decision.capitalize()} the trajectory, with a reason code",
    )


def _me(user: accounts.Principal) -> s.Me:
    return s.Me(
        id=user.user_id,
        username=user.username,
        display_name=user.display_name,
        municipality=user.municipality,
        roles=sorted(user.roles),
        groups=sorted(user.groups),
        csrf_token=user.csrf_token,
    )
