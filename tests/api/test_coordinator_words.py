"""A coordinator's pages say what is wrong and what to do in a coordinator's words: a case that
cannot take its first step is something to report to the beheerder, not "a failing activity or
no worker" for a "workflow"; the beheerder's own view of a case (Temporal's Web UI) stays one
click away, named for what it gives ("Technische details"), not for the product. English pages
the same. Real worker, Temporal server and store."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete

from tests.api.conftest import Api
from tests.api.test_tenancy_web import app_of, browser
from traject.store import repositories as repo
from traject.store.db import transaction
from traject.store.models import Case, CasePerson
from traject.store.repositories import now

UI = "http://temporal.beheer.invalid"
JARGON = re.compile(r"\b(Temporal|workflows?|activity|activities|worker|Web UI)\b", re.I)


def visible(page: str) -> str:
    """The page's text as a reader sees it: no markup, scripts or attributes."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def links(page: str) -> dict[str, str]:
    """href → the link's text."""
    return {
        html.unescape(m[1]): " ".join(re.sub(r"<[^>]+>", "", m[2]).split())
        for m in re.finditer(r'<a [^>]*?href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    }


@pytest.fixture
def technical_view(api: Api) -> Iterator[str]:
    """The app with a link to the workflow engine's UI, as a deployment configures it."""
    state = app_of(api).state
    before = getattr(state, "temporal_ui", None)
    state.temporal_ui = UI
    yield UI
    state.temporal_ui = before


@pytest.fixture
def not_started(api: Api) -> Iterator[Case]:
    """A case whose first step was never recorded (it has no workflow), an hour ago."""
    with transaction(api.sessions) as session:
        version = repo.latest_version(session, "zaanstad", "zaanstad_pvt")
        case = repo.create_case(session, version, "Vastgelopen")
        case.started_at = now() - timedelta(hours=1)
    yield case
    with transaction(api.sessions) as session:
        session.execute(delete(CasePerson).where(CasePerson.case_id == case.id))
        session.execute(delete(Case).where(Case.id == case.id))


async def test_the_stuck_cases_say_what_to_do_and_link_technical_details(
    api: Api, technical_view: str, not_started: Case
) -> None:
    url = "/dashboard/stuck?definition=zaanstad_pvt"
    async with browser(api, "teamleider", "nl") as coordinator:
        page = (await coordinator.http.get(url)).text
    text = visible(page)
    assert not JARGON.findall(text), JARGON.findall(text)
    assert "Traject kan de eerste stap van deze zaken niet vastleggen" in text
    assert "Meld het bij de beheerder, met de zaaknummers" in text
    row = re.search(rf'<tr><th scope="row"><a href="/cases/{not_started.id}".*?</tr>', page, re.S)
    assert row, "the case that did not start is not listed"
    found = links(row.group(0))
    engine = f"{UI}/namespaces/default/workflows/{not_started.workflow_id}"
    assert found.get(engine) == "Technische details", found  # the beheerder's link, kept
    assert page.count('<th scope="col">Voor de beheerder</th>') == 2
    overdue = [text for href, text in links(page).items() if href.startswith(f"{UI}/")]
    assert "Technische details van alle te late zaken (voor de beheerder)" in overdue

    async with browser(api, "teamleider", "en") as coordinator:
        page = (await coordinator.http.get(url)).text
    text = visible(page)
    assert not JARGON.findall(text), JARGON.findall(text)
    assert "Traject cannot record the first step of these cases" in text
    assert "Report it to the administrator, with the case numbers" in text
    assert links(page).get(engine) == "Technical details"
    assert page.count('<th scope="col">For the administrator</th>') == 2


async def test_the_case_page_links_technical_details_not_temporal(
    api: Api, technical_view: str
) -> None:
    case = await api.start(first_name="Details")
    for lang, words in (
        ("nl", "Technische details (voor de beheerder)"),
        ("en", "Technical details (for the administrator)"),
    ):
        async with browser(api, "teamleider", lang) as coordinator:
            page = (await coordinator.http.get(f"/cases/{case['id']}")).text
        found = links(page)
        engine = f"{UI}/namespaces/default/workflows/trajectory-{case['id']}"
        assert found.get(engine) == words, {h: t for h, t in found.items() if UI in h}
        assert "Temporal" not in found.values()
        assert "Temporal" not in visible(page)
