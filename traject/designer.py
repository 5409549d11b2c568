"""What process designers (and coordinators) do with definitions: publish a new immutable version,
see the versions with their running cases, and move chosen running cases to a later version
(checked first, dry run or applied through the workflow, reversible until the case moves on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from traject.casework import Casework, Forbidden, require
from traject.definition import DefinitionError, compile_text
from traject.service import Refused
from traject.store import repositories as repo
from traject.store.accounts import Principal
from traject.store.db import transaction
from traject.store.models import DefinitionVersion
from workflows.messages import TrajectoryView


@dataclass
class Designer:
    casework: Casework

    def publish(self, user: Principal, source: str, note: str | None) -> DefinitionVersion:
        """Publish a new immutable version of one of the municipality's definitions."""
        require(user, "designer")
        try:
            compiled = compile_text(source, "definition.yaml")
        except DefinitionError as error:
            errors = {f"line {p.line or '?'} {p.path}".strip(): p.message for p in error.problems}
            problems = f"{len(error.problems)} problem(s) in the definition"
            raise Refused("invalid", problems, errors) from None
        if compiled.municipality != user.municipality:
            raise Forbidden(f"you publish for {user.municipality}, not {compiled.municipality}")
        with transaction(self.casework.traject.sessions) as session:
            try:
                version = repo.publish(session, compiled, source, by=user.ref, note=note)
            except repo.DefinitionConflict as error:
                raise Refused("version_exists", str(error)) from None
            repo.audit(
                session,
                user.municipality,
                user.ref,
                "definition_published",
                None,
                definition=compiled.key,
                note=note,
            )
            return version

    def versions(self, user: Principal, definition: str) -> list[tuple[DefinitionVersion, int]]:
        """The versions of a definition, newest first, with how many running cases use each."""
        require(user, "designer", "coordinator")
        with self.casework.traject.sessions() as session:
            found = [
                v
                for v in repo.list_definition_versions(session, user.municipality)
                if v.definition == definition
            ]
            if not found:
                raise Refused("not_found", f"no definition '{definition}'")
            counts = repo.running_cases_per_version(session, [v.id for v in found])
            return [(v, counts.get(v.id, 0)) for v in found]

    async def migrate(
        self,
        user: Principal,
        definition: str,
        to_version: int,
        case_ids: list[str],
        mapping: dict[str, str],
        dry_run: bool,
    ) -> list[dict[str, Any]]:
        """Check or move chosen running cases to a later version, one update per case; a case
        that is refused is left as it was, and says why."""
        require(user, "designer", "coordinator")
        results = []
        for case_id in case_ids:
            with self.casework.traject.sessions() as session:
                case = self.casework._case(session, user, case_id)
                if repo.version_of(session, case).definition != definition:
                    raise Refused("invalid", f"case '{case_id}' does not run '{definition}'")
            results.append(
                await self.casework.traject.migrate(
                    case_id, to_version, mapping, user.ref, user.municipality, dry_run
                )
            )
        return results

    async def revert_migration(self, user: Principal, case_id: str) -> TrajectoryView:
        require(user, "designer", "coordinator")
        with self.casework.traject.sessions() as session:
            self.casework._case(session, user, case_id)
        return await self.casework.traject.revert_migration(case_id, user.ref, user.municipality)
