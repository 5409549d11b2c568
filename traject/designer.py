"""What process designers (and coordinators) do with definitions: publish a new immutable version,
see the versions with their running cases, and move chosen running cases to a later version
(checked first, dry run or applied through the workflow, reversible until the case moves on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traject.casework import Casework, Forbidden, require
from traject.definition import CompiledDefinition, DefinitionError, compile_text
from traject.definition.diff import Change, diff
from traject.definition.errors import Problem
from traject.diagram import mermaid
from traject.machine import Machine
from traject.scenario import ScenarioFailure, load_scenario, run_scenario
from traject.service import Refused
from traject.simulate import SimulationReport, simulate
from traject.store import repositories as repo
from traject.store.accounts import Principal
from traject.store.db import transaction
from traject.store.models import DefinitionVersion
from workflows.messages import TrajectoryView


@dataclass(frozen=True)
class DesignCheck:
    """Everything the editor shows for a draft: problems by line, or the compiled definition with
    its diagram, a quick simulation, the published version's, what changed, and scenario results."""

    problems: list[Problem]
    compiled: CompiledDefinition | None = None
    diagram: str | None = None
    simulation: SimulationReport | None = None
    published: SimulationReport | None = None
    changes: list[Change] = field(default_factory=list)
    scenarios: list[tuple[str, str | None]] = field(default_factory=list)  # file, failure


@dataclass
class Designer:
    casework: Casework
    scenarios_dir: Path = Path("definitions/scenarios")
    check_runs: int = 2000

    def bases(self, municipality: str) -> dict[str, str]:
        """The newest published source of each of the municipality's definitions."""
        with self.casework.traject.sessions() as session:
            newest: dict[str, DefinitionVersion] = {}
            for v in repo.list_definition_versions(session, municipality):
                if v.definition not in newest or v.version > newest[v.definition].version:
                    newest[v.definition] = v
            return {name: v.source for name, v in newest.items()}

    def check(self, user: Principal, definition: str, source: str) -> DesignCheck:
        """Validate, draw, simulate and test a draft; nothing is stored."""
        require(user, "designer")
        bases = self.bases(user.municipality)
        try:
            compiled = compile_text(source, f"{definition}.yaml", bases)
        except DefinitionError as error:
            return DesignCheck(problems=list(error.problems))
        published = None
        changes: list[Change] = []
        if definition in bases:
            current = compile_text(bases[definition], f"{definition}.yaml", bases)
            published = simulate(current, self.check_runs, 1)
            changes = diff(current, compiled)
        return DesignCheck(
            problems=[],
            compiled=compiled,
            diagram=mermaid(
                compiled, [c.name for c in changes if c.what == "state" and c.kind == "added"]
            ),
            simulation=simulate(compiled, self.check_runs, 1),
            published=published,
            changes=changes,
            scenarios=self._scenarios(compiled),
        )

    def _scenarios(self, compiled: CompiledDefinition) -> list[tuple[str, str | None]]:
        results: list[tuple[str, str | None]] = []
        for file in sorted((self.scenarios_dir / compiled.definition).glob("*.yaml")):
            try:
                run_scenario(Machine(compiled), load_scenario(file))
            except ScenarioFailure as failure:
                results.append((file.name, str(failure.problem)))
            except DefinitionError as error:
                results.append((file.name, str(error)))
            else:
                results.append((file.name, None))
        return results

    def publish(self, user: Principal, source: str, note: str | None) -> DefinitionVersion:
        """Publish a new immutable version of one of the municipality's definitions."""
        require(user, "designer")
        try:
            compiled = compile_text(source, "definition.yaml", self.bases(user.municipality))
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
        results: list[dict[str, Any]] = []
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
