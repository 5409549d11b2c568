"""The dashboard's aggregates (state stays and their histogram, the participatieladder chain, the
Wet inburgering facts) as the step recorder keeps them, step by step, through a real worker and
Temporal server, are exactly what migrations 0005 and 0007 compute from the history afterwards:
an upgraded store and a new one show the same figures. Checked on every case the API tests
wrote."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tests.api.conftest import Api
from tests.api.test_migration import V1, V2
from traject.store.db import transaction
from traject.store.models import (
    Case,
    CaseIndicator,
    DefinitionVersion,
    LadderMeasurement,
    StateStay,
    StayDays,
)

AGGREGATES = importlib.import_module("traject.store.migrations.versions.0005_dashboard_aggregates")
STAY_DAYS = importlib.import_module("traject.store.migrations.versions.0007_stay_days")


def aggregates(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    s = StateStay
    return {
        "stays": sorted(
            tuple(row)
            for row in session.execute(
                select(
                    s.case_id,
                    s.municipality,
                    s.definition_version_id,
                    s.state,
                    s.entered_at,
                    s.left_at,
                    s.days,
                )
            )
        ),
        "histogram": sorted(
            tuple(row)
            for row in session.execute(
                select(
                    StayDays.municipality,
                    StayDays.definition_version_id,
                    StayDays.state,
                    StayDays.month,
                    StayDays.days,
                    StayDays.stays,
                )
            )
        ),
        "ladder": sorted(
            tuple(row)
            for row in session.execute(
                select(
                    LadderMeasurement.id,
                    LadderMeasurement.previous_step,
                    LadderMeasurement.next_at,
                )
            )
        ),
        "cases": sorted(
            tuple(row)
            for row in session.execute(
                select(Case.id, Case.ladder_first, Case.ladder_step, Case.ladder_at)
            )
        ),
        "facts": sorted(
            tuple(row)
            for row in session.execute(
                select(
                    CaseIndicator.case_id,
                    CaseIndicator.pvt_done_at,
                    CaseIndicator.map_done_at,
                    CaseIndicator.map_exempt_at,
                )
            )
        ),
    }


async def drive(api: Api) -> list[str]:
    """Cases with re-measured ladders, tasks done, a state left and entered, a report, a cancel."""
    ids = []
    for steps in ((2, 3, 3, 1), (4,), ()):
        case = await api.start()
        cid = case["id"]
        ids.append(cid)
        task = await api.open_task(cid, "aanwezigheid_kernwaarden")
        for step in steps:
            measured = await api.post("klantmanager", f"/api/cases/{cid}/ladder", {"step": step})
            assert measured.status_code == 200, measured.text
        done = await api.post(
            "klantmanager", f"/api/tasks/{task}/complete", {"data": {"aanwezig": True}}
        )
        assert done.status_code == 200, done.text
        housed = await api.post("klantmanager", f"/api/cases/{cid}/events", {"event": "gehuisvest"})
        assert housed.status_code == 200, housed.text
    cancelled = await api.post("teamleider", f"/api/cases/{ids[-1]}/cancel", {"reason": "verhuisd"})
    assert cancelled.status_code == 200, cancelled.text
    ids.append(await migrated(api))
    return ids


async def migrated(api: Api) -> str:
    """A case that left a state on version 1, then moved to version 2: its stays, and their
    counts in the histogram, go with it."""
    v1 = V1.replace("definition: pvt1_proef", "definition: pvt1_aggregaat", 1)
    v2 = V2.replace("definition: pvt1_proef", "definition: pvt1_aggregaat", 1)
    published = await api.post("vormgever", "/api/definitions", {"source": v1, "note": "v1"})
    assert published.status_code == 201, published.text
    started = await api.post(
        "leiden", "/api/cases", {"definition": "pvt1_aggregaat", "first_name": "Lina"}
    )
    assert started.status_code == 201, started.text
    cid: str = started.json()["id"]
    task = await api.open_task(cid, "aanmelding_bevestigen", "leiden")
    done = await api.post("leiden", f"/api/tasks/{task}/complete", {"data": {"tolk_nodig": False}})
    assert done.status_code == 200 and done.json()["active"] == ["workshop"], done.text
    published = await api.post("vormgever", "/api/definitions", {"source": v2, "note": "v2"})
    assert published.status_code == 201, published.text
    body = {"to_version": 2, "case_ids": [cid], "mapping": {}, "dry_run": False}
    moved = await api.post("vormgever", "/api/definitions/pvt1_aggregaat/migrations", body)
    assert moved.status_code == 200 and moved.json()["results"][0]["ok"], moved.text
    return cid


async def test_the_recorder_keeps_what_the_migration_computes(api: Api) -> None:
    ids = await drive(api)
    with api.sessions() as session:
        kept = aggregates(session)
    assert {row[0] for row in kept["stays"]} >= set(ids)
    assert any(row[5] is not None for row in kept["stays"]), "some stay was left"
    assert kept["histogram"], "left stays are counted"
    with api.sessions() as session:
        versions = dict(
            session.execute(
                select(DefinitionVersion.version, DefinitionVersion.id).where(
                    DefinitionVersion.definition == "pvt1_aggregaat"
                )
            ).all()
        )
    counted = {row[1] for row in kept["histogram"] if row[1] in versions.values()}
    assert counted == {versions[2]}, "the migrated case's left stay counts on version 2 alone"
    chained = [row for row in kept["cases"] if row[0] == ids[0]]
    assert chained[0][1:3] == (2, 1), "first and latest step of the re-measured case"

    with transaction(api.sessions) as session:  # recompute from scratch, then throw it away
        session.execute(delete(StayDays))
        session.execute(delete(StateStay))
        session.execute(delete(CaseIndicator))
        session.execute(update(LadderMeasurement).values(previous_step=None, next_at=None))
        session.execute(update(Case).values(ladder_first=None, ladder_step=None, ladder_at=None))
        AGGREGATES.backfill(session.connection())
        STAY_DAYS.backfill(session.connection())
        recomputed = aggregates(session)
        session.rollback()
    for name, rows in kept.items():
        assert rows == recomputed[name], name
