"""The task page as a case worker reads it: a task a colleague holds says who has it and what to
do instead of offering a form that will be refused; a completed task shows each answer under its
field's label, written as people read it (personal answers too, for those who may see them); the
error summary names a field as the form does; and a timer firing on the timeline is a wait that
ended, not a legal deadline, named by its step."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.api.conftest import Api
from tests.api.test_tenancy_web import browser
from traject.store.models import AuditEvent, Task


def text_of(fragment: str) -> str:
    """What a person reads of an HTML fragment: no tags, entities resolved, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def facts(page: str, dl_id: str) -> list[tuple[str, str]]:
    """The (term, description) pairs of the page's <dl id=dl_id>, as read."""
    found = re.search(rf'<dl[^>]*id="{dl_id}"[^>]*>(.*?)</dl>', page, re.S)
    assert found, f"no <dl id={dl_id}> on the page"
    pairs = re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", found.group(1), re.S)
    return [(text_of(dt), text_of(dd)) for dt, dd in pairs]


def read_only(page: str) -> str | None:
    """The part of the page inside a disabled fieldset: fields shown that cannot be filled in."""
    found = re.search(r"<fieldset[^>]*\bdisabled\b[^>]*>(.*)</fieldset>", page, re.S)
    return found.group(1) if found else None


def completes(page: str, task_id: int) -> bool:
    """Whether the page offers the form that completes the task."""
    return f'action="/tasks/{task_id}"' in page or ">Afronden<" in page


async def test_a_task_a_colleague_holds_says_who_has_it_instead_of_offering_the_form(
    api: Api,
) -> None:
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    async with browser(api, "ontwerper", "nl") as designer:  # not in the task's group
        page = (await designer.http.get(f"/tasks/{task_id}")).text
        assert "Deze taak is voor de groep Trainer." in text_of(page)  # its name, not its code
        assert not completes(page, task_id) and ">Oppakken<" not in page
        assert read_only(page)
    claimed = await api.post("klantmanager", f"/api/tasks/{task_id}/claim")
    assert claimed.status_code == 200, claimed.text

    async with browser(api, "collega", "nl") as collega:
        page = (await collega.http.get(f"/tasks/{task_id}")).text
        notice = re.search(r'<div[^>]*id="opgepakt"[^>]*>(.*?)</div>', page, re.S)
        assert notice, page
        assert "Deze taak is opgepakt door Klantmanager" in text_of(notice.group(1))
        assert "coördinator" in text_of(notice.group(1))  # whom to ask
        assert not completes(page, task_id)
        assert ">Oppakken<" not in page and ">Teruggeven<" not in page
        # the fields show what the task asks, but cannot be filled in
        fields = read_only(page)
        assert fields and "Deelnemer was aanwezig" in fields and 'name="aanwezig"' in fields
        # sent anyway (an old tab): refused, in the page's language, and still no form
        refused = await collega.post(f"/tasks/{task_id}", {"aanwezig": "true"})
        assert refused.status_code == 409
        assert "this task is claimed" not in refused.text
        assert "opgepakt door iemand anders" in text_of(refused.text)
        assert not completes(refused.text, task_id)

    async with browser(api, "teamleider", "nl") as coordinator:
        page = (await coordinator.http.get(f"/tasks/{task_id}")).text
        assert "Deze taak is opgepakt door Klantmanager" in text_of(page)
        assert not completes(page, task_id)  # a coordinator may not complete it either
        assert ">Teruggeven<" in page and 'action="/tasks/' + str(task_id) + '/assign"' in page

    async with browser(api, "klantmanager", "nl") as holder:
        page = (await holder.http.get(f"/tasks/{task_id}")).text
        assert 'id="opgepakt"' not in page
        assert completes(page, task_id) and read_only(page) is None

    async with browser(api, "collega", "en") as english:
        page = (await english.http.get(f"/tasks/{task_id}")).text
        assert "This task is claimed by Klantmanager" in text_of(page)


def role_cells(page: str, table_id: str, column: int) -> dict[str, tuple[str, str]]:
    """task id → (attributes, text) of the cell in `column` of each row of the task table."""
    table = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    assert table, f"no table {table_id}"
    return {
        m[1]: (cells[column][0], text_of(cells[column][1]))
        for m in re.finditer(r'<tr data-task="(\d+)"[^>]*>(.*?)</tr>', table.group(1), re.S)
        if (cells := re.findall(r"<td([^>]*)>(.*?)</td>", m[2], re.S))
    }


async def test_the_group_of_a_task_is_named_in_words_not_by_its_code(api: Api) -> None:
    """The group that works a task (a role of the definition: `trainer`, `klantmanager`) by its
    name on the task page (with the definition's description of it), the case page's task table
    (the description on hover) and the inbox: one helper (the `group` filter) names it."""
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    async with browser(api, "klantmanager", "nl") as worker:
        page = (await worker.http.get(f"/tasks/{task_id}")).text
        assert dict(facts(page, "taakgegevens"))["Rol"] == "Trainer — Trainer van Netsheila"

        on_case = role_cells((await worker.http.get(f"/cases/{case['id']}")).text, "zaaktaken", 1)
        attributes, words = on_case[str(task_id)]
        assert attributes.endswith(' title="Trainer van Netsheila"') and words == "Trainer"

        inbox = role_cells((await worker.http.get("/?view=team")).text, "taken", 2)
        assert inbox, "an empty inbox"  # the groups of the klantmanager: klantmanager, trainer
        assert {text for _, text in inbox.values()} <= {"Klantmanager", "Trainer"}, inbox


async def test_a_completed_task_shows_each_answer_under_its_label_as_people_read_it(
    api: Api,
) -> None:
    case = await api.start()
    kernwaarden = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    done = await api.post(
        "klantmanager",
        f"/api/tasks/{kernwaarden}/complete",
        {"data": {"aanwezig": True, "tolk_ingezet": False}},
    )
    assert done.status_code == 200, done.text
    housed = await api.post(
        "klantmanager", f"/api/cases/{case['id']}/events", {"event": "gehuisvest"}
    )
    assert housed.status_code == 200, housed.text
    task_id = await api.open_task(case["id"], "participatiegesprek_voeren")
    answers = {
        "opleidingsniveau": "mbo",
        "werkervaring_sectoren": ["zorg", "ict"],
        "talenten": "Koken voor groepen\nFietsen repareren",
        "trede": 2,
    }
    done = await api.post("klantmanager", f"/api/tasks/{task_id}/complete", {"data": answers})
    assert done.status_code == 200, done.text

    async with browser(api, "klantmanager", "nl") as page:
        shown = (await page.http.get(f"/tasks/{task_id}")).text
        assert facts(shown, "antwoorden") == [
            ("Opleidingsniveau", "MBO"),  # the option's label
            ("Werkervaring sectoren", "Zorg, ICT"),  # options without a label: in words
            ("Talenten en kwaliteiten", "Koken voor groepen Fietsen repareren"),
            ("Trede participatieladder", "2 · Sociale contacten buiten de deur"),
        ]
        assert "[&#39;zorg&#39;" not in shown and "['zorg'" not in shown
        assert text_of(shown).count("Status") == 1
        about = dict(facts(shown, "taakgegevens"))
        assert about["Status"] == "afgerond"
        assert about["Afgerond door"] == "Klantmanager"
        assert re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", about["Afgerond op"]), about

        booleans = (await page.http.get(f"/tasks/{kernwaarden}")).text
        assert facts(booleans, "antwoorden") == [
            ("Deelnemer was aanwezig", "Ja"),
            ("Er was een tolk", "Nee"),
            ("Opmerkingen van de trainer", "—"),  # personal, not answered
        ]
        assert "True" not in text_of(booleans) and "False" not in text_of(booleans)

    async with browser(api, "klantmanager", "en") as page:
        shown = (await page.http.get(f"/tasks/{kernwaarden}")).text
        assert ("Deelnemer was aanwezig", "Yes") in facts(shown, "antwoorden")


async def test_personal_answers_are_shown_to_whom_may_see_them(api: Api) -> None:
    """`opmerkingen` of the kernwaarden task is personal: kept in the store's task row, never in
    the workflow. Case workers and coordinators read it on the completed task (the read is in the
    audit log); a volunteer of the group reads the other answers, not that one."""
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    remark = "Kwam te laat door een afspraak bij de huisarts"
    done = await api.post(
        "klantmanager",
        f"/api/tasks/{task_id}/complete",
        {"data": {"aanwezig": True, "opmerkingen": remark}},
    )
    assert done.status_code == 200, done.text

    for reader in ("klantmanager", "teamleider"):
        async with browser(api, reader, "nl") as page:
            shown = (await page.http.get(f"/tasks/{task_id}")).text
            assert ("Opmerkingen van de trainer", remark) in facts(shown, "antwoorden"), reader
    with api.sessions() as session:
        reads = session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.case_id == case["id"], AuditEvent.action == "task_read"
            )
        ).all()
    assert reads and all(r.get("personal") is True for r in reads)

    async with browser(api, "vrijwilliger", "nl") as volunteer:
        seen = await volunteer.http.get(f"/tasks/{task_id}")
        assert seen.status_code == 200
        assert remark not in seen.text
        assert facts(seen.text, "antwoorden") == [
            ("Deelnemer was aanwezig", "Ja"),
            ("Er was een tolk", "—"),
        ]
        assert "Persoonlijke antwoorden zijn niet zichtbaar" in text_of(seen.text)


async def test_a_volunteer_reads_back_the_personal_answer_they_gave(api: Api) -> None:
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    assert (await api.post("vrijwilliger", f"/api/tasks/{task_id}/claim")).status_code == 200
    done = await api.post(
        "vrijwilliger",
        f"/api/tasks/{task_id}/complete",
        {"data": {"aanwezig": False, "opmerkingen": "Ziek gemeld"}},
    )
    assert done.status_code == 200, done.text
    async with browser(api, "vrijwilliger", "nl") as volunteer:
        shown = (await volunteer.http.get(f"/tasks/{task_id}")).text
        assert ("Opmerkingen van de trainer", "Ziek gemeld") in facts(shown, "antwoorden")


async def test_the_error_summary_names_a_field_as_the_form_does(api: Api) -> None:
    case = await api.start()
    await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    await api.post("klantmanager", f"/api/cases/{case['id']}/events", {"event": "gehuisvest"})
    task_id = await api.open_task(case["id"], "participatiegesprek_voeren")
    async with browser(api, "klantmanager", "nl") as page:
        wrong = await page.post(f"/tasks/{task_id}", {"trede": "2"})
        assert wrong.status_code == 422
        summary = re.search(r'id="foutoverzicht"[^>]*>(.*?)</div>', wrong.text, re.S)
        assert summary, wrong.text
        assert "Opleidingsniveau: Dit veld is verplicht" in text_of(summary.group(1))
        assert "opleidingsniveau:" not in text_of(summary.group(1))
        # each line of the summary leads to its field, a yes/no question's too (its first option)
        kernwaarden = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
        for shown in (wrong, await page.post(f"/tasks/{kernwaarden}", {})):
            assert shown.status_code == 422
            found = re.search(r'id="foutoverzicht"[^>]*>(.*?)</div>', shown.text, re.S)
            assert found, shown.text
            targets = re.findall(r'href="#([^"]+)"', found.group(1))
            assert targets, found.group(1)
            for target in targets:
                assert f'id="{target}"' in shown.text, target


async def test_a_timer_firing_is_a_wait_that_ended_named_by_its_step(api: Api) -> None:
    """zaanstad_pvt waits a day after the housing date: housed ten days ago, the wait ends at once.
    That is no termijn (a legal deadline, with events of its own)."""
    housed = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    case = await api.start(dates={"huisvestingsdatum": housed})
    await api.open_task(case["id"], "participatiegesprek_voeren")
    for lang, said in (("nl", "Wachttijd verstreken"), ("en", "Waiting time elapsed")):
        async with browser(api, "klantmanager", lang) as page:
            shown = (await page.http.get(f"/cases/{case['id']}")).text
            items = re.findall(r'<li[^>]*data-kind="timer_fired"[^>]*>(.*?)</li>', shown, re.S)
            assert len(items) == 1, shown
            item = text_of(items[0])
            assert f"{said}: Wacht op huisvesting" in item, item
            assert "Termijn" not in item and "Deadline" not in item
            assert "na_huisvesting" not in item and "na huisvesting" not in item
            facts = re.search(
                r'<dl class="traject-facts" id="zaakgegevens">(.*?)</dl>', shown, re.S
            )
            assert facts, shown
            # the case's date under the definition's words for it, not its key
            assert "Datum waarop de vergunninghouder in Zaanstad gehuisvest is" in facts.group(1)
            assert "huisvestingsdatum" not in facts.group(1)


async def test_the_assign_button_says_what_it_does_and_a_claimed_form_is_marked_for_focus(
    api: Api,
) -> None:
    """The coordinator's control reads "Toewijzen aan [collega] [Toewijzen]", not "Toewijzen
    aan" twice. After "Oppakken" the task page marks its form for the focus (traject.js puts it
    on the first field), so the keyboard does not start at the top of the page; a later visit
    does not take the focus."""
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    async with browser(api, "teamleider", "nl") as coordinator:
        page = (await coordinator.http.get(f"/tasks/{task_id}")).text
        form = re.search(r'<form[^>]*action="/tasks/\d+/assign"[^>]*>(.*?)</form>', page, re.S)
        assert form, page
        assert re.search(r"<label[^>]*>Toewijzen aan</label>", form[1])
        assert re.findall(r"<button[^>]*>(.*?)</button>", form[1]) == ["Toewijzen"]

    async with browser(api, "klantmanager", "nl") as worker:
        before = (await worker.http.get(f"/tasks/{task_id}")).text
        assert "data-traject-focus" not in before
        claimed = await worker.http.post(
            f"/tasks/{task_id}/claim", data={"csrf_token": worker.csrf}, follow_redirects=True
        )
        assert claimed.status_code == 200 and "Taak opgepakt." in claimed.text
        marked = re.search(r'<form[^>]*id="taakformulier"[^>]*>', claimed.text)
        assert marked and "data-traject-focus" in marked[0], claimed.text
        again = (await worker.http.get(f"/tasks/{task_id}")).text
        assert 'id="taakformulier"' in again and "data-traject-focus" not in again


def select_options(page: str, name: str) -> list[tuple[str, str]]:
    """(value, text) of each option of the form's <select name=name>."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no select {name}"
    return [
        (v, text_of(t))
        for v, t in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', found.group(1), re.S)
    ]


def checkboxes(page: str, name: str) -> list[tuple[str, str]]:
    """(value, text) of each checkbox named `name`."""
    found = re.findall(
        rf'<label class="traject-choice"><input type="checkbox" name="{name}" value="([^"]*)"[^>]*>(.*?)</label>',
        page,
        re.S,
    )
    return [(v, text_of(t)) for v, t in found]


async def test_the_form_offers_options_by_their_labels_and_keeps_the_codes(api: Api) -> None:
    """A choice's options read as the definition labels them (Voortgezet onderwijs, WO
    (universiteit)), or their codes in words (ICT); the form sends the code, which the answer
    keeps; the error summary and the completed task's answers name the options by their labels,
    the API gives both."""
    case = await api.start()
    await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    await api.post("klantmanager", f"/api/cases/{case['id']}/events", {"event": "gehuisvest"})
    task_id = await api.open_task(case["id"], "participatiegesprek_voeren")
    async with browser(api, "klantmanager", "nl") as page:
        form = (await page.http.get(f"/tasks/{task_id}")).text
        assert select_options(form, "opleidingsniveau") == [
            ("", "Kies…"),
            ("geen", "Geen opleiding"),
            ("basisonderwijs", "Basisonderwijs"),
            ("voortgezet", "Voortgezet onderwijs"),
            ("mbo", "MBO"),
            ("hbo", "HBO"),
            ("wo", "WO (universiteit)"),
        ]
        sectors = dict(checkboxes(form, "werkervaring_sectoren"))
        assert sectors["ict"] == "ICT" and sectors["zorg"] == "Zorg"

        # a code the form does not offer (an old tab, a hand-made request): the summary names
        # the options as the form shows them
        wrong = await page.post(
            f"/tasks/{task_id}", {"opleidingsniveau": "universiteit", "trede": "2"}
        )
        assert wrong.status_code == 422
        summary = re.search(r'id="foutoverzicht"[^>]*>(.*?)</div>', wrong.text, re.S)
        assert summary, wrong.text
        assert (
            "Opleidingsniveau: Kies uit: Geen opleiding, Basisonderwijs, Voortgezet onderwijs, MBO,"
            " HBO, WO (universiteit)"
        ) in text_of(summary.group(1))
        # the labels are no answers either
        wrong = await page.post(
            f"/tasks/{task_id}", {"opleidingsniveau": "Voortgezet onderwijs", "trede": "2"}
        )
        assert wrong.status_code == 422

        done = await page.post(
            f"/tasks/{task_id}",
            {
                "opleidingsniveau": "voortgezet",
                "werkervaring_sectoren": ["zorg", "ict"],
                "trede": "2",
            },
        )
        assert done.status_code == 303, done.text
        shown = (await page.http.get(f"/tasks/{task_id}")).text
        answered = dict(facts(shown, "antwoorden"))
        assert answered["Opleidingsniveau"] == "Voortgezet onderwijs"
        assert answered["Werkervaring sectoren"] == "Zorg, ICT"

    detail = (await api.get("klantmanager", f"/api/tasks/{task_id}")).json()
    assert detail["status"] == "completed"
    field = next(f for f in detail["form"] if f["name"] == "opleidingsniveau")
    assert field["options"] == ["geen", "basisonderwijs", "voortgezet", "mbo", "hbo", "wo"]
    assert field["option_labels"]["voortgezet"] == "Voortgezet onderwijs"
    with api.sessions() as session:
        stored = session.scalar(select(Task.form_data).where(Task.id == task_id))
    assert stored is not None
    assert stored["opleidingsniveau"] == "voortgezet"  # the code, as guards and history hold it
    assert stored["werkervaring_sectoren"] == ["zorg", "ict"]


async def test_the_task_page_names_its_case_by_the_kenmerk_the_other_pages_show(api: Api) -> None:
    case = await api.start(first_name="Breadcrumb", reference="ZS-KRUIMEL-1")
    task = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    async with browser(api, "klantmanager", "nl") as worker:
        page = (await worker.http.get(f"/tasks/{task}")).text
    crumb = re.search(r'<p class="traject-breadcrumb">(.*?)</p>', page, re.S)
    assert crumb, page[:300]
    assert text_of(crumb.group(1)).endswith("Breadcrumb · ZS-KRUIMEL-1"), crumb.group(1)
    assert f'href="/cases/{case["id"]}"' in crumb.group(1)
