"""The dashboard's downloads as the pages link them: for people (`?format=excel`) a file Excel
with Dutch regional settings opens in columns (a byte order mark, ';', a decimal comma), the
table as the page shows it, titled in the page's language; for scripts (the default, or
`?format=csv`) the RFC 4180 file with codes they always read. Real worker, Temporal server and
store; each file read back with Python's csv module."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from tests.api.conftest import Api
from tests.api.test_coordinator_words import links
from tests.api.test_tenancy_web import browser
from traject import kpi
from traject.store import repositories as repo
from traject.store.db import transaction
from traject.store.models import Case

D = "zaanstad_pvt"
IDLE = 60.5  # days without progress: stuck, and a number with a decimal


async def download(api: Api, url: str, lang: str, **params: str) -> httpx.Response:
    """A download with the coordinator's API token, as a browser in `lang` asks for it."""
    headers = {**api.headers("teamleider"), "Accept-Language": lang}
    response = await api.http.get(url, params={"definition": D, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return response


def read_excel(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8), data[:10]
    text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def read_plain(data: bytes) -> list[list[str]]:
    assert not data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.fixture
async def stuck_case(api: Api) -> dict[str, str]:
    """A zaanstad case without progress for IDLE days: the states it is in (codes, their titles
    as the page lists them) and the first of them."""
    case = await api.start()
    await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    states = (await api.get("klantmanager", f"/api/cases/{case['id']}")).json()["states"]
    with transaction(api.sessions) as session:
        session.execute(
            update(Case)
            .where(Case.id == case["id"])
            .values(last_progress_at=datetime.now(UTC) - timedelta(days=IDLE))
        )
        d = repo.compiled_of(repo.latest_version(session, "zaanstad", D))
    return {
        "id": case["id"],
        "states": " ".join(states),
        "titles": ", ".join(d.states[s].title for s in states),
        "state": states[0],
        "title": d.states[states[0]].title,
    }


@pytest.mark.parametrize(
    ("lang", "header", "running"),
    [
        (
            "nl",
            ["Zaak", "Stand", "Status", "Laatste voortgang", "Dagen stil", "Grens (dagen)"],
            "loopt",
        ),
        (
            "en",
            ["Case", "State", "Status", "Last progress", "Days idle", "Limit (days)"],
            "running",
        ),
    ],
)
async def test_the_stuck_cases_for_excel_and_for_scripts(
    api: Api, stuck_case: dict[str, str], lang: str, header: list[str], running: str
) -> None:
    excel = read_excel((await download(api, "/dashboard/stuck.csv", lang, format="excel")).content)
    assert excel[0][:-1] == header
    row = next(r for r in excel[1:] if r[0] == stuck_case["id"])
    assert row[1] == stuck_case["titles"] and row[2] == running
    assert datetime.strptime(row[3], "%Y-%m-%d %H:%M")  # a moment Excel reads as one
    assert row[4] == "60,5" and float(row[4].replace(",", ".")) == IDLE
    assert "." not in row[5] and float(row[5].replace(",", ".")) > 0

    plain = await download(api, "/dashboard/stuck.csv", lang)
    assert (
        plain.content == (await download(api, "/dashboard/stuck.csv", lang, format="csv")).content
    )
    table = read_plain(plain.content)
    assert table[0] == [
        "case_id",
        "workflow_id",
        "states",
        "status",
        "idle_since",
        "idle_days",
        "limit_days",
    ]
    row = next(r for r in table[1:] if r[0] == stuck_case["id"])
    assert row[2] == stuck_case["states"] and row[3] == "running" and row[5] == "60.5"
    assert datetime.fromisoformat(row[4])  # ISO 8601 as stored


@pytest.mark.parametrize(
    ("lang", "start", "of"),
    [("nl", ["Code", "Weken", "Fase", "Taken afgerond"], "van"), ("en", ["Code", "Weeks"], "of")],
)
async def test_the_scoreboard_for_excel(
    api: Api, stuck_case: dict[str, str], lang: str, start: list[str], of: str
) -> None:
    excel = read_excel(
        (await download(api, "/dashboard/scoreboard.csv", lang, format="excel")).content
    )
    assert excel[0][: len(start)] == start
    code = kpi.cell(kpi.pseudonym(stuck_case["id"]), kpi.EXCEL_NL)  # ="012345" if all digits
    row = next(r for r in excel[1:] if r[0] == code)
    assert f" {of} " in row[3] and "/" not in row[3]
    plain = read_plain((await download(api, "/dashboard/scoreboard.csv", lang)).content)
    assert plain[0][:5] == ["code", "weeks", "phase", "tasks_done", "tasks"]
    assert kpi.pseudonym(stuck_case["id"]) in [r[0] for r in plain[1:]]


@pytest.mark.parametrize(
    ("lang", "header"),
    [
        ("nl", ["Indicator", "Waarde", "Eenheid", "n", "Norm"]),
        ("en", ["Indicator", "Value", "Unit", "n", "Target"]),
    ],
)
async def test_the_report_and_a_section_for_excel(
    api: Api, stuck_case: dict[str, str], lang: str, header: list[str]
) -> None:
    excel = read_excel((await download(api, "/dashboard/report.csv", lang, format="excel")).content)
    assert excel[0] == header and len(excel) > 3
    for row in excel[1:]:  # every value, count and norm a number with a decimal comma
        for value in row[1:2] + row[3:]:
            assert value == "" or float(value.replace(",", ".")) is not None, row
            assert "." not in value, row
    plain = read_plain((await download(api, "/dashboard/report.csv", lang)).content)
    assert plain[0] == ["indicator", "label", "value", "unit", "n", "target"]
    assert plain[1][0] == "started"

    states = read_excel(
        (await download(api, "/dashboard/states.csv", lang, format="excel")).content
    )
    assert states[0][0] == {"nl": "Stap", "en": "Step"}[lang]
    named = [r[0].lstrip("· ") for r in states[1:]]
    assert stuck_case["title"] in named and stuck_case["state"] not in named
    codes = [r[0] for r in read_plain((await download(api, "/dashboard/states.csv", lang)).content)]
    assert stuck_case["state"] in codes


async def test_an_unknown_format_is_refused(api: Api) -> None:
    response = await api.get("teamleider", "/dashboard/stuck.csv", params={"format": "xlsx"})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("lang", "excel", "plain"),
    [
        ("nl", "Download voor Excel", "CSV voor koppelingen"),
        ("en", "Download for Excel", "CSV for integrations"),
    ],
)
async def test_every_dashboard_page_offers_both_downloads(
    api: Api, stuck_case: dict[str, str], lang: str, excel: str, plain: str
) -> None:
    """The overview (each section), the stuck cases, the scoreboard and the report: the Excel
    download for people first, the plain CSV beside it; the Excel one opens as it says."""
    pages = {
        f"/dashboard?definition={D}&full=true": 6,
        f"/dashboard/stuck?definition={D}": 1,
        f"/dashboard/scoreboard?definition={D}": 1,
        f"/dashboard/report?definition={D}": 1,
    }
    async with browser(api, "teamleider", lang) as coordinator:
        for url, at_least in pages.items():
            page = await coordinator.http.get(url)
            assert page.status_code == 200, page.text
            found = links(page.text)
            for_excel = [href for href, text in found.items() if text == excel]
            for_scripts = [href for href, text in found.items() if text == plain]
            assert len(for_excel) == len(for_scripts) >= at_least, (url, found)
            assert all("format=excel" in href and ".csv?" in href for href in for_excel)
            assert {h.replace("format=excel", "format=csv") for h in for_excel} == set(for_scripts)
            assert page.text.index(for_excel[0].replace("&", "&amp;")) < page.text.index(
                for_scripts[0].replace("&", "&amp;")
            )
            opened = await coordinator.http.get(for_excel[0])
            assert opened.status_code == 200, (for_excel[0], opened.text)
            assert opened.content.startswith(codecs.BOM_UTF8) and b";" in opened.content
