"""The dashboard's aggregates (state stays, the participatieladder chain, the Wet inburgering
facts) as the step recorder keeps them, step by step, through a real worker and Temporal server,
are exactly what migration 0005 computes from the history afterwards: an upgraded store and a new
one show the same figures. Checked on every case the API tests wrote."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tests.api.conftest import Api
from traject.store.db import transaction
from traject.store.models import Case, CaseIndicator, LadderMeasurement, StateStay

AGGREGATES = importlib.import_module("traject.store.migrations.versions.0005_dashboard_aggregates")


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
    return ids


async def test_the_recorder_keeps_what_the_migration_computes(api: Api) -> None:
    ids = await drive(api)
    with api.sessions() as session:
        kept = aggregates(session)
    assert {row[0] for row in kept["stays"]} >= set(ids)
    assert any(row[5] is not None for row in kept["stays"]), "some stay was left"
    chained = [row for row in kept["cases"] if row[0] == ids[0]]
    assert chained[0][1:3] == (2, 1), "first and latest step of the re-measured case"

    with transaction(api.sessions) as session:  # recompute from scratch, then throw it away
        session.execute(delete(StateStay))
        session.execute(delete(CaseIndicator))
        session.execute(update(LadderMeasurement).values(previous_step=None, next_at=None))
        session.execute(update(Case).values(ladder_first=None, ladder_step=None, ladder_at=None))
        AGGREGATES.backfill(session.connection())
        recomputed = aggregates(session)
        session.rollback()
    for name, rows in kept.items():
        assert rows == recomputed[name], name
