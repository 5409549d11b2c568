"""Saved drafts and the status of each version on the designer's pages: a draft (even an invalid
one) is kept per municipality and definition, reopened in the editor, discarded, or removed by
publishing it; another municipality never sees or changes it; every save and discard is audited.
The list shows each version as gepubliceerd (new cases start on it) or vervangen (its cases run
on), with its running cases, and the draft as concept. Real worker, Temporal server and store."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from tests.api.conftest import USERS, Api, signed_in
from tests.conftest import DEFINITIONS
from traject.definition.loader import MAX_FILE_BYTES
from traject.store import accounts
from traject.store.models import AuditEvent, DefinitionDraft, DefinitionVersion

PVT1 = (DEFINITIONS / "pvt1.yaml").read_text(encoding="utf-8")


def copy_of_pvt1(name: str, version: int = 1, municipality: str = "voorbeeldgemeente") -> str:
    """pvt1 under its own name (other tests edit the built-in ones), at `version`."""
    return (
        PVT1.replace("definition: pvt1", f"definition: {name}", 1)
        .replace("version: 1", f"version: {version}", 1)
        .replace("municipality: voorbeeldgemeente", f"municipality: {municipality}", 1)
    )


async def publish(api: Api, csrf: str, name: str, source: str, draft: str = "") -> None:
    form = {"csrf_token": csrf, "source": source, "note": "proef concept", "draft": draft}
    response = await api.http.post(f"/designer/{name}/publish", data=form)
    assert response.status_code == 303, response.text


async def save_draft(api: Api, csrf: str, name: str, source: str) -> Any:
    return await api.http.post(
        f"/designer/{name}/draft", data={"csrf_token": csrf, "source": source}
    )


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="bron"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no editor on the page"
    return html.unescape(found.group(1))


def draft_token(page: str) -> str:
    found = re.search(r'name="draft" value="([^"]+)"', page)
    assert found, "the editor holds no draft"
    return html.unescape(found.group(1))


def stored_draft(api: Api, municipality: str, name: str) -> DefinitionDraft | None:
    with api.sessions() as session:
        return session.scalar(
            select(DefinitionDraft).where(
                DefinitionDraft.municipality == municipality, DefinitionDraft.definition == name
            )
        )


def published_versions(api: Api, municipality: str, name: str) -> list[int]:
    with api.sessions() as session:
        return sorted(
            session.scalars(
                select(DefinitionVersion.version).where(
                    DefinitionVersion.municipality == municipality,
                    DefinitionVersion.definition == name,
                )
            )
        )


def draft_audit(api: Api, municipality: str, name: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, actor, detail) of the audit rows about the definition's draft, oldest first."""
    with api.sessions() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.municipality == municipality)
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        return [
            (r.action, r.actor, r.detail)
            for r in rows
            if r.action.startswith("definition_")
            and r.detail.get("definition", "").split("@")[0] == f"{municipality}/{name}"
        ]


def ref_of(api: Api, user: str) -> str:
    with api.sessions() as session:
        found = accounts.find_user(session, USERS[user][0], user)
        assert found is not None
        return f"user:{found.id}"


async def test_a_draft_is_kept_reopened_and_discarded_and_no_other_municipality_touches_it(
    api: Api,
) -> None:
    name = "pvt1_concept"
    broken = copy_of_pvt1(name, 2) + "\n  kapot: [nog niet af\n"  # invalid YAML: work in progress
    async with signed_in(api, "vormgever") as csrf:
        await publish(api, csrf, name, copy_of_pvt1(name))
        no_csrf = await api.http.post(f"/designer/{name}/draft", data={"source": broken})
        assert no_csrf.status_code == 403 and stored_draft(api, "voorbeeldgemeente", name) is None

        saved = await save_draft(api, csrf, name, broken)
        assert saved.status_code == 303 and saved.headers["location"] == f"/designer/{name}/edit"
        editor = await api.http.get(f"/designer/{name}/edit")
        assert editor.status_code == 200
        assert textarea(editor.text) == broken  # reopened with the draft, not the next version
        assert 'id="problemen"' in editor.text  # still checked: it does not compile
        assert "Concept opgeslagen door Vormgever op" in editor.text
        assert 'action="/designer/pvt1_concept/draft/discard"' in editor.text
        assert "Concept weggooien" in editor.text

        # the draft changes nothing that runs: version 1 is the only one, new cases start on it
        assert published_versions(api, "voorbeeldgemeente", name) == [1]
        started = await api.post("leiden", "/api/cases", {"definition": name, "first_name": "Sara"})
        assert started.status_code == 201 and started.json()["version"] == 1, started.text

    async with signed_in(api, "ontwerper") as csrf:  # zaanstad: voorbeeldgemeente's is not there
        assert (await api.http.get(f"/designer/{name}/edit")).status_code == 404
        overwrite = await save_draft(api, csrf, name, "definition: van zaanstad\n")
        assert overwrite.status_code == 404
        discard = await api.http.post(f"/designer/{name}/draft/discard", data={"csrf_token": csrf})
        assert discard.status_code == 404
        # zaanstad's own definition of the same name has a draft of its own
        await publish(api, csrf, name, copy_of_pvt1(name, municipality="zaanstad"))
        own = copy_of_pvt1(name, 2, "zaanstad")
        assert (await save_draft(api, csrf, name, own)).status_code == 303
        page = await api.http.get(f"/designer/{name}/edit")
        assert textarea(page.text) == own and "kapot" not in page.text
        assert "Concept opgeslagen door Ontwerper op" in page.text
    kept = stored_draft(api, "voorbeeldgemeente", name)
    assert kept is not None and kept.source == broken and kept.saved_by == ref_of(api, "vormgever")

    async with signed_in(api, "vormgever") as csrf:
        second = copy_of_pvt1(name, 2).replace(
            "title: Participatieverklaringstraject", "title: Nieuw"
        )
        assert (await save_draft(api, csrf, name, second)).status_code == 303  # replaces it
        with api.sessions() as session:
            drafts = session.scalars(
                select(DefinitionDraft.source).where(DefinitionDraft.definition == name)
            ).all()
        assert sorted(drafts) == sorted([second, copy_of_pvt1(name, 2, "zaanstad")])

        too_big = await save_draft(api, csrf, name, "# " + "x" * MAX_FILE_BYTES)
        assert too_big.status_code == 422
        assert f"Het concept is groter dan {MAX_FILE_BYTES} bytes" in too_big.text
        assert (await save_draft(api, csrf, name, "  \n")).status_code == 422
        assert (await save_draft(api, csrf, name, "a\x00b")).status_code == 422
        kept = stored_draft(api, "voorbeeldgemeente", name)
        assert kept is not None and kept.source == second  # refused saves kept nothing

        discarded = await api.http.post(
            f"/designer/{name}/draft/discard", data={"csrf_token": csrf}
        )
        assert discarded.status_code == 303
        assert stored_draft(api, "voorbeeldgemeente", name) is None
        editor = await api.http.get(f"/designer/{name}/edit")
        assert 'id="concept"' not in editor.text and "Concept weggegooid." in editor.text
        assert "version: 2" in textarea(editor.text) and "Nieuw" not in textarea(editor.text)
        again = await api.http.post(f"/designer/{name}/draft/discard", data={"csrf_token": csrf})
        assert again.status_code == 404
    assert stored_draft(api, "zaanstad", name) is not None  # the other's draft is untouched

    vormgever = ref_of(api, "vormgever")
    key = f"voorbeeldgemeente/{name}"
    assert draft_audit(api, "voorbeeldgemeente", name) == [
        ("definition_published", vormgever, {"definition": f"{key}@1", "note": "proef concept"}),
        ("definition_draft_saved", vormgever, {"definition": key, "size": len(broken.encode())}),
        ("definition_draft_saved", vormgever, {"definition": key, "size": len(second.encode())}),
        ("definition_draft_discarded", vormgever, {"definition": key, "saved_by": vormgever}),
    ]
    assert [a for a, _, _ in draft_audit(api, "zaanstad", name)] == [
        "definition_published",
        "definition_draft_saved",
    ]


async def test_publishing_the_draft_the_editor_loaded_removes_it(api: Api) -> None:
    name = "pvt1_uit_concept"
    async with signed_in(api, "vormgever") as csrf:
        await publish(api, csrf, name, copy_of_pvt1(name))
        await save_draft(api, csrf, name, copy_of_pvt1(name, 2))
        loaded = draft_token((await api.http.get(f"/designer/{name}/edit")).text)
        newer = copy_of_pvt1(name, 3)
        await save_draft(api, csrf, name, newer)  # saved after the editor loaded the first

        await publish(api, csrf, name, copy_of_pvt1(name, 2), draft=loaded)
        kept = stored_draft(api, "voorbeeldgemeente", name)
        assert kept is not None and kept.source == newer  # not the draft that was published

        editor = await api.http.get(f"/designer/{name}/edit")
        assert textarea(editor.text) == newer
        await publish(api, csrf, name, newer, draft=draft_token(editor.text))
        assert stored_draft(api, "voorbeeldgemeente", name) is None
        assert published_versions(api, "voorbeeldgemeente", name) == [1, 2, 3]
        after = await api.http.get(f"/designer/{name}/edit")
        assert 'id="concept"' not in after.text and "version: 4" in textarea(after.text)

    published = [d for a, _, d in draft_audit(api, "voorbeeldgemeente", name) if "note" in d]
    assert [d["definition"] for d in published] == [
        f"voorbeeldgemeente/{name}@{v}" for v in (1, 2, 3)
    ]
    assert ["from_draft" in d for d in published] == [False, False, True]


def versions_in(page: str, definition: str) -> dict[str, tuple[str, str, str]]:
    """version ('draft' for the concept) → (status, running cases, text) of a definition's row
    on the list page."""
    row = re.search(rf'<tr data-definition="{definition}">(.*?)</tr>', page, re.S)
    assert row, f"no row for {definition}"
    return {
        m["version"]: (m["status"], m["running"] or "", re.sub(r"<[^>]+>|\s+", " ", m["text"]))
        for m in re.finditer(
            r'<li data-version="(?P<version>[^"]+)" data-status="(?P<status>[^"]+)"'
            r'(?: data-running="(?P<running>\d+)")?>(?P<text>.*?)</li>',
            row.group(1),
            re.S,
        )
    }


async def test_the_list_shows_concept_gepubliceerd_and_vervangen_with_running_cases(
    api: Api,
) -> None:
    name = "pvt1_status"
    async with signed_in(api, "vormgever") as csrf:
        await publish(api, csrf, name, copy_of_pvt1(name))
        on_v1 = await api.post("leiden", "/api/cases", {"definition": name, "first_name": "Ilse"})
        assert on_v1.status_code == 201 and on_v1.json()["version"] == 1, on_v1.text
        listing = versions_in((await api.http.get("/designer")).text, name)
        assert listing == {"1": ("published", "1", listing["1"][2])}
        assert "gepubliceerd" in listing["1"][2] and "Lopende zaken: 1" in listing["1"][2]

        await publish(api, csrf, name, copy_of_pvt1(name, 2))
        on_v2 = await api.post("leiden", "/api/cases", {"definition": name, "first_name": "Ties"})
        assert on_v2.json()["version"] == 2  # new cases start on the published version
        await save_draft(api, csrf, name, "definition: pvt1_status\nversion: 3\n# half af\n")

        listing = versions_in((await api.http.get("/designer")).text, name)
        assert {v: s[:2] for v, s in listing.items()} == {
            "draft": ("draft", ""),
            "2": ("published", "1"),
            "1": ("retired", "1"),
        }
        assert "concept" in listing["draft"][2] and "Vormgever" in listing["draft"][2]
        assert "v2 · gepubliceerd" in listing["2"][2] and "v1 · vervangen" in listing["1"][2]
        assert "Lopende zaken: 1" in listing["1"][2]
        english = await api.http.get("/designer", headers={"Accept-Language": "en"})
        texts = {v: s[2] for v, s in versions_in(english.text, name).items()}
        assert "draft" in texts["draft"] and "v2 · published" in texts["2"]
        assert "v1 · retired" in texts["1"] and "Running cases: 1" in texts["1"]

        page = (await api.http.get(f"/designer/{name}/versions")).text
        rows = {
            m[1]: re.sub(r"<[^>]+>|\s+", " ", m[2])
            for m in re.finditer(r'<tr data-version="([^"]+)"[^>]*>(.*?)</tr>', page, re.S)
        }
        assert list(rows) == ["draft", "2", "1"]
        assert "concept" in rows["draft"] and "Vormgever" in rows["draft"]
        assert re.search(r"v1\s+vervangen\s+1\b", rows["1"]), rows["1"]
        assert re.search(r"v2\s+gepubliceerd\s+1\b", rows["2"]), rows["2"]

        await api.http.post(f"/designer/{name}/draft/discard", data={"csrf_token": csrf})
        assert "draft" not in versions_in((await api.http.get("/designer")).text, name)


def version_rows(page: str) -> dict[str, str]:
    """version → the text of its row on a definition's versions page."""
    return {
        m[1]: re.sub(r"<[^>]+>|\s+", " ", m[2])
        for m in re.finditer(r'<tr data-version="([^"]+)"[^>]*>(.*?)</tr>', page, re.S)
    }


def column_headers(page: str, table: str) -> list[str]:
    found = re.search(rf'<table[^>]* id="{table}">\s*<thead>(.*?)</thead>', page, re.S)
    assert found, f"no table {table}"
    return [html.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", found.group(1), re.S)]


async def test_the_versions_say_who_published_them_by_name_and_why_in_the_pages_language(
    api: Api,
) -> None:
    """Who published a version is a person's name, never a ref like user:25; the built-in
    version is Traject's own, its note in the page's language; the reason has a column header,
    not the publish form's label."""
    name = "pvt1_wie"
    async with signed_in(api, "vormgever") as csrf:
        await publish(api, csrf, name, copy_of_pvt1(name))
        await publish(api, csrf, name, copy_of_pvt1(name, 2))
        ref = ref_of(api, "vormgever")

        page = (await api.http.get(f"/designer/{name}/versions")).text
        rows = version_rows(page)
        assert "Vormgever" in rows["2"] and "proef concept" in rows["2"], rows["2"]
        assert "Vormgever" in rows["1"], rows["1"]
        assert ref not in page and "user:" not in page
        assert column_headers(page, "versies")[3:6] == ["Wanneer", "Wie", "Reden"]
        assert "Waarom deze versie?" not in page

        diff = (await api.http.get(f"/designer/{name}/diff")).text
        assert re.search(r"v2: proef concept \(door Vormgever\)", diff), diff
        assert ref not in diff

        # pvt1's first version came with Traject (`traject up`): said so, in Dutch or English
        builtin = version_rows((await api.http.get("/designer/pvt1/versions")).text)["1"]
        assert "Traject (ingebouwd)" in builtin, builtin
        assert "Ingebouwde definitie, meegeleverd met Traject" in builtin, builtin
        assert "traject up" not in builtin and "built-in definition" not in builtin

        english = {"Accept-Language": "en"}
        page = (await api.http.get("/designer/pvt1/versions", headers=english)).text
        assert column_headers(page, "versies")[3:6] == ["When", "Who", "Reason"]
        builtin = version_rows(page)["1"]
        assert "Traject (built-in)" in builtin, builtin
        assert "Built-in definition, shipped with Traject" in builtin, builtin
        diff = (await api.http.get(f"/designer/{name}/diff?a=1&b=2", headers=english)).text
        assert "v2: proef concept (by Vormgever)" in diff
