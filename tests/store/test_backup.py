"""The documented backup and restore of the store, done for real on PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import DEFINITIONS, _admin
from traject.definition import compile_file
from traject.store import repositories as repo
from traject.store.db import make_engine, session_factory, transaction
from traject.store.models import Case, CasePerson, DefinitionVersion


def test_a_dump_restores_into_an_empty_database(
    database_url: str, migrated: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the backup procedure is PostgreSQL's (pg_dump / pg_restore)")
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    sessions = session_factory(make_engine(migrated))
    with transaction(sessions) as session:
        compiled = compile_file(DEFINITIONS / "pvt1.yaml")
        repo.ensure_municipality(session, compiled.municipality, "Voorbeeldgemeente")
        version = repo.publish(session, compiled, "source", by="designer")
        case_id = repo.create_case(session, version, "Backup", bsn="123456782").id
    dump = tmp_path / "traject.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", migrated.replace("+psycopg", "")],
        check=True,
    )
    restored = migrated.rsplit("/", 1)[0] + "/" + migrated.rsplit("/", 1)[1] + "_restored"
    _admin(f'CREATE DATABASE "{restored.rsplit("/", 1)[1]}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored}", str(dump)], check=True)
        copy = session_factory(make_engine(restored))
        with copy() as session, sessions() as original:
            for model in (Case, CasePerson, DefinitionVersion):
                count = select(func.count()).select_from(model)
                assert session.scalar(count) == original.scalar(count)
            assert session.get(CasePerson, case_id).bsn == "123456782"  # type: ignore[union-attr]
        copy.kw["bind"].dispose()
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{restored.rsplit("/", 1)[1]}" WITH (FORCE)')
