"""A municipality starts its own trajectory from a built-in definition: copied as version 1 of
its own, checked in the editor, published with a reason, and then used for new cases."""

from __future__ import annotations

import html
import re

from tests.api.conftest import PASSWORD, Api


async def test_zaanstad_copies_pvt1_publishes_it_and_starts_a_case_on_it(api: Api) -> None:
    signed = await api.http.post(
        "/api/session",
        json={"municipality": "zaanstad", "username": "ontwerper", "password": PASSWORD},
    )
    assert signed.status_code == 200, signed.text
    csrf = signed.json()["csrf_token"]
    listing = await api.http.get("/designer/start")
    assert listing.status_code == 200
    assert re.search(r'data-built-in="pvt4".*?pvt1', listing.text, re.S)  # copy pvt1 first
    page = await api.http.get("/designer/start", params={"built_in": "pvt1"})
    assert page.status_code == 200
    source = html.unescape(
        re.search(r'<textarea id="bron"[^>]*>(.*?)</textarea>', page.text, re.S).group(1)
    )
    assert "municipality: zaanstad" in source and "version: 1" in source
    assert 'id="geldig"' in page.text  # the editor's check: valid
    assert "/static/vendor/codemirror/editor.min.js" in page.text  # the code editor, if JS runs
    schema = await api.http.get("/designer/schema.json")  # its completion and hints
    assert schema.status_code == 200 and schema.json()["title"] == "Traject definition"
    published = await api.http.post(
        "/designer/pvt1/publish",
        data={"csrf_token": csrf, "source": source, "note": "overgenomen"},
    )
    assert published.status_code == 303, published.text
    versions = (await api.get("teamleider", "/api/definitions/pvt1/versions")).json()["items"]
    assert [v["version"] for v in versions] == [1] and versions[0]["note"] == "overgenomen"
    started = await api.post(
        "klantmanager", "/api/cases", {"definition": "pvt1", "first_name": "Ali"}
    )
    assert started.status_code == 201 and started.json()["definition"] == "pvt1"
    again = await api.http.get("/designer/start", params={"built_in": "pvt1"})
    assert again.status_code == 409  # already theirs: a new version is made from the editor
    await api.http.delete("/api/session", headers={"X-CSRF-Token": csrf})
