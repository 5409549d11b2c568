"""The process designer's pages: definitions and their versions (published, retired, the saved
draft), an editor that checks a draft as it is typed (problems at their line, the diagram, a quick
simulation next to the published version's, the scenario tests) and saves it for later,
publishing with a reason, the diff between versions, and moving chosen running cases to a later
version: the cases by kenmerk (names for whoever may read cases), their states by title in the
old and the new version, a check (dry run), a confirmation that says what will move before
anything does, what moved and what was refused afterwards, and an undo while a case has not
moved on."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from traject.api.problems import status_of
from traject.casework import CASE_READERS
from traject.definition import CompiledDefinition, compile_text
from traject.definition.diff import diff
from traject.designer import Designer, RunningCase, state_titles
from traject.diagram import mermaid
from traject.seed import BUILT_IN_BY, BUILT_IN_NOTE
from traject.service import Refused
from traject.store import queries
from traject.store import repositories as repo
from traject.store.accounts import Principal
from traject.store.models import DefinitionVersion
from traject.web import i18n
from traject.web.pages import lang_of, posted, redirect, render, signed_in
from traject.zgw import zaaktype

# The definition language's JSON Schema (generated, `make schema`): the editor's completion and hints.
SCHEMA = Path(__file__).resolve().parents[2] / "definitions" / "schema.json"

_VERSION = re.compile(r"^version:\s*(\d+)\s*$", re.MULTILINE)


def _designer(request: Request) -> Designer:
    designer: Designer = request.app.state.designer
    return designer


_DEFINITION = re.compile(r"^definition:.*$", re.MULTILINE)


def next_version(source: str, current: int) -> str:
    """The newest source with its version raised by one: the start of the next draft. A file
    that inherits its version (`extends`) gets its own `version:` line."""
    if _VERSION.search(source):
        return _VERSION.sub(f"version: {current + 1}", source, count=1)
    return _DEFINITION.sub(lambda m: f"{m.group(0)}\nversion: {current + 1}", source, count=1)


def designer_router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/designer")
    def overview(request: Request) -> Response:
        user = signed_in(request)
        rows = _designer(request).listings(user)
        return render(request, "designer_list.html", user, rows=rows, active_nav="designer")

    @web.get("/designer/schema.json")
    def schema(request: Request) -> Response:
        """The definition language's JSON Schema, for the editor's completion and hints; an empty
        schema (no hints, nothing refused) when the file is not there."""
        signed_in(request)
        if SCHEMA.is_file():
            return FileResponse(SCHEMA, media_type="application/schema+json")
        return JSONResponse({}, media_type="application/schema+json")

    @web.get("/designer/{definition}/edit")
    def edit(request: Request, definition: str) -> Response:
        user = signed_in(request)
        designer = _designer(request)
        newest = designer.versions(user, definition)[0][0]  # 404: not ours; 403: not a designer
        draft = designer.draft(user, definition)
        source = (
            draft.source
            if draft
            else next_version(designer.bases(user.municipality)[definition], newest.version)
        )
        return editor(request, user, definition, source)

    @web.post("/designer/{definition}/draft")
    async def save_draft(request: Request, definition: str) -> Response:
        """Keep the editor's text as the definition's draft (it may be invalid)."""
        user, form = await posted(request)
        source, note = str(form.get("source", "")), str(form.get("note", ""))
        try:
            _designer(request).save_draft(user, definition, source)
        except Refused as refused:
            if refused.code != "invalid":
                raise  # not ours (404), not a designer (403): the error page
            return editor(request, user, definition, source, 422, note=note, problem=str(refused))
        return redirect(f"/designer/{definition}/edit", "designer.draft_saved")

    @web.post("/designer/{definition}/draft/discard")
    async def discard_draft(request: Request, definition: str) -> Response:
        user, _ = await posted(request)
        _designer(request).discard_draft(user, definition)
        return redirect(f"/designer/{definition}/edit", "designer.draft_discarded")

    @web.post("/designer/{definition}/check")
    async def check(request: Request, definition: str) -> Response:
        user, form = await posted(request)
        source = str(form.get("source", ""))
        result = _designer(request).check(user, definition, source, lang_of(request))
        return render(request, "designer_check.html", user, definition=definition, c=result)

    @web.post("/designer/{definition}/publish")
    async def publish(request: Request, definition: str) -> Response:
        user, form = await posted(request)
        source, note = str(form.get("source", "")), str(form.get("note", "")).strip()
        draft = str(form.get("draft", "")) or None  # the draft the editor loaded, if any
        accepted = form.get("failing_scenarios") == "1"
        problem = None if note else "say why: the note is shown with the version"
        if problem is None:
            try:
                _designer(request).publish(user, source, note, draft, failing_scenarios=accepted)
            except Refused as refused:
                problem = str(refused)
        if problem:
            return editor(request, user, definition, source, 422, note=note, problem=problem)
        return redirect(f"/designer/{definition}/versions", "designer.published")

    @web.get("/designer/{definition}/versions")
    def versions(request: Request, definition: str) -> Response:
        user = signed_in(request)
        listing = _designer(request).listing(user, definition)
        return render(
            request,
            "designer_versions.html",
            user,
            definition=definition,
            listing=listing,
            shown=_who_and_why(request, (row.version for row in listing.versions)),
        )

    @web.get("/designer/{definition}/diff")
    def show_diff(request: Request, definition: str, a: int = 0, b: int = 0) -> Response:
        user = signed_in(request)
        designer = _designer(request)
        by_version = {v.version: v for v, _ in designer.versions(user, definition)}
        newest = max(by_version)
        # by default the newest against the one published before it (numbers may skip: a
        # built-in definition starts at the version its file says)
        a = a or max((v for v in by_version if v < newest), default=newest)
        b = b or newest
        if a not in by_version or b not in by_version:
            raise Refused("not_found", f"no version {a if a not in by_version else b}")
        bases = designer.bases(user.municipality)
        old = compile_text(by_version[a].source, f"{definition}.yaml", bases)
        new = compile_text(by_version[b].source, f"{definition}.yaml", bases)
        changes = diff(old, new)
        added = [c.name for c in changes if c.what == "state" and c.kind == "added"]
        return render(
            request,
            "designer_diff.html",
            user,
            definition=definition,
            a=by_version[a],
            b=by_version[b],
            shown=_who_and_why(request, [by_version[b]]),
            changes=changes,
            diagram=mermaid(new, added, lang_of(request)),
            versions=sorted(by_version),
        )

    @web.get("/designer/{definition}/v{version}/zaaktype.json")
    def zaaktype_export(request: Request, definition: str, version: int) -> Response:
        """The version as a ZGW zaaktype description, for the municipality's zaaksysteem."""
        user = signed_in(request)
        designer = _designer(request)
        found = {v.version: v for v, _ in designer.versions(user, definition)}
        if version not in found:
            raise Refused("not_found", f"no version {version}")
        compiled = compile_text(
            found[version].source, f"{definition}.yaml", designer.bases(user.municipality)
        )
        return JSONResponse(
            zaaktype(compiled),
            headers={
                "Content-Disposition": f'attachment; filename="{definition}-v{version}-zaaktype.json"'
            },
        )

    @web.get("/designer/{definition}/migrate")
    def migrate_form(request: Request, definition: str) -> Response:
        user = signed_in(request)
        return _migrate_page(request, user, definition)

    @web.post("/designer/{definition}/migrate")
    async def migrate(request: Request, definition: str) -> Response:
        """Check the chosen cases (a dry run), or, with `apply`, say what moving them does and
        ask to confirm (also a dry run); only with `apply` and `confirm` are they moved."""
        user, form = await posted(request)
        designer = _designer(request)
        designer.versions(user, definition)  # 404: not ours; 403: neither designer nor coordinator
        mapping_text = str(form.get("mapping", ""))
        mapping = _mapping(mapping_text)
        case_ids = list(dict.fromkeys(str(c) for c in form.getlist("case")))
        applying = form.get("apply") is not None
        confirmed = applying and form.get("confirm") is not None
        asked = str(form.get("to_version", "")).strip()
        to_version = int(asked) if asked.isdigit() else 0  # 0: no such version, said so
        results: list[dict[str, Any]] = []
        problem = None
        before = designer.running_cases(user, definition, names=False) if confirmed else []
        if not case_ids:
            problem = "choose the cases to move"
        else:
            try:
                results = await designer.migrate(
                    user, definition, to_version, case_ids, mapping, not confirmed
                )
            except Refused as refused:
                problem = str(refused)
        context: dict[str, Any] = {
            "to_version": to_version,
            "chosen": case_ids,
            "mapping_text": mapping_text,
        }
        if applying and not confirmed and not problem:
            return _migrate_page(
                request, user, definition, template=_CONFIRM, results=results, **context
            )
        return _migrate_page(
            request,
            user,
            definition,
            results=results,
            before=before,
            applied=confirmed and not problem,
            problem=problem,
            **context,
        )

    @web.post("/designer/{definition}/migrate/undo")
    async def undo_migration(request: Request, definition: str) -> Response:
        """Put a moved case back on the version and states it had, while it has not moved on
        since; a refusal (it has) is said on the page, and changes nothing."""
        user, form = await posted(request)
        designer = _designer(request)
        designer.versions(user, definition)  # 404: not ours; 403: neither designer nor coordinator
        case_id = str(form.get("case", ""))
        try:
            view = await designer.revert_migration(user, case_id, definition)
        except Refused as refused:
            if refused.code in ("not_found", "forbidden"):
                raise  # another municipality's case does not exist here: the error page
            return _migrate_page(
                request, user, definition, status_of(refused), undo_refused=(case_id, refused)
            )
        return redirect(
            f"/designer/{definition}/migrate",
            "designer.undone",
            case=case_id,
            version=str(view.version),
        )

    return web


def editor(
    request: Request,
    user: Principal,
    definition: str,
    source: str,
    status: int = 200,
    **context: Any,
) -> Response:
    """The editor with `source` checked; for one of the municipality's published definitions
    also its saved draft (who saved it, when, discard) and the button that saves one."""
    designer = _designer(request)
    draftable = user.has("designer") and definition in designer.bases(user.municipality)
    return render(
        request,
        "designer_edit.html",
        user,
        status,
        definition=definition,
        source=source,
        c=designer.check(user, definition, source, lang_of(request)),
        draftable=draftable,
        draft=designer.draft(user, definition) if draftable else None,
        **context,
    )


def _who_and_why(
    request: Request, versions: Iterable[DefinitionVersion]
) -> dict[int, tuple[str, str]]:
    """Version number → who published it, by name, and the reason, in the page's language: a
    built-in definition is Traject's own and says so, not 'traject up'."""
    found = list(versions)
    t = i18n.translator(lang_of(request))
    with _designer(request).casework.traject.sessions() as session:
        names = queries.user_names(session, {v.published_by for v in found})
    shown = {}
    for v in found:
        if v.published_by == BUILT_IN_BY:
            note = t("designer.built_in_note") if v.note == BUILT_IN_NOTE else v.note or ""
            shown[v.version] = (t("designer.built_in_by"), note)
        else:
            shown[v.version] = (names.get(v.published_by, v.published_by), v.note or "")
    return shown


def _mapping(text: str) -> dict[str, str]:
    """'oud: nieuw' per line."""
    found = {}
    for line in text.splitlines():
        old, sep, new = line.partition(":")
        if sep and old.strip() and new.strip():
            found[old.strip()] = new.strip()
    return found


_MIGRATE, _CONFIRM = "designer_migrate.html", "designer_migrate_confirm.html"


@dataclass(frozen=True)
class Moving:
    """A chosen case in a migration's check, its confirmation or its outcome: by kenmerk (and
    name, for whoever may read them), its states by their titles in the version it is (or was)
    on, and, when it can move (or moved), those it lands in, by their titles in the new one."""

    case: RunningCase
    ok: bool
    from_version: int
    to_version: int
    now: tuple[str, ...]
    then: tuple[str, ...]
    problems: list[str]


def _moving(
    results: list[dict[str, Any]],
    to_version: int,
    running: list[RunningCase],
    before: list[RunningCase],
    compiled: dict[int, CompiledDefinition],
) -> list[Moving]:
    """The results of `Designer.migrate` as the page shows them. A dry run's plan says where a
    case lands (`mapping`); a case that moved is where the store says it is now (`running`),
    and was where it was before (`before`)."""
    now_by_id = {c.id: c for c in running}
    before_by_id = {c.id: c for c in before}
    found = []
    for r in results:
        case_id = str(r["case_id"])
        case = now_by_id.get(case_id) or RunningCase(case_id, None, None, 0, (), (), False)
        was = before_by_id.get(case_id, case)
        old, new = compiled.get(int(r["from_version"])), compiled.get(to_version)
        plan = r.get("mapping") or {}
        if r["ok"] and plan and old and new:  # a dry run: the plan
            now, then = state_titles(old, list(plan)), state_titles(new, list(plan.values()))
        elif r["ok"] and old:  # moved: where it was, and where it is
            now, then = state_titles(old, was.states), case.titles
        else:  # refused: where it is, and stays
            now, then = (state_titles(old, case.states) if old else case.titles), ()
        found.append(
            Moving(
                case, bool(r["ok"]), int(r["from_version"]), to_version, now, then, r["problems"]
            )
        )
    return found


def _and(numbers: Iterable[int], t: Callable[[str], str]) -> str:
    """1; 1 en 2; 1, 2 en 3."""
    shown = [str(n) for n in sorted(set(numbers))]
    if len(shown) < 2:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} {t('designer.and')} {shown[-1]}"


def _migrate_page(
    request: Request,
    user: Principal,
    definition: str,
    status: int = 200,
    template: str = _MIGRATE,
    results: list[dict[str, Any]] | None = None,
    before: list[RunningCase] | None = None,
    undo_refused: tuple[str, Refused] | None = None,
    **context: Any,
) -> Response:
    """The migrate page (or its confirmation, `template`): the cases on an older version to
    choose from, the states of the versions to map them with, the cases whose move can still be
    undone, and what a check, a confirmation or a move said about the chosen ones."""
    designer = _designer(request)
    versions = designer.versions(user, definition)
    running = designer.running_cases(user, definition)
    compiled = {v.version: repo.compiled_of(v) for v, _ in versions}
    newest = max(compiled)
    t = i18n.translator(lang_of(request))
    moving = _moving(
        results or [], context.get("to_version", newest), running, before or [], compiled
    )
    shown = {m.case.id for m in moving} if context.get("applied") else set()
    labels = {c.id: c.label for c in running}
    messages = []
    if undo_refused:  # which case, and why (the service's words, in the page's language)
        case_id, refused = undo_refused
        said = t("designer.undo_refused").format(case=labels.get(case_id, case_id))
        why = i18n.message(str(refused), lang_of(request))
        messages.append({"text": f"{said} {why}", "level": "error"})
    return render(
        request,
        template,
        user,
        status,
        definition=definition,
        versions=versions,
        newest=newest,
        running=running,
        older=[c for c in running if c.version < newest],
        undoable=[c for c in running if c.undoable and c.id not in shown],
        named=user.has(*CASE_READERS) and not user.volunteer_only,
        moving=moving,
        ok=[m for m in moving if m.ok],
        from_versions=_and((m.from_version for m in moving if m.ok), t),
        # the states a case can be in (no compound ones): of the newest version, and of each
        # version with running cases
        states={
            number: [(name, s.title) for name, s in d.states.items() if not s.children]
            for number, d in sorted(compiled.items())
            if number == newest or any(c.version == number for c in running)
        },
        messages=messages,
        flash_words=lambda said: {
            **said,
            "case": labels.get(said.get("case", ""), said.get("case", "")),
        },
        **{"applied": False, "chosen": [], "mapping_text": "", **context},
    )
