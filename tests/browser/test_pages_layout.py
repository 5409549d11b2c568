"""The pages as a reviewer walking them as a new user found them, in Chromium, on a real worker,
Temporal server and store: "Nieuw traject" shows the case dates of the chosen trajectory only;
on a phone (390 px) the inbox and the task page fit the screen, their buttons in reach; an
English page says so in <html lang> and its diagram button speaks English; a wi2021 case's long
date titles do not push its facts to the middle of the page, a termijn form keeps "Toelichting"
beside its box; and after "Oppakken" the form is a step below the button, the focus on its first
field. On a phone, too, a coordinator's team, audit log, API tokens, dashboard and a case's tasks
fit the screen, and so do a designer's pages, where a designer who works no cases lands.
Screenshots: tests/browser/screenshots/layout-*.png."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

from playwright.async_api import Browser, Locator, Page, ViewportSize, expect

from tests.api.conftest import PASSWORD, api_database_url, api_sessions
from tests.browser.conftest import PageRecorder, loopback_page, screenshot
from tests.browser.test_casework import sign_in, site

__all__ = ["api_database_url", "api_sessions", "site"]  # fixtures shared with the other tests

PHONE: ViewportSize = {"width": 390, "height": 844}
WI2021_DATES = ("duo_melding", "bijstand_ingangsdatum")  # known when a trajectory starts
WI2021_RECORDED = ("pip_datum", "routewissel_verlopen")  # recorded by the trajectory's steps


async def start_wi2021(page: Page, site: str, first_name: str, reference: str) -> str:
    """Start a wi2021 trajectory with its PIP dated a month ago (the three-year inburgeringstermijn
    runs); the case page's URL."""
    await page.goto(f"{site}/cases/new")
    await page.select_option("#definition", "wi2021")
    await page.fill("#first_name", first_name)
    await page.fill("#reference", reference)
    pip = (date.today() - timedelta(days=30)).isoformat()
    # a trajectory taken over after its PIP: the date the PIP step records is given at the start
    await page.locator("[data-definition=wi2021] summary", has_text="zelf vastlegt").click()
    await page.fill("[id='date:wi2021:pip_datum']", pip)
    await page.get_by_role("button", name="Traject starten").click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Traject gestart.")
    await expect(page.locator("#zaaktaken")).to_contain_text("Brede intake afnemen")
    return page.url


async def box(locator: Locator) -> dict[str, float]:
    found = await locator.bounding_box()
    assert found, f"{locator} is not shown"
    return dict(found)


async def fits_the_width(page: Page, width: int) -> None:
    """The page does not scroll sideways."""
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide on a {width} px screen"


async def within(page: Page, locator: Locator, width: int) -> None:
    """Each element of `locator` is shown, all of it inside the screen's width."""
    assert await locator.count(), f"no {locator} on {page.url}"
    for i in range(await locator.count()):
        shown = await box(locator.nth(i))
        assert shown["x"] >= 0 and shown["x"] + shown["width"] <= width, (str(locator), shown)


async def test_new_case_shows_the_dates_of_the_chosen_trajectory_only(
    page: Page, site: str
) -> None:
    await sign_in(page, site, "leiden", "voorbeeldgemeente")
    await page.goto(f"{site}/cases/new")
    dates = page.locator(".traject-case-date")
    await page.select_option("#definition", "pvt1")  # a trajectory without case dates
    await expect(page.locator("input[type=date]:visible")).to_have_count(0)
    await expect(dates.locator("visible=true")).to_have_count(0)
    await screenshot(page, "layout-new-case-pvt1")
    await page.select_option("#definition", "wi2021")
    shown = page.locator(".traject-case-date input:visible")
    await expect(shown).to_have_count(len(WI2021_DATES))
    ids = [await shown.nth(i).get_attribute("id") for i in range(len(WI2021_DATES))]
    assert ids == [f"date:wi2021:{name}" for name in WI2021_DATES], ids
    # the dates its steps record are asked apart, folded away, for a trajectory taken over
    await page.locator("[data-definition=wi2021] summary", has_text="zelf vastlegt").click()
    await expect(shown).to_have_count(len(WI2021_DATES) + len(WI2021_RECORDED))
    await screenshot(page, "layout-new-case-wi2021")


async def test_on_a_phone_the_inbox_and_the_task_page_fit_the_screen(
    page: Page, site: str, browser: Browser, recorder: PageRecorder
) -> None:
    await sign_in(page, site, "leiden", "voorbeeldgemeente")
    case_url = await start_wi2021(page, site, "Amina", f"VG-{secrets.token_hex(3)}")

    context = await browser.new_context(
        viewport=PHONE, locale="nl-NL", timezone_id="Europe/Amsterdam", service_workers="block"
    )
    try:
        phone = await loopback_page(context, recorder)
        await sign_in(phone, site, "leiden", "voorbeeldgemeente")
        width = PHONE["width"]
        await phone.goto(f"{site}/?view=team")
        await expect(phone.locator("#taken")).to_contain_text("Brede intake afnemen")
        await fits_the_width(phone, width)
        await within(phone, phone.get_by_role("button", name="Oppakken"), width)
        await within(phone, phone.get_by_role("button", name="Uitloggen"), width)
        # each card says what its lines are: the column's name before the value
        row = phone.locator("#taken tbody tr").first
        label = await row.locator("td[data-label]").first.evaluate(
            "td => getComputedStyle(td, '::before').content"
        )
        assert label == '"Inburgeraar"', label
        await screenshot(phone, "layout-phone-inbox")

        await phone.locator("#taken a", has_text="Brede intake afnemen").first.click()
        await expect(phone.locator("h1")).to_have_text("Brede intake afnemen")
        await fits_the_width(phone, width)
        await within(phone, phone.get_by_role("button", name="Uitloggen"), width)
        await within(phone, phone.get_by_role("button", name="Oppakken"), width)
        await within(phone, phone.locator("#taakformulier select"), width)
        await screenshot(phone, "layout-phone-task")

        # the case page: its facts, termijnen, tasks and forms, without scrolling sideways
        await phone.goto(case_url)
        await expect(phone.locator("#zaaktaken")).to_contain_text("Brede intake afnemen")
        await screenshot(phone, "layout-phone-case")
        await fits_the_width(phone, width)
        await within(phone, phone.locator("#zaaktaken a"), width)
    finally:
        await context.close()


async def test_an_english_page_says_so_and_its_diagram_button_speaks_english(
    page: Page, site: str, browser: Browser, recorder: PageRecorder
) -> None:
    await sign_in(page, site, "leiden", "voorbeeldgemeente")
    case_url = await start_wi2021(page, site, "Yonas", f"VG-{secrets.token_hex(3)}")
    context = await browser.new_context(
        viewport={"width": 1366, "height": 768},
        locale="en-GB",
        extra_http_headers={"Accept-Language": "en-GB,en;q=0.9"},
        service_workers="block",
    )
    try:
        english = await loopback_page(context, recorder)
        await english.goto(f"{site}/login")
        await english.select_option("#municipality", "voorbeeldgemeente")
        await english.fill("#username", "leiden")
        await english.fill("#password", PASSWORD)
        await english.click("form.traject-login button[type=submit]")
        await expect(english.locator("h1")).to_have_text("My work")
        assert await english.evaluate("document.documentElement.lang") == "en"
        await english.goto(case_url)
        size = english.locator("button.traject-diagram-size[aria-controls=diagram]")
        await expect(size).to_have_text("Actual size", timeout=20_000)
        await size.click()
        await expect(size).to_have_text("Fit to width")
    finally:
        await context.close()
    assert await page.evaluate("document.documentElement.lang") == "nl"  # a Dutch page stays


async def test_a_wi2021_case_keeps_its_facts_together_and_the_task_form_gets_the_focus(
    page: Page, site: str
) -> None:
    await sign_in(page, site, "leiden", "voorbeeldgemeente")
    case_url = await start_wi2021(page, site, "Samir", f"VG-{secrets.token_hex(3)}")

    # the long title of the PIP date wraps in the term column: the values stay near the terms
    facts = page.locator("#zaakgegevens")
    long_term = facts.locator("dt", has_text="Dagtekening van het PIP")
    assert (await box(long_term))["width"] <= 16 * 16 + 1
    assert (await box(long_term))["height"] > 30  # on two lines
    values = (await box(facts.locator("dd").first))["x"] - (await box(facts))["x"]
    assert values <= 16 * 16 + 24 + 1, values  # 16rem and the gap of 1.5rem

    # the extend form of the inburgeringstermijn: "Toelichting" on the line of its box
    note = page.locator("#toelichting-verlengen-inburgeringstermijn")
    label = page.locator("label[for=toelichting-verlengen-inburgeringstermijn]")
    for width in (1366, 1100, 900, 390):
        await page.set_viewport_size({"width": width, "height": 768})
        field, words = await box(note), await box(label)
        assert (
            abs((field["y"] + field["height"] / 2) - (words["y"] + words["height"] / 2))
            < field["height"] / 2
        ), (width, words, field)
        assert words["x"] < field["x"], (width, words, field)
    await page.set_viewport_size({"width": 1366, "height": 768})
    await screenshot(page, "layout-case-wi2021", full_page=False)

    # the task: "Oppakken" has room under it, and after it the focus is on the form's first field
    await page.goto(case_url)
    await page.locator("#zaaktaken a", has_text="Brede intake afnemen").click()
    claim = page.get_by_role("button", name="Oppakken")
    first = page.locator("#taakformulier :is(input, select, textarea):not([type=hidden])").first
    below = await box(claim)
    gap = (await box(page.locator("#taakformulier")))["y"] - (below["y"] + below["height"])
    assert gap >= 16, gap
    await claim.click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Taak opgepakt.")
    await expect(first).to_be_focused()
    await screenshot(page, "layout-task-claimed", full_page=False)
    await page.keyboard.press("Tab")  # and on through the form, not from the top of the page
    assert await page.evaluate("document.activeElement.closest('#taakformulier') !== null")


@asynccontextmanager
async def phone_of(
    browser: Browser, recorder: PageRecorder, site: str, username: str, municipality: str
) -> AsyncIterator[Page]:
    """A phone (390x844) signed in as `username`: the page they land on is loaded."""
    context = await browser.new_context(
        viewport=PHONE, locale="nl-NL", timezone_id="Europe/Amsterdam", service_workers="block"
    )
    try:
        phone = await loopback_page(context, recorder)
        await phone.goto(f"{site}/login")
        await phone.select_option("#municipality", municipality)
        await phone.fill("#username", username)
        await phone.fill("#password", PASSWORD)
        await phone.click("form.traject-login button[type=submit]")
        await phone.wait_for_url(lambda url: "/login" not in url)
        yield phone
    finally:
        await context.close()


async def label_of(cell: Locator) -> str:
    """The column's name a card shows before a cell (its ::before), as CSS gives it."""
    said: str = await cell.evaluate("td => getComputedStyle(td, '::before').content")
    return said


async def test_on_a_phone_a_coordinators_pages_fit_the_screen(
    page: Page, site: str, browser: Browser, recorder: PageRecorder
) -> None:
    """Team, audit log, API tokens, dashboard and a case's tasks at 390 px: the tables stack as
    cards (each value after its column's name, the buttons in reach), the dashboard's charts
    and downloads fit and its wide tables scroll in their own box; the page never sideways."""
    await sign_in(page, site, "leiden", "voorbeeldgemeente")
    case_url = await start_wi2021(page, site, "Farah", f"VG-{secrets.token_hex(3)}")
    width = PHONE["width"]
    async with phone_of(browser, recorder, site, "leiden", "voorbeeldgemeente") as phone:
        await phone.goto(f"{site}/team")
        await fits_the_width(phone, width)
        await within(phone, phone.locator("#team tbody th"), width)
        await within(phone, phone.get_by_role("button", name="Deactiveren"), width)
        username = phone.locator("#team tbody td[data-label]").first
        assert await label_of(username) == '"Gebruikersnaam"'
        # a column's name and its value on one line, beside each other
        assert (await box(username))["height"] < 30, await box(username)
        await screenshot(phone, "layout-phone-team")

        await phone.goto(f"{site}/audit")
        await fits_the_width(phone, width)
        await within(phone, phone.locator("#auditlog a[href^='/cases/']"), width)  # Zaak
        await within(phone, phone.get_by_role("button", name="Filteren"), width)
        await screenshot(phone, "layout-phone-audit")

        await phone.goto(f"{site}/tokens")
        await phone.fill("#name", "zaaksysteem-koppeling-zonder-spaties-" + "x" * 40)
        await phone.get_by_role("button", name="Token maken").click()
        await expect(phone.locator("#nieuw-token")).to_be_visible()
        await fits_the_width(phone, width)
        await within(phone, phone.locator("#nieuw-token"), width)  # the token wraps
        await within(phone, phone.get_by_role("button", name="Intrekken"), width)
        await screenshot(phone, "layout-phone-tokens")

        await phone.goto(f"{site}/dashboard?definition=wi2021")
        await expect(phone.locator("html")).to_have_attribute("data-charts", "drawn")
        await expect(phone.locator("#heatmap svg")).to_be_visible()
        await fits_the_width(phone, width)
        states = phone.locator("#sectie-states")
        await expect(states.locator("h2")).to_have_text("Lopende zaken per stap")
        await within(phone, states.locator("canvas"), width)
        await within(phone, states.locator(".dash-downloads a"), width)
        await within(phone, phone.locator("#heatmap svg"), width)
        await within(phone, phone.locator(".dash-section"), width)
        # a table wider than the phone scrolls in its own box, which says so above it
        wide = phone.locator(".traject-table-scroll[data-scrolls]")
        assert await wide.count(), "no dashboard table scrolls on a phone"
        await within(phone, wide, width)
        await expect(phone.locator(".traject-scroll-hint:visible").first).to_have_text(
            "Schuif de tabel opzij voor de andere kolommen →"
        )
        await screenshot(phone, "layout-phone-dashboard")
        for tab in ("stuck", "scoreboard", "report"):
            await phone.goto(f"{site}/dashboard/{tab}?definition=wi2021")
            await fits_the_width(phone, width)
        await screenshot(phone, "layout-phone-dashboard-report")

        await phone.goto(case_url)
        await fits_the_width(phone, width)
        tasks = phone.locator("#zaaktaken tbody tr")
        await within(phone, tasks, width)
        await within(phone, tasks.locator("td[data-label] .traject-badge"), width)  # Status
        assert await label_of(tasks.first.locator("td[data-label]").last) == '"Status"'


async def test_on_a_phone_a_designer_lands_on_their_pages_and_they_fit_the_screen(
    browser: Browser, site: str, recorder: PageRecorder
) -> None:
    """A designer who works no cases lands on Ontwerpen (no empty inbox, no "Zaken" they would
    be refused); the list and a trajectory's versions fit 390 px as cards."""
    width = PHONE["width"]
    async with phone_of(browser, recorder, site, "ontwerper", "zaanstad") as phone:
        await expect(phone).to_have_url(f"{site}/designer")
        await expect(phone.locator("h1")).to_have_text("Trajecten ontwerpen")
        await expect(phone.locator(".traject-nav__link")).to_have_text(["Ontwerpen"])
        await fits_the_width(phone, width)
        await within(phone, phone.locator("#definities tbody tr"), width)
        await screenshot(phone, "layout-phone-designer")

        await phone.locator("#definities a", has_text="Participatieverklaringstraject").click()
        await expect(phone.locator("#versies")).to_be_visible()
        await fits_the_width(phone, width)
        await within(phone, phone.locator("h1"), width)  # a long word of the title breaks
        await within(phone, phone.locator("#versies tbody tr"), width)
        await within(phone, phone.locator("#versies a", has_text="ZGW-zaaktype"), width)
        await screenshot(phone, "layout-phone-designer-versions")
