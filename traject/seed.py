"""What `traject up` puts in a fresh store: the built-in definitions, their municipalities, demo
users for each role, and workshop sessions for the workshops the definitions book."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from traject.definition import CompiledDefinition, DefinitionError, compile_file
from traject.definition.model import ScheduleWorkshop
from traject.store import repositories as repo
from traject.store.db import transaction
from traject.store.models import User, WorkshopSession

log = structlog.get_logger()
MUNICIPALITY_NAMES = {
    "zaanstad": "Gemeente Zaanstad",
    "pragma": "Gemeente Pragma",
    "enschede": "Gemeente Enschede",
    "leiden": "Gemeente Leiden",
    "voorbeeldgemeente": "Voorbeeldgemeente",
}


def seed(sessions: sessionmaker[Session], definitions_dir: Path) -> list[CompiledDefinition]:
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
                    by="traject up",
                    note="built-in definition",
                )
            except repo.DefinitionConflict as error:
                log.warning("definition_not_published", file=str(path), reason=str(error))
                continue
            _demo_users(session, compiled)
            _workshop_sessions(session, compiled)
        published.append(compiled)
    return published


def _demo_users(session: Session, d: CompiledDefinition) -> None:
    for role in d.roles:
        username = f"demo-{role}"
        exists = session.scalar(
            select(User).where(User.municipality == d.municipality, User.username == username)
        )
        if exists is None:
            kind = "coordinator" if role in ("coordinator", "wethouder") else "caseworker"
            session.add(
                User(
                    municipality=d.municipality,
                    username=username,
                    display_name=f"Demo {role}",
                    password_hash=None,
                    roles=[kind],
                    groups=[role],
                )
            )
    session.flush()


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
