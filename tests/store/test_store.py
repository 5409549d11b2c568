"""The store on SQLite and PostgreSQL: migrations, publishing, cases, seats, idempotent writes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import DEFINITIONS
from traject.definition import compile_file
from traject.store import repositories as repo
from traject.store.db import make_engine, session_factory
from traject.store.migrate import downgrade, upgrade
from traject.store.models import Base, DefinitionVersion, LadderMeasurement, WorkshopSeat

NOW = datetime(2025, 1, 6, 9, tzinfo=UTC)


def test_migrations_give_exactly_the_models(migrated: str) -> None:
    engine = make_engine(migrated)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    engine.dispose()


def test_downgrade_and_upgrade_again(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> None:
    url = (
        database_url
        if database_url.startswith("postgresql")
        else f"sqlite:///{tmp_path_factory.mktemp('down') / 'down.db'}"
    )
    upgrade(url)
    engine = make_engine(url)
    downgrade(url, "0002")
    tables = inspect(engine).get_table_names()
    assert "case_termijnen" not in tables and "login_sessions" in tables
    downgrade(url, "base")
    assert "cases" not in inspect(engine).get_table_names()
    upgrade(url)
    assert {"cases", "case_termijnen"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_publish_is_idempotent_and_refuses_other_content_under_a_version(session: Session) -> None:
    compiled = compile_file(DEFINITIONS / "pvt1.yaml")
    repo.ensure_municipality(session, compiled.municipality, "Voorbeeldgemeente")
    first = repo.publish(session, compiled, "source", by="designer")
    assert repo.publish(session, compiled, "source", by="designer").id == first.id
    changed = compiled.model_copy(update={"title": "Anders"}).with_hash()
    with pytest.raises(repo.DefinitionConflict, match="raise 'version'"):
        repo.publish(session, changed, "source", by="designer")
    assert repo.compiled_of(repo.latest_version(session, compiled.municipality, "pvt1")) == compiled


def test_a_case_id_reveals_nothing_and_personal_data_sits_apart(session: Session) -> None:
    compiled = compile_file(DEFINITIONS / "pvt1.yaml")
    repo.ensure_municipality(session, compiled.municipality, "Voorbeeldgemeente")
    version = repo.publish(session, compiled, "source", by="designer")
    case = repo.create_case(
        session, version, first_name="Amina", last_name="Haddad", bsn="123456782"
    )
    assert case.id.startswith("case-") and "amina" not in case.id.lower()
    assert case.workflow_id == f"trajectory-{case.id}"
    with pytest.raises(repo.NotFound):
        repo.get_case(session, case.id, municipality="zaanstad")


def test_seats_fill_a_session_then_the_next_then_the_waiting_list(session: Session) -> None:
    repo.ensure_municipality(session, "zaanstad", "Zaanstad")
    first = repo.add_session(
        session, "zaanstad", "kernwaarden", "Kernwaarden", NOW + timedelta(days=7), "Zaandam", 2
    )
    second = repo.add_session(
        session, "zaanstad", "kernwaarden", "Kernwaarden", NOW + timedelta(days=14), "Zaandam", 1
    )
    compiled = compile_file(DEFINITIONS / "zaanstad_pvt.yaml")
    version = repo.publish(session, compiled, "source", by="designer")
    cases = [repo.create_case(session, version, first_name=f"p{i}") for i in range(4)]
    seats = [
        repo.book_seat(session, "zaanstad", "kernwaarden", c.id, f"k{i}", NOW)
        for i, c in enumerate(cases)
    ]
    assert [s.session_id for s in seats] == [first.id, first.id, second.id, None]
    assert seats[3].status == "waitlisted"
    again = repo.book_seat(session, "zaanstad", "kernwaarden", cases[0].id, "k0", NOW)
    assert again.id == seats[0].id
    assert len(session.scalars(select(WorkshopSeat)).all()) == 4


def test_ladder_steps_outside_one_to_six_are_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        compiled = compile_file(DEFINITIONS / "pvt1.yaml")
        repo.ensure_municipality(session, compiled.municipality, "Voorbeeldgemeente")
        case = repo.create_case(
            session, repo.publish(session, compiled, "s", by="d"), first_name="x"
        )
        session.add(
            LadderMeasurement(key="l7", case_id=case.id, step=7, measured_at=NOW, source="test")
        )
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_bookings_at_once_for_the_last_seats_never_overbook(
    database_url: str, migrated: str
) -> None:
    """Steps booking at the same moment in transactions that have written nothing yet: on
    PostgreSQL the sessions are locked FOR UPDATE; on SQLite such a transaction reads outside
    the one write lock, so book_seat takes the lock first (without it, eight bookers for two
    seats booked three to five of them)."""
    sessions = session_factory(make_engine(migrated))
    bookers, capacity = 8, 2
    with sessions.begin() as session:
        repo.ensure_municipality(session, "enschede", "Enschede")
        version_id = repo.publish(
            session, compile_file(DEFINITIONS / "enschede_mpact.yaml"), "s", by="d"
        ).id
    for round_ in range(3):
        workshop = f"laatste_plekken_{round_}"
        with sessions.begin() as session:
            version = session.get(DefinitionVersion, version_id)
            assert version is not None
            repo.add_session(
                session,
                "enschede",
                workshop,
                "Laatste plekken",
                NOW + timedelta(days=3),
                "Enschede",
                capacity,
            )
            case_ids = [
                repo.create_case(session, version, first_name=f"p{i}").id for i in range(bookers)
            ]
        results = _book_at_once(sessions, workshop, case_ids)
        assert sorted(results) == ["booked"] * capacity + ["waitlisted"] * (bookers - capacity)


def _book_at_once(sessions: sessionmaker[Session], workshop: str, case_ids: list[str]) -> list[str]:
    """Each case books a seat in its own transaction, all let go at the same moment."""
    barrier = threading.Barrier(len(case_ids))
    results: list[str] = []

    def book(case_id: str) -> None:
        with sessions.begin() as session:
            barrier.wait()
            seat = repo.book_seat(session, "enschede", workshop, case_id, f"race-{case_id}", NOW)
            results.append(seat.status)

    threads = [threading.Thread(target=book, args=(case_id,)) for case_id in case_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
