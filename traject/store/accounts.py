"""Users, passwords, browser sessions and API tokens. The caller owns the transaction.

Passwords are hashed with Argon2id. Session cookies and API tokens are random; the store keeps only
their SHA-256, so a copy of the database logs nobody in. Ten wrong passwords lock an account for a
quarter of an hour; an unknown user costs the same hashing time as a known one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from traject.store import repositories
from traject.store.models import ApiToken, LoginSession, Municipality, Task, User
from traject.store.repositories import StoreError, now

ROLES = ("designer", "caseworker", "volunteer", "coordinator", "admin")
MAX_FAILED_LOGINS = 10
LOCK_TIME = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=8)
SESSION_MAX = timedelta(hours=12)
TOKEN_PREFIX = "trj_"
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("an unknown user costs as much time as a known one")


class AccountError(StoreError):
    """A login or account change refused; nothing was written but the failed-login counter."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user of one municipality, with roles and candidate groups."""

    user_id: int
    username: str
    display_name: str
    municipality: str
    roles: frozenset[str]
    groups: frozenset[str]
    via: str  # session, token
    csrf_token: str | None = None

    @property
    def ref(self) -> str:
        """How workflows and the timeline name this user: an id, not a name."""
        return f"user:{self.user_id}"

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles)) or "admin" in self.roles

    @property
    def oversees(self) -> bool:
        """Coordinators and admins see and reassign every task of their municipality."""
        return self.has("coordinator")

    @property
    def volunteer_only(self) -> bool:
        """A volunteer sees a first name and their own tasks, never a BSN or a surname."""
        return "volunteer" in self.roles and not self.has("caseworker", "coordinator")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def principal_of(user: User, via: str, csrf_token: str | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        municipality=user.municipality,
        roles=frozenset(user.roles),
        groups=frozenset(user.groups),
        via=via,
        csrf_token=csrf_token,
    )


# ---------------------------------------------------------------------------------------- users
def create_user(
    session: Session,
    municipality: str,
    username: str,
    display_name: str,
    roles: list[str],
    groups: list[str],
    password: str | None = None,
) -> User:
    if session.get(Municipality, municipality) is None:
        raise AccountError(f"no municipality '{municipality}'")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise AccountError(f"unknown role(s) {unknown}; roles are {', '.join(ROLES)}")
    if find_user(session, municipality, username) is not None:
        raise AccountError(f"user '{username}' already exists in {municipality}")
    user = User(
        municipality=municipality,
        username=username,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        roles=roles,
        groups=groups,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, municipality: str, username: str) -> User | None:
    return session.scalar(
        select(User).where(User.municipality == municipality, User.username == username)
    )


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def users_of(
    session: Session, municipality: str, group: str | None = None, inactive: bool = False
) -> list[User]:
    """The municipality's active users (with `inactive`, the others too), by name."""
    query = select(User).where(User.municipality == municipality)
    if not inactive:
        query = query.where(User.active.is_(True))
    users = session.scalars(query.order_by(User.display_name)).all()
    return [u for u in users if group is None or group in u.groups]


def set_active(session: Session, user: User, active: bool, actor: str) -> bool:
    """Let a user in again, or keep them out: a deactivated user cannot sign in (password or
    OIDC), their sessions are closed and their API tokens refused while they stay so. False
    when the user already was so (nothing changes, nothing is audited)."""
    if user.active == active:
        return False
    user.active = active
    if not active:
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    repositories.audit(
        session,
        user.municipality,
        actor,
        "user_activated" if active else "user_deactivated",
        None,
        user=f"user:{user.id}",
        username=user.username,
    )
    return True


def held_counts(session: Session, municipality: str) -> dict[int, int]:
    """How many open tasks each user of the municipality holds, by user id."""
    rows = session.execute(
        select(Task.assignee, func.count())
        .where(Task.municipality == municipality, Task.status == "open")
        .where(Task.assignee.is_not(None))
        .group_by(Task.assignee)
    )
    counts: dict[int, int] = {}
    for assignee, count in rows:
        number = str(assignee).removeprefix("user:")
        if number.isdigit():
            counts[int(number)] = count
    return counts


def held_tasks(session: Session, user: User) -> list[int]:
    """The open tasks the user holds (claimed or handed to them), by number."""
    return list(
        session.scalars(
            select(Task.id)
            .where(Task.assignee == f"user:{user.id}", Task.status == "open")
            .order_by(Task.id)
        )
    )


# ---------------------------------------------------------------------------------------- login
def authenticate(session: Session, municipality: str, username: str, password: str) -> User:
    """The user, if the password is right; else AccountError with one message for every cause
    (unknown user, wrong password, no password, inactive) but a locked account."""
    refused = AccountError("unknown user or wrong password")
    if "\x00" in municipality + username:  # PostgreSQL text holds no NUL: no such user
        _verify(_DUMMY_HASH, password)
        raise refused
    user = find_user(session, municipality, username)
    if user is None or user.password_hash is None or not user.active:
        _verify(_DUMMY_HASH, password)
        raise refused
    at = now()
    locked = AccountError("too many failed logins: this account is locked for a while")
    if user.locked_until is not None and _aware(user.locked_until) > at:
        raise locked
    # The attempt is counted before the password is checked, in one statement that also sees a
    # lock set since the read above: attempts sent at the same moment each get a number of their
    # own, and no more than MAX_FAILED_LOGINS are checked before the account locks (reading the
    # count, checking, then writing it back let them all through, each overwriting the others).
    attempt = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= at))
        .values(failed_logins=func.coalesce(User.failed_logins, 0) + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar()
    if attempt is None or attempt > MAX_FAILED_LOGINS:  # the tries were used up meanwhile
        raise locked
    right = _verify(user.password_hash, password)
    if right or attempt >= MAX_FAILED_LOGINS:  # a success counts from 0 again; the last miss locks
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=0, locked_until=None if right else at + LOCK_TIME)
            .execution_options(synchronize_session=False)
        )
    session.expire(user, ["failed_logins", "locked_until"])
    if not right:
        raise refused
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every moment Traject stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=now().tzinfo)


def audit_sign_in(session: Session, user: User, method: str) -> None:
    repositories.audit(session, user.municipality, f"user:{user.id}", "signed_in", None, via=method)


def open_session(session: Session, user: User) -> tuple[str, str]:
    """A new browser session: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    at = now()
    session.add(
        LoginSession(
            token_hash=digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=at,
            last_seen_at=at,
            expires_at=at + SESSION_MAX,
        )
    )
    session.flush()
    return token, csrf


def session_principal(session: Session, token: str) -> Principal | None:
    login = session.get(LoginSession, digest(token))
    if login is None:
        return None
    at = now()
    if _aware(login.expires_at) <= at or _aware(login.last_seen_at) + SESSION_IDLE <= at:
        session.delete(login)
        return None
    user = session.get(User, login.user_id)
    if user is None or not user.active:
        return None
    if at - _aware(login.last_seen_at) > timedelta(minutes=1):  # one write a minute, not per click
        login.last_seen_at = at
    return principal_of(user, "session", login.csrf_token)


def close_session(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == digest(token)))


def account_of(session: Session, principal: Principal) -> User:
    """The signed-in user's own row (a principal is made from it, so it is there)."""
    row = session.get(User, principal.user_id)
    assert row is not None
    return row


# ---------------------------------------------------------------------------------------- tokens
def create_token(
    session: Session, user: User, name: str, actor: str | None = None
) -> tuple[ApiToken, str]:
    """A new API token for `user`: (its row, its text). The only time the text is seen: the
    store keeps its SHA-256. `actor` made it (default: the user), as the audit log says."""
    name = token_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=digest(token), user_id=user.id, name=name, created_at=now())
    session.add(row)
    session.flush()
    _audit_token(session, user, actor, "token_created", row)
    return row, token


def token_name(name: str) -> str:
    """What a token is for, as its user named it: 1 to 100 characters of plain text."""
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= 100 or any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise AccountError("a token's name is 1 to 100 characters of plain text")
    return cleaned


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, revoked ones too, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def token_principal(session: Session, token: str) -> Principal | None:
    """The active user of a token that is not revoked (one read: every API call asks); when
    it was last used is written at most once a minute."""
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None), User.active)
    ).first()
    if found is None:
        return None
    row, user = found
    at = now()
    if row.last_used_at is None or at - _aware(row.last_used_at) > timedelta(minutes=1):
        row.last_used_at = at
    return principal_of(user, "token")


def revoke_token(session: Session, user: User, token_id: int, actor: str | None = None) -> ApiToken:
    """Revoke one of the user's tokens: refused from the next request on. A token revoked
    before stays as it was (the first revocation is the one on record)."""
    row = session.get(ApiToken, token_id) if repositories.is_key(token_id) else None
    if row is None or row.user_id != user.id:
        raise AccountError(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = now()
        _audit_token(session, user, actor, "token_revoked", row)
    return row


def _audit_token(
    session: Session, user: User, actor: str | None, action: str, row: ApiToken
) -> None:
    repositories.audit(
        session,
        user.municipality,
        actor or f"user:{user.id}",
        action,
        None,
        token_id=row.id,
        name=row.name,
        user=f"user:{user.id}",
    )
