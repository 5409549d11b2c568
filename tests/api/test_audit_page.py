"""The audit log page as a coordinator reads it: reachable from the menu (for the roles that may
read it, no one else), each action in words in the page's language instead of its code, an
action without words shown as its code, and a list of cases counted in proper Dutch or English
("1 zaak", "2 zaken"). Real worker, Temporal server and store."""

from __future__ import annotations

import html
import re
import secrets

from tests.api.conftest import Api
from tests.api.test_designer_drafts import USERS, ref_of
from tests.api.test_tenancy_web import browser
from traject.store import accounts
from traject.store import repositories as repo
from traject.store.db import transaction


def nav_links(page: str) -> dict[str, str]:
    """href → the link's text in the main menu, its current page marked with a '*'."""
    menu = re.search(r'<nav class="traject-nav"[^>]*>(.*?)</nav>', page, re.S)
    assert menu, "no main menu"
    return {
        m["href"]: m["text"] + ("*" if m["current"] else "")
        for m in re.finditer(
            r'<a class="traject-nav__link" href="(?P<href>[^"]+)"'
            r'(?P<current> aria-current="page")?>(?P<text>[^<]*)</a>',
            menu.group(1),
        )
    }


def audit_rows(page: str) -> list[tuple[str, list[str]]]:
    """(action code, the cells' html) of each row of the audit table, newest first."""
    table = re.search(r'<table class="traject-table[^"]*" id="auditlog">(.*?)</table>', page, re.S)
    assert table, "no audit table"
    return [
        (m[1], [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", m[2], re.S)])
        for m in re.finditer(r'<tr data-action="([^"]+)">(.*?)</tr>', table.group(1), re.S)
    ]


async def test_the_audit_log_is_in_the_menu_of_those_who_may_read_it(api: Api) -> None:
    for lang, label in (("nl", "Auditlog"), ("en", "Audit log")):
        async with browser(api, "teamleider", lang) as coordinator:
            home = nav_links((await coordinator.http.get("/")).text)
            assert home.get("/audit") == label, home
            log = await coordinator.http.get("/audit")
            assert log.status_code == 200
            assert nav_links(log.text)["/audit"] == f"{label}*"  # the current page
    # the page refuses everyone else (403): the menu does not offer it to them
    for user in ("klantmanager", "vrijwilliger", "vormgever"):
        async with browser(api, user, "nl") as other:
            home = await other.http.get("/", follow_redirects=True)  # a designer: Ontwerpen
            assert "/audit" not in nav_links(home.text), user
            assert (await other.http.get("/audit")).status_code == 403, user


async def test_the_audit_log_says_what_was_done_in_words(api: Api) -> None:
    tag = secrets.token_hex(3)
    first = await api.start(first_name=f"Ilse{tag}a")
    await api.start(first_name=f"Ilse{tag}b")
    async with browser(api, "klantmanager", "nl") as caseworker:
        assert (await caseworker.http.get(f"/cases/{first['id']}")).status_code == 200
        await caseworker.http.get("/cases", params={"q": f"Ilse{tag}a"})  # a list of one case
        await caseworker.http.get("/cases", params={"q": f"Ilse{tag}"})  # and of two
    unknown = f"iets_nieuws_{tag}"  # written by a later Traject, say: no words for it here
    with transaction(api.sessions) as session:
        repo.audit(session, "zaanstad", "system", unknown, None)

    for lang, words in (
        ("nl", {"case_started": "Traject gestart", "case_read": "Zaak ingezien"}),
        ("en", {"case_started": "Trajectory started", "case_read": "Case viewed"}),
    ):
        async with browser(api, "teamleider", lang) as coordinator:
            rows = audit_rows((await coordinator.http.get("/audit")).text)
            assert rows, "an empty audit log"
            # every action in words: no code in the column, whatever the tests before have done
            # (what it was about may hold a designer's code: a draft's definition)
            for action, cells in rows:
                done = re.sub(r'<span class="traject-audit-detail">.*?</span>', "", cells[2])
                if action == unknown:
                    assert cells[2] == f"<code>{unknown}</code>", cells  # shown as it is
                else:
                    assert done and "_" not in done and action not in done, cells
            assert unknown in [a for a, _ in rows]
            of_case = await coordinator.http.get("/audit", params={"case": first["id"]})
            said = {a: w for a, w, _about in action_cells(of_case.text)}
            assert {a: said.get(a) for a in words} == words, said
            listed = [c[3] for a, c in rows if a == "cases_listed"][:2]  # newest first
            one, two = ("1 zaak", "2 zaken") if lang == "nl" else ("1 case", "2 cases")
            assert listed == [two, one], listed


async def test_the_audit_log_names_who_did_it_in_words(api: Api) -> None:
    """A person by their name; Traject itself, the command line and the retention run in words in
    the page's language, never as the code written to the log (`system`, `cli`, ...)."""
    tag = secrets.token_hex(3)
    case = await api.start(first_name=f"Wie{tag}")
    with transaction(api.sessions) as session:
        for actor in ("system", "cli", "retention", "traject up"):
            repo.audit(session, "zaanstad", actor, "case_read", case["id"])
    for lang, words in (
        (
            "nl",
            {
                "system": "Traject (systeem)",
                "cli": "Opdrachtregel (beheer)",
                "retention": "Bewaartermijn (automatisch)",
                "traject up": "Traject (ingebouwd)",
            },
        ),
        (
            "en",
            {
                "system": "Traject (system)",
                "cli": "Command line (administration)",
                "retention": "Retention period (automatic)",
                "traject up": "Traject (built-in)",
            },
        ),
    ):
        async with browser(api, "teamleider", lang) as coordinator:
            page = await coordinator.http.get("/audit", params={"case": case["id"]})
            who = [cells[1] for action, cells in audit_rows(page.text)]
            assert who[:4] == [words[a] for a in ("traject up", "retention", "cli", "system")], who
            assert "Klantmanager" in who  # the start, by the person's name
            assert not set(who) & set(words), who


def names(api: Api, user: str) -> str:
    """A demo user's name as the pages show it."""
    with api.sessions() as session:
        found = accounts.find_user(session, USERS[user][0], user)
        assert found is not None
        return found.display_name


def action_cells(page: str) -> list[tuple[str, str, str]]:
    """(action code, the action in words, what it was about) of each row, newest first."""
    found = []
    for action, cells in audit_rows(page):
        detail = re.search(r'<span class="traject-audit-detail">(.*?)</span>', cells[2], re.S)
        words = re.sub(r"<span.*?</span>", "", cells[2], flags=re.S).strip()
        found.append((action, html.unescape(words), html.unescape(detail[1]) if detail else ""))
    return found


async def test_the_audit_log_says_which_task_step_and_version_a_row_is_about(api: Api) -> None:
    """Not just "Taak afgerond": which task (its title), which ladder step, which event, which
    version; a claim is "Taak opgepakt", an assignment names whom it went to."""
    case = await api.start(first_name="Waarover")
    cid = case["id"]
    task = await api.open_task(cid, "aanwezigheid_kernwaarden")
    assert (await api.post("klantmanager", f"/api/tasks/{task}/claim")).status_code == 200
    assert (await api.post("klantmanager", f"/api/tasks/{task}/unclaim")).status_code == 200
    colleague = int(ref_of(api, "collega").split(":")[1])
    assigned = await api.post("teamleider", f"/api/tasks/{task}/assign", {"user_id": colleague})
    assert assigned.status_code == 200, assigned.text
    done = await api.post("collega", f"/api/tasks/{task}/complete", {"data": {"aanwezig": True}})
    assert done.status_code == 200, done.text
    assert (await api.get("klantmanager", f"/api/tasks/{task}")).status_code == 200
    event = await api.post("klantmanager", f"/api/cases/{cid}/events", {"event": "gehuisvest"})
    assert event.status_code == 200, event.text
    ladder = await api.post("klantmanager", f"/api/cases/{cid}/ladder", {"step": 3})
    assert ladder.status_code == 200, ladder.text

    title = "Aanwezigheid workshop kernwaarden registreren"
    async with browser(api, "teamleider", "nl") as coordinator:
        rows = action_cells((await coordinator.http.get("/audit", params={"case": cid})).text)
    said = {(words, about) for _action, words, about in rows}
    started = next(about for action, _w, about in rows if action == "case_started")
    assert started == f"Participatieverklaringstraject Zaanstad, versie {case['version']}"
    assert {
        ("Taak opgepakt", title),
        ("Taak teruggegeven", title),
        ("Taak toegewezen aan Collega", title),
        ("Taak afgerond", title),
        ("Taak ingezien", title),
        ("Gebeurtenis vastgelegd", "Vergunninghouder is gehuisvest"),
        ("Participatieladder gemeten", "Trede 3 (Deelname aan georganiseerde activiteiten)"),
        ("Zaak ingezien", ""),
    } <= said, rows
    assert "Taak toegewezen" not in {words for words, _ in said}  # a claim is said as one
    assert not [r for r in rows if "zaanstad/" in r[2] or "_" in r[2]], rows  # no codes

    # the case's timeline says so too: the assignment by the coordinator, to whom, not a claim
    from tests.api.test_case_reasons import timeline  # (which reads this module's audit rows)

    async with browser(api, "klantmanager", "nl") as worker:
        entries = timeline((await worker.http.get(f"/cases/{cid}")).text)
    coordinator_name = names(api, "teamleider")
    assert f"Taak opgepakt: {title} — {names(api, 'klantmanager')}" in entries, entries
    assert f"Taak toegewezen: {title} · aan Collega — {coordinator_name}" in entries, entries
    assert not [e for e in entries if e.startswith("Taak opgepakt") and coordinator_name in e]

    async with browser(api, "teamleider", "en") as coordinator:
        rows = action_cells((await coordinator.http.get("/audit", params={"case": cid})).text)
    said = {(words, about) for _action, words, about in rows}
    assert {
        ("Task claimed", title),
        ("Task assigned to Collega", title),
        ("Ladder measured", "Step 3 (Taking part in organised activities)"),
    } <= said, rows


def selected(page: str, select_id: str) -> str | None:
    field = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert field, f"no select {select_id}"
    chosen = re.search(r'<option value="([^"]*)" selected>', field.group(1))
    return chosen.group(1) if chosen else None


async def test_the_audit_log_is_filtered_by_the_kind_of_action_and_pages_through_it(
    api: Api,
) -> None:
    case = await api.start(first_name=f"Filter{secrets.token_hex(2)}")
    cid = case["id"]
    with transaction(api.sessions) as session:
        for _ in range(55):
            repo.audit(session, "zaanstad", "system", "case_read", cid)
    async with browser(api, "teamleider", "nl") as coordinator:
        unfiltered = (await coordinator.http.get("/audit")).text
        assert 'id="auditfilter"' in unfiltered and selected(unfiltered, "audit-action") is None
        options = re.findall(r'<option value="([^"]+)"', unfiltered)
        assert {"task_completed", "case_read", "task_assigned", "case_started"} <= set(options)
        assert "Taak opgepakt of toegewezen" in unfiltered  # a claim is an assignment to oneself

        first = await coordinator.http.get("/audit", params={"case": cid, "action": "case_read"})
        assert first.status_code == 200
        rows = audit_rows(first.text)
        assert len(rows) == 50 and {a for a, _ in rows} == {"case_read"}
        assert selected(first.text, "audit-action") == "case_read"
        assert f'value="{cid}"' in first.text  # the case filter kept in its field
        after = re.search(r'<a href="([^"]+)" rel="next">', first.text)
        assert after, "no link to the next page"
        link = html.unescape(after.group(1))
        assert f"case={cid}" in link and "action=case_read" in link and "page=2" in link, link
        second = audit_rows((await coordinator.http.get(link)).text)
        assert len(second) >= 5 and {a for a, _ in second} == {"case_read"}

        started = audit_rows(
            (await coordinator.http.get("/audit", params={"action": "case_started"})).text
        )
        assert started and {a for a, _ in started} == {"case_started"}
        # a case id in a row is a link to the case
        assert any(cells[3] == f'<a href="/cases/{cid}">{cid}</a>' for _a, cells in started)


async def test_the_audit_log_finds_a_case_by_its_kenmerk_and_says_so_when_there_is_none(
    api: Api,
) -> None:
    """The kenmerk is what the other pages show; a case filtered by it is found, its rows show it,
    and a kenmerk or id of no case of the municipality is said at the field, with the filter to
    correct it (it was a page saying 'Er is geen zaak' without a way back)."""
    reference = f"ZS-AUDIT-{secrets.token_hex(3)}"
    case = await api.start(first_name="Kenmerk", reference=reference)
    foreign = await api.start("leiden", definition="wi2021", first_name="Elders")
    async with browser(api, "teamleider", "nl") as coordinator:
        found = await coordinator.http.get("/audit", params={"case": reference})
        assert found.status_code == 200, found.text[:300]
        rows = audit_rows(found.text)
        assert rows and {a for a, _ in rows} >= {"case_started"}
        assert all(
            cells[3] == f'<a href="/cases/{case["id"]}">{reference}</a>' for _a, cells in rows
        )

        for unknown in ("ZS-BESTAAT-NIET", foreign["id"]):  # none, and another municipality's
            missing = await coordinator.http.get("/audit", params={"case": unknown})
            assert missing.status_code == 404
            error = re.search(
                r'<p class="traject-field__error" id="audit-case-fout">(.*?)</p>', missing.text
            )
            assert error and "Er is geen zaak met kenmerk of zaaknummer" in html.unescape(error[1])
            assert 'id="auditfilter"' in missing.text and f'value="{unknown}"' in missing.text
            assert audit_rows(missing.text) == []
