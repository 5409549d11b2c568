"""The process designer's pages: definitions and their versions (published, retired, the saved
draft), an editor that checks a draft as it is typed (problems at their line, the diagram, a quick
simulation next to the published version's, the scenario tests) and saves it for later,
publishing with a reason, the diff between versions, and moving chosen running cases to a later
version (dry run first)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from traject.definition import compile_text
from traject.definition.diff import diff
from traject.designer import Designer
from traject.diagram import mermaid
from traject.seed import BUILT_IN_BY, BUILT_IN_NOTE
from traject.service import Refused
from traject.store import queries
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
        problem = None if note else "say why: the note is shown with the version"
        if problem is None:
            try:
                _designer(request).publish(user, source, note, draft)
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
        user, form = await posted(request)
        mapping = _mapping(str(form.get("mapping", "")))
        case_ids = [str(c) for c in form.getlist("case")]
        dry_run = form.get("apply") is None
        asked = str(form.get("to_version", "")).strip()
        to_version = int(asked) if asked.isdigit() else 0  # 0: no such version, said so
        results: list[dict[str, Any]] = []
        problem = None
        if not case_ids:
            problem = "choose the cases to move"
        else:
            try:
                results = await _designer(request).migrate(
                    user, definition, to_version, case_ids, mapping, dry_run
                )
            except Refused as refused:
                problem = str(refused)
        return _migrate_page(
            request,
            user,
            definition,
            results=results,
            dry_run=dry_run,
            chosen=set(case_ids),
            mapping_text=str(form.get("mapping", "")),
            problem=problem,
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


def _migrate_page(request: Request, user: Any, definition: str, **context: Any) -> Response:
    designer = _designer(request)
    versions = designer.versions(user, definition)
    with designer.casework.traject.sessions() as session:
        running = queries.running_cases(session, user.municipality, [v.id for v, _ in versions])
    return render(
        request,
        "designer_migrate.html",
        user,
        definition=definition,
        versions=versions,
        running=running,
        newest=max(v.version for v, _ in versions),
        **{"results": [], "dry_run": True, "chosen": set(), "mapping_text": "", **context},
    )
