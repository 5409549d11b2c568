"""What the case page asks before it changes something that is hard to take back. An outside
event is chosen (nothing is preselected); one that sets a case date needs its date on the page
(the API still takes none: today); one that would replace a date the case has (the DUO date
starts the PIP termijn) is recorded only once the case worker confirms it. A refused event is
sent back like the reason forms: the summary in the form, the error at its field, what was
chosen kept. Stopping a trajectory, which cannot be undone, is asked about again and only a
coordinator can do it. Nothing changes before the confirmation. Real worker, Temporal server
and store."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.api.conftest import Api
from tests.api.test_case_page_words import kinds, said, select_options
from tests.api.test_case_reasons import SUMMARY, audited, status, until
from tests.api.test_tenancy_web import browser
from traject.store.models import CaseDate

TODAY = datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def form_of(page: str, form_id: str) -> str:
    found = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', page, re.S)
    assert found, f"no form #{form_id}"
    return found.group(1)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def selected(form: str, select_id: str) -> str | None:
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', form, re.S)
    assert found, f"no select #{select_id}"
    chosen = re.search(r'<option value="([^"]*)" selected>', found.group(1))
    return chosen.group(1) if chosen else None


def case_dates(api: Api, case_id: str) -> dict[str, date]:
    with api.sessions() as session:
        rows = session.scalars(select(CaseDate).where(CaseDate.case_id == case_id)).all()
        return {row.name: row.value for row in rows}


def day(value: date) -> str:
    return value.strftime("%d-%m-%Y")


async def test_no_event_is_chosen_at_first_and_none_chosen_is_refused(api: Api) -> None:
    case = await api.start(first_name="Kies")
    cid = case["id"]
    before = audited(api, cid)
    async with browser(api, "klantmanager", "nl") as worker:
        page = (await worker.http.get(f"/cases/{cid}")).text
        tag, options = select_options(page, "event")
        assert options[0] == ("", "Kies…") and selected(page, "event") is None
        assert "required" in tag
        # the event sets a case date, which the case has not yet: the option says so
        assert ("gehuisvest", "Vergunninghouder is gehuisvest (legt een datum vast)") in options

        refused = await worker.post(f"/cases/{cid}/event", {"event": "", "date": ""})
        assert refused.status_code == 422, refused.text[:500]
        form = form_of(refused.text, "gebeurtenis")
        assert SUMMARY in form and '<a href="#event">Gebeurtenis: Kies een gebeurtenis</a>' in form
        assert 'id="event-fout"' in form and 'aria-invalid="true"' in form
        assert refused.text.count('class="traject-error-summary"') == 1
        assert "traject-message--error" not in refused.text  # not a banner on top

        unknown = await worker.post(f"/cases/{cid}/event", {"event": "verhuisd_naar_mars"})
        assert unknown.status_code == 422
        assert "Kies een gebeurtenis uit de lijst" in form_of(unknown.text, "gebeurtenis")
    assert "event_recorded" not in kinds(api, cid)
    assert audited(api, cid) == before  # nothing recorded, nothing audited


async def test_an_event_that_sets_a_date_needs_it_on_the_page_not_in_the_api(api: Api) -> None:
    case = await api.start(first_name="Datumloos")
    cid = case["id"]
    before = audited(api, cid)
    async with browser(api, "klantmanager", "nl") as worker:
        refused = await worker.post(f"/cases/{cid}/event", {"event": "gehuisvest", "date": ""})
        assert refused.status_code == 422, refused.text[:500]
        form = form_of(refused.text, "gebeurtenis")
        assert SUMMARY in form and '<a href="#event-date">Datum: Vul de datum in' in form
        assert selected(form, "event") == "gehuisvest"  # what was chosen stays chosen
        assert re.search(r'<input id="event-date"[^>]*aria-invalid="true"', form)
    assert audited(api, cid) == before
    assert case_dates(api, cid) == {}

    async with browser(api, "klantmanager", "en") as worker:
        refused = await worker.post(f"/cases/{cid}/event", {"event": "gehuisvest"})
        assert "Enter the date: this event sets a date" in form_of(refused.text, "gebeurtenis")

    # the API keeps its contract: no date is today
    housed = await api.post("klantmanager", f"/api/cases/{cid}/events", {"event": "gehuisvest"})
    assert housed.status_code == 200, housed.text
    await until(lambda: case_dates(api, cid).get("huisvestingsdatum"))


async def test_a_refused_event_keeps_what_was_chosen_and_says_why_in_the_form(api: Api) -> None:
    case = await api.start(first_name="Morgen")
    cid = case["id"]
    before = audited(api, cid)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    async with browser(api, "klantmanager", "nl") as worker:
        refused = await worker.post(
            f"/cases/{cid}/event", {"event": "gehuisvest", "date": tomorrow}
        )
        assert refused.status_code == 422, refused.text[:500]
        page = refused.text
        form = form_of(page, "gebeurtenis")
        summary = re.search(r'<div class="traject-error-summary"[^>]*>', form)
        assert summary and 'tabindex="-1"' in summary.group(0)  # traject.js gives it the focus
        assert '<a href="#event-date">Datum: Niet na vandaag' in form
        assert '<p class="traject-field__error" id="event-date-fout">Niet na vandaag' in form
        assert selected(form, "event") == "gehuisvest"
        assert f'value="{tomorrow}"' in form  # the date typed stays
        assert "traject-message--error" not in page
        # and typed wrongly
        wrong = await worker.post(f"/cases/{cid}/event", {"event": "gehuisvest", "date": "1-2-3"})
        assert wrong.status_code == 422
        assert "Vul een datum in (jjjj-mm-dd)" in form_of(wrong.text, "gebeurtenis")
    assert audited(api, cid) == before
    assert "event_recorded" not in kinds(api, cid)


async def test_replacing_a_date_the_case_has_is_recorded_only_once_confirmed(api: Api) -> None:
    notice, corrected = TODAY - timedelta(days=20), TODAY - timedelta(days=3)
    started = await api.post(
        "leiden",
        "/api/cases",
        {"definition": "wi2021", "first_name": "Vervang", "dates": {"duo_melding": str(notice)}},
    )
    assert started.status_code == 201, started.text
    cid = started.json()["id"]
    await until(lambda: case_dates(api, cid).get("duo_melding") == notice)
    before = audited(api, cid)
    url = f"/cases/{cid}/event"
    event = {"event": "duo_melding_ontvangen", "date": str(corrected)}
    async with browser(api, "leiden", "nl") as worker:
        page = (await worker.http.get(f"/cases/{cid}")).text
        _, options = select_options(page, "event")
        assert (
            "duo_melding_ontvangen",
            f"Melding van DUO ontvangen (legt een datum vast, nu {day(notice)})",
        ) in options
        assert ("verhuisd", "Verhuisd naar een andere gemeente") in options

        asked = await worker.post(url, event)
        assert asked.status_code == 200, asked.text[:500]
        box = re.search(r'<div [^>]*id="bevestig-gebeurtenis"[^>]*>(.*?)</div>', asked.text, re.S)
        assert box, asked.text[:2000]
        assert 'tabindex="-1"' in asked.text.split('id="bevestig-gebeurtenis"')[1][:80]
        assert text(box.group(1)) == (
            f"Dit vervangt de datum {day(notice)} (Datum van de melding door DUO) door "
            f"{day(corrected)}. Weet je het zeker? De termijn 'PIP binnen tien weken na de "
            "melding van DUO' telt vanaf deze datum."
        )
        form = form_of(asked.text, "gebeurtenis")
        assert selected(form, "event") == "duo_melding_ontvangen"
        assert f'value="{corrected}"' in form
        assert f'<input type="hidden" name="replaces" value="{notice}">' in form
        assert re.search(
            r'<button name="confirm" value="duo_melding_ontvangen"[^>]*>Ja, datum', form
        )
        assert f'href="/cases/{cid}"' in form  # Terug: nothing recorded
        assert case_dates(api, cid)["duo_melding"] == notice
        assert audited(api, cid) == before

        # a confirmation of another date than the case has (changed meanwhile): asked again
        stale = {**event, "confirm": "duo_melding_ontvangen", "replaces": str(TODAY)}
        again = await worker.post(url, stale)
        assert again.status_code == 200 and 'id="bevestig-gebeurtenis"' in again.text
        # a confirmation of another event does not count for this one
        other = {**event, "confirm": "bijstand_toegekend", "replaces": str(notice)}
        assert 'id="bevestig-gebeurtenis"' in (await worker.post(url, other)).text
        assert case_dates(api, cid)["duo_melding"] == notice
        assert audited(api, cid) == before

        confirmed = await worker.post(
            url, {**event, "confirm": "duo_melding_ontvangen", "replaces": str(notice)}
        )
        assert confirmed.status_code == 303, confirmed.text[:500]
        shown = (await worker.http.get(confirmed.headers["location"])).text
        assert said(shown) == [
            f"Gebeurtenis 'Melding van DUO ontvangen' vastgelegd, met datum {day(corrected)}."
        ]
    await until(lambda: case_dates(api, cid).get("duo_melding") == corrected)
    assert [a for a, _ in audited(api, cid)].count("event_recorded") == 1

    async with browser(api, "leiden", "en") as worker:
        asked = await worker.post(url, {"event": "duo_melding_ontvangen", "date": str(notice)})
        assert f"This replaces the date {day(corrected)} (Datum van de melding" in asked.text


async def test_stopping_is_asked_first_and_only_the_confirmation_stops(api: Api) -> None:
    case = await api.start(first_name="Stop", last_name="Haddad", reference="Z-STOP-1")
    cid = case["id"]
    url = f"/cases/{cid}"
    before = audited(api, cid)
    async with browser(api, "teamleider", "nl") as coordinator:
        page = (await coordinator.http.get(url)).text
        block = re.search(r'<div class="traject-stop"[^>]*>(.*?)</div>\s*</section>', page, re.S)
        assert block and '<h3 id="kop-stoppen">Traject stoppen</h3>' in block.group(1)
        assert 'id="stoppen"' in block.group(1) and 'id="besluit"' not in block.group(1)
        assert "kan niet meer verder" in block.group(1)  # said before anyone presses

        asked = await coordinator.post(
            f"{url}/decide", {"decision": "cancel", "reason": "verhuisd", "note": "Naar Utrecht"}
        )
        assert asked.status_code == 200, asked.text[:500]
        box = re.search(r'<div [^>]*id="bevestig-stoppen"[^>]*>(.*?)</div>', asked.text, re.S)
        assert box, asked.text[:2000]
        assert text(box.group(1)) == (
            "Je stopt het traject van Stop Haddad (kenmerk Z-STOP-1). Dit kan niet ongedaan "
            "worden gemaakt. Reden: Verhuisd naar andere gemeente Toelichting: Naar Utrecht"
        )
        form = form_of(asked.text, "stoppen-bevestigen")
        for name, value in (("reason", "verhuisd"), ("note", "Naar Utrecht"), ("confirm", "1")):
            assert f'<input type="hidden" name="{name}" value="{value}">' in form
        assert re.search(r'<button name="decision" value="cancel"[^>]*>Ja, traject stoppen<', form)
        assert f'<a href="/cases/{cid}#stoppen" id="stoppen-terug">Terug</a>' in form
        assert 'id="stoppen"' not in asked.text  # the form itself waits for the answer
        assert status(api, cid) == "running"
        assert audited(api, cid) == before

        stopped = await coordinator.post(
            f"{url}/decide",
            {"decision": "cancel", "reason": "verhuisd", "note": "Naar Utrecht", "confirm": "1"},
        )
        assert stopped.status_code == 303, stopped.text[:500]
        await until(lambda: status(api, cid) == "cancelled")
    assert ("case_cancel", {"reason": "verhuisd", "note": "Naar Utrecht"}) in audited(api, cid)

    async with browser(api, "teamleider", "en") as coordinator:  # stopped: nothing to ask
        again = await coordinator.post(f"{url}/decide", {"decision": "cancel", "reason": "ziek"})
        assert again.status_code == 409 and "bevestig-stoppen" not in again.text


async def test_a_case_worker_still_cannot_stop_a_trajectory(api: Api) -> None:
    case = await api.start(first_name="Blijft")
    cid = case["id"]
    before = audited(api, cid)
    async with browser(api, "klantmanager", "nl") as worker:
        for data in (
            {"decision": "cancel", "reason": "verhuisd"},
            {"decision": "cancel", "reason": "verhuisd", "confirm": "1"},
        ):
            refused = await worker.post(f"/cases/{cid}/decide", data)
            assert refused.status_code in (403, 409), refused.text[:500]
            assert (
                "bevestig-stoppen" not in refused.text and 'id="reden-stoppen"' not in refused.text
            )
    assert status(api, cid) == "running"
    assert audited(api, cid) == before


async def test_an_event_that_changes_nothing_in_this_step_says_so(api: Api) -> None:
    """A request for a route switch before the PIP is recorded (the timeline has it) but moves
    nothing: the page says the trajectory stays where it is, not just 'vastgelegd'."""
    started = await api.post("leiden", "/api/cases", {"definition": "wi2021", "first_name": "Rw"})
    assert started.status_code == 201, started.text
    cid = started.json()["id"]
    await api.open_task(cid, "intake_afnemen", "leiden")
    async with browser(api, "leiden", "nl") as worker:
        done = await worker.http.post(
            f"/cases/{cid}/event",
            data={"event": "routewissel", "date": "", "csrf_token": worker.csrf},
            follow_redirects=True,
        )
    assert done.status_code == 200, done.text[:300]
    message = re.search(
        r'class="traject-message traject-message--ok"[^>]*>(.*?)</', done.text, re.S
    )
    assert message, done.text[:500]
    assert "Het traject blijft in dezelfde stap" in html.unescape(message.group(1))
    assert "event_recorded" in kinds(api, cid)
