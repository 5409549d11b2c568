"""The web pages are outside the OpenAPI document, so schemathesis never sees them: this walks
every page route of the app (a route added later is walked too) with hostile values in its
path, its query and its form — numbers past the store's integers, negative and non-numbers,
NUL, markup, very long text, odd Unicode — signed in with every role. No answer may be a server
error or let an exception out, and no value may come back unescaped into the page."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.test_tenancy_web import app_of, browser, web_routes

HOSTILE = (
    "0",
    "-1",
    "2147483648",
    "9223372036854775808",
    "1" + "0" * 40,
    "1.5",
    "1e9",
    "abc",
    "",
    " ",
    "\x00",
    "<b>vet</b>\"'",
    "x" * 5000,
    "é\u200b\U0001f600",
    "../../etc/passwd",
    "%00",
    "true",
    "P99999Y",
)
# Every field a page's form has (a form that does not know a field ignores it).
FIELDS = (
    "name",
    "source",
    "note",
    "draft",
    "case",
    "to_version",
    "apply",
    "confirm",
    "mapping",
    "user_id",
    "step",
    "event",
    "date",
    "reason",
    "length",
    "change",
    "decision",
    "definition",
    "first_name",
    "last_name",
    "bsn",
    "reference",
    "aanwezig",
    "tolk_nodig",
    "view",
    "page",
    "q",
    "status",
    "state",
    "overdue",
    "version",
    "a",
    "b",
    "full",
    "built_in",
    "timeline_page",
)
SKIP = {("POST", "/logout"), ("POST", "/login")}  # signing out ends the walk; login has its own
MARKUP = re.compile(r"<b>vet</b>")


def urls(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", quote(value, safe="") or "x", path)


@pytest.mark.parametrize("user", ["procesontwerper", "teamleider", "vrijwilliger"])
async def test_every_page_takes_hostile_values_without_a_server_error(api: Api, user: str) -> None:
    routes = sorted(web_routes(app_of(api)) - SKIP)
    assert len(routes) >= 40
    failures: list[str] = []
    async with browser(api, user) as b:
        for method, path in routes:
            for value in HOSTILE:
                url = urls(path, value)
                try:
                    if method == "GET":
                        answer = await b.http.get(url, params=_query(value))
                    else:
                        answer = await b.post(url, dict.fromkeys(FIELDS, value))
                except (httpx.HTTPError, ValueError) as refused_by_client:  # not a server answer
                    failures.append(f"{method} {url[:80]} {value[:20]!r}: {refused_by_client!r}")
                    continue
                except Exception as error:  # the app let an exception out: a 500
                    failures.append(f"{method} {path} {value[:20]!r}: {type(error).__name__}")
                    continue
                if answer.status_code >= 500:
                    failures.append(f"{method} {path} {value[:20]!r}: {answer.status_code}")
                elif _unescaped(answer):
                    failures.append(f"{method} {path} {value[:20]!r}: markup echoed unescaped")
    assert failures == [], "\n".join(failures)


def _query(value: str) -> dict[str, str]:
    """Every field, or for very long text a few (an address has a length limit of its own)."""
    return dict.fromkeys(FIELDS if len(value) < 100 else ("q", "name", "definition"), value)


def _unescaped(answer: httpx.Response) -> Any:
    kind = answer.headers.get("content-type", "")
    return "html" in kind and MARKUP.search(answer.text)


async def test_signed_out_every_page_and_the_login_form_take_hostile_values(api: Api) -> None:
    transport = httpx.ASGITransport(app=app_of(api))
    failures: list[str] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://traject") as http:
        for method, path in sorted(web_routes(app_of(api))):
            for value in HOSTILE:
                url = urls(path, value)
                try:
                    if method == "GET":
                        answer = await http.get(url, params=_query(value))
                    else:
                        form = dict.fromkeys(
                            (*FIELDS, "username", "password", "municipality"), value
                        )
                        answer = await http.post(url, data={**form, "login_token": value})
                except Exception as error:
                    failures.append(f"{method} {path} {value[:20]!r}: {type(error).__name__}")
                    continue
                if answer.status_code >= 500 or _unescaped(answer):
                    failures.append(f"{method} {path} {value[:20]!r}: {answer.status_code}")
    assert failures == [], "\n".join(failures)
