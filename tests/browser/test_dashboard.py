"""The coordinators' dashboard in a real browser, on a store filled with a few hundred generated
trajectories (bench/dashboard_data.py; no Temporal needed: the dashboard only reads). Checks the
charts and the heatmap are drawn from vendored files only, the numbers on the page match the
store, no newcomer's name appears anywhere, a case worker has no access, and saves screenshots:
tests/browser/screenshots/dashboard*.png and report.png."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.dashboard_data import Generator, generate, utc_now, write
from tests.browser.conftest import PageRecorder, screenshot, serve
from tests.conftest import DEFINITIONS
from traject.api.app import create_app
from traject.casework import Casework
from traject.seed import seed
from traject.service import Traject
from traject.store import accounts
from traject.store import repositories as repo
from traject.store.db import make_engine, session_factory, transaction
from traject.store.migrate import upgrade
from traject.store.models import Case, CasePerson, Task

PASSWORD = "correct horse battery staple"
NAMES = ("Zhivago", "Scheherazade", "Oksana")  # in case_persons: must never reach the dashboard


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'traject.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    seed(sessions, DEFINITIONS)
    now = utc_now()
    with transaction(sessions) as session:
        for municipality, name, roles in (
            ("voorbeeldgemeente", "teamleider", ["coordinator"]),
            ("voorbeeldgemeente", "klantmanager", ["caseworker"]),
            ("pragma", "wethouder", ["coordinator"]),
        ):
            accounts.create_user(
                session, municipality, name, name.capitalize(), roles, [], PASSWORD
            )
        for municipality, definition, n in (
            ("voorbeeldgemeente", "wi2021", 400),
            ("voorbeeldgemeente", "vip18", 150),
            ("voorbeeldgemeente", "pvt1", 60),  # few steps: its tables sit beside another
            ("pragma", "pragma", 200),
        ):
            version = repo.latest_version(session, municipality, definition)
            gen = Generator(repo.compiled_of(version), version.id, municipality, now)
            write(session.connection(), generate(gen, n, random.Random(n), definition[:3]))
        for i, case_id in enumerate(session.scalars(select(Case.id).limit(60))):
            session.add(
                CasePerson(case_id=case_id, first_name=NAMES[i % 3], last_name=NAMES[i % 3])
            )
    return sessions


@pytest.fixture(scope="module")
def site(store: sessionmaker[Session]) -> Iterator[str]:
    async def ready() -> bool:
        return True

    casework = Casework(Traject(store, None, "unused"))  # type: ignore[arg-type]  # reads only
    app = create_app(store, ready, casework=casework, temporal_ui="http://127.0.0.1:8233")
    with serve(app) as url:
        yield url


async def sign_in(page: Page, site: str, municipality: str, username: str) -> None:
    await page.goto(f"{site}/login")
    await page.select_option("#municipality", municipality)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("form.traject-login button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Mijn werkvoorraad")


async def charts_drawn(page: Page) -> None:
    await expect(page.locator("html")).to_have_attribute("data-charts", "drawn")
    canvases = page.locator("canvas[data-chart]")
    assert await canvases.count() >= 6
    assert await page.locator("canvas[data-drawn=true]").count() == await canvases.count()


def open_tasks(store: sessionmaker[Session], municipality: str, definition: str) -> int:
    with store() as session:
        ids = [
            v.id
            for v in repo.list_definition_versions(session, municipality)
            if v.definition == definition
        ]
        count = session.scalar(
            select(func.count())
            .select_from(Task)
            .join(Case, Case.id == Task.case_id)
            .where(Task.status == "open", Case.definition_version_id.in_(ids))
        )
        return int(count or 0)


async def test_a_coordinator_reads_the_dashboard(
    page: Page, site: str, store: sessionmaker[Session], recorder: PageRecorder
) -> None:
    await sign_in(page, site, "voorbeeldgemeente", "teamleider")
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.locator("h1")).to_contain_text("Inburgering volgens de Wet inburgering 2021")
    await charts_drawn(page)
    await expect(page.locator("#heatmap svg")).to_be_visible()
    await expect(page.locator("#heatmap g.heat4").first).to_be_attached()  # the fullest step
    cells = await page.locator("#tabel-tasks tbody tr td:nth-child(2)").all_inner_texts()
    assert sum(int(c) for c in cells) == open_tasks(store, "voorbeeldgemeente", "wi2021") > 0
    await expect(page.locator("#sectie-wet_inburgering")).to_contain_text("PIP binnen 10 weken")
    html = await page.content()
    assert not [name for name in NAMES if name in html]
    await screenshot(page, "dashboard")
    await page.locator("#heatmap").screenshot(
        path=str(Path(__file__).parent / "screenshots" / "dashboard-heatmap.png")
    )

    await page.select_option("#definition", "vip18")
    await page.fill("#start", "2024-01-01")
    await page.get_by_role("button", name="Tonen").click()
    await expect(page.locator("h1")).to_contain_text("VIP18")
    await charts_drawn(page)
    await expect(page.locator("#sectie-wet_inburgering")).to_have_count(
        0
    )  # not a Wi2021 definition

    href = await page.locator("#sectie-weekly a.dash-csv").get_attribute("href")
    assert href is not None
    response = await page.request.get(f"{site}{href}")
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(await response.text())))
    # the period chosen above (from 2024-01-01), not the default twelve months
    assert rows[0] == ["Maandag", "Week", "Gestart", "Afgerond"] and len(rows) > 100
    assert rows[1][0] <= "2024-01-01" < rows[2][0], rows[:3]
    # the link for people: the same table for Excel with Dutch regional settings
    excel = page.locator("#sectie-weekly a.dash-excel")
    await expect(excel).to_have_text("Download voor Excel")
    href = await excel.get_attribute("href")
    response = await page.request.get(f"{site}{href}")
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    body = await response.body()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8's byte order mark: Excel reads it as such
    text = body.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == rows

    await page.get_by_role("link", name="Vastgelopen zaken").click()
    await expect(page.locator("#vastgelopen")).to_be_visible()
    days = await page.locator(
        "#vastgelopen td.dash-num, #vastgelopen-per-stap td.dash-num"
    ).all_inner_texts()
    assert days and all(d.isdigit() for d in days), days  # whole days: 21, not 21,0
    await screenshot(page, "dashboard-stuck")
    await page.get_by_role("link", name="Kwartaalrapportage").click()
    await expect(page.locator("#rapport")).to_contain_text("Gestart")
    await screenshot(page, "report")
    await page.emulate_media(media="print")
    await expect(page.locator(".traject-nav")).to_be_hidden()
    await screenshot(page, "report-print")
    assert not recorder.console_errors, recorder.console_errors


async def test_the_pragma_scoreboard_shows_progress_without_names(
    page: Page, site: str, recorder: PageRecorder
) -> None:
    await sign_in(page, site, "pragma", "wethouder")
    await page.goto(f"{site}/dashboard/scoreboard")
    board = page.locator("#scorebord")
    for column in ("Weten", "Kunnen", "Vinden"):
        await expect(board.locator("thead")).to_contain_text(column)
    first = await board.locator("tbody tr th code").first.inner_text()
    assert len(first) == 6 and first.isalnum()
    html = await page.content()
    assert not [name for name in NAMES if name in html] and "pra0" not in html  # no case ids
    await screenshot(page, "dashboard-scoreboard")
    await page.goto(f"{site}/dashboard")
    await charts_drawn(page)
    await expect(page.locator("#heatmap svg")).to_be_visible()
    await screenshot(page, "dashboard-pragma")
    assert not recorder.console_errors, recorder.console_errors


# [section, low end of its chart's value axis] of every chart drawn on the page
CHART_LOWS = """() => [...document.querySelectorAll('canvas[data-drawn]')].map(canvas => {
  const chart = Chart.getChart(canvas);
  return [canvas.closest('section').id, chart.scales[chart.options.indexAxis === 'y' ? 'x' : 'y'].min];
})"""
# (the words, whether a code is beside them) in the step column of the open cases per step
STEP_CELLS = """() => [...document.querySelectorAll('#tabel-states tbody th')].map(th => [
  th.textContent.trim(), th.querySelector('code') !== null,
])"""


async def test_the_steps_are_named_and_an_empty_chart_starts_at_zero(
    page: Page, site: str, store: sessionmaker[Session], recorder: PageRecorder
) -> None:
    """The step column of the open cases per step names each step by its title alone (a code
    tells a coordinator nothing; the CSV keeps the codes). A trajectory without cases (pvt4, no data in this store) draws
    its charts from 0, not on an axis from -1 to 1 around a line of zeros."""
    await sign_in(page, site, "voorbeeldgemeente", "teamleider")
    await page.goto(f"{site}/dashboard?definition=pvt1")
    await charts_drawn(page)
    with store() as session:
        d = repo.compiled_of(repo.latest_version(session, "voorbeeldgemeente", "pvt1"))
    steps = await page.evaluate(STEP_CELLS)
    assert steps and not [words for words, coded in steps if coded], steps
    response = await page.request.get(f"{site}/dashboard/states.csv?definition=pvt1")
    rows = list(csv.reader(io.StringIO(await response.text())))
    codes = [r[0] for r in rows[1:]]  # codes in the CSV, the titles on the page
    assert [words.lstrip("· ") for words, _ in steps] == [d.states[c].title for c in codes]

    await page.goto(f"{site}/dashboard?definition=pvt4")
    await expect(page.locator("h1")).to_contain_text("PVT4")
    await expect(page.locator("html")).to_have_attribute("data-charts", "drawn")
    lows = await page.evaluate(CHART_LOWS)
    assert any(key == "sectie-weekly" for key, _ in lows), lows
    assert all(low == 0 for _, low in lows), lows
    await expect(page.locator("#tabel-states")).to_contain_text("Geen gegevens.")
    await screenshot(page, "dashboard-empty")
    assert not recorder.console_errors, recorder.console_errors


async def test_a_case_worker_has_no_dashboard(page: Page, site: str) -> None:
    await sign_in(page, site, "voorbeeldgemeente", "klantmanager")
    await expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
    response = await page.goto(f"{site}/dashboard")
    assert response is not None and response.status == 403
    csv_response = await page.request.get(f"{site}/dashboard/states.csv")
    assert csv_response.status == 403


# Each header cell of the page's tables that is cut off: wider than itself, or past the right edge
# of its scroll box or of the window (where the rest is out of sight). Closed <details> are opened.
CUT_OFF_HEADERS = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('main th')].filter(th => {
    const box = th.closest('.dash-table-wrap');
    const right = Math.min(width, box ? box.getBoundingClientRect().right : width);
    return th.scrollWidth > th.clientWidth || th.getBoundingClientRect().right > right + 1;
  }).map(th => `${th.closest('table').id}: ${th.innerText}`);
}"""


@pytest.mark.parametrize("width", [1280, 1024])
async def test_the_dashboard_tables_show_every_header_on_a_laptop_screen(
    page: Page, site: str, width: int
) -> None:
    """A coordinator's laptop (1280 or 1024 pixels wide): every table's headers can be read in
    full ("Norm (dagen)", not "Norm (dag"), and no page is wider than the window."""
    await page.set_viewport_size({"width": width, "height": 800})
    await sign_in(page, site, "voorbeeldgemeente", "teamleider")
    for path in (
        "/dashboard?definition=pvt1",
        "/dashboard?definition=vip18",
        "/dashboard?definition=wi2021",
        "/dashboard/stuck?definition=wi2021",
        "/dashboard/scoreboard?definition=wi2021",
        "/dashboard/report?definition=wi2021",
    ):
        await page.goto(f"{site}{path}")
        assert await page.locator("main th").count() > 0, path
        assert await page.evaluate(CUT_OFF_HEADERS) == [], (width, path)
        sizes = await page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert sizes[0] <= sizes[1], (width, path, sizes)
    await screenshot(page, f"dashboard-{width}")


# What sticks out past the right edge of a phone's screen outside a box that scrolls: a chart,
# a download link, a section, the heatmap (each as "tag#id.class: its right edge").
STICKS_OUT = """(width) => [...document.querySelectorAll(
  'main canvas, main .dash-downloads a, main .dash-section, main .dash-heat, main #heatmap svg,'
  + ' main .traject-table-scroll, main h1, main h2')]
  .filter(e => !e.parentElement.closest('.traject-table-scroll'))
  .filter(e => e.getBoundingClientRect().right > width + 0.5)
  .map(e => `${e.tagName}#${e.id}.${e.className}: ${e.getBoundingClientRect().right}`)"""


async def test_on_a_phone_the_dashboard_fits_the_screen(page: Page, site: str) -> None:
    """A coordinator on a phone (390 px), a store of hundreds of trajectories: no dashboard page
    scrolls sideways; the sections stack, their charts and downloads in view, and a table wider
    than the phone scrolls in a box of its own, with a hint above it."""
    width = 390
    await page.set_viewport_size({"width": width, "height": 844})
    await sign_in(page, site, "voorbeeldgemeente", "teamleider")
    for path in (
        "/dashboard?definition=wi2021",
        "/dashboard?definition=pvt1",
        "/dashboard/stuck?definition=wi2021",
        "/dashboard/scoreboard?definition=wi2021",
        "/dashboard/report?definition=wi2021",
    ):
        await page.goto(f"{site}{path}")
        if path.startswith("/dashboard?"):
            await charts_drawn(page)
        assert await page.evaluate(STICKS_OUT, width) == [], path
        sizes = await page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert sizes[0] <= width, (path, sizes)
        name = path.split("?")[0].strip("/").replace("/", "-")
        await screenshot(page, f"{name}-phone")
    # the scoreboard's table is far wider than a phone: its box scrolls, and says so
    scrolling = page.locator(".traject-table-scroll[data-scrolls]")
    await page.goto(f"{site}/dashboard/scoreboard?definition=wi2021")
    await expect(scrolling).to_have_count(1)
    await expect(page.locator(".traject-scroll-hint")).to_be_visible()
    await scrolling.focus()  # the keyboard scrolls it too
    await page.keyboard.press("ArrowRight")
    await page.wait_for_function(
        "() => document.querySelector('.traject-table-scroll[data-scrolls]').scrollLeft > 0"
    )
