"""Alembic is the only way the schema changes: from empty to head gives exactly the models, every
step down and up again works, and data survives the way through."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from traject.store.db import make_engine
from traject.store.migrate import current, downgrade, head, upgrade
from traject.store.models import Base

CHECKS = {
    "cases": "ck_cases_status",
    "tasks": "ck_tasks_status",
    "workshop_seats": "ck_seats_status",
    "definition_versions": "ck_definition_versions_status",
    "ladder_measurements": "ladder_step_1_to_6",
    "user_roles": "ck_user_roles_role",
}


def differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


def check_constraints(url: str) -> dict[str, set[str]]:
    """Autogenerate does not compare CHECK constraints: look at them directly."""
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        return {t: {c["name"] for c in inspector.get_check_constraints(t)} for t in CHECKS}
    finally:
        engine.dispose()


def test_upgrading_an_empty_database_gives_exactly_the_models(empty_url: str) -> None:
    assert current(empty_url) is None
    upgrade(empty_url)
    assert current(empty_url) == head()
    assert differences(empty_url) == []
    found = check_constraints(empty_url)
    assert all(name in found[table] for table, name in CHECKS.items()), found


def test_the_session_database_is_at_head_too(migrated: str) -> None:
    assert differences(migrated) == []


def test_downgrade_one_step_and_upgrade_again(empty_url: str) -> None:
    upgrade(empty_url)
    downgrade(empty_url, "-1")
    assert current(empty_url) == "0001"
    engine = make_engine(empty_url)
    assert "user_roles" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(empty_url)
    assert differences(empty_url) == []
    assert "ck_cases_status" in check_constraints(empty_url)["cases"]


def test_all_the_way_down_leaves_an_empty_database(empty_url: str) -> None:
    upgrade(empty_url)
    downgrade(empty_url, "base")
    engine = make_engine(empty_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_user_roles_and_case_rows_survive_0002_up_and_down(empty_url: str) -> None:
    upgrade(empty_url, "0001")
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    engine = make_engine(empty_url)
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO municipalities VALUES ('m', 'M', 30, '{}')"))
        c.execute(
            sa.text(
                "INSERT INTO users (municipality, username, display_name, roles, groups, active)"
                """ VALUES ('m', 'km', 'Klant Manager', '["caseworker", "wizard"]',"""
                """ '["klantmanager", "coach"]', true)"""
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO definition_versions (municipality, definition, version, content_hash,"
                " title, source, compiled, status, published_by, published_at)"
                " VALUES ('m', 'd', 1, 'h', 'T', 's', '{}', 'published', 'x', :at)"
            ),
            {"at": now},
        )
        c.execute(
            sa.text(
                "INSERT INTO cases (id, municipality, definition_version_id, workflow_id, status,"
                " current_states, overdue, started_at) VALUES ('case-1', 'm',"
                " (SELECT id FROM definition_versions), 'wf-1', 'running', '[]', false, :at)"
            ),
            {"at": now},
        )
        c.execute(
            sa.text(
                "INSERT INTO tasks (key, case_id, municipality, name, state, title, role, status,"
                " created_at, overdue, escalated, form_data, personal_data) VALUES ('k', 'case-1',"
                " 'm', 't', 's', 'T', 'klantmanager', 'open', :at, false, false, '{}', '{}')"
            ),
            {"at": now},
        )
    engine.dispose()

    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT role FROM user_roles")).scalars().all() == ["caseworker"]
        groups = c.execute(sa.text("SELECT group_name FROM user_groups")).scalars().all()
        assert sorted(groups) == ["coach", "klantmanager"]
        assert c.execute(sa.text("SELECT is_active FROM users")).scalar_one()
        assert c.execute(sa.text("SELECT count(*) FROM tasks")).scalar_one() == 1
        assert c.execute(sa.text("SELECT status FROM cases")).scalar_one() == "running"
    engine.dispose()

    downgrade(empty_url, "0001")
    engine = make_engine(empty_url)
    with engine.connect() as c:
        roles, groups = c.execute(sa.text("SELECT roles, groups FROM users")).one()
    engine.dispose()
    assert (_json(roles), _json(groups)) == (["caseworker"], ["coach", "klantmanager"])


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value
