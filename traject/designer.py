"""What process designers (and coordinators) do with definitions: keep a draft (work in progress,
never run), publish a new immutable version, see the versions with their status and running cases,
and move chosen running cases to a later version (checked first, dry run or applied through the
workflow, reversible until the case moves on)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from traject.casework import CASE_READERS, Casework, Forbidden, Person, require
from traject.definition import CompiledDefinition, DefinitionError, compile_text
from traject.definition.diff import Change, diff
from traject.definition.errors import Problem
from traject.definition.loader import MAX_FILE_BYTES
from traject.definition.words import in_words
from traject.diagram import mermaid
from traject.machine import Machine
from traject.scenario import ScenarioFailure, load_scenario, run_scenario
from traject.service import Refused
from traject.simulate import SimulationReport, simulate
from traject.store import queries
from traject.store import repositories as repo
from traject.store.accounts import Principal
from traject.store.db import transaction
from traject.store.models import DefinitionDraft, DefinitionVersion
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
    # each scenario file with what failed (none: it passed), by line, as `traject test` says it
    scenarios: list[tuple[str, list[Problem]]] = field(default_factory=list)


@dataclass(frozen=True)
class SavedDraft:
    """A definition's saved draft as the pages show it: who saved it (by name) and when."""

    definition: str
    source: str
    saved_by: str
    saved_at: datetime

    @property
    def token(self) -> str:
        """Names this save: publishing removes the draft only while it is the one the editor
        loaded, not a newer save by someone else."""
        return draft_token(self.saved_at)


@dataclass(frozen=True)
class VersionRow:
    version: DefinitionVersion
    running: int
    status: str  # published: new cases start on it; retired: older, its cases run on


@dataclass(frozen=True)
class RunningCase:
    """A running case as the migrate page shows it: by its kenmerk (its id where it has none),
    the newcomer's name only for a user who may read cases (as on the case list: a designer who
    is not also a caseworker or coordinator sees none), its version, and its states by their
    titles in that version; `undoable`: moved to this version, and nothing happened since."""

    id: str
    reference: str | None
    name: str | None
    version: int
    states: tuple[str, ...]
    titles: tuple[str, ...]
    undoable: bool

    @property
    def label(self) -> str:
        return self.reference or self.id


def state_titles(d: CompiledDefinition, names: Sequence[str]) -> tuple[str, ...]:
    """States by their titles in `d`, once each; a code it does not have, in words."""
    return tuple(dict.fromkeys(d.states[n].title if n in d.states else in_words(n) for n in names))


@dataclass(frozen=True)
class Listing:
    """One of the municipality's definitions: its versions, newest first, and its draft."""

    definition: str
    title: str
    versions: list[VersionRow]
    draft: SavedDraft | None

    @property
    def running(self) -> int:
        return sum(row.running for row in self.versions)


def draft_token(saved_at: datetime) -> str:
    """The same moment read back from SQLite (naive) or PostgreSQL (any offset): UTC."""
    at = saved_at if saved_at.tzinfo else saved_at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat()


NOT_TEXT = "the draft holds a character that is not text"


def draft_problem(source: str) -> str | None:
    """Why a draft cannot be kept: it may be invalid, but it must fit where a definition does."""
    if not source.strip():
        return "the draft is empty"
    if len(source.encode(errors="surrogatepass")) > MAX_FILE_BYTES:
        return f"the draft is larger than {MAX_FILE_BYTES} bytes"
    try:
        source.encode()
    except UnicodeEncodeError:  # a lone surrogate: no database keeps it
        return NOT_TEXT
    return NOT_TEXT if "\x00" in source else None  # nor PostgreSQL a NUL


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

    def check(self, user: Principal, definition: str, source: str, lang: str = "nl") -> DesignCheck:
        """Validate, draw (the arrows in words of `lang`), simulate and test a draft; nothing is
        stored."""
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
                compiled,
                [c.name for c in changes if c.what == "state" and c.kind == "added"],
                lang,
            ),
            simulation=simulate(compiled, self.check_runs, 1),
            published=published,
            changes=changes,
            scenarios=self._scenarios(compiled),
        )

    def _scenarios(self, compiled: CompiledDefinition) -> list[tuple[str, list[Problem]]]:
        """Each scenario file and its problems: kept apart (not one text with the server's path
        to the file), so that the page says each at its line, in its own language."""
        results: list[tuple[str, list[Problem]]] = []
        for file in sorted((self.scenarios_dir / compiled.definition).glob("*.yaml")):
            try:
                run_scenario(Machine(compiled), load_scenario(file))
            except ScenarioFailure as failure:
                results.append((file.name, [failure.problem]))
            except DefinitionError as error:
                results.append((file.name, list(error.problems)))
            else:
                results.append((file.name, []))
        return results

    def publish(
        self,
        user: Principal,
        source: str,
        note: str | None,
        draft: str | None = None,
        failing_scenarios: bool = False,
    ) -> DefinitionVersion:
        """Publish a new immutable version of one of the municipality's definitions. `draft`: the
        token of the draft the editor loaded, removed with the publishing if still the same.
        A version some of the definition's scenarios fail on is refused unless the designer says
        they know (`failing_scenarios`: the process changed on purpose), and the audit log keeps
        which failed."""
        require(user, "designer")
        try:
            compiled = compile_text(source, "definition.yaml", self.bases(user.municipality))
        except DefinitionError as error:
            errors = {f"line {p.line or '?'} {p.path}".strip(): p.message for p in error.problems}
            problems = f"{len(error.problems)} problem(s) in the definition"
            raise Refused("invalid", problems, errors) from None
        if compiled.municipality != user.municipality:
            raise Forbidden(f"you publish for {user.municipality}, not {compiled.municipality}")
        failing = [name for name, problems in self._scenarios(compiled) if problems]
        if failing and not failing_scenarios:
            raise Refused(
                "scenarios_fail",
                f"{len(failing)} scenario(s) fail on this version: {', '.join(failing)}",
                {"scenarios": ", ".join(failing)},
            )
        with transaction(self.casework.traject.sessions) as session:
            try:
                version = repo.publish(session, compiled, source, by=user.ref, note=note)
            except repo.DefinitionConflict as error:
                raise Refused("version_exists", str(error)) from None
            published_from = self._remove_published_draft(session, user, compiled, draft)
            repo.audit(
                session,
                user.municipality,
                user.ref,
                "definition_published",
                None,
                definition=compiled.key,
                note=note,
                **published_from,
                **({"failing_scenarios": failing} if failing else {}),
            )
            return version

    @staticmethod
    def _remove_published_draft(
        session: Session, user: Principal, compiled: CompiledDefinition, token: str | None
    ) -> dict[str, str]:
        if not token:
            return {}
        found = repo.get_draft(session, user.municipality, compiled.definition)
        if found is None or draft_token(found.saved_at) != token:
            return {}
        repo.delete_draft(session, found)
        return {"from_draft": token}

    # ------------------------------------------------------------------------------- drafts
    def draft(self, user: Principal, definition: str) -> SavedDraft | None:
        require(user, "designer")
        with self.casework.traject.sessions() as session:
            found = repo.get_draft(session, user.municipality, definition)
            return _saved(found, _names(session, [found])) if found else None

    def save_draft(self, user: Principal, definition: str, source: str) -> None:
        """Keep `source` as the definition's draft, replacing the one before; it may be invalid."""
        require(user, "designer")
        try:
            self._save_draft(user, definition, source)
        except IntegrityError:  # another first save of this draft came just before: replace it
            self._save_draft(user, definition, source)

    def _save_draft(self, user: Principal, definition: str, source: str) -> None:
        with transaction(self.casework.traject.sessions) as session:
            _own(session, user, definition)
            if problem := draft_problem(source):
                raise Refused("invalid", problem)
            repo.save_draft(session, user.municipality, definition, source, user.ref)
            repo.audit(
                session,
                user.municipality,
                user.ref,
                "definition_draft_saved",
                None,
                definition=f"{user.municipality}/{definition}",
                size=len(source.encode()),
            )

    def discard_draft(self, user: Principal, definition: str) -> None:
        require(user, "designer")
        with transaction(self.casework.traject.sessions) as session:
            _own(session, user, definition)
            found = repo.get_draft(session, user.municipality, definition)
            if found is None:
                raise Refused("not_found", f"no draft of '{definition}'")
            repo.delete_draft(session, found)
            repo.audit(
                session,
                user.municipality,
                user.ref,
                "definition_draft_discarded",
                None,
                definition=f"{user.municipality}/{definition}",
                saved_by=found.saved_by,
            )

    # ----------------------------------------------------------------------------- listings
    def listings(self, user: Principal) -> list[Listing]:
        """Each of the municipality's definitions with its versions (published: the newest, on
        which new cases start; retired: the older ones), their running cases, and its draft."""
        require(user, "designer", "coordinator")
        with self.casework.traject.sessions() as session:
            found = repo.list_definition_versions(session, user.municipality)
            counts = repo.running_cases_per_version(session, [v.id for v in found])
            drafts = list(repo.list_drafts(session, user.municipality))
            names = _names(session, drafts)
            by_name = {d.definition: _saved(d, names) for d in drafts}
            grouped: dict[str, list[DefinitionVersion]] = {}
            for v in found:  # newest first within a definition
                grouped.setdefault(v.definition, []).append(v)
            return [
                Listing(
                    definition=name,
                    title=versions[0].title,
                    versions=[
                        VersionRow(v, counts.get(v.id, 0), "retired" if i else "published")
                        for i, v in enumerate(versions)
                    ],
                    draft=by_name.get(name),
                )
                for name, versions in sorted(grouped.items())
            ]

    def listing(self, user: Principal, definition: str) -> Listing:
        for found in self.listings(user):
            if found.definition == definition:
                return found
        raise Refused("not_found", f"no definition '{definition}'")

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

    async def revert_migration(
        self, user: Principal, case_id: str, definition: str | None = None
    ) -> TrajectoryView:
        """Undo the case's last migration, while it has not moved on since; with `definition`
        (the migrate page of that definition), only a case that runs it."""
        require(user, "designer", "coordinator")
        with self.casework.traject.sessions() as session:
            case = self.casework._case(session, user, case_id)
            if definition and repo.version_of(session, case).definition != definition:
                raise Refused("invalid", f"case '{case_id}' does not run '{definition}'")
        return await self.casework.traject.revert_migration(case_id, user.ref, user.municipality)

    def running_cases(
        self, user: Principal, definition: str, *, names: bool = True
    ) -> list[RunningCase]:
        """The running cases of one of the municipality's definitions, on any of its versions,
        as the migrate page shows them. Names are a read of personal data: for those who may
        read cases only, and written to the audit log as the case list's are; `names=False`:
        none are read."""
        require(user, "designer", "coordinator")
        named = names and user.has(*CASE_READERS) and not user.volunteer_only
        with transaction(self.casework.traject.sessions) as session:
            versions = {
                v.id: v
                for v in repo.list_definition_versions(session, user.municipality)
                if v.definition == definition
            }
            if not versions:
                raise Refused("not_found", f"no definition '{definition}'")
            found = queries.running_cases(session, user.municipality, list(versions))
            ids = [case.id for case, _ in found]
            people = queries.case_people(session, ids) if named else {}
            last = queries.last_timeline_kinds(session, ids)
            rows = []
            for case, number in found:
                compiled = repo.compiled_of(versions[case.definition_version_id])
                person = Person.of(people.get(case.id), user) if named else None
                rows.append(
                    RunningCase(
                        id=case.id,
                        reference=case.reference or None,
                        name=" ".join(filter(None, (person.first_name, person.last_name)))
                        if person
                        else None,
                        version=number,
                        states=tuple(case.current_states),
                        titles=state_titles(compiled, case.current_states),
                        undoable=last.get(case.id) == "migrated",
                    )
                )
            if named and rows:  # names of newcomers were shown: that is a read of personal data
                repo.audit(session, user.municipality, user.ref, "cases_listed", None, cases=ids)
            return rows


def _own(session: Session, user: Principal, definition: str) -> None:
    """Refuses (404) a definition the municipality has not published: another municipality's
    does not exist for this user."""
    try:
        repo.latest_version(session, user.municipality, definition)
    except repo.NotFound:
        raise Refused("not_found", f"no definition '{definition}'") from None


def _names(session: Session, drafts: Sequence[DefinitionDraft]) -> dict[str, str]:
    """Who saved them, by name."""
    return queries.user_names(session, {d.saved_by for d in drafts})


def _saved(draft: DefinitionDraft, names: dict[str, str]) -> SavedDraft:
    return SavedDraft(
        draft.definition, draft.source, names.get(draft.saved_by, draft.saved_by), draft.saved_at
    )
