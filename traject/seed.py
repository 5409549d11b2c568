"""What `traject up` puts in a fresh store: the built-in definitions, their municipalities, demo
users for each role, and workshop sessions for the workshops the definitions book."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from traject.definition import CompiledDefinition, DefinitionError, compile_file
from traject.definition.compiled import in_words
from traject.definition.model import ScheduleWorkshop
from traject.store import accounts
from traject.store import repositories as repo
from traject.store.db import transaction
from traject.store.models import WorkshopSession

log = structlog.get_logger()
BUILT_IN_BY = "traject up"  # who publishes a built-in definition: Traject itself, not a person
BUILT_IN_NOTE = "built-in definition"  # its note as stored; the pages say it in their language
MUNICIPALITY_NAMES = {
    "zaanstad": "Gemeente Zaanstad",
    "pragma": "Gemeente Pragma",
    "enschede": "Gemeente Enschede",
    "leiden": "Gemeente Leiden",
    "voorbeeldgemeente": "Voorbeeldgemeente",
}


def seed(
    sessions: sessionmaker[Session], definitions_dir: Path, demo_password: str | None = None
) -> list[CompiledDefinition]:
    """Publish the built-in definitions. With `demo_password` (the embedded default only), demo
    users of every role can sign in with it; without, they exist but cannot sign in."""
    published = []
    for path in sorted(definitions_dir.glob("*.yaml")):
        try:
            compiled = compile_file(path)
        except DefinitionError as error:
            log.error("definition_invalid", file=str(path), problems=len(error.problems))
            continue
        with transaction(sessions) as session:
            name = MUNICIPALITY_NAMES.get(compiled.municipality, compiled.municipality.capitalize())
            repo.ensure_municipality(session, compiled.municipality, name)
            try:
                repo.publish(
                    session,
                    compiled,
                    path.read_text(encoding="utf-8"),
                    by=BUILT_IN_BY,
                    note=BUILT_IN_NOTE,
                )
            except repo.DefinitionConflict as error:
                log.warning("definition_not_published", file=str(path), reason=str(error))
                continue
            _demo_users(session, compiled, demo_password)
            _workshop_sessions(session, compiled)
        published.append(compiled)
    return published


def _demo_users(session: Session, d: CompiledDefinition, password: str | None) -> None:
    """demo-<role> for each role of the definition, demo-medewerker holding every group, and
    demo-ontwerper, a process designer (the Ontwerpen pages)."""
    everyone = [r for r in d.roles if r not in ("coordinator", "wethouder")]
    wanted = {f"demo-{role}": ([_kind(role)], [role]) for role in d.roles}
    wanted["demo-medewerker"] = (["caseworker"], everyone)
    wanted["demo-ontwerper"] = (["designer"], [])
    for username, (roles, groups) in wanted.items():
        user = accounts.find_user(session, d.municipality, username)
        if user is None:
            name = "Demo " + in_words(username.removeprefix("demo-"))  # Demo Coördinator
            user = accounts.create_user(session, d.municipality, username, name, roles, [])
        user.groups = sorted(set(user.groups) | set(groups))
        if password and user.password_hash is None:
            user.password_hash = accounts.hash_password(password)
    session.flush()


def _kind(role: str) -> str:
    if role in ("coordinator", "wethouder"):
        return "coordinator"
    return "volunteer" if role in ("vrijwilliger", "maatje", "buddy") else "caseworker"


def _workshop_sessions(session: Session, d: CompiledDefinition) -> None:
    workshops = {
        action.workshop
        for state in d.states.values()
        for action in state.on_entry
        if isinstance(action, ScheduleWorkshop)
    }
    start = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    for workshop in sorted(workshops):
        planned = session.scalar(
            select(WorkshopSession.id)
            .where(
                WorkshopSession.municipality == d.municipality, WorkshopSession.workshop == workshop
            )
            .limit(1)
        )
        if planned is None:
            for week in range(1, 9):
                repo.add_session(
                    session,
                    d.municipality,
                    workshop,
                    workshop.replace("_", " ").capitalize(),
                    start + timedelta(weeks=week),
                    "Stadskantoor",
                    12,
                )
