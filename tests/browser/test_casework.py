"""A case worker in the browser, on a real worker, Temporal server and store: signs in, starts a
Zaanstad trajectory, records the housing (its date asked for; another date for it asked about
first), fills the participatiegesprek form (wrong once, the message shown inline, then right),
claims and completes the workshop tasks and the signing, and sees "Participatieverklaring
getekend" on the case's timeline. Screenshots: tests/browser/screenshots.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker
from temporalio.worker import Worker

from activities.record import StepRecorder
from tests.api.conftest import PASSWORD, api_database_url, api_sessions
from tests.browser.conftest import (
    VIEWPORT,
    PageRecorder,
    free_loopback_socket,
    loopback_page,
    new_context,
    screenshot,
)
from traject.api.app import create_app
from traject.casework import Casework
from traject.service import Traject
from workflows.trajectory import TrajectoryWorkflow

__all__ = ["api_database_url", "api_sessions"]  # fixtures shared with the API tests


@pytest_asyncio.fixture(scope="module")
async def site(temporal_env: Any, api_sessions: sessionmaker[Session]) -> AsyncIterator[str]:
    """Traject's app served on a loopback port in the test's own event loop (where the Temporal
    client lives), with a worker on its own task queue."""
    client = temporal_env.client
    queue = f"web-{secrets.token_hex(4)}"
    app = create_app(
        api_sessions,
        client.service_client.check_health,
        casework=Casework(Traject(api_sessions, client, queue)),
    )
    sock = free_loopback_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[TrajectoryWorkflow],
            activities=[StepRecorder(api_sessions).record_step],
            activity_executor=executor,
        ):
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                await asyncio.sleep(0.02)
            try:
                yield f"http://127.0.0.1:{sock.getsockname()[1]}"
            finally:
                server.should_exit = True
                with contextlib.suppress(Exception):
                    await serving
                sock.close()


async def sign_in(
    page: Page, site: str, username: str = "klantmanager", municipality: str = "zaanstad"
) -> None:
    await page.goto(f"{site}/")
    await expect(page).to_have_url(f"{site}/login?next=/")
    await page.select_option("#municipality", municipality)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("form.traject-login button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Mijn werkvoorraad")


async def do_task(
    page: Page, site: str, case_url: str, title: str, answers: dict[str, str]
) -> None:
    """From the case page: open the task, claim it, fill the form, complete it."""
    await page.goto(case_url)
    await page.locator("#zaaktaken tr.traject-current a", has_text=title).click()
    await page.get_by_role("button", name="Oppakken").click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Taak opgepakt.")
    for name, value in answers.items():
        field = page.locator(f"[name={name}]")
        if await field.first.get_attribute("type") in ("radio", "checkbox"):
            await page.locator(f"[name={name}][value={value}]").check()
        elif await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)
    await page.get_by_role("button", name="Afronden").click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Taak afgerond.")


async def test_a_case_worker_takes_a_zaanstad_case_to_the_signing(
    page: Page, site: str, recorder: PageRecorder
) -> None:
    await sign_in(page, site)
    await page.get_by_role("link", name="Nieuw traject").click()
    await page.select_option("#definition", "zaanstad_pvt")
    await page.fill("#bsn", "12345")
    await page.fill("#first_name", "Amina")
    await page.get_by_role("button", name="Traject starten").click()
    await expect(page.locator("#bsn-fout")).to_contain_text("Geen geldig BSN")
    await page.fill("#bsn", "111222333")
    await page.fill("#last_name", "Haddad")
    await page.get_by_role("button", name="Traject starten").click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Traject gestart.")
    case_url = page.url
    await expect(page.locator("#zaaktaken")).to_contain_text("kernwaarden")  # the step was recorded

    await page.select_option("#event", "gehuisvest")
    await page.get_by_role("button", name="Vastleggen").first.click()
    # the housing sets a case date: without it the form comes back, its summary in view
    summary = page.locator("#gebeurtenis #foutoverzicht")
    await expect(summary).to_be_focused()
    await expect(summary.locator("li")).to_have_text(
        ["Datum: Vul de datum in: deze gebeurtenis legt een datum van het traject vast"]
    )
    await expect(page.locator("#event")).to_have_value("gehuisvest")  # the choice stays
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    await page.fill("#event-date", today.isoformat())
    await page.get_by_role("button", name="Vastleggen").first.click()
    await expect(page.locator("#stand")).to_contain_text("Participatiegesprek")
    # another date for it would replace the one recorded: asked first, and Terug records nothing
    await page.select_option("#event", "gehuisvest")
    await page.fill("#event-date", (today - timedelta(days=1)).isoformat())
    await page.get_by_role("button", name="Vastleggen").first.click()
    asked = page.locator("#bevestig-gebeurtenis")
    await expect(asked).to_be_focused()
    await expect(asked).to_contain_text(f"Dit vervangt de datum {today.strftime('%d-%m-%Y')}")
    await expect(page.get_by_role("button", name="Ja, datum vervangen")).to_be_visible()
    await page.locator("#gebeurtenis-terug").click()
    await expect(page.locator("#event")).to_have_value("")
    await expect(page.locator("#bevestig-gebeurtenis")).to_have_count(0)
    await page.locator("#zaaktaken a", has_text="articipatiegesprek").click()
    task_url = page.url
    await page.get_by_role("button", name="Oppakken").click()
    await page.locator("[name=trede]").select_option("2")
    await page.get_by_role("button", name="Afronden").click()  # required answers missing
    await expect(page.locator("#foutoverzicht")).to_be_visible()
    await expect(page.locator("#foutoverzicht")).to_be_focused()  # read out, and in view
    # the summary names the field as the form does
    await expect(page.locator("#foutoverzicht li")).to_have_text(
        ["Opleidingsniveau: Dit veld is verplicht"]
    )
    await expect(page.locator("#veld-opleidingsniveau-veld .traject-field__error")).to_have_text(
        "Dit veld is verplicht"
    )
    await expect(page.locator("[name=trede]")).to_have_value("2")  # what was typed stays
    await screenshot(page, "task-form-with-errors")
    # the options read as the definition labels them; the form sends the code
    await expect(page.locator("[name=opleidingsniveau] option[value=voortgezet]")).to_have_text(
        "Voortgezet onderwijs"
    )
    await expect(page.locator("label", has=page.locator("[value=ict]"))).to_have_text("ICT")
    await page.locator("[name=opleidingsniveau]").select_option("mbo")
    await page.locator("[name=werkervaring_sectoren][value=zorg]").check()
    await page.locator("[name=werkervaring_sectoren][value=ict]").check()
    await page.get_by_role("button", name="Afronden").click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Taak afgerond.")

    # the completed task: each answer under the form's label, as people read it
    await page.goto(task_url)
    answers = page.locator("#antwoorden")
    await expect(answers.locator("dt")).to_have_text(
        [
            "Opleidingsniveau",
            "Werkervaring sectoren",
            "Talenten en kwaliteiten",
            "Trede participatieladder",
        ]
    )
    await expect(answers.locator("dd")).to_have_text(
        ["MBO", "Zorg, ICT", "—", "2 · Sociale contacten buiten de deur"]
    )
    await screenshot(page, "task-completed")

    await page.goto(f"{site}/?view=unassigned")
    await expect(page.locator("#taken")).to_contain_text("kernwaarden")
    await screenshot(page, "inbox")
    await do_task(page, site, case_url, "kernwaarden", {"aanwezig": "true"})
    await do_task(
        page,
        site,
        case_url,
        "Participatie in de praktijk",
        {"aanwezig": "true", "aangemeld_voor_activiteit": "true"},
    )
    await do_task(page, site, case_url, "ondertekening", {"getekend": "true"})

    await page.goto(case_url)
    timeline = page.locator("#tijdlijn")
    await expect(timeline).to_contain_text("Participatieverklaring getekend")
    await expect(page.locator("#diagram svg")).to_be_visible()
    await expect(page.locator("#diagram g.current").first).to_be_attached()
    await screenshot(page, "case")

    # Zaanstad's chart is far wider than the page: fitted, its words are too small to read, so
    # a button shows it at its own size (the box scrolling sideways) and fits it again
    size = page.locator("button.traject-diagram-size[aria-controls=diagram]")
    await expect(size).to_have_text("Ware grootte")
    fitted = await page.locator("#diagram svg").bounding_box()
    await size.click()
    await expect(size).to_have_text("Passend maken")
    actual = await page.locator("#diagram svg").bounding_box()
    assert fitted and actual and actual["width"] > 1.25 * fitted["width"], (fitted, actual)
    scrolls = await page.locator("#diagram").evaluate("e => e.scrollWidth > e.clientWidth + 100")
    assert scrolls
    page_width = await page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= VIEWPORT["width"], page_width  # the box scrolls, not the page
    await screenshot(page, "case-diagram-actual-size")
    await size.click()
    await expect(size).to_have_text("Ware grootte")
    again = await page.locator("#diagram svg").bounding_box()
    assert again and abs(again["width"] - fitted["width"]) < 2, (fitted, again)
    assert not recorder.outside(), recorder.outside()


async def test_a_task_a_colleague_holds_is_shown_to_read_not_to_fill_in(
    page: Page, site: str, browser: Browser
) -> None:
    await sign_in(page, site)
    await page.get_by_role("link", name="Nieuw traject").click()
    await page.select_option("#definition", "zaanstad_pvt")
    await page.fill("#first_name", "Yusuf")
    await page.get_by_role("button", name="Traject starten").click()
    await page.locator("#zaaktaken a", has_text="kernwaarden").click()
    task_url = page.url
    await page.get_by_role("button", name="Oppakken").click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Taak opgepakt.")

    # the colleague in a browser of their own, held to the loopback as `page` is
    context = await new_context(browser)
    asked = PageRecorder()
    try:
        colleague = await loopback_page(context, asked)
        await sign_in(colleague, site, "collega")
        await colleague.goto(task_url)
        notice = colleague.locator("#opgepakt")
        await expect(notice).to_contain_text("Deze taak is opgepakt door Klantmanager.")
        await expect(notice).to_contain_text("Vraag Klantmanager of een coördinator")
        await expect(colleague.get_by_role("button", name="Afronden")).to_have_count(0)
        await expect(colleague.get_by_role("button", name="Oppakken")).to_have_count(0)
        await expect(colleague.get_by_label("Ja").first).to_be_disabled()
        await screenshot(colleague, "task-held-by-colleague")
        assert not asked.outside(), asked.outside()
    finally:
        await context.close()
