"""`traject users …`: accounts for production, where there are no demo users. Passwords are read
from the terminal (or stdin), never from the command line, where `ps` and shell history see them."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from traject.config import Settings
from traject.service import Traject
from traject.store import accounts
from traject.store.accounts import AccountError
from traject.store.db import session_factory, transaction
from traject.store.migrate import StoreUnavailable, migrated_engine
from traject.store.models import Municipality
from traject.team import release_held

UTC_MINUTE = "%Y-%m-%d %H:%M UTC"  # the store's moments, as ops read them in logs
ACTOR = "cli"  # who the audit log says made or revoked a token, or (de)activated a user, here


def add_commands(commands: Any) -> None:
    users = commands.add_parser("users", help="accounts, passwords and API tokens")
    sub = users.add_subparsers(dest="action", required=True)

    def of_a_user(action: str, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(action, help=text)
        parser.add_argument("municipality")
        parser.add_argument("username")
        return parser

    add = of_a_user("add", "create a user (asks for a password unless --no-password)")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", action="append", default=[], choices=accounts.ROLES)
    add.add_argument(
        "--group",
        action="append",
        default=[],
        help="candidate group (a role of the definitions: klantmanager, trainer, coach, ...)",
    )
    add.add_argument("--no-password", action="store_true", help="signs in through OIDC only")
    of_a_user("password", "set a user's password")
    token = of_a_user("token", "make an API token for an integration acting as a user")
    token.add_argument("--name", required=True, help="what the token is for")
    of_a_user("tokens", "a user's API tokens: made, last used, revoked")
    revoke = of_a_user("revoke-token", "revoke one of a user's API tokens")
    revoke.add_argument("token_id", type=int, help="its number, as `traject users tokens` lists")
    deactivate = of_a_user(
        "deactivate", "keep a user out: no sign-in, sessions closed, API tokens refused"
    )
    deactivate.add_argument(
        "--release-tasks",
        action="store_true",
        help="hand the open tasks they hold back to their groups (needs Temporal)",
    )
    of_a_user("activate", "let a deactivated user in again")
    listing = sub.add_parser("list", help="the users of a municipality (deactivated ones marked)")
    listing.add_argument("municipality")
    users.set_defaults(run=run)


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise AccountError("the passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    try:  # a store that is not there is not made here (see migrated_engine)
        engine = migrated_engine(Settings().database_url)
    except StoreUnavailable as missing:
        print(f"traject users: {missing}", file=sys.stderr)
        return 3
    sessions = session_factory(engine)
    held: list[int] = []
    try:
        with transaction(sessions) as session:
            if args.action == "add":
                secret = None if args.no_password else _password()
                created = accounts.create_user(
                    session,
                    args.municipality,
                    args.username,
                    args.name,
                    args.role,
                    args.group,
                    secret,
                )
                print(f"user {created.id} {created.username} in {created.municipality}")
                return 0
            if args.action == "list":
                if session.get(Municipality, args.municipality) is None:
                    raise AccountError(f"no municipality '{args.municipality}'")
                for u in accounts.users_of(session, args.municipality, inactive=True):
                    print(
                        f"{u.id:>5}  {u.username:<24} {','.join(u.roles):<24} {','.join(u.groups)}"
                        + ("" if u.active else "  (deactivated)")
                    )
                return 0
            user = accounts.find_user(session, args.municipality, args.username)
            if user is None:
                raise AccountError(f"no user '{args.username}' in {args.municipality}")
            if args.action == "password":
                accounts.set_password(session, user, _password())
                print("password set; the user's sessions are closed")
            elif args.action in ("deactivate", "activate"):
                changed = accounts.set_active(session, user, args.action == "activate", ACTOR)
                state = "active" if user.active else "deactivated"
                print(f"{user.username} {'is now' if changed else 'was already'} {state}")
                held = accounts.held_tasks(session, user) if not user.active else []
                if held and not getattr(args, "release_tasks", False):
                    print(
                        f"{len(held)} open task(s) are still claimed by them: --release-tasks "
                        "hands them back to their groups, or a coordinator does so on the Team "
                        "page"
                    )
            elif args.action == "tokens":
                for t in accounts.tokens_of(session, user):
                    used = f"{t.last_used_at:{UTC_MINUTE}}" if t.last_used_at else "never"
                    revoked = f"revoked {t.revoked_at:{UTC_MINUTE}}" if t.revoked_at else "active"
                    made = f"{t.created_at:{UTC_MINUTE}}"
                    print(f"{t.id:>5}  {t.name:<32} made {made}  used {used}  {revoked}")
            elif args.action == "revoke-token":
                row = accounts.revoke_token(session, user, args.token_id, ACTOR)
                assert row.revoked_at is not None  # now, or when it was revoked before
                print(f"token {row.id} ({row.name}) revoked {row.revoked_at:{UTC_MINUTE}}")
            else:
                print(accounts.create_token(session, user, args.name, ACTOR)[1])
    except AccountError as error:
        print(f"traject users: {error}", file=sys.stderr)
        return 2
    if getattr(args, "release_tasks", False) and held:  # once the deactivation is committed
        return asyncio.run(_release(sessions, held, args.municipality))
    return 0


async def _release(sessions: sessionmaker[Session], held: list[int], municipality: str) -> int:
    """Hand each task back to its group through its workflow (which refuses a task that closed
    meanwhile: said, and the others go on)."""
    from worker.main import TemporalUnavailable, connect

    settings = Settings()
    try:
        client = await connect(settings)
    except TemporalUnavailable as unanswered:
        print(
            f"traject users: {unanswered}; the user is deactivated, the tasks are still "
            "theirs: run this again",
            file=sys.stderr,
        )
        return 3
    traject = Traject(sessions, client, settings.task_queue)
    released = await release_held(traject, held, ACTOR, municipality)
    for task_id in held:
        if task_id in released.kept:
            print(f"task {task_id}: not released ({released.kept[task_id]})")
        else:
            print(f"task {task_id}: back with its group")
    return 0
