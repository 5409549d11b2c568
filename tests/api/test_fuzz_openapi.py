"""Schemathesis against the OpenAPI document (issue 9), with signed-in users of two municipalities.

Every operation is fuzzed with values generated from the document, valid and invalid, once with
random path values and once with the real ids of a case and a task of each municipality, so the
fuzzer reaches existing objects. No answer may be a 5xx, and each must be what the document
promises: a documented status, content type (problem+json for errors) and body. Across the two
municipalities: what touches the other one's case or task is 404, exactly the answer for an id that
does not exist, changes nothing, and no answer ever shows the other's newcomer (name, BSN,
reference) or case ids. A last round without credentials wants 401 everywhere but sign-in, which
is fuzzed with a throwaway username only, so no account gets locked.

Schemathesis's own ASGI transport runs the app through a synchronous test client on an event loop
of its own, while the app's Temporal client belongs to the session's loop. So the schema is loaded
from the document the app serves, Hypothesis runs in a worker thread, and every generated case is
sent through the suite's async client on the session loop; the responses are judged with
schemathesis's checks. Bounded: a few examples per operation, user and seed, each run the same
(Hypothesis is seeded with their names); no shrinking, as the server keeps state.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select, update

from tests.api.conftest import Api
from traject.store.db import transaction
from traject.store.models import Case as CaseRow
from traject.store.models import Task, User

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
RANDOM_EXAMPLES = 8  # per operation and user: path values and everything else generated
SEEDED_EXAMPLES = 6  # per operation, user and seed: the path names a real case or task
ANONYMOUS_EXAMPLES = 2  # per operation, without credentials: 401 problem+json
NO_SUCH_CASE, NO_SUCH_TASK = "case-000000000000", 2_000_000_000
PERSONAL = ("first name", "last name", "BSN", "reference")
ODD = "a\x00b"  # NUL: PostgreSQL refuses it in text
ODD_SEARCHES = (ODD, "%_\\'")  # and LIKE's wildcards, a quote
BEYOND_INTEGER = 2**31  # PostgreSQL's integer ends one below
THROWAWAY = "fuzz-nobody"  # the only username sign-in is fuzzed with (failed logins lock accounts)
BASE_URL = "http://traject"  # the suite's client's
TIMEOUT = 30.0  # seconds for one request


@dataclass
class Tenant:
    """A municipality's fuzzing user and the newcomer whose case and task seed the path values."""

    user: str
    coordinator: str
    municipality: str
    definition: str
    first_name: str
    last_name: str
    bsn: str
    reference: str
    case_id: str = ""
    task_id: int = 0
    case_ids: set[str] = field(default_factory=set)  # the municipality's cases and tasks, by id
    task_ids: set[int] = field(default_factory=set)

    @property
    def personal(self) -> tuple[str, ...]:  # as PERSONAL names them
        return (self.first_name, self.last_name, self.bsn, self.reference)


def tenants() -> list[Tenant]:
    # The other municipality first: its fuzzing must leave the Zaanstad case as it was. The
    # names are the fuzz test's own: another test's "Noor…" in Zaanstad is not a leak.
    return [
        Tenant(
            "leiden",
            "leiden",
            "voorbeeldgemeente",
            "pvt1",
            "Fuzzanoor",
            "Fuzzlaan",
            "987654305",
            "VG-F",
        ),
        Tenant(
            "klantmanager",
            "teamleider",
            "zaanstad",
            "zaanstad_pvt",
            "Fuzzidris",
            "Fuzzveld",
            "123456708",
            "ZS-F",
        ),
    ]


async def test_fuzzing_the_openapi_document_finds_no_error_and_no_other_municipalitys_data(
    api: Api,
) -> None:
    loop = asyncio.get_running_loop()
    document = (await api.http.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]

    parties = tenants()
    for tenant in parties:
        await _seed(api, tenant)

    def on_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run on the session loop (the app's Temporal client lives there), from the fuzz thread."""
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result(TIMEOUT)
        except TimeoutError:
            future.cancel()
            raise AssertionError(f"no answer within {TIMEOUT:.0f} s") from None

    failures: list[str] = []
    for own, other in (parties, parties[::-1]):
        _index(api, parties)
        before = await _snapshot(api, other)
        fuzzer = Fuzzer(api, on_loop, own, other)
        failures += await asyncio.to_thread(fuzzer.run, operations)
        after = await _snapshot(api, other)
        if after != before:
            failures.append(f"{own.user} changed {other.municipality}'s case:\n{before}\n{after}")
        for case_id in (own.case_id, *fuzzer.started):  # out of the other tests' inboxes
            url = f"/api/cases/{case_id}/cancel"
            closed = await api.post(own.coordinator, url, {"reason": "fuzzed"})
            assert closed.status_code in (200, 409), closed.text
        # The fuzzing coordinator may have deactivated colleagues of its own municipality
        # (valid ids are generated): let them in again for the other tests of the session.
        with transaction(api.sessions) as session:
            session.execute(
                update(User).where(User.municipality == own.municipality).values(active=True)
            )
    anonymous = Fuzzer(api, on_loop, None, None)
    failures += await asyncio.to_thread(anonymous.run, operations)

    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)


class Fuzzer:
    """Fuzzes every operation as one user (`own`; None: without credentials) and judges each
    answer, in a worker thread; requests go through `on_loop`."""

    def __init__(
        self,
        api: Api,
        on_loop: Callable[[Coroutine[Any, Any, Any]], Any],
        own: Tenant | None,
        other: Tenant | None,
    ) -> None:
        self.api, self.on_loop, self.own, self.other = api, on_loop, own, other
        self.headers = api.headers(own.user) if own else {}
        self.who = own.user if own else "anonymous"
        self.started: list[str] = []  # cases the fuzzer started

    def run(self, operations: list[Any]) -> list[str]:
        failures = []
        for operation in operations:
            for label, strategy, examples in self.strategies(operation):
                try:
                    _fuzz(strategy, examples, self.probe, f"{self.who} {operation.label} {label}")
                except (Exception, FailureGroup) as error:  # report every failing operation
                    notes = "\n".join(
                        note
                        for note in getattr(error, "__notes__", [])
                        if not note.startswith(("Failing test case", "Falsifying"))
                    )
                    failures.append(f"[{self.who}] {operation.label} ({label}): {error}\n{notes}")
        return failures

    def strategies(self, operation: Any) -> list[tuple[str, st.SearchStrategy[Case], int]]:
        def both(**fixed: Any) -> st.SearchStrategy[Case]:
            modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            return st.one_of(*(operation.as_strategy(mode, **fixed) for mode in modes))

        odd = [(f"odd {fixed}", operation.as_strategy(**fixed), 1) for fixed in self.odd(operation)]
        if self.own is None or self.other is None:
            return [("random", both().map(self.throwaway_login), ANONYMOUS_EXAMPLES), *odd]
        found = [("random", both().map(self.throwaway_login), RANDOM_EXAMPLES), *odd]
        names = {p.name for p in operation.path_parameters}
        # Labels without ids: they seed Hypothesis, so each run generates the same values.
        seeds: list[tuple[str, dict[str, Any]]] = []
        for whose, tenant in (("own", self.own), ("other's", self.other)):
            if "case_id" in names:
                seeds.append((f"{whose} case", {"path_parameters": {"case_id": tenant.case_id}}))
            if "task_id" in names:
                seeds.append((f"{whose} task", {"path_parameters": {"task_id": tenant.task_id}}))
        if "q" in {p.name for p in operation.query}:  # the other's newcomer, and odd searches
            other = self.other
            searches = {f"other's {n}": v for n, v in zip(PERSONAL, other.personal, strict=True)}
            searches |= {"other's case id": other.case_id, **{repr(v): v for v in ODD_SEARCHES}}
            seeds += [(f"q={label}", {"query": {"q": value}}) for label, value in searches.items()]
        for label, fixed in seeds:
            found.append((f"seeded {label}", both(**fixed), SEEDED_EXAMPLES))
        if operation.label == "POST /api/cases":  # a real definition: newcomers with odd names
            found.append(("seeded definition", both().map(self.own_definition), SEEDED_EXAMPLES))
        return [(label, s.filter(self.leaves_others_alone), n) for label, s, n in found]

    def odd(self, operation: Any) -> list[dict[str, Any]]:
        """Valid requests with values a store may refuse: NUL in text, ids past PostgreSQL's
        integer. One example each, as the fuzzer reaches them only by luck."""
        names = {p.name for p in operation.path_parameters}
        found: list[dict[str, Any]] = []
        if operation.label == "POST /api/session":
            login = {"municipality": "zaanstad", "username": THROWAWAY, "password": ODD}
            found += [
                {"body": {**login, "municipality": ODD}},
                {"body": {**login, "username": ODD}},
            ]
        if self.own is None:
            return found
        if "task_id" in names:
            found.append({"path_parameters": {"task_id": BEYOND_INTEGER}})
        if operation.label == "POST /api/cases":
            newcomer = {"definition": self.own.definition, "first_name": ODD, "last_name": ODD}
            found.append({"body": {**newcomer, "reference": ODD}})
        if operation.label == "POST /api/tasks/{task_id}/assign":
            own = {"task_id": self.own.task_id}
            found.append({"path_parameters": own, "body": {"user_id": BEYOND_INTEGER}})
        return found

    def throwaway_login(self, case: Case) -> Case:
        body = case.body
        if case.path == "/api/session" and isinstance(body, dict) and "username" in body:
            body["username"] = THROWAWAY
        return case

    def own_definition(self, case: Case) -> Case:
        """A definition that exists, so the generated names and reference get stored; a valid
        case also loses its BSN and dates, which are seldom valid when generated."""
        assert self.own is not None
        body = case.body
        if isinstance(body, dict) and isinstance(body.get("definition"), str):
            body["definition"] = self.own.definition
            if _positive(case):
                body.pop("bsn", None)
                body.pop("dates", None)
        return case

    def leaves_others_alone(self, case: Case) -> bool:
        """Random task ids stay off the other tests' tasks of the own municipality."""
        assert self.own is not None
        task = case.path_parameters.get("task_id")
        return not (_int(task) in self.own.task_ids and _int(task) != self.own.task_id)

    def send(self, case: Case) -> tuple[httpx.Response, dict[str, Any]]:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=self.headers)
        try:
            response = self.on_loop(self.api.http.request(**_for_httpx(kwargs)))
        except AssertionError:
            raise
        except Exception as error:  # the ASGI transport re-raises what the app did not handle
            curl = case.as_curl_command(headers=self.headers, base_url=BASE_URL)
            raise AssertionError(f"500: the app raised {error!r}\n\n    {curl}") from error
        return response, kwargs

    def probe(self, case: Case) -> None:
        response, kwargs = self.send(case)
        case.validate_response(response, checks=CHECKS, headers=kwargs["headers"])
        if case.path == "/api/cases" and response.status_code == 201:
            self.started.append(response.json()["id"])
        try:
            if self.own is None or self.other is None:
                assert response.status_code in (200, 401, 422), response.text
            else:
                self.check_tenancy(case, response)
        except AssertionError as error:
            curl = case.as_curl_command(base_url=BASE_URL)
            raise AssertionError(f"{error}\n\n    {curl}  # as {self.who}") from None

    def check_tenancy(self, case: Case, response: httpx.Response) -> None:
        assert self.own is not None and self.other is not None
        other, text = self.other, response.text
        for value in other.personal:
            assert value not in text, f"{other.municipality}'s {value!r} shown: {text}"
        asked = str(response.request.url)
        shown = _strings(response) & other.case_ids
        assert all(case_id in asked for case_id in shown), f"{shown} shown: {text}"

        positive = _positive(case)
        path = case.path_parameters
        theirs = any(isinstance(v, str) and v in other.case_ids for v in path.values())
        if theirs or _int(path.get("task_id")) in other.task_ids:
            if positive:  # 403 only for a missing role, the same then for any id (checked next)
                assert response.status_code in (403, 404), text
            self.same_as_for_no_such_object(case, response)
        elif (
            positive
            and case.method == "GET"
            and (self.own.case_id in path.values() or path.get("task_id") == self.own.task_id)
        ):
            assert response.status_code != 404, f"the own case or task is not found: {text}"

    def same_as_for_no_such_object(self, case: Case, response: httpx.Response) -> None:
        """The other municipality's objects answer exactly as ids that do not exist."""
        twin = case.derive()
        real = twin.path_parameters.get("case_id") or twin.path_parameters.get("task_id")
        fake: str | int = NO_SUCH_CASE if "case_id" in twin.path_parameters else NO_SUCH_TASK
        twin.path_parameters.update({k: fake for k, v in twin.path_parameters.items() if v == real})
        answer, _ = self.send(twin)
        expected = (answer.status_code, answer.text.replace(str(fake), str(real)))
        assert (response.status_code, response.text) == expected, f"{real!r} is not like {fake!r}"


def _fuzz(
    strategy: st.SearchStrategy[Case], examples: int, probe: Callable[[Case], None], key: str
) -> None:
    @seed(zlib.crc32(key.encode()))  # reproducible, and different for each user and operation
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the server keeps state
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def fuzz(case: Case) -> None:
        probe(case)

    fuzz()


async def _seed(api: Api, tenant: Tenant) -> None:
    body = {
        "definition": tenant.definition,
        "first_name": tenant.first_name,
        "last_name": tenant.last_name,
        "bsn": tenant.bsn,
        "reference": tenant.reference,
    }
    started = await api.post(tenant.user, "/api/cases", body)
    assert started.status_code == 201, started.text
    tenant.case_id = started.json()["id"]
    for _ in range(100):
        case = (await api.get(tenant.user, f"/api/cases/{tenant.case_id}")).json()
        if open_tasks := [t["id"] for t in case["tasks"] if t["status"] == "open"]:
            tenant.task_id = int(open_tasks[0])
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open task in {tenant.case_id}")


def _index(api: Api, parties: list[Tenant]) -> None:
    """Every case and task of each municipality now, to recognise them in paths and answers."""
    with api.sessions() as session:
        for tenant in parties:
            cases = select(CaseRow.id).where(CaseRow.municipality == tenant.municipality)
            tasks = select(Task.id).where(Task.municipality == tenant.municipality)
            tenant.case_ids = set(session.scalars(cases))
            tenant.task_ids = set(session.scalars(tasks))


async def _snapshot(api: Api, tenant: Tenant) -> dict[str, Any]:
    case = (await api.get(tenant.user, f"/api/cases/{tenant.case_id}")).json()
    return {
        "status": case["status"],
        "states": case["states"],
        "tasks": [(t["id"], t["status"], t["assignee"]) for t in case["tasks"]],
        "timeline": case["timeline"]["total"],
        "users": _active(api, tenant.municipality),
    }


def _active(api: Api, municipality: str) -> list[tuple[int, bool]]:
    """Whether each user of the municipality may sign in (a coordinator's team endpoints)."""
    with api.sessions() as session:
        rows = session.execute(
            select(User.id, User.active).where(User.municipality == municipality).order_by(User.id)
        )
        return [(user_id, active) for user_id, active in rows]


def _for_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis's request arguments (for `requests`) as httpx's."""
    out: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers") or {},
        "params": {k: v for k, v in (kwargs.get("params") or {}).items() if v is not None},
        "timeout": TIMEOUT,
    }
    if "json" in kwargs:
        out["content"] = json.dumps(kwargs["json"]).encode()
    elif isinstance(kwargs.get("data"), (bytes, str)):
        out["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        out["data"] = kwargs["data"]
    if kwargs.get("files"):
        out["files"] = kwargs["files"]
    assert not kwargs.get("cookies"), "the document names no cookies"
    return out


def _positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strings(response: httpx.Response) -> set[str]:
    """Every string in a JSON answer."""
    try:
        body = response.json()
    except ValueError:
        return set()
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body)
    return found
