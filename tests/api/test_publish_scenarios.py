"""A version its definition's scenarios fail on is not published by accident: the designer is told
which fail and publishes only by saying they know (the process changed on purpose), through the
API and the editor page alike; the audit log keeps which failed. A version they pass on publishes
as before."""

from __future__ import annotations

import dataclasses
import html
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.api.conftest import Api
from tests.api.test_tenancy_web import app_of, browser
from tests.conftest import DEFINITIONS
from traject.designer import Designer
from traject.store.models import AuditEvent, DefinitionVersion

NAME = f"pvt1_scen_{secrets.token_hex(3)}"
V1 = (
    (DEFINITIONS / "pvt1.yaml")
    .read_text(encoding="utf-8")
    .replace("definition: pvt1", f"definition: {NAME}", 1)
)
RENAMED = V1.replace("version: 1", "version: 2", 1).replace("uitnodigen", "aanmelden")
RETITLED = V1.replace("version: 1", "version: 2", 1).replace(
    "title: Participatieverklaringstraject PVT1", "title: PVT1 met een andere naam", 1
)


@pytest.fixture
def scenarios(api: Api, tmp_path: Path) -> Iterator[Path]:
    """The designer's scenarios for NAME: pvt1's own, which expect the state 'uitnodigen'."""
    folder = tmp_path / NAME
    folder.mkdir()
    for file in (DEFINITIONS / "scenarios" / "pvt1").glob("*.yaml"):
        (folder / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    app = app_of(api)
    before: Designer = app.state.designer
    app.state.designer = dataclasses.replace(before, scenarios_dir=tmp_path)
    try:
        yield folder
    finally:
        app.state.designer = before


def versions(api: Api) -> list[int]:
    with api.sessions() as session:
        return sorted(
            session.scalars(
                select(DefinitionVersion.version).where(DefinitionVersion.definition == NAME)
            )
        )


async def test_a_version_its_scenarios_fail_on_is_published_only_knowingly(
    api: Api, scenarios: Path
) -> None:
    first = await api.post("vormgever", "/api/definitions", {"source": V1, "note": "eerste"})
    assert first.status_code == 201, first.text  # its scenarios pass

    refused = await api.post("vormgever", "/api/definitions", {"source": RENAMED, "note": "x"})
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert "afwezig_en_escalatie.yaml" in body["errors"]["scenarios"]
    assert "hoofdpad.yaml" in body["errors"]["scenarios"]
    assert versions(api) == [1]  # nothing published

    async with browser(api, "vormgever", "nl") as designer:
        form = {"source": RENAMED, "note": "nieuwe naam"}
        page = await designer.post(f"/designer/{NAME}/publish", form)
        assert page.status_code == 422
        assert "deze scenario's slagen niet met deze versie" in html.unescape(page.text)
        box = re.search(
            r'<div class="traject-field" id="scenarios-falen">(.*?)</div>', page.text, re.S
        )
        assert box and "hoofdpad.yaml" in box.group(1), page.text[:500]
        assert versions(api) == [1]
        published = await designer.post(
            f"/designer/{NAME}/publish", {**form, "failing_scenarios": "1"}
        )
        assert published.status_code == 303, published.text[:500]
    assert versions(api) == [1, 2]
    with api.sessions() as session:
        audited = session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "definition_published",
                AuditEvent.detail["definition"].as_string().contains(f"/{NAME}@2"),
            )
        ).one()
    assert audited["failing_scenarios"] == ["afwezig_en_escalatie.yaml", "hoofdpad.yaml"]

    # through the API, saying so; and a version the scenarios pass on needs nothing
    third = RENAMED.replace("version: 2", "version: 3", 1)
    knowingly = await api.post(
        "vormgever",
        "/api/definitions",
        {"source": third, "note": "x", "accept_failing_scenarios": True},
    )
    assert knowingly.status_code == 201, knowingly.text
    fourth = RETITLED.replace("version: 2", "version: 4", 1)
    passing = await api.post("vormgever", "/api/definitions", {"source": fourth, "note": "x"})
    assert passing.status_code == 201, passing.text
    assert versions(api) == [1, 2, 3, 4]
