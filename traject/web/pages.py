"""The case workers' web pages: server-rendered, plain forms that work without JavaScript (htmx
only adds comfort), every change a POST with the session's CSRF token. They call the same policy
layer as the REST API (`Casework`), so both refuse and allow exactly the same things."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from traject import ladder, reasons
from traject.api.auth import SESSION_COOKIE, check_csrf, optional_user, same_secret
from traject.api.problems import Problem
from traject.casework import (
    DECISIONS,
    STARTERS,
    CaseDates,
    CaseDetail,
    Casework,
    designer_only,
    require,
)
from traject.definition.compiled import CompiledDefinition, in_words
from traject.definition.termijnen import canonical, written_length
from traject.diagram import mermaid
from traject.service import Refused
from traject.store import accounts, queries
from traject.store import repositories as repo
from traject.store.accounts import AccountError, Principal
from traject.store.db import transaction
from traject.store.models import DefinitionVersion, Municipality
from traject.web import audit_words, i18n
from traject.web.formdata import answered, answers, errors_in_words, label, option_text, shown

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
NL = ZoneInfo("Europe/Amsterdam")


def local(value: Any) -> Any:
    """A stored moment (UTC; naive as the store gives it back) as the time on the clocks of the
    municipality, which the pages show; a date is a date already and stays as it is."""
    if not isinstance(value, datetime):
        return value
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(NL)


templates.env.filters["local"] = local
# a group (who works a task: a definition's role) in words, on every page that names one
# a code the definition gives no title in words: a group (who works a task), an escalation's reason
templates.env.filters["words"] = in_words
templates.env.globals.update(field_label=label, option_text=option_text)
templates.env.globals.update(reasons=reasons)  # the reason lists and their labels
templates.env.globals.update(designer_only=designer_only)  # base.html's menu
FLASH_COOKIE = "traject_flash"
LOGIN_CSRF_COOKIE = "traject_login"
Page = Callable[..., Awaitable[Response]]


class SignInFirst(Exception):
    """Raised by a page for a visitor who is not signed in: the app redirects to /login."""


def _casework(request: Request) -> Casework:
    casework: Casework = request.app.state.casework
    return casework


def lang_of(request: Request) -> str:
    return i18n.language(request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    user: Principal | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    flash = request.cookies.get(FLASH_COOKIE)
    t = i18n.translator(lang)
    messages = list(context.pop("messages", []))
    said = _flash_text(flash, t, context.pop("flash_words", None)) if flash else None
    if said:
        messages.insert(0, {"text": said, "level": "ok"})
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": lang,
            "msg": lambda text: i18n.message(text, lang),
            "roles": lambda roles: i18n.role_names(roles, lang),
            "actor": lambda actor, names: i18n.actor_name(actor, names, lang),
            "decimal": lambda value, digits=1: i18n.decimal(value, lang, digits),
            "me": user,
            "user": {
                "name": user.display_name,
                "role": i18n.role_names(user.roles, lang),
            }
            if user
            else None,
            "csrf_token": user.csrf_token if user else None,
            "municipality": _municipality_name(request, user),
            "messages": messages,
            **context,
        },
        status_code=status,
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _municipality_name(request: Request, user: Principal | None) -> str | None:
    if user is None:
        return None
    with request.app.state.auth.sessions() as session:
        row = session.get(Municipality, user.municipality)
        return row.name if row else user.municipality


def redirect(url: str, flash: str | None = None, **said: str) -> RedirectResponse:
    """See `url`, saying `flash` there (a text key) with what was done in `said`: codes, a
    date, a number (`key:<url-encoded values>`), which the page it leads to puts in words."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        value = f"{flash}:{quote(urlencode(said), safe='')}" if said else flash
        response.set_cookie(FLASH_COOKIE, value, max_age=60, httponly=True, samesite="lax")
    return response


_FLASH_VALUE = re.compile(r"[\w .:-]{1,100}")  # a code, a date, a number, a termijn length


def _flash_text(
    flash: str, t: Callable[[str], str], words: Callable[[dict[str, str]], dict[str, str]] | None
) -> str | None:
    """The flash of `redirect` in words: its text with its values as the page words them (a
    cookie carries codes only, never text of its own); None for a flash it cannot read."""
    key, _, values = flash.partition(":")
    if key not in i18n.TEXT:
        return None
    if not values:
        return t(key)
    said = dict(parse_qsl(unquote(values)))
    if not said or not all(_FLASH_VALUE.fullmatch(v) for v in said.values()):
        return None
    try:
        return t(key).format(**(words(said) if words else said))
    except (KeyError, ValueError, IndexError):
        return None


def signed_in(request: Request) -> Principal:
    user = optional_user(request)
    if user is None or user.via != "session":
        raise SignInFirst()
    return user


async def posted(request: Request) -> tuple[Principal, Any]:
    """The user and the form of a POST, after checking its CSRF token."""
    user = signed_in(request)
    await check_csrf(request, user)
    return user, await request.form()


def _local(url: str | None, default: str = "/") -> str:
    """Only paths on this site: `next=` must not send anyone elsewhere."""
    return url if url and url.startswith("/") and not url.startswith("//") else default


def pages_router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    # ------------------------------------------------------------------------------- sign in
    @web.get("/login")
    def login_page(request: Request, next: str = "/") -> Response:
        return _login_form(request, _local(next))

    @web.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        sent, kept = str(form.get("login_token", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
        nxt = _local(str(form.get("next", "/")))
        if not kept or not same_secret(sent, kept):
            return _login_form(request, nxt, "login.failed", 403)
        config = request.app.state.auth
        error = ""
        with transaction(config.sessions) as session:
            try:
                user = accounts.authenticate(
                    session,
                    str(form.get("municipality", "")),
                    str(form.get("username", "")),
                    str(form.get("password", "")),
                )
                token, _csrf = accounts.open_session(session, user)
                accounts.audit_sign_in(session, user, "password")
            except AccountError as refused:
                error = "login.locked" if "locked" in str(refused) else "login.failed"
        if error:
            return _login_form(
                request, nxt, error, 401, form.get("municipality"), form.get("username")
            )
        response = redirect(nxt)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(accounts.SESSION_MAX.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=config.secure_cookies,
            path="/",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @web.post("/logout")
    async def logout(request: Request) -> Response:
        await posted(request)
        if cookie := request.cookies.get(SESSION_COOKIE):
            with transaction(request.app.state.auth.sessions) as session:
                accounts.close_session(session, cookie)
        response = redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------------------------- inbox
    @web.get("/")
    def inbox(request: Request, view: str = "", page: int = 1) -> Response:
        user = signed_in(request)
        if designer_only(user):  # no tasks, no cases: they land on their own pages
            return redirect("/designer")
        # a coordinator oversees every group: they land on every group's tasks, not on the
        # tasks of their own group (often none: "Mijn team 0" with work waiting elsewhere)
        first: queries.TaskView = "all" if user.oversees else "team"
        chosen = next((v for v in queries.TASK_VIEWS if v == view), first)
        if chosen == "all" and not user.oversees:
            chosen = "team"
        casework = _casework(request)
        found, counts = casework.inbox(user, chosen, max(page, 1), 25)
        deadlines = casework.deadlines([task.case_id for task, _ in found.items])
        suspended = casework.suspended([task.case_id for task, _ in found.items])
        references, holders = casework.inbox_names(user, [task for task, _ in found.items])
        # the cases the user may open: a volunteer's case is linked once they hold one of its tasks
        openable = casework.openable(user, [task.case_id for task, _ in found.items])
        return render(
            request,
            "inbox.html",
            user,
            view=chosen,
            counts=counts,
            page=found,
            rows=found.items,
            deadlines=deadlines,
            suspended=suspended,  # cases on hold: their tasks wait, nobody can claim them
            references=references,
            holders=holders,
            openable=openable,
            active_nav="inbox",
        )

    # ------------------------------------------------------------------------------- tasks
    @web.get("/tasks/{task_id}")
    def task_page(request: Request, task_id: int) -> Response:
        user = signed_in(request)
        return _task(request, user, task_id)

    @web.post("/tasks/{task_id}")
    async def complete(request: Request, task_id: int) -> Response:
        user, form = await posted(request)
        detail = _casework(request).task(user, task_id)
        data = answers(detail.definition.tasks[detail.task.name].form, form)
        try:
            await _casework(request).complete(user, task_id, data)
        except Refused as refused:
            status = 422 if refused.errors else 409
            return _task(request, user, task_id, refused, shown(form), status)
        return redirect(f"/cases/{detail.case.id}", "task.done")

    for action, flash in (("claim", "task.claimed"), ("release", "task.released")):
        _task_action(web, action, flash)

    @web.post("/tasks/{task_id}/assign")
    async def assign(request: Request, task_id: int) -> Response:
        user, form = await posted(request)
        try:
            await _casework(request).assign(user, task_id, int(str(form.get("user_id", "0"))))
        except (Refused, ValueError) as refused:
            return _task(request, user, task_id, _as_refused(refused), status=409)
        return redirect(f"/tasks/{task_id}", "task.assigned")

    # ------------------------------------------------------------------------------- cases
    @web.get("/cases")
    def cases(
        request: Request,
        q: str = "",
        status: str = "",
        definition: str = "",
        state: str = "",
        overdue: str = "",
        page: int = 1,
    ) -> Response:
        user = signed_in(request)
        casework = _casework(request)
        definitions = casework.definitions(user)
        chosen = next((v for v in definitions if v.definition == definition), None)
        # the states of the chosen trajectory (its newest version), to filter by
        states = (
            [(n, s.title) for n, s in repo.compiled_of(chosen).states.items()] if chosen else []
        )
        state = state if any(n == state for n, _ in states) else ""
        found = casework.cases(
            user,
            max(page, 1),
            25,
            search=q[:100] or None,
            status=status or None,
            definition=definition or None,
            state=state or None,
            overdue=True if overdue else None,
        )
        return render(
            request,
            "cases.html",
            user,
            page=found,
            rows=found.items,
            q=q,
            chosen_status=status,
            definition=definition,
            overdue=bool(overdue),
            definitions=definitions,
            states=states,
            chosen_state=state,
            statuses=["running", "suspended", "finished", "cancelled"],
            query=f"q={quote(q)}&status={quote(status)}&definition={quote(definition)}"
            + f"&state={quote(state)}"
            + ("&overdue=1" if overdue else ""),
            active_nav="cases",
        )

    @web.get("/cases/new")
    def new_case(request: Request) -> Response:
        user = signed_in(request)
        require(user, *STARTERS)  # a volunteer may not start a trajectory: say so now, not later
        return _new_case(request, user)

    @web.post("/cases/new")
    async def start_case(request: Request) -> Response:
        user, form = await posted(request)
        values = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
        if not values.get("first_name"):
            return _new_case(request, user, values, {"first_name": "required"}, 422)
        try:
            case = await _casework(request).start(
                user,
                values.get("definition", ""),
                values["first_name"],
                values.get("last_name") or None,
                values.get("bsn") or None,
                values.get("reference") or None,
                _case_dates(values),
            )
        except Refused as refused:
            errors = refused.errors or {"definition": str(refused)}
            return _new_case(request, user, values, errors, 422)
        return redirect(f"/cases/{case.id}", "case.started")

    @web.get("/cases/{case_id}")
    def case_page(request: Request, case_id: str, timeline_page: int = 1) -> Response:
        user = signed_in(request)
        return _case(request, user, case_id, timeline_page)

    @web.post("/cases/{case_id}/event")
    async def event(request: Request, case_id: str) -> Response:
        """An outside event. Unlike the API (a date left out is today), the page asks for the
        date of an event that sets a case date, and asks again before it replaces one the case
        has: such a date may start a legal termijn."""
        user, form = await posted(request)
        values = {k: str(form.get(k, "")).strip() for k in ("event", "date")}
        try:
            known = _casework(request).case_dates(user, case_id)
        except Refused as error:
            return _case_refused(request, user, case_id, error)
        refused = _event_refused(known.definition, values)
        if refused:
            return _case(request, user, case_id, refused=refused, status=422)
        code, day = values["event"], values["date"]
        replaced = _replaced_date(known, code, day)
        # confirmed: for this event, replacing the date the case still has (else asked again)
        confirmed = (str(form.get("confirm", "")), str(form.get("replaces", "")))
        if replaced and confirmed != (code, replaced.isoformat()):
            asked = Confirm("gebeurtenis", {**values, "replaces": replaced.isoformat()})
            return _case(request, user, case_id, confirm=asked)
        try:
            view = await _casework(request).record_event(user, case_id, code, _event_date(day))
        except Refused as error:
            if not error.errors or not set(error.errors) <= {"event", "date"}:
                return _case_refused(request, user, case_id, error)
            # e.g. the date lies in the future: said at the field, with what was chosen kept
            lang = lang_of(request)
            words = {k: i18n.message(v, lang) for k, v in error.errors.items()}
            at_field = ReasonRefused("gebeurtenis", words, values)
            return _case(request, user, case_id, refused=at_field, status=422)
        said = {"event": code, **({"date": day} if day else {})}
        flash = "case.event_done_on" if day else "case.event_done"
        if tuple(view.active) == known.states and not _event_counts(known.definition, code):
            flash = "case.event_done_still"  # recorded in the timeline, and nothing else moved
        return redirect(f"/cases/{case_id}", flash, **said)

    @web.post("/cases/{case_id}/ladder")
    async def ladder(request: Request, case_id: str) -> Response:
        user, form = await posted(request)
        step = str(form.get("step", ""))
        return await _case_change(
            request,
            user,
            case_id,
            lambda: _casework(request).record_ladder(
                user, case_id, int(step) if step.isdigit() else 0
            ),
            "case.ladder_done",
            step=step,
        )

    @web.post("/cases/{case_id}/termijn")
    async def termijn(request: Request, case_id: str) -> Response:
        user, form = await posted(request)
        name, change = str(form.get("name", "")), str(form.get("change", ""))
        which = f"{'verlengen' if change == 'extend' else 'termijn'}-{name}"
        refused = _reason_refused(which, form, length=change == "extend")
        if refused:
            return _case(request, user, case_id, refused=refused, status=422)
        reason = str(form.get("reason", ""))
        length = written_length(str(form.get("length", "")))
        said = {"termijn": name, "reason": reason}
        try:
            await _casework(request).change_termijn(
                user,
                case_id,
                name,
                change,
                reason,
                canonical(length) if length else str(form.get("length", "")) or None,
                str(form.get("note", "")).strip() or None,
            )
        except Refused as error:
            if change != "extend" or not _about_length(error):
                return _case_refused(request, user, case_id, error)
            # too long for this termijn: said at the field, with what was filled in kept
            words = i18n.message(str(error), lang_of(request))
            at_field = ReasonRefused(which, {"length": words}, _reason_values(form))
            return _case(request, user, case_id, refused=at_field, status=422)
        if change == "extend" and length:
            said["length"] = canonical(length)
        flash = f"termijn.{change}_done" if f"termijn.{change}_done" in i18n.TEXT else "case.saved"
        return redirect(f"/cases/{case_id}", flash, **said)

    @web.post("/cases/{case_id}/decide")
    async def decide(request: Request, case_id: str) -> Response:
        user, form = await posted(request)
        decision = str(form.get("decision", ""))
        refused = _reason_refused("stoppen" if decision == "cancel" else "besluit", form)
        if refused:
            return _case(request, user, case_id, refused=refused, status=422)
        reason = str(form.get("reason", ""))
        if decision == "cancel" and str(form.get("confirm", "")) != "1":
            # stopping cannot be undone: first said what it does, stopped only when confirmed
            try:
                require(user, *DECISIONS["cancel"])
            except Refused as error:
                return _case_refused(request, user, case_id, error)
            asked = Confirm("stoppen", _reason_values(form))
            return _case(request, user, case_id, confirm=asked)
        done = f"case.{decision}_done"
        return await _case_change(
            request,
            user,
            case_id,
            lambda: _casework(request).decide(
                user,
                case_id,
                decision,
                reason,
                str(form.get("note", "")).strip() or None,
            ),
            done if done in i18n.TEXT else "case.saved",
            reason=reason,
        )

    @web.get("/audit")
    def audit(request: Request, page: int = 1, case: str = "", action: str = "") -> Response:
        user = signed_in(request)
        case, action = case.strip(), action.strip()
        casework = _casework(request)
        status, case_error = 200, None
        try:
            found = casework.audit_log(user, case or None, max(page, 1), 50, action or None)
        except Refused as refused:
            if refused.code != "not_found":
                raise
            # a case that is not there (or not this municipality's): said at the field, with
            # the filter to correct it, not a page without a way back
            found = queries.Page([], 0, 1, 50)
            status, case_error = 404, "audit.no_case"
        lang = lang_of(request)
        with request.app.state.auth.sessions() as session:
            # each row in words: its action (one without words, not written yet, stays its code)
            # and what it was about; the names of the people it names
            names, said = audit_words.said(session, found.items, lang)
        return render(
            request,
            "audit.html",
            user,
            status,
            page=found,
            rows=found.items,
            names=names,
            said=said,
            references=casework.references(user, {e.case_id for e in found.items if e.case_id}),
            case=case,
            case_error=case_error,
            action=action,
            kinds=audit_words.kinds(lang),
            query=urlencode({"case": case, "action": action}),
        )

    return web


def _task_action(web: APIRouter, action: str, flash: str) -> None:
    async def act(request: Request, task_id: int) -> Response:
        user, form = await posted(request)
        casework = _casework(request)
        try:
            await (casework.claim if action == "claim" else casework.release)(user, task_id)
        except Refused as refused:
            return _task(request, user, task_id, refused, status=409)
        return redirect(_local(str(form.get("next", "")), f"/tasks/{task_id}"), flash)

    web.add_api_route(f"/tasks/{{task_id}}/{action}", act, methods=["POST"])


def _as_refused(error: Exception) -> Refused:
    return error if isinstance(error, Refused) else Refused("invalid", str(error))


def _login_form(
    request: Request,
    nxt: str,
    error: str | None = None,
    status: int = 200,
    municipality: Any = None,
    username: Any = None,
) -> Response:
    token = secrets.token_urlsafe(24)
    with request.app.state.auth.sessions() as session:
        municipalities = session.scalars(select(Municipality).order_by(Municipality.name)).all()
    t = i18n.translator(lang_of(request))
    response = render(
        request,
        "login.html",
        None,
        status,
        municipalities=municipalities,
        oidc=request.app.state.oidc is not None,
        login_token=token,
        next=nxt,
        chosen=municipality,
        username=username or "",
        messages=[{"text": i18n.message(t(error), lang_of(request)), "level": "error"}]
        if error
        else [],
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", path="/login"
    )
    return response


def _task(
    request: Request,
    user: Principal,
    task_id: int,
    refused: Refused | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    detail = _casework(request).task(user, task_id, personal=True)
    task = detail.task
    colleagues = []
    if user.oversees:
        with request.app.state.auth.sessions() as session:
            colleagues = accounts.users_of(session, user.municipality, task.role)
    spec = detail.definition.tasks[task.name]
    return render(
        request,
        "task.html",
        user,
        status,
        d=detail,
        task=task,
        spec=spec,
        errors=errors_in_words(spec.form, refused.errors) if refused else {},
        problem=str(refused) if refused and not refused.errors else None,
        values=values or {},
        colleagues=colleagues,
        mine=task.assignee == user.ref,
        # just claimed (the page after "Oppakken"): the form is what comes next
        focus_form=refused is None
        and request.cookies.get(FLASH_COOKIE, "").partition(":")[0] == "task.claimed",
        answered=answered(spec.form, task.form_data, detail.personal, lang_of(request))
        if task.status == "completed"
        else [],
        personal_hidden=task.status == "completed"
        and detail.personal is None
        and any(f.personal for f in spec.form.values()),
        # the breadcrumb links the case only where the user may open it (a volunteer: once
        # they hold one of its tasks)
        case_open=task.case_id in _casework(request).openable(user, [task.case_id]),
    )


def _event_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise Refused("invalid", "a date is YYYY-MM-DD", {"date": "must be a date"}) from None


def _case_dates(values: dict[str, str]) -> dict[str, date]:
    """`date:<definition>:<name>` fields of the chosen definition that were filled in."""
    prefix = f"date:{values.get('definition', '')}:"
    found = {}
    for key, value in values.items():
        if key.startswith(prefix) and value:
            try:
                found[key.removeprefix(prefix)] = date.fromisoformat(value)
            except ValueError:
                raise Refused(
                    "invalid", "a date is YYYY-MM-DD", {key: "must be a date (YYYY-MM-DD)"}
                ) from None
    return found


def _new_case(
    request: Request,
    user: Principal,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    definitions = _casework(request).definitions(user)
    return render(
        request,
        "new_case.html",
        user,
        status,
        definitions=definitions,
        case_dates={
            v.definition: _case_date_fields(v, values or {}, errors or {}) for v in definitions
        },
        values=values or {},
        errors=errors or {},
        active_nav="new",
    )


def _case_date_fields(
    version: DefinitionVersion, values: dict[str, Any], errors: dict[str, str]
) -> tuple[dict[str, str], dict[str, str], bool]:
    """A trajectory's case dates for the start form: those known at its start, those a step of
    the process records itself (asked apart, for a trajectory taken over while it runs), and
    whether that part opens (something is filled in or refused there)."""
    compiled = repo.compiled_of(version)
    known = compiled.start_dates
    recorded = {n: title for n, title in compiled.case_dates.items() if n not in known}
    keys = [f"date:{version.definition}:{name}" for name in recorded]
    return known, recorded, any(values.get(k) or k in errors for k in keys)


def _event_counts(d: CompiledDefinition, event: str) -> bool:
    """Whether recording `event` does more than move the case: it sets a case date, or starts
    or meets a termijn."""
    return bool(d.events.get(event)) or any(
        (t.start_kind == "event" and t.start == event) or event in t.met
        for t in d.termijnen.values()
    )


@dataclass(frozen=True)
class ReasonRefused:
    """A reason form of the case page sent back before anything changed: which form (`besluit`,
    `stoppen`, `termijn-<name>` or `verlengen-<name>`), each field's problem (a text key) and
    what was filled in, to show again."""

    form: str
    errors: dict[str, str]
    values: dict[str, str]


def _reason_refused(form_id: str, form: Any, length: bool = False) -> ReasonRefused | None:
    """A reason is chosen, and `anders` is explained in the note; with `length` (extending a
    termijn), a length is given that reads as one ('2 maanden', '10 werkdagen', 'P6W'); else
    what to say, per field, in the order of the form. (The code itself is the service's to
    check: the API takes any code.)"""
    values = _reason_values(form)
    errors = {}
    if not values["reason"]:
        errors["reason"] = "case.reason_missing"
    if length and not values["length"].strip():
        errors["length"] = "termijn.length_missing"
    elif length and written_length(values["length"]) is None:
        errors["length"] = "termijn.length_invalid"
    if values["reason"] and reasons.needs_note(values["reason"]) and not values["note"]:
        errors["note"] = "case.note_missing"
    return ReasonRefused(form_id, errors, values) if errors else None


def _reason_values(form: Any) -> dict[str, str]:
    """What a reason form was filled in with, to show again when it is sent back."""
    return {
        "reason": str(form.get("reason", "")).strip(),
        "note": str(form.get("note", "")).strip(),
        "length": str(form.get("length", "")),
    }


@dataclass(frozen=True)
class Confirm:
    """A change of the case page asked about again before it is made, with what was filled
    in (sent again by the confirming button): `gebeurtenis`, an event that replaces a date the
    case has (`replaces`: that date, ISO); `stoppen`, stopping the trajectory."""

    form: str
    values: dict[str, str]


def _event_refused(d: CompiledDefinition, values: dict[str, str]) -> ReasonRefused | None:
    """The event form's problems, before the service is asked: an event of the list is chosen
    (none is preselected), and one that sets a case date has a date, not after today."""
    code, day = values["event"], values["date"]
    errors = {}
    if not code:
        errors["event"] = "case.event_missing"
    elif code not in d.events:
        errors["event"] = "case.event_unknown"
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        errors["date"] = "case.event_date_invalid"
    else:
        if when is None and code in d.events and d.events[code]:
            errors["date"] = "case.event_date_missing"
        elif when is not None and when > datetime.now(NL).date():
            errors["date"] = "case.event_date_future"
    return ReasonRefused("gebeurtenis", errors, values) if errors else None


def _replaced_date(known: CaseDates, event: str, day: str) -> date | None:
    """The date the case has that this event (on `day`) would replace with another: None when
    the event sets no date, or the case has none of it yet, or the same one."""
    name = known.definition.events.get(event)
    old = known.dates.get(name) if name else None
    return old if old is not None and old.isoformat() != day else None


def _about_length(refused: Refused) -> bool:
    """Whether an extension was refused for its length (the service's or the workflow's words)."""
    return "length" in refused.errors or "extended by at most" in str(refused)


def _reason_forms(detail: CaseDetail, user: Principal) -> set[str]:
    """The forms that the case page shows this user and sends back with their problems at their
    fields, by id (see ReasonRefused): those with a reason, and the event form (`gebeurtenis`)."""
    case, forms = detail.case, set()
    if case.status in ("running", "suspended", "starting") and not user.volunteer_only:
        forms |= {"besluit", "stoppen"} if user.oversees else {"besluit"}
    if case.status in ("running", "starting") and not user.volunteer_only:
        forms |= {"gebeurtenis"} if detail.definition.events else set()
    if case.status in ("running", "starting", "suspended"):  # a termijn runs on while suspended
        for tv in detail.termijnen:
            if tv.status in ("met", "expired"):
                continue
            if tv.can_suspend:
                forms.add(f"termijn-{tv.name}")
            if tv.can_extend and tv.status != "suspended":
                forms.add(f"verlengen-{tv.name}")
    return forms


def _case(
    request: Request,
    user: Principal,
    case_id: str,
    timeline_page: int = 1,
    problem: str | None = None,
    status: int = 200,
    refused: ReasonRefused | None = None,
    confirm: Confirm | None = None,
) -> Response:
    detail = _casework(request).case(user, case_id, max(timeline_page, 1), newest_first=True)
    forms = _reason_forms(detail, user)
    t = i18n.translator(lang_of(request))
    if refused and refused.form not in forms:  # a form this page does not show: say it on top
        problem, refused = t(next(iter(refused.errors.values()))), None
    if confirm and confirm.form not in forms:  # the case changed since (finished, suspended)
        problem, confirm, status = t("case.changed_meanwhile"), None, 409
    d = detail.definition
    highlighted = set(detail.case.current_states)
    for name in list(highlighted):  # also the composite states around the current ones
        highlighted.update(d.ancestors(name))
    return render(
        request,
        "case.html",
        user,
        status,
        c=detail,
        case=detail.case,
        d=d,
        diagram=mermaid(d, sorted(highlighted), lang_of(request)),
        problem=problem,
        refused=refused,
        confirm=confirm,
        reason_forms=forms,
        today=datetime.now(NL).date(),
        temporal_ui=request.app.state.temporal_ui,
        namespace=request.app.state.namespace,
        flash_words=lambda said: _case_words(d, said, lang_of(request)),
        active_nav="cases",
    )


def _case_words(d: CompiledDefinition, said: dict[str, str], lang: str) -> dict[str, str]:
    """The values of a case change's flash (codes, see `redirect`) in words of the case's
    definition and the page's language."""
    words = dict(said)
    if "event" in said:
        words["event"] = d.event_titles.get(said["event"]) or in_words(said["event"])
    if "date" in said:
        words["date"] = day_text(said["date"])
    if "step" in said:
        words["step"] = ladder.label(said["step"], lang)
    if "reason" in said:
        words["reason"] = reasons.label(said["reason"], lang)
    if "termijn" in said:
        found = d.termijnen.get(said["termijn"])
        words["termijn"] = found.title if found else in_words(said["termijn"])
    if "length" in said:
        words["length"] = i18n.length_words(said["length"], lang)
    return words


def day_text(value: Any) -> str:
    """A date or moment written in ISO (as a timeline entry's detail keeps it) as the pages write
    it: 01-03-2026, with the time on the municipality's clocks for a moment; else as it is."""
    text = str(value or "")
    try:
        if len(text) <= 10:
            return date.fromisoformat(text).strftime("%d-%m-%Y")
        moment: datetime = local(datetime.fromisoformat(text))
        return moment.strftime("%d-%m-%Y %H:%M")
    except ValueError:
        return text


templates.env.filters["day"] = day_text
templates.env.globals.update(ladder=ladder)  # the participatieladder's steps and their names


async def _case_change(
    request: Request,
    user: Principal,
    case_id: str,
    change: Callable[[], Awaitable[Any]],
    flash: str = "case.saved",
    **said: str,
) -> Response:
    """Make the change and say what was done (`flash` with `said`, see `redirect`); a refusal
    is said on top of the case page."""
    try:
        await change()
    except Refused as refused:
        return _case_refused(request, user, case_id, refused)
    return redirect(f"/cases/{case_id}", flash, **said)


def _case_refused(request: Request, user: Principal, case_id: str, refused: Refused) -> Response:
    if isinstance(refused, Problem) or refused.code == "not_found":
        raise refused
    return _case(request, user, case_id, problem=str(refused), status=409)


def install(app: FastAPI, temporal_ui: str | None = None, namespace: str = "default") -> None:
    """The pages, their static files, and HTML answers for errors outside /api."""
    from traject.web.designer_pages import designer_router  # they build on this module
    from traject.web.designer_start import designer_start_router
    from traject.web.team_pages import team_router
    from traject.web.token_pages import tokens_router

    app.include_router(pages_router())
    app.include_router(designer_start_router())  # before /designer/{definition}/…
    app.include_router(designer_router())
    app.include_router(tokens_router())
    app.include_router(team_router())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.temporal_ui, app.state.namespace = temporal_ui, namespace

    def error_page(request: Request, status: int, detail: str) -> Response:
        if request.url.path.startswith("/login"):  # a refused sign-in: say why, on the form
            return _login_form(request, "/", detail, status)
        user = optional_user(request) if status != 401 else None
        if status == 401 or (status == 403 and user is None):
            return redirect(f"/login?next={quote(request.url.path)}")
        return render(request, "error.html", user, status, detail=detail)

    app.state.error_page = error_page

    @app.exception_handler(SignInFirst)
    async def sign_in_first(request: Request, _error: SignInFirst) -> Response:
        return redirect(f"/login?next={quote(request.url.path)}")
