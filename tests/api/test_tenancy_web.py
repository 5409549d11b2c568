"""Municipality tenancy on every web page. The route table below is checked against the app's own
routes, so a page added later fails this test until it has a row. A user of voorbeeldgemeente
who holds every role (so no role check can be what refuses) signs in through the login form and
asks each page about zaanstad's case, task and definition: a page about one of them is 404, a
list or dashboard shows none of zaanstad's names, BSN, references or case ids, and nothing of
zaanstad's changed. For each GET the owner (a zaanstad user) is shown the same URL, so the ids
are real and the refusal is tenancy."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select, update

from tests.api.conftest import PASSWORD, USERS, Api
from tests.conftest import DEFINITIONS
from traject import kpi
from traject.store import accounts
from traject.store.db import transaction
from traject.store.models import (
    ApiToken,
    AuditEvent,
    Case,
    CasePerson,
    CaseTermijn,
    DefinitionDraft,
    DefinitionVersion,
    LadderMeasurement,
    Task,
    TimelineEvent,
    User,
)

CALLER = "procesontwerper"  # voorbeeldgemeente: designer, caseworker and coordinator
OTHER_DEFINITION = "zaanstad_pvt"
OTHER_TITLE = "Participatieverklaringstraject Zaanstad"
OWN_TITLE = "Participatieverklaringstraject PVT1"
OTHER_SOURCE = (DEFINITIONS / "zaanstad_pvt.yaml").read_text(encoding="utf-8")
OTHER_VERSION = re.search(r"^version: (\d+)$", OTHER_SOURCE, re.M)[1]  # type: ignore[index]
D = OTHER_DEFINITION


# ------------------------------------------------------------------------------ signed in
@dataclass
class Browser:
    """A browser signed in through the login form: its session cookie and CSRF token."""

    http: httpx.AsyncClient
    csrf: str
    user: str

    async def post(
        self, url: str, data: dict[str, Any] | None = None, csrf: str | None = None
    ) -> httpx.Response:
        token = self.csrf if csrf is None else csrf
        form = {**(data or {}), **({"csrf_token": token} if token else {})}
        return await self.http.post(url, data=form)


def app_of(api: Api) -> FastAPI:
    app: FastAPI = api.http._transport.app  # type: ignore[attr-defined]
    return app


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no hidden field {name} on the page"
    return found.group(1)


@asynccontextmanager
async def browser(api: Api, user: str, lang: str = "en") -> AsyncIterator[Browser]:
    """Sign in as `user` the way a person does: the login form (with its own token), then the
    CSRF token from a page. Each browser has its own cookies."""
    transport = httpx.ASGITransport(app=app_of(api))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://traject", headers={"Accept-Language": lang}
    ) as http:
        form = await http.get("/login")
        signed = await http.post(
            "/login",
            data={
                "login_token": hidden(form.text, "login_token"),
                "municipality": USERS[user][0],
                "username": user,
                "password": PASSWORD,
                "next": "/",
            },
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/", signed.text
        home = await http.get("/", follow_redirects=True)  # a designer lands on Ontwerpen
        assert home.status_code == 200, home.text
        yield Browser(http, hidden(home.text, "csrf_token"), user)


def web_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of the app outside /api and /static."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith(("/api/", "/static")):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path))
    return found


def new_bsn() -> str:
    """A BSN nobody else in the test store has (9 digits that pass the elfproef)."""
    while True:
        digits = [1 + secrets.randbelow(9), *(secrets.randbelow(10) for _ in range(7))]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


# ------------------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Probe:
    """One request of the caller. `{case}`, `{task}`, `{d}`, … are filled in from `Ids`."""

    url: str
    expect: int = 404
    form: dict[str, str] | None = None  # a POST's fields; the CSRF token is added
    says: str | None = None  # the answer contains this
    lacks: str | None = None  # and not this
    lists: bool = False  # a list: only own cases and tasks linked, no other case id
    names_id: bool = False  # "not found" may name the id the caller sent; nothing else may
    shows_definition: bool = False  # the other's definition name may appear (built-ins, drafts)
    owner: str | None = None  # a zaanstad user for whom the same request is a 200 …
    owner_sees: str | None = None  # … showing this
    last: bool = False


def missing(
    url: str, what: str, owner: str | None = None, owner_sees: str | None = None, **kw: Any
) -> Probe:
    """A page about the other's case, task or definition: 404, saying what is not found."""
    return Probe(
        url, 404, says=f"no {what}", names_id=True, owner=owner, owner_sees=owner_sees, **kw
    )


CASE_PAGES = ("teamleider", "{first}")
DESIGN_PAGES = ("ontwerper", OTHER_TITLE)
NO_TENANT_DATA = 200  # pages that hold nobody's data: still nothing of zaanstad on them

PAGES: dict[tuple[str, str], list[Probe]] = {
    # the inbox, every view; and the task pages
    ("GET", "/"): [
        Probe(f"/?view={v}", 200, lists=True)
        for v in ("team", "mine", "unassigned", "overdue", "deadline", "all")
    ],
    ("GET", "/tasks/{task_id}"): [
        missing("/tasks/{task}", "task", *CASE_PAGES),
    ],
    ("POST", "/tasks/{task_id}"): [
        missing("/tasks/{task}", "task", form={"aanwezig": "true", "tolk_ingezet": "false"})
    ],
    ("POST", "/tasks/{task_id}/claim"): [missing("/tasks/{task}/claim", "task", form={})],
    ("POST", "/tasks/{task_id}/release"): [missing("/tasks/{task}/release", "task", form={})],
    ("POST", "/tasks/{task_id}/assign"): [
        missing("/tasks/{task}/assign", "task", form={"user_id": "{colleague}"})
    ],
    # cases
    ("GET", "/cases"): [
        Probe("/cases", 200, lists=True, says="{own_case}"),
        Probe("/cases?q={case}", 200, lists=True, owner="teamleider", owner_sees="{first}"),
        Probe("/cases?q={first}", 200, lists=True, owner="teamleider", owner_sees="{case}"),
        Probe("/cases?q={reference}", 200, lists=True, owner="teamleider", owner_sees="{case}"),
        Probe("/cases?definition={d}", 200, lists=True),
    ],
    ("GET", "/cases/new"): [
        Probe(
            "/cases/new",
            200,
            lists=True,
            says=OWN_TITLE,
            owner="teamleider",
            owner_sees=OTHER_TITLE,
        )
    ],
    ("POST", "/cases/new"): [  # a case on the other's definition is not started
        Probe(
            "/cases/new",
            422,
            form={"definition": "{d}", "first_name": "{intruder}"},
            says="no published definition",
        )
    ],
    ("GET", "/cases/{case_id}"): [missing("/cases/{case}", "case", *CASE_PAGES)],
    ("POST", "/cases/{case_id}/event"): [
        missing("/cases/{case}/event", "case", form={"event": "gehuisvest"})
    ],
    ("POST", "/cases/{case_id}/ladder"): [
        missing("/cases/{case}/ladder", "case", form={"step": "2"})
    ],
    ("POST", "/cases/{case_id}/termijn"): [
        missing(
            "/cases/{case}/termijn",
            "case",
            form={"name": "pip_termijn", "change": change, "reason": "ziek", "length": "P2W"},
        )
        for change in ("suspend", "resume", "extend")
    ],
    ("POST", "/cases/{case_id}/decide"): [
        missing("/cases/{case}/decide", "case", form={"decision": d, "reason": "verhuisd"})
        for d in ("suspend", "resume", "cancel")
    ],
    ("GET", "/audit"): [
        Probe("/audit", 200, lists=True),
        missing("/audit?case={case}", "case", "teamleider", "case_read"),
    ],
    # the designer's pages
    ("GET", "/designer/start"): [
        Probe("/designer/start", 200, lists=True, shows_definition=True),
        Probe(  # the built-in file, made the caller's own: not zaanstad's published version
            "/designer/start?built_in={d}",
            200,
            says="municipality: voorbeeldgemeente",
            shows_definition=True,
        ),
    ],
    ("GET", "/designer"): [
        Probe(
            "/designer", 200, lists=True, says=OWN_TITLE, owner="ontwerper", owner_sees=OTHER_TITLE
        )
    ],
    ("GET", "/designer/schema.json"): [Probe("/designer/schema.json", NO_TENANT_DATA)],
    ("GET", "/designer/{definition}/edit"): [
        missing("/designer/{d}/edit", "definition", *DESIGN_PAGES)
    ],
    ("POST", "/designer/{definition}/check"): [  # a draft is checked, never against theirs
        Probe(
            "/designer/{d}/check",
            200,
            form={"source": "{source}"},
            says='id="geldig"',
            lacks="Published: median",
            shows_definition=True,
            owner="ontwerper",
            owner_sees="Published: median",
        )
    ],
    ("POST", "/designer/{definition}/publish"): [
        Probe(
            "/designer/{d}/publish",
            422,
            form={"source": "{source}", "note": "overgenomen"},
            says="you publish for voorbeeldgemeente, not zaanstad",
            shows_definition=True,
        )
    ],
    ("POST", "/designer/{definition}/draft"): [  # nor keep a draft of theirs, …
        missing("/designer/{d}/draft", "definition", form={"source": "{source}", "note": "x"})
    ],
    ("POST", "/designer/{definition}/draft/discard"): [  # … nor throw theirs away
        missing("/designer/{d}/draft/discard", "definition", form={})
    ],
    ("GET", "/designer/{definition}/versions"): [
        missing("/designer/{d}/versions", "definition", *DESIGN_PAGES)
    ],
    ("GET", "/designer/{definition}/diff"): [
        missing("/designer/{d}/diff", "definition", "ontwerper", "/designer/{d}/versions"),
        missing(
            f"/designer/{{d}}/diff?a={OTHER_VERSION}&b={OTHER_VERSION}",
            "definition",
            "ontwerper",
            "/designer/{d}/versions",
        ),
    ],
    ("GET", "/designer/{definition}/v{version}/zaaktype.json"): [
        missing(f"/designer/{{d}}/v{OTHER_VERSION}/zaaktype.json", "definition", "ontwerper", "{d}")
    ],
    ("GET", "/designer/{definition}/migrate"): [
        missing("/designer/{d}/migrate", "definition", "ontwerper", 'id="overzetten"')
    ],
    ("POST", "/designer/{definition}/migrate"): [
        missing(
            "/designer/{d}/migrate",
            "definition",
            form={"case": "{case}", "to_version": "1", "apply": "1"},
        ),
        # the caller's own definition with the other's case: that case is not found (the page
        # says so on the form, and moves nothing)
        Probe(
            "/designer/pvt1/migrate",
            200,
            form={"case": "{case}", "to_version": "1", "apply": "1"},
            says="no case",
            names_id=True,
        ),
        # confirmed: the same, nothing moves
        missing(
            "/designer/{d}/migrate",
            "definition",
            form={"case": "{case}", "to_version": "1", "apply": "1", "confirm": "1"},
        ),
        Probe(
            "/designer/pvt1/migrate",
            200,
            form={"case": "{case}", "to_version": "1", "apply": "1", "confirm": "1"},
            says="no case",
            names_id=True,
        ),
    ],
    ("POST", "/designer/{definition}/migrate/undo"): [  # nor is their move undone
        missing("/designer/{d}/migrate/undo", "definition", form={"case": "{case}"}),
        missing("/designer/pvt1/migrate/undo", "case", form={"case": "{case}"}),
    ],
    # the dashboard, asked for the other's definition: the caller's own one is shown instead
    ("GET", "/dashboard"): [
        Probe(
            "/dashboard?definition={d}", 200, lists=True, owner="teamleider", owner_sees=OTHER_TITLE
        ),
        Probe(  # every section in the page itself (no JavaScript)
            "/dashboard?definition={d}&full=true",
            200,
            lists=True,
            owner="teamleider",
            owner_sees=OTHER_TITLE,
        ),
    ],
    ("GET", "/dashboard/section/{key}"): [
        Probe(
            f"/dashboard/section/{key}?definition={{d}}",
            200,
            lists=True,
            owner="teamleider",
            owner_sees="{d}",
        )
        for key in ("states", "tasks", "escalations", "weekly")
    ],
    ("GET", "/dashboard/stuck"): [
        Probe(
            "/dashboard/stuck?definition={d}",
            200,
            lists=True,
            owner="teamleider",
            owner_sees="{case}",
        )
    ],
    ("GET", "/dashboard/stuck.csv"): [
        Probe(
            "/dashboard/stuck.csv?definition={d}",
            200,
            lists=True,
            owner="teamleider",
            owner_sees="{case}",
        )
    ],
    ("GET", "/dashboard/scoreboard"): [
        Probe(
            "/dashboard/scoreboard?definition={d}",
            200,
            lists=True,
            owner="teamleider",
            owner_sees=OTHER_TITLE,
        )
    ],
    ("GET", "/dashboard/scoreboard.csv"): [
        Probe(
            "/dashboard/scoreboard.csv?definition={d}",
            200,
            lists=True,
            owner="teamleider",
            owner_sees="{pseudonym}",
        )
    ],
    ("GET", "/dashboard/report"): [
        Probe(
            "/dashboard/report?definition={d}",
            200,
            lists=True,
            owner="teamleider",
            owner_sees=OTHER_TITLE,
        )
    ],
    ("GET", "/dashboard/report.csv"): [
        Probe(
            "/dashboard/report.csv?definition={d}",
            200,
            lists=True,
            owner="teamleider",
            owner_sees="{d}",
        )
    ],
    ("GET", "/dashboard/{key}.csv"): [
        Probe(
            f"/dashboard/{key}.csv?definition={{d}}",
            200,
            lists=True,
            owner="teamleider",
            owner_sees="{d}",
        )
        for key in ("states", "tasks", "escalations", "weekly")
    ],
    # API tokens: a user's own only; another's token is not theirs to revoke
    ("GET", "/tokens"): [Probe("/tokens", 200, lists=True)],
    ("POST", "/tokens"): [Probe("/tokens", 200, form={"name": "koppeling"}, says="trj_")],
    ("POST", "/tokens/{token_id}/revoke"): [
        missing("/tokens/{token}/revoke", "token", form={}),
    ],
    # the team: a coordinator's own municipality only; another's user is not there to (de)activate
    ("GET", "/team"): [
        Probe("/team", 200, lacks="Collega", owner="teamleider", owner_sees="Collega")
    ],
    ("POST", "/team/{user_id}/deactivate"): [
        missing("/team/{member}/deactivate", "user", form={"release_tasks": "on"}),
    ],
    ("POST", "/team/{user_id}/activate"): [missing("/team/{member}/activate", "user", form={})],
    ("POST", "/team/{user_id}/release-tasks"): [
        missing("/team/{member}/release-tasks", "user", form={}),
    ],
    # signing in and out: a name of the other municipality does not sign in here
    ("GET", "/login"): [Probe("/login", NO_TENANT_DATA)],
    ("POST", "/login"): [
        Probe(
            "/login",
            401,
            form={
                "login_token": "{login_token}",
                "municipality": "voorbeeldgemeente",
                "username": "klantmanager",
                "password": PASSWORD,
            },
        )
    ],
    ("POST", "/logout"): [Probe("/logout", 303, form={}, last=True)],
    # operations and the API's documents
    **{
        ("GET", path): [Probe(path, NO_TENANT_DATA)]
        for path in ("/health", "/ready", "/metrics", "/openapi.json", "/docs")
    },
    ("GET", "/docs/oauth2-redirect"): [Probe("/docs/oauth2-redirect", NO_TENANT_DATA)],
}


# ------------------------------------------------------------------------------ the test
@dataclass
class Ids:
    """Zaanstad's case (names and BSN nobody else has), its task, and the caller's own case."""

    case: str
    task: int
    first: str
    last: str
    bsn: str
    reference: str
    own_case: str
    colleague: int
    intruder: str
    draft: str  # a line only zaanstad's saved draft of its definition has
    token: int  # an API token of a zaanstad user
    member: int  # a zaanstad user (a colleague of its coordinator)

    def fill(self, text: str, login_token: str = "") -> str:
        values = {
            "case": self.case,
            "task": str(self.task),
            "first": self.first,
            "reference": self.reference,
            "own_case": self.own_case,
            "colleague": str(self.colleague),
            "intruder": self.intruder,
            "d": D,
            "source": OTHER_SOURCE,
            "pseudonym": kpi.pseudonym(self.case),
            "login_token": login_token,
            "token": str(self.token),
            "member": str(self.member),
        }
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], text)

    @property
    def personal(self) -> list[str]:
        """What no page may show the caller: the person, and zaanstad's unpublished draft."""
        return [self.first, self.last, self.bsn, self.reference, self.draft]


async def setup(api: Api) -> Ids:
    tag = secrets.token_hex(3)
    first, last, bsn, reference = f"Zulfiya{tag}", f"Tenantweb{tag}", new_bsn(), f"ZS-WEB-{tag}"
    case = await api.start(first_name=first, last_name=last, bsn=bsn, reference=reference)
    task = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    own = await api.post(CALLER, "/api/cases", {"definition": "pvt1", "first_name": f"Eigen{tag}"})
    assert own.status_code == 201, own.text
    await api.open_task(own.json()["id"], "aanmelding_bevestigen", CALLER)
    with transaction(api.sessions) as session:
        # no progress for two months: zaanstad's stuck list shows it (its owner's control)
        session.execute(
            update(Case)
            .where(Case.id == case["id"])
            .values(last_progress_at=datetime.now(UTC) - timedelta(days=60))
        )
        colleague = accounts.find_user(session, "voorbeeldgemeente", "leiden")
        assert colleague is not None and "trainer" in colleague.groups
        colleague_id = colleague.id
        theirs = session.scalar(
            select(ApiToken.id).join(User).where(User.municipality == "zaanstad")
        )
        assert theirs is not None
        member = accounts.find_user(session, "zaanstad", "collega")
        assert member is not None
        member_id = member.id
    return Ids(
        case["id"],
        task,
        first,
        last,
        bsn,
        reference,
        own.json()["id"],
        colleague_id,
        f"Indringer{tag}",
        f"# concept van zaanstad {tag}",
        theirs,
        member_id,
    )


def snapshot(api: Api, ids: Ids) -> dict[str, Any]:
    """Everything of zaanstad's case and of every municipality's definitions that a request of
    the caller could have changed; and whether the caller ever read the case."""
    with api.sessions() as session:
        case = session.get(Case, ids.case)
        assert case is not None
        return {
            "case": (case.status, list(case.current_states), case.definition_version_id),
            "tasks": session.execute(
                select(Task.id, Task.status, Task.assignee, Task.completed_by)
                .where(Task.case_id == ids.case)
                .order_by(Task.id)
            ).all(),
            "timeline": session.scalar(
                select(func.count()).where(TimelineEvent.case_id == ids.case)
            ),
            "termijnen": session.execute(
                select(CaseTermijn.name, CaseTermijn.status, CaseTermijn.due_on)
                .where(CaseTermijn.case_id == ids.case)
                .order_by(CaseTermijn.name)
            ).all(),
            "ladder": session.scalar(
                select(func.count()).where(LadderMeasurement.case_id == ids.case)
            ),
            "definitions": session.execute(
                select(
                    DefinitionVersion.municipality,
                    DefinitionVersion.definition,
                    DefinitionVersion.version,
                    DefinitionVersion.content_hash,
                ).order_by(DefinitionVersion.id)
            ).all(),
            "drafts": session.execute(
                select(
                    DefinitionDraft.municipality,
                    DefinitionDraft.definition,
                    DefinitionDraft.source,
                    DefinitionDraft.saved_at,
                ).order_by(DefinitionDraft.id)
            ).all(),
            "tokens": session.execute(
                select(ApiToken.id, ApiToken.revoked_at)
                .join(User)
                .where(User.municipality == "zaanstad")
                .order_by(ApiToken.id)
            ).all(),
            "users": session.execute(
                select(User.id, User.active)
                .where(User.municipality == "zaanstad")
                .order_by(User.id)
            ).all(),
            "intruder_cases": session.scalar(
                select(func.count()).where(CasePerson.first_name == ids.intruder)
            ),
        }


def foreign_links(api: Api, body: str, municipality: str) -> list[str]:
    """Cases and tasks linked from a page that are not of `municipality`."""
    cases = set(re.findall(r'href="/cases/([^"/?]+)', body)) - {"new"}
    tasks = {int(t) for t in re.findall(r'href="/tasks/(\d+)', body)}
    with api.sessions() as session:
        found = [
            f"case {c}"
            for c, m in session.execute(
                select(Case.id, Case.municipality).where(Case.id.in_(cases))
            )
            if m != municipality
        ]
        found += [
            f"task {t}"
            for t, m in session.execute(
                select(Task.id, Task.municipality).where(Task.id.in_(tasks))
            )
            if m != municipality
        ]
    return found


def without_echo(body: str, url: str) -> str:
    """The page without the caller's own query echoed back (the search box, pager links): what
    is left must not show the other's data even when the caller typed it."""
    for value in parse_qs(urlsplit(url).query).values():
        for v in value:
            body = body.replace(f'value="{html.escape(v)}"', 'value=""')
            body = body.replace(f"={quote(v)}&", "=&").replace(f'={quote(v)}"', '="')
    return body


async def send(b: Browser, probe: Probe, ids: Ids) -> httpx.Response:
    url = ids.fill(probe.url)
    if probe.form is None:
        return await b.http.get(url)
    token = ""
    if "login_token" in probe.form:
        token = hidden((await b.http.get("/login")).text, "login_token")
    return await b.post(url, {k: ids.fill(v, token) for k, v in probe.form.items()})


def check(api: Api, probe: Probe, ids: Ids, response: httpx.Response) -> None:
    url = ids.fill(probe.url)
    where = f"{'GET' if probe.form is None else 'POST'} {url}"
    body = without_echo(response.text, url)
    assert response.status_code == probe.expect, (where, response.status_code, body[:2000])
    for text in ids.personal:  # names, BSN and reference: never, on no page
        assert text not in body, (where, text)
    if not probe.names_id:
        assert ids.case not in body, where
    assert D not in response.headers.get("content-disposition", ""), where
    if not probe.shows_definition:
        assert OTHER_TITLE not in body, where
    if probe.lists:
        assert not foreign_links(api, body, "voorbeeldgemeente"), where
        assert kpi.pseudonym(ids.case) not in body, where
        if not probe.shows_definition:
            assert D not in body, where
    if probe.says:
        assert ids.fill(probe.says) in response.text, (where, probe.says, body[:2000])
    if probe.lacks:
        assert ids.fill(probe.lacks) not in body, (where, probe.lacks)


def test_every_web_route_has_a_row() -> None:
    """A page added to the app without a row here fails; so does a row for a removed page."""
    from unittest.mock import MagicMock

    from traject.api.app import create_app

    app = create_app(MagicMock(), MagicMock(), casework=MagicMock())
    routes = web_routes(app)
    assert len(routes) > 40, routes  # the enumeration sees the included routers' routes
    assert routes - set(PAGES) == set(), "add a row for each of these pages"
    assert set(PAGES) - routes == set(), "these rows name no page of the app"
    assert all(PAGES.values())


async def test_no_web_page_shows_or_changes_another_municipalitys_data(api: Api) -> None:
    assert web_routes(app_of(api)) == set(PAGES)
    ids = await setup(api)
    probes = [p for rows in PAGES.values() for p in rows]
    owners: dict[str, Browser] = {}
    async with (
        browser(api, CALLER) as caller,
        browser(api, "teamleider") as owners["teamleider"],
        browser(api, "ontwerper") as owners["ontwerper"],
    ):
        designer = owners["ontwerper"]
        kept = await designer.post(
            f"/designer/{D}/draft", {"source": f"{OTHER_SOURCE}\n{ids.draft}\n"}
        )
        assert kept.status_code == 303, kept.text  # zaanstad's work in progress
        try:
            await probe_every_page(api, caller, owners, ids, probes)
            # zaanstad's draft is still there, and its owner can throw it away
            edit = await designer.http.get(f"/designer/{D}/edit")
            assert edit.status_code == 200 and ids.draft in edit.text
        finally:
            discarded = await designer.post(f"/designer/{D}/draft/discard")
            assert discarded.status_code == 303, discarded.text


async def probe_every_page(
    api: Api, caller: Browser, owners: dict[str, Browser], ids: Ids, probes: list[Probe]
) -> None:
    before = snapshot(api, ids)
    with api.sessions() as session:
        me = accounts.find_user(session, "voorbeeldgemeente", CALLER)
        assert me is not None
        ref = f"user:{me.id}"
    for probe in sorted(probes, key=lambda p: p.last):
        check(api, probe, ids, await send(caller, probe, ids))
        if probe.owner is not None:  # the same request, for zaanstad: the ids are real
            seen = await send(owners[probe.owner], probe, ids)
            shown = seen.headers.get("content-disposition", "") + seen.text
            assert seen.status_code == 200, (probe.url, probe.owner, seen.text[:2000])
            assert probe.owner_sees is not None and ids.fill(probe.owner_sees) in shown, (
                probe.url,
                probe.owner,
                probe.owner_sees,
            )
    # signed out by the last row: the session is gone
    assert (await caller.http.get("/")).status_code == 303
    assert snapshot(api, ids) == before
    with api.sessions() as session:  # and the caller never read zaanstad's case
        reads = select(func.count()).where(AuditEvent.case_id == ids.case, AuditEvent.actor == ref)
        assert session.scalar(reads) == 0
