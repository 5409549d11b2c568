"""Users: roles from a fixed set, candidate groups from the definitions, unique per municipality."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from traject.store import repositories as repo
from traject.store.errors import UnknownRole
from traject.store.models import User
from traject.store.users import add_user, find_user, users_in_group


@pytest.fixture
def town(session: Session) -> str:
    repo.ensure_municipality(session, "zaanstad", "Zaanstad")
    repo.ensure_municipality(session, "enschede", "Enschede")
    return "zaanstad"


def test_roles_and_groups_are_rows_read_as_lists(session: Session, town: str) -> None:
    user = add_user(
        session, town, "km1", "Klantmanager 1", ["caseworker"], ["klantmanager", "coach"]
    )
    session.expire_all()
    found = find_user(session, town, "km1")
    assert found is not None and found.id == user.id
    assert list(found.roles) == ["caseworker"] and list(found.groups) == ["coach", "klantmanager"]
    assert found.is_active and found.password_hash is None


def test_the_constructor_takes_role_and_group_lists(session: Session, town: str) -> None:
    session.add(
        User(
            municipality=town,
            username="demo",
            display_name="Demo",
            password_hash=None,
            roles=["coordinator"],
            groups=["teamleider"],
        )
    )
    session.flush()
    assert [u.username for u in users_in_group(session, town, "teamleider")] == ["demo"]


def test_a_group_lists_only_active_users_of_that_municipality(session: Session, town: str) -> None:
    add_user(session, town, "v1", "Vrijwilliger 1", ["volunteer"], ["vrijwilliger"])
    add_user(session, "enschede", "v1", "Elders", ["volunteer"], ["vrijwilliger"])
    gone = add_user(session, town, "v2", "Vrijwilliger 2", ["volunteer"], ["vrijwilliger"])
    gone.is_active = False
    session.flush()
    assert [u.display_name for u in users_in_group(session, town, "vrijwilliger")] == [
        "Vrijwilliger 1"
    ]


def test_unknown_roles_and_duplicate_usernames_are_refused(session: Session, town: str) -> None:
    with pytest.raises(UnknownRole, match="superuser"):
        add_user(session, town, "x", "X", ["superuser"])
    add_user(session, town, "km1", "A", ["caseworker"])
    with pytest.raises(IntegrityError), session.begin_nested():
        add_user(session, town, "km1", "B", ["caseworker"])
