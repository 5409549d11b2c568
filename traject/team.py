"""A municipality's team as its coordinators see it: who works here, in which roles and groups,
how many open tasks each one holds, and who is deactivated. A coordinator deactivates a colleague
who leaves (sign-in refused, sessions closed, API tokens refused) and hands the tasks they held
back to their groups through each task's workflow, or lets a deactivated colleague in again.
The same account functions as `traject users deactivate|activate`, so page, API and CLI refuse
and allow the same.

Another municipality's user does not exist for a coordinator ("not found"). Nobody deactivates
themselves (someone must be left to undo it), and only an admin deactivates or activates an
admin: a coordinator cannot lock the municipality's administrators out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from traject.casework import Forbidden, require
from traject.service import Refused, Traject
from traject.store import accounts
from traject.store import repositories as repo
from traject.store.accounts import Principal
from traject.store.db import transaction
from traject.store.models import User


@dataclass(frozen=True)
class Member:
    id: int
    username: str
    display_name: str
    roles: list[str]
    groups: list[str]
    active: bool
    held_tasks: int  # open tasks claimed by or handed to them

    @classmethod
    def of(cls, user: User, held: int) -> Member:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            roles=list(user.roles),
            groups=list(user.groups),
            active=user.active,
            held_tasks=held,
        )


@dataclass(frozen=True)
class Released:
    """What became of the tasks a deactivated user held."""

    back: list[int] = field(default_factory=list)  # back with their groups
    kept: dict[int, str] = field(default_factory=dict)  # task → why its workflow refused


@dataclass(frozen=True)
class Change:
    member: Member
    changed: bool  # False: the user already was so (nothing written, nothing audited)
    released: Released


async def release_held(
    traject: Traject, task_ids: list[int], actor: str, municipality: str
) -> Released:
    """Hand each task back to its group through its workflow, which refuses a task that closed
    meanwhile: that one is named with the reason, and the others go on."""
    released = Released()
    for task_id in task_ids:
        try:
            await traject.assign_task(task_id, None, actor, municipality, override=True)
        except Refused as refused:
            released.kept[task_id] = str(refused)
        else:
            released.back.append(task_id)
    return released


@dataclass
class Team:
    traject: Traject

    def members(self, user: Principal) -> list[Member]:
        """Everyone of the coordinator's municipality, deactivated users too, by name."""
        require(user, "coordinator")
        with self.traject.sessions() as session:
            held = accounts.held_counts(session, user.municipality)
            found = accounts.users_of(session, user.municipality, inactive=True)
            return [Member.of(u, held.get(u.id, 0)) for u in found]

    async def release(self, user: Principal, member_id: int) -> Change:
        """Hand the open tasks a colleague holds back to their groups: one deactivated without
        that, or away for long. Writes nothing when they hold none."""
        require(user, "coordinator")
        with self.traject.sessions() as session:
            member = _colleague(session, user, member_id)
            held = accounts.held_tasks(session, member)
            before = Member.of(member, len(held))
        after, released = await self._hand_back(user, before, held)
        return Change(after, bool(released.back), released)

    async def set_active(
        self, user: Principal, member_id: int, active: bool, release: bool = False
    ) -> Change:
        """Activate or deactivate a colleague; with `release`, a deactivated colleague's open
        tasks go back to their groups (after the deactivation is committed: a task refused on the
        way leaves the user deactivated and is named)."""
        require(user, "coordinator")
        with transaction(self.traject.sessions) as session:
            member = _colleague(session, user, member_id)
            if member.id == user.user_id and not active:
                raise Refused(
                    "own_account",
                    "you cannot deactivate yourself: ask another coordinator or an admin",
                )
            if "admin" in member.roles and "admin" not in user.roles:
                raise Forbidden("only an admin may deactivate or activate an admin")
            changed = accounts.set_active(session, member, active, user.ref)
            held = accounts.held_tasks(session, member)
            before = Member.of(member, len(held))
        after, released = await self._hand_back(
            user, before, held if release and not active else []
        )
        return Change(after, changed, released)

    async def _hand_back(
        self, user: Principal, member: Member, held: list[int]
    ) -> tuple[Member, Released]:
        """Hand `held` back to their groups (none: nothing to do); the member as they are after."""
        released = await release_held(self.traject, held, user.ref, user.municipality)
        return replace(member, held_tasks=member.held_tasks - len(released.back)), released


def _colleague(session: Session, user: Principal, member_id: int) -> User:
    """A user of the coordinator's municipality; another's does not exist for them."""
    member = repo.get_user(session, member_id, user.municipality)
    if member is None:
        raise Refused("not_found", f"no user {member_id}")
    return member
