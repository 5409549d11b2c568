"""What a Dutch case worker reads on the case, task and inbox pages: the timeline names what
happened by the definition's titles and shows its values (the date an event was given, the
session a seat was booked in, the step measured); the case's facts show the current
participatieladder step, measured from a list of named steps; a suspended case says so before
anyone starts on one of its tasks; after a change the page says what was done; and a termijn is
extended by a length written as case workers write it ("2 maanden"), a refusal said at the
field with what was typed kept. Real worker, Temporal server and store."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tests.api.conftest import Api
from tests.api.test_case_reasons import SUMMARY, audited, chosen, status, timeline, until
from tests.api.test_task_page import facts, read_only, text_of
from tests.api.test_tenancy_web import Browser, browser
from traject.store.db import transaction
from traject.store.models import CaseTermijn, LadderMeasurement, TimelineEvent

LADDER = [
    "1 · Geïsoleerd",
    "2 · Sociale contacten buiten de deur",
    "3 · Deelname aan georganiseerde activiteiten",
    "4 · Onbetaald werk",
    "5 · Betaald werk met ondersteuning",
    "6 · Betaald werk zonder ondersteuning",
]


async def after(worker: Browser, answer: httpx.Response) -> str:
    """The page a change leads to (its 303), as the browser shows it next."""
    assert answer.status_code == 303, answer.text[:800]
    return (await worker.http.get(answer.headers["location"])).text


def said(page: str) -> list[str]:
    """The page's messages of success, as read."""
    return [text_of(m) for m in re.findall(r'traject-message--ok"[^>]*>(.*?)</p>', page, re.S)]


def select_options(page: str, select_id: str) -> tuple[str, list[tuple[str, str]]]:
    """The opening tag of a select and its (value, text) options."""
    found = re.search(rf'(<select id="{select_id}"[^>]*>)(.*?)</select>', page, re.S)
    assert found, f"no select #{select_id}"
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(2))
    return found.group(1), [(v, html.unescape(t.strip())) for v, t in options]


def entries_of(page: str) -> list[str]:
    """The timeline's entries as read, without who made them (after the dash)."""
    return [e.split(" — ")[0] for e in timeline(page)]


def kinds(api: Api, case_id: str) -> dict[str, dict[str, Any]]:
    with api.sessions() as session:
        rows = session.execute(
            select(TimelineEvent.kind, TimelineEvent.detail).where(TimelineEvent.case_id == case_id)
        ).all()
    return {kind: dict(detail or {}) for kind, detail in rows}


async def test_the_timeline_names_an_event_its_date_a_workshop_and_a_letter_in_words(
    api: Api,
) -> None:
    case = await api.start(first_name="Tijdlijn")
    cid = case["id"]
    await until(lambda: {"invited"} & set(kinds(api, cid)))
    async with browser(api, "klantmanager", "nl") as worker:
        housed = await worker.post(
            f"/cases/{cid}/event", {"event": "gehuisvest", "date": "2026-03-02"}
        )
        page = await after(worker, housed)
        assert said(page) == [
            "Gebeurtenis 'Vergunninghouder is gehuisvest' vastgelegd, met datum 02-03-2026."
        ]
        await until(lambda: "event_recorded" in kinds(api, cid))
        entries = entries_of((await worker.http.get(f"/cases/{cid}")).text)
    assert "Gebeurtenis vastgelegd: Vergunninghouder is gehuisvest · 02-03-2026" in entries, entries
    assert "Uitnodiging verstuurd: Uitnodiging workshop kernwaarden" in entries, entries
    seat = kinds(api, cid)
    if "workshop_booked" in seat:  # the seeded sessions have room: the session and its day
        assert seat["workshop_booked"]["title"] == "Kernwaarden"
        booked = [e for e in entries if e.startswith("Plaats in workshop geboekt: Kernwaarden · ")]
        assert booked and re.search(r"· \d{2}-\d{2}-\d{4} \d{2}:\d{2}", booked[0]), entries
    else:  # full (many cases before this one): the waiting list, for the workshop by name
        assert "Op wachtlijst workshop: Kernwaarden" in entries, entries
    assert not any(re.search(r": (gehuisvest|kernwaarden|uitnodiging_)", e) for e in entries)

    # the English page: the definition's title, the date
    async with browser(api, "klantmanager", "en") as worker:
        page = (await worker.http.get(f"/cases/{cid}")).text
        assert "Event recorded: Vergunninghouder is gehuisvest · 02-03-2026" in entries_of(page)


async def test_the_timeline_shows_what_the_definition_titles_and_each_entry_carries(
    api: Api,
) -> None:
    """Entries of a Wet inburgering case, as the step recorder writes them (the route to the
    PIP is long): a case date, a letter, a report, a measurement, a migration."""
    started = await api.post(
        "leiden",
        "/api/cases",
        {"definition": "wi2021", "first_name": "Woorden", "dates": {"duo_melding": "2026-01-05"}},
    )
    assert started.status_code == 201, started.text
    cid = started.json()["id"]
    at = datetime.now(UTC).replace(tzinfo=None)
    written = [
        ("date_set", "pip_datum", {"value": "2026-03-02"}),
        ("invited", "beschikking_pip", {}),
        ("reported", "pip_vastgesteld", {"to": "duo"}),
        ("ladder_measured", None, {"step": 3, "source": "manual"}),
        ("migrated", None, {"reason": None, "version": 2}),
        ("migration_reverted", None, {"reason": None, "version": 1}),
        ("workshop_waitlisted", "pvt_workshop", {"session": None}),
    ]
    with transaction(api.sessions) as session:
        for i, (kind, subject, detail) in enumerate(written):
            session.add(
                TimelineEvent(
                    key=f"test-words:{cid}:{i}",
                    case_id=cid,
                    seq=10**9 + i,
                    at=at,
                    kind=kind,
                    subject=subject,
                    detail=detail,
                    actor="system",
                )
            )
    async with browser(api, "leiden", "nl") as worker:
        entries = entries_of((await worker.http.get(f"/cases/{cid}")).text)
        shown = entries[-len(written) :]
        assert shown == [
            "Datum vastgelegd: Dagtekening van het PIP (de inburgeringstermijn begint de dag"
            " erna) · 02-03-2026",
            "Uitnodiging verstuurd: Beschikking PIP",
            "Gemeld: PIP vastgesteld · aan DUO",
            "Participatieladder gemeten: Trede 3 (Deelname aan georganiseerde activiteiten)",
            "Overgezet naar een nieuwe versie van het traject · versie 2",
            "Overzetten naar een nieuwe versie teruggedraaid · versie 1",
            "Op wachtlijst workshop: PVT workshop",
        ], shown
        assert not any("kind." in e for e in entries), entries
    async with browser(api, "leiden", "en") as worker:
        entries = entries_of((await worker.http.get(f"/cases/{cid}")).text)
        assert "Ladder measured: Step 3 (Taking part in organised activities)" in " ".join(entries)
        assert any(
            e.startswith("Moved to a new version of the trajectory · version 2") for e in entries
        )


async def test_the_ladder_is_measured_from_named_steps_and_shown_in_the_facts(api: Api) -> None:
    case = await api.start(first_name="Ladder")
    cid = case["id"]
    async with browser(api, "klantmanager", "nl") as worker:
        page = (await worker.http.get(f"/cases/{cid}")).text
        tag, options = select_options(page, "step")
        assert " required" in tag  # no stray click records step 1
        assert options == [("", "Kies…"), *((str(i), name) for i, name in enumerate(LADDER, 1))]
        assert "Participatieladder" not in dict(facts(page, "zaakgegevens"))  # none measured

        measured = await worker.post(f"/cases/{cid}/ladder", {"step": "3"})
        page = await after(worker, measured)
        assert said(page) == ["Trede 3 (Deelname aan georganiseerde activiteiten) vastgelegd."]
        await until(lambda: "ladder_measured" in kinds(api, cid))
        page = (await worker.http.get(f"/cases/{cid}")).text
        shown = dict(facts(page, "zaakgegevens"))["Participatieladder"]
        assert re.fullmatch(
            r"Trede 3 \(Deelname aan georganiseerde activiteiten\) · gemeten op \d{2}-\d{2}-\d{4}",
            shown,
        ), shown
        assert any(
            e.startswith(
                "Participatieladder gemeten: Trede 3 (Deelname aan georganiseerde activiteiten)"
            )
            for e in entries_of(page)
        ), entries_of(page)

        # nothing chosen: refused, nothing measured
        before = len(kinds(api, cid))
        empty = await worker.post(f"/cases/{cid}/ladder", {"step": ""})
        assert empty.status_code == 409 and "Kies een trede van 1 tot 6" in empty.text
        assert len(kinds(api, cid)) == before
    with api.sessions() as session:
        steps = session.scalars(
            select(LadderMeasurement.step).where(LadderMeasurement.case_id == cid)
        ).all()
    assert list(steps) == [3]
    async with browser(api, "klantmanager", "en") as worker:
        page = (await worker.http.get(f"/cases/{cid}")).text
        assert select_options(page, "step")[1][3] == (
            "3",
            "3 · Taking part in organised activities",
        )
        assert dict(facts(page, "zaakgegevens"))["Participation ladder"].startswith(
            "Step 3 (Taking part in organised activities) · measured on "
        )
    # a volunteer, who sees a first name and their tasks, does not read the step
    task_id = await api.open_task(cid, "aanwezigheid_kernwaarden")
    async with browser(api, "vrijwilliger", "nl") as volunteer:
        claimed = await volunteer.post(f"/tasks/{task_id}/claim")
        assert claimed.status_code == 303, claimed.text
        page = (await volunteer.http.get(f"/cases/{cid}")).text
        assert "Participatieladder" not in dict(facts(page, "zaakgegevens"))
        assert "Participatieladder gemeten" in entries_of(page)
        assert "Deelname aan georganiseerde" not in page


async def test_a_ladder_field_offers_the_named_steps_and_its_answer_names_the_step(
    api: Api,
) -> None:
    case = await api.start(first_name="Trede")
    cid = case["id"]
    housed = await api.post("klantmanager", f"/api/cases/{cid}/events", {"event": "gehuisvest"})
    assert housed.status_code == 200, housed.text
    task_id = await api.open_task(cid, "participatiegesprek_voeren")
    async with browser(api, "klantmanager", "nl") as worker:
        page = (await worker.http.get(f"/tasks/{task_id}")).text
        _, options = select_options(page, "veld-trede")
        assert options == [("", "Kies…"), *((str(i), name) for i, name in enumerate(LADDER, 1))]
    answers = {"opleidingsniveau": "mbo", "trede": 4}
    done = await api.post("klantmanager", f"/api/tasks/{task_id}/complete", {"data": answers})
    assert done.status_code == 200, done.text
    async with browser(api, "klantmanager", "nl") as worker:
        page = (await worker.http.get(f"/tasks/{task_id}")).text
        assert ("Trede participatieladder", "4 · Onbetaald werk") in facts(page, "antwoorden")
        await until(lambda: "ladder_measured" in kinds(api, cid))
        page = (await worker.http.get(f"/cases/{cid}")).text
        assert dict(facts(page, "zaakgegevens"))["Participatieladder"].startswith(
            "Trede 4 (Onbetaald werk) · gemeten op "
        )


async def inbox_row(worker: Browser, task_id: int) -> str:
    """The inbox row of this task (the team's view), whichever page it is on."""
    for page in range(1, 60):
        shown = (await worker.http.get("/", params={"view": "team", "page": page})).text
        found = re.search(rf'<tr data-task="{task_id}">(.*?)</tr>', shown, re.S)
        if found:
            return found.group(1)
        if 'rel="next"' not in shown:
            break
    raise AssertionError(f"task {task_id} is not in the inbox")


async def test_a_suspended_case_says_so_in_the_inbox_and_on_its_task_before_anyone_starts(
    api: Api,
) -> None:
    case = await api.start(first_name="Opgeschort")
    cid = case["id"]
    task_id = await api.open_task(cid, "aanwezigheid_kernwaarden")
    async with browser(api, "klantmanager", "nl") as worker:
        row = await inbox_row(worker, task_id)
        assert "Oppakken" in row and "opgeschort" not in row  # running: as before
        suspended = await worker.post(
            f"/cases/{cid}/decide", {"decision": "suspend", "reason": "wacht_op_documenten"}
        )
        page = await after(worker, suspended)
        assert said(page) == ["Traject opgeschort: Wacht op documenten."]
        await until(lambda: status(api, cid) == "suspended")
        await until(lambda: "suspended" in kinds(api, cid))

        row = await inbox_row(worker, task_id)
        assert "traject-badge--case-suspended" in row and ">opgeschort<" in row
        assert ">open<" not in row and "Oppakken" not in row and "/claim" not in row

        page = (await worker.http.get(f"/tasks/{task_id}")).text
        notice = re.search(r'<div [^>]*id="opgeschort"[^>]*>(.*?)</div>', page, re.S)
        assert notice, page
        assert text_of(notice.group(1)) == (
            "Het traject van Opgeschort is opgeschort (reden: Wacht op documenten). Zolang het"
            " stilstaat kan niemand deze taak oppakken of afronden."
            " Hervat eerst het traject op de zaakpagina."
        )
        assert f'href="/cases/{cid}#besluit"' in notice.group(1)
        fields = read_only(page)
        assert fields is not None and 'name="aanwezig"' in fields  # to read, not to fill in
        assert 'aria-describedby="opgeschort"' in page
        assert 'id="taakformulier"' not in page and f'action="/tasks/{task_id}"' not in page
        assert "Oppakken" not in page and "/claim" not in page
        # the case page records nothing while the trajectory stands still
        page = (await worker.http.get(f"/cases/{cid}")).text
        assert 'id="vastleggen-opgeschort"' in page and 'id="step"' not in page
        row = re.search(rf'<tr data-task="{task_id}"[^>]*>(.*?)</tr>', page, re.S)
        assert row and ">opgeschort<" in row.group(1) and ">open<" not in row.group(1)

        resumed = await worker.post(
            f"/cases/{cid}/decide", {"decision": "resume", "reason": "documenten_ontvangen"}
        )
        page = await after(worker, resumed)
        assert said(page) == ["Traject hervat: Documenten ontvangen."]
        await until(lambda: status(api, cid) == "running")
        row = await inbox_row(worker, task_id)
        assert "Oppakken" in row and "opgeschort" not in row
        page = (await worker.http.get(f"/tasks/{task_id}")).text
        assert 'id="opgeschort"' not in page and "Oppakken" in page
    async with browser(api, "teamleider", "en") as coordinator:
        suspended = await api.post("klantmanager", f"/api/cases/{cid}/suspend", {"reason": "x"})
        assert suspended.status_code == 200, suspended.text
        await until(lambda: status(api, cid) == "suspended")
        page = (await coordinator.http.get(f"/tasks/{task_id}")).text
        notice = re.search(r'<div [^>]*id="opgeschort"[^>]*>(.*?)</div>', page, re.S)
        assert notice and "The trajectory of Opgeschort is suspended (reason: x)." in text_of(
            notice.group(1)
        )


async def test_a_termijn_is_extended_by_a_length_in_words_and_a_wrong_one_is_said_at_the_field(
    api: Api,
) -> None:
    duo = date.today() - timedelta(days=3)
    started = await api.post(
        "leiden",
        "/api/cases",
        {"definition": "wi2021", "first_name": "Verlengen", "dates": {"duo_melding": str(duo)}},
    )
    assert started.status_code == 201, started.text
    cid = started.json()["id"]
    url = f"/cases/{cid}"
    form_id, field = "verlengen-pip_termijn", "lengte-pip_termijn"

    def termijn() -> tuple[int, date | None]:
        with api.sessions() as session:
            row = session.scalar(select(CaseTermijn).where(CaseTermijn.case_id == cid))
            assert row is not None
            return row.extensions, row.due_on

    await until(lambda: termijn()[1] is not None)
    before = termijn()

    def sent_back(page: str) -> str:
        found = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', page, re.S)
        assert found, page
        return found.group(1)

    async with browser(api, "leiden", "nl") as worker:
        page = (await worker.http.get(url)).text
        assert "Met (bv. 6 weken, 2 maanden of 10 werkdagen)" in page
        for length, error in (
            ("2 maandjes", "Dit is geen termijnlengte: schrijf bijvoorbeeld 6 weken, 2 maanden,"),
            ("", "Schrijf met hoeveel: bijvoorbeeld 6 weken, 2 maanden of 10 werkdagen"),
            # a length the termijn does not allow (the workflow's rule): also at the field
            ("2 maanden", "Deze termijn mag met niet meer dan 6 weken verlengd worden."),
        ):
            refused = await worker.post(
                f"{url}/termijn",
                {
                    "name": "pip_termijn",
                    "change": "extend",
                    "reason": "verdaging",
                    "length": length,
                },
            )
            assert refused.status_code == 422, (length, refused.text[:800])
            form = sent_back(refused.text)
            assert SUMMARY in form and f'<a href="#{field}">Verlengen met: {error}' in form, form
            assert f'id="{field}-fout"' in form and 'aria-invalid="true"' in form
            assert f'value="{length}"' in form  # what was typed stays
            assert chosen(refused.text, "reden-verlengen-pip_termijn") == "verdaging"
            assert "traject-message--error" not in refused.text  # not on top of the page
            assert refused.text.count('class="traject-error-summary"') == 1
        assert termijn() == before

        # no reason and a wrong length: both said, in the order of the form
        both = await worker.post(
            f"{url}/termijn", {"name": "pip_termijn", "change": "extend", "length": "lang"}
        )
        assert both.status_code == 422
        links = re.findall(r'<a href="#([^"]+)">', sent_back(both.text))
        assert links == ["reden-verlengen-pip_termijn", field], links

        extended = await worker.post(
            f"{url}/termijn",
            {"name": "pip_termijn", "change": "extend", "reason": "verdaging", "length": "4 weken"},
        )
        page = await after(worker, extended)
        assert said(page) == [
            "Termijn 'PIP binnen tien weken na de melding van DUO' verlengd met 4 weken:"
            " Verdaging: meer tijd nodig voor het besluit."
        ]
    await until(lambda: termijn()[0] == 1)
    _, due = termijn()
    assert before[1] is not None and due is not None and due > before[1]
    # the workflow and the audit log keep the length in its one form
    assert [d["length"] for a, d in audited(api, cid) if a == "termijn_extend"] == ["P4W"]


async def test_the_api_takes_a_length_in_words_and_refuses_one_it_cannot_read(api: Api) -> None:
    duo = date.today() - timedelta(days=3)
    started = await api.post(
        "leiden",
        "/api/cases",
        {"definition": "wi2021", "first_name": "Lengte", "dates": {"duo_melding": str(duo)}},
    )
    cid = started.json()["id"]
    refused = await api.post(
        "leiden",
        f"/api/cases/{cid}/termijnen/pip_termijn/extend",
        {"reason": "verdaging", "length": "twee maandjes"},
    )
    assert refused.status_code == 422, refused.text
    assert "'twee maandjes' is not a termijn length: write 6 weken, 2 maanden" in refused.text
    done = await api.post(
        "leiden",
        f"/api/cases/{cid}/termijnen/pip_termijn/extend",
        {"reason": "verdaging", "length": "6 weken"},
    )
    assert done.status_code == 200, done.text
    assert [d["length"] for a, d in audited(api, cid) if a == "termijn_extend"] == ["P6W"]
