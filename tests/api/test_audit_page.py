"""The audit log page as a coordinator reads it: reachable from the menu (for the roles that may
read it, no one else), each action in words in the page's language instead of its code, an
action without words shown as its code, and a list of cases counted in proper Dutch or English
("1 zaak", "2 zaken"). Real worker, Temporal server and store."""

from __future__ import annotations

import re
import secrets

from tests.api.conftest import Api
from tests.api.test_tenancy_web import browser
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
    table = re.search(r'<table class="traject-table" id="auditlog">(.*?)</table>', page, re.S)
    assert table, "no audit table"
    return [
        (m[1], [c.strip() for c in re.findall(r"<td>(.*?)</td>", m[2], re.S)])
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
            assert "/audit" not in nav_links((await other.http.get("/")).text), user
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
            for action, cells in rows:
                if action == unknown:
                    assert cells[2] == f"<code>{unknown}</code>", cells  # shown as it is
                else:
                    assert cells[2] and "_" not in cells[2] and action not in cells[2], cells
            assert unknown in [a for a, _ in rows]
            of_case = await coordinator.http.get("/audit", params={"case": first["id"]})
            said = {a: cells[2] for a, cells in audit_rows(of_case.text)}
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
