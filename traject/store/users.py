"""Staff and volunteers: who they are, what they may do (roles) and whose tasks they see (groups,
the candidate groups of definitions such as klantmanager, vrijwilliger, coach)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from traject.store.errors import UnknownRole
from traject.store.models import USER_ROLES, User, UserGroup


def add_user(
    session: Session,
    municipality: str,
    username: str,
    display_name: str,
    roles: Iterable[str] = (),
    groups: Iterable[str] = (),
    password_hash: str | None = None,
) -> User:
    roles, groups = sorted(set(roles)), sorted(set(groups))
    unknown = [role for role in roles if role not in USER_ROLES]
    if unknown:
        raise UnknownRole(f"unknown role(s) {unknown}: choose from {', '.join(USER_ROLES)}")
    user = User(
        municipality=municipality,
        username=username,
        display_name=display_name,
        password_hash=password_hash,
        is_active=True,
    )
    user.roles.extend(roles)
    user.groups.extend(groups)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, municipality: str, username: str) -> User | None:
    return session.scalar(
        select(User).where(User.municipality == municipality, User.username == username)
    )


def users_in_group(session: Session, municipality: str, group: str) -> Sequence[User]:
    """Active users of a municipality who see the tasks of candidate group `group`."""
    return session.scalars(
        select(User)
        .join(UserGroup)
        .where(
            User.municipality == municipality,
            UserGroup.group_name == group,
            User.is_active.is_(True),
        )
        .order_by(User.username)
    ).all()
