"""Reasons on the case page: suspending, resuming and stopping a trajectory, and suspending or
extending a termijn, the case worker chooses a reason from a list (traject/reasons.py) instead of
typing a code. No reason, or 'Anders' without a note, sends the form back with the error summary
and changes nothing; a chosen reason is stored as its code and read as its label on the timeline
and the audit log. The API still takes a code of its own, shown as it is. Real worker, Temporal
server and store."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from tests.api.conftest import Api
from tests.api.test_audit_page import audit_rows
from tests.api.test_tenancy_web import browser
from traject.store.models import AuditEvent, Case, CaseTermijn, TimelineEvent

SUMMARY = "Het formulier is nog niet goed"


def options(page: str, select_id: str) -> dict[str, str]:
    """value → text of the options of the select with this id (none: no such select)."""
    found = re.search(rf'<select id="{select_id}" name="reason"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no reason list #{select_id} on the page"
    return {
        v: html.unescape(t.strip())
        for v, t in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))
    }


def chosen(page: str, select_id: str) -> str | None:
    found = re.search(rf'<select id="{select_id}" name="reason"[^>]*>(.*?)</select>', page, re.S)
    assert found
    selected = re.search(r'<option value="([^"]*)" selected>', found.group(1))
    return selected.group(1) if selected else None


def timeline(page: str) -> list[str]:
    """The timeline's entries as text without their time, oldest first (the page shows the
    newest first: `moments` checks that it does)."""
    found = re.search(r'<ol class="traject-timeline" id="tijdlijn"[^>]*>(.*?)</ol>', page, re.S)
    assert found, "no timeline"
    items = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)
    moments = re.findall(r'<time [^>]*datetime="([^"]+)"', found.group(1))
    assert moments == sorted(moments, reverse=True), moments  # newest first
    untimed = (re.sub(r"<time[^>]*>.*?</time>", "", item, flags=re.S) for item in items)
    entries = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in untimed]
    return entries[::-1]


def audited(api: Api, case_id: str) -> list[tuple[str, dict[str, Any]]]:
    with api.sessions() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.case_id == case_id, AuditEvent.action.not_in(["case_read"]))
            .order_by(AuditEvent.id)
        ).all()
    return [(a, dict(d or {})) for a, d in rows]


def status(api: Api, case_id: str) -> str:
    with api.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.status


async def until(check: Callable[[], Any]) -> Any:
    """The check's answer once it is true: the workflow answers before the store has it all."""
    for _ in range(100):
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("not recorded in time")


def kinds_with_reasons(api: Api, case_id: str) -> list[tuple[str, str | None]]:
    with api.sessions() as session:
        rows = session.execute(
            select(TimelineEvent.kind, TimelineEvent.detail)
            .where(TimelineEvent.case_id == case_id)
            .order_by(TimelineEvent.seq, TimelineEvent.id)
        ).all()
    return [(k, (d or {}).get("reason")) for k, d in rows if (d or {}).get("reason")]


async def test_the_case_page_offers_the_reasons_for_each_action(api: Api) -> None:
    case = await api.start(first_name="Reden")
    url = f"/cases/{case['id']}"
    async with browser(api, "klantmanager", "nl") as worker:
        page = (await worker.http.get(url)).text
        suspend = options(page, "reason")
        assert next(iter(suspend)) == "" and suspend[""] == "Kies…"  # nothing chosen at first
        assert suspend["wacht_op_documenten"] == "Wacht op documenten"
        assert suspend["persoonlijke_omstandigheden"].startswith("Persoonlijke omstandigheden (")
        assert suspend["anders"] == "Anders (licht toe)"
        assert "verhuisd" not in suspend  # a reason to stop, not to suspend
        assert 'placeholder="wacht_op_documenten"' not in page and "pattern=" not in page
        assert 'id="reden-stoppen"' not in page  # stopping is for a coordinator
    async with browser(api, "teamleider", "en") as coordinator:
        page = (await coordinator.http.get(url)).text
        stop = options(page, "reden-stoppen")
        assert stop["verhuisd"] == "Moved to another municipality"
        assert stop["overleden"] == "Deceased"
        assert list(stop)[-1] == "anders" and stop["anders"] == "Other (explain)"
        assert "wacht_op_documenten" not in stop


async def test_no_reason_or_anders_without_a_note_is_sent_back_and_changes_nothing(
    api: Api,
) -> None:
    case = await api.start(first_name="Zonder")
    url = f"/cases/{case['id']}"
    before = audited(api, case["id"])
    async with browser(api, "teamleider", "nl") as coordinator:
        for form, data, field, said in (
            ("besluit", {"decision": "suspend", "reason": ""}, "reason", "Kies een reden"),
            (
                "stoppen",
                {"decision": "cancel", "note": "dubbel"},
                "reden-stoppen",
                "Kies een reden",
            ),
            (
                "besluit",
                {"decision": "suspend", "reason": "anders", "note": "  "},
                "note",
                "Licht de reden toe: je koos &#39;Anders&#39;",
            ),
        ):
            answer = await coordinator.post(f"{url}/decide", data)
            assert answer.status_code == 422, answer.text[:500]
            page = answer.text
            sent_back = re.search(rf'<form [^>]*id="{form}"[^>]*>(.*?)</form>', page, re.S)
            assert sent_back, form
            assert SUMMARY in sent_back.group(1) and said in sent_back.group(1), form
            assert f'<a href="#{field}">' in sent_back.group(1)  # the summary leads to the field
            assert f'id="{field}" name=' in page and 'aria-invalid="true"' in sent_back.group(1)
            assert page.count('class="traject-error-summary"') == 1  # only the form sent back
        # what was chosen stays chosen
        assert chosen(page, "reason") == "anders"
    assert status(api, case["id"]) == "running"
    assert audited(api, case["id"]) == before  # nothing was decided, nothing audited


async def test_a_chosen_reason_shows_in_words_on_the_timeline_and_the_audit_log(api: Api) -> None:
    case = await api.start(first_name="Gekozen")
    cid = case["id"]
    url = f"/cases/{cid}"
    async with browser(api, "klantmanager", "nl") as worker:
        suspended = await worker.post(
            f"{url}/decide", {"decision": "suspend", "reason": "wacht_op_documenten"}
        )
        assert suspended.status_code == 303, suspended.text[:500]
        await until(lambda: status(api, cid) == "suspended")
        page = (await worker.http.get(url)).text
        assert list(options(page, "reason"))[1] == "documenten_ontvangen"  # now: resume
        await until(lambda: ("suspended", "wacht_op_documenten") in kinds_with_reasons(api, cid))
        entries = timeline((await worker.http.get(url)).text)
        assert any(
            e.startswith("Traject opgeschort") and "· Wacht op documenten" in e for e in entries
        ), entries
        assert not any("wacht_op_documenten" in e for e in entries)  # the label, not the code

        resumed = await worker.post(
            f"{url}/decide",
            {"decision": "resume", "reason": "anders", "note": "Toelichting voor collega's"},
        )
        assert resumed.status_code == 303, resumed.text[:500]
        await until(lambda: ("resumed", "anders") in kinds_with_reasons(api, cid))
        entries = timeline((await worker.http.get(url)).text)
        assert any(e.startswith("Traject hervat") and "· Anders" in e for e in entries), entries
        assert not any("Toelichting voor" in e for e in entries)  # the note: audit log only
    assert ("case_resume", {"reason": "anders", "note": "Toelichting voor collega's"}) in audited(
        api, cid
    )

    async with browser(api, "teamleider", "nl") as coordinator:
        stopped = await coordinator.post(  # confirmed (test_case_confirmations: the question)
            f"{url}/decide", {"decision": "cancel", "reason": "verhuisd", "confirm": "1"}
        )
        assert stopped.status_code == 303, stopped.text[:500]
        await until(lambda: ("cancelled", "verhuisd") in kinds_with_reasons(api, cid))
        entries = timeline((await coordinator.http.get(url)).text)
        assert any(
            e.startswith("Traject gestopt") and "· Verhuisd naar andere gemeente" in e
            for e in entries
        ), entries

        log = (await coordinator.http.get("/audit", params={"case": cid})).text
        assert '<th scope="col">Reden</th>' in log
        said = {a: cells[4] for a, cells in audit_rows(log) if a.startswith("case_")}
        assert said["case_suspend"] == "Wacht op documenten"
        # 'Anders' with its note: the page the note is kept for shows it
        assert said["case_resume"] == (
            'Anders<span class="traject-audit-note">Toelichting voor collega&#39;s</span>'
        )
        assert said["case_cancel"] == "Verhuisd naar andere gemeente"
        assert said["case_started"] == ""
    async with browser(api, "teamleider", "en") as coordinator:
        log = (await coordinator.http.get("/audit", params={"case": cid})).text
        said = {a: cells[4] for a, cells in audit_rows(log) if a.startswith("case_")}
        assert said["case_suspend"] == "Waiting for documents"


async def test_an_integrations_own_code_is_taken_and_shown_as_it_is(api: Api) -> None:
    case = await api.start(first_name="Koppeling")
    cid = case["id"]
    answer = await api.post("klantmanager", f"/api/cases/{cid}/suspend", {"reason": "eigen_code"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["suspended"] is True
    await until(lambda: ("suspended", "eigen_code") in kinds_with_reasons(api, cid))
    async with browser(api, "teamleider", "nl") as coordinator:
        entries = timeline((await coordinator.http.get(f"/cases/{cid}")).text)
        assert any(e.startswith("Traject opgeschort") and "· eigen_code" in e for e in entries)
        log = (await coordinator.http.get("/audit", params={"case": cid})).text
        said = {a: cells[4] for a, cells in audit_rows(log)}
        assert said["case_suspend"] == "<code>eigen_code</code>"


async def test_a_termijn_is_suspended_and_extended_with_a_chosen_reason(api: Api) -> None:
    duo = date.today() - timedelta(days=3)
    started = await api.post(
        "leiden",
        "/api/cases",
        {
            "definition": "wi2021",
            "first_name": "Termijn",
            "dates": {"duo_melding": duo.isoformat()},
        },
    )
    assert started.status_code == 201, started.text
    cid = started.json()["id"]
    url = f"/cases/{cid}"

    def termijn() -> tuple[str, int, int]:
        with api.sessions() as session:
            row = session.scalar(select(CaseTermijn).where(CaseTermijn.case_id == cid))
            assert row is not None
            return row.status, row.suspensions, row.extensions

    async with browser(api, "leiden", "nl") as worker:
        page = (await worker.http.get(url)).text
        suspend = options(page, "reden-pip_termijn")
        assert suspend["wacht_op_documenten"] == "Wacht op documenten"
        extend = options(page, "reden-verlengen-pip_termijn")
        assert extend["verdaging"].startswith("Verdaging: meer tijd nodig voor het besluit")
        assert "wacht_op_documenten" not in extend

        before = termijn()
        refused = await worker.post(
            f"{url}/termijn", {"name": "pip_termijn", "change": "extend", "length": "P2W"}
        )
        assert refused.status_code == 422
        sent_back = re.search(
            r'<form [^>]*id="verlengen-pip_termijn"[^>]*>(.*?)</form>', refused.text, re.S
        )
        assert (
            sent_back and SUMMARY in sent_back.group(1) and "Kies een reden" in sent_back.group(1)
        )
        assert 'value="P2W"' in sent_back.group(1)  # the length stays filled in
        assert termijn() == before

        done = await worker.post(
            f"{url}/termijn",
            {"name": "pip_termijn", "change": "suspend", "reason": "wacht_op_documenten"},
        )
        assert done.status_code == 303, done.text[:500]
        await until(lambda: termijn()[0] == "suspended")
        page = (await worker.http.get(url)).text
        assert "documenten_ontvangen" in options(page, "reden-pip_termijn")  # now: resume
        assert 'id="reden-verlengen-pip_termijn"' not in page  # no extending while suspended
        resumed = await worker.post(
            f"{url}/termijn",
            {"name": "pip_termijn", "change": "resume", "reason": "documenten_ontvangen"},
        )
        assert resumed.status_code == 303
        await until(lambda: termijn()[0] == "running")
        extended = await worker.post(
            f"{url}/termijn",
            {
                "name": "pip_termijn",
                "change": "extend",
                "reason": "anders",
                "length": "P2W",
                "note": "Tolk pas over drie weken beschikbaar",
            },
        )
        assert extended.status_code == 303, extended.text[:500]
        await until(lambda: termijn()[2] == 1)
        await until(lambda: ("termijn_extend", "anders") in kinds_with_reasons(api, cid))
        entries = timeline((await worker.http.get(url)).text)
        assert any(
            e.startswith("Termijn opgeschort") and "· Wacht op documenten" in e for e in entries
        ), entries
        assert any(
            e.startswith("Termijn hervat") and "· Documenten ontvangen" in e for e in entries
        )
        assert any(e.startswith("Termijn verlengd") and "· Anders" in e for e in entries)
    extend_audit = [d for a, d in audited(api, cid) if a == "termijn_extend"]
    assert extend_audit[-1]["note"] == "Tolk pas over drie weken beschikbaar"
    assert extend_audit[-1]["reason"] == "anders"
