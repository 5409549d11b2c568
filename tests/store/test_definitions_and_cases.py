"""Publishing definition versions, and cases whose personal data sits apart from everything else."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from traject.definition.compiled import CompiledDefinition
from traject.store import repositories as repo
from traject.store.models import Case, CaseDate, CasePerson, DefinitionVersion


def test_publish_is_idempotent_and_refuses_other_content_under_a_version(
    session: Session, pvt1: CompiledDefinition
) -> None:
    repo.ensure_municipality(session, pvt1.municipality, "Voorbeeldgemeente")
    first = repo.publish(session, pvt1, "source", by="designer")
    assert repo.publish(session, pvt1, "source", by="someone else").id == first.id
    changed = pvt1.model_copy(update={"title": "Anders"}).with_hash()
    with pytest.raises(repo.DefinitionConflict, match="raise 'version'"):
        repo.publish(session, changed, "source", by="designer")
    count = select(DefinitionVersion).where(DefinitionVersion.definition == pvt1.definition)
    assert len(session.scalars(count).all()) == 1
    assert repo.compiled_of(repo.latest_version(session, pvt1.municipality, "pvt1")) == pvt1


def test_a_new_version_is_the_latest_and_a_retired_one_never_starts_a_case(
    session: Session, pvt1: CompiledDefinition
) -> None:
    repo.ensure_municipality(session, pvt1.municipality, "Voorbeeldgemeente")
    v1 = repo.publish(session, pvt1, "source", by="designer")
    v2 = repo.publish(
        session, pvt1.model_copy(update={"version": pvt1.version + 1}).with_hash(), "s", by="d"
    )
    assert repo.latest_version(session, pvt1.municipality, "pvt1").id == v2.id
    v2.status = "retired"
    assert repo.latest_version(session, pvt1.municipality, "pvt1").id == v1.id
    with pytest.raises(repo.NotFound):
        repo.latest_version(session, pvt1.municipality, "no_such_definition")


def test_a_case_id_is_opaque_and_personal_data_sits_apart(
    session: Session, version: DefinitionVersion
) -> None:
    case = repo.create_case(
        session,
        version,
        first_name="Amina",
        last_name="Haddad",
        bsn="123456782",
        reference="Z-2026-001",
        dates={"registratiedatum": date(2026, 1, 5)},
        birth_date=date(1990, 4, 1),
        contact={"email": "amina@example.org"},
    )
    assert re.fullmatch(r"case-[0-9a-f]{12}", case.id)
    assert case.workflow_id == f"trajectory-{case.id}"
    assert case.status == "starting" and case.current_states == [] and not case.overdue
    person = session.get(CasePerson, case.id)
    assert person is not None and person.bsn == "123456782"
    assert person.contact == {"email": "amina@example.org"}
    assert repo.case_dates(session, case.id) == {"registratiedatum": date(2026, 1, 5)}
    case_columns = set(Case.__table__.columns.keys())
    assert not case_columns & {"first_name", "last_name", "bsn", "birth_date", "contact"}


def test_another_municipalitys_case_does_not_exist_for_you(session: Session, case: Case) -> None:
    assert repo.get_case(session, case.id, case.municipality) is case
    with pytest.raises(repo.NotFound):
        repo.get_case(session, case.id, municipality="zaanstad")
    assert repo.list_cases(session, municipality="zaanstad") == []
    assert case in repo.list_cases(session, municipality=case.municipality, status="starting")


def test_case_ids_differ_for_the_same_person(session: Session, version: DefinitionVersion) -> None:
    ids = {repo.create_case(session, version, first_name="Same").id for _ in range(20)}
    assert len(ids) == 20
    assert session.scalars(select(CaseDate)).all() == []
