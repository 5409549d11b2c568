"""The designers' REST API: publish a definition version, list versions with their running cases,
and migrate chosen running cases to a later version (dry run first)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from traject.api import schemas as s
from traject.api.auth import User
from traject.api.problems import OPENAPI_ERRORS
from traject.api.routes import PageNo, Size, state_answer
from traject.designer import Designer

DefinitionName = Annotated[str, Path(pattern=s.SLUG, max_length=64)]


class Publish(s.Body):
    source: str = Field(min_length=1, max_length=256_000, description="The definition's YAML")
    note: str = Field(min_length=1, max_length=2000, description="Why: shown with the version")
    accept_failing_scenarios: bool = Field(
        default=False,
        description="Publish although some of the definition's scenarios fail on this version "
        "(the process changed on purpose); without it such a version is refused (409, "
        "`scenarios_fail`). The audit log keeps which failed.",
    )


class VersionOut(BaseModel):
    version: int
    title: str
    content_hash: str
    status: str
    published_by: str
    published_at: datetime | None
    note: str | None
    running_cases: int


class MigrationRequest(s.Body):
    to_version: int = Field(ge=1)
    case_ids: list[str] = Field(min_length=1, max_length=500)
    mapping: dict[str, str] = Field(
        default_factory=dict,
        max_length=200,
        description="current state → state in the new version; a state whose name still "
        "exists maps to itself",
    )
    dry_run: bool = Field(default=True, description="check only; nothing changes")


class MigrationResult(BaseModel):
    case_id: str
    from_version: int
    ok: bool
    problems: list[str]
    to_version: int | None = None
    mapping: dict[str, str] | None = None


class MigrationOut(BaseModel):
    dry_run: bool
    results: list[MigrationResult]


def _designer(request: Request) -> Designer:
    designer: Designer = request.app.state.designer
    return designer


def design_router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["designers"], responses=OPENAPI_ERRORS)

    @api.post("/definitions", response_model=VersionOut, status_code=201)
    def publish(body: Publish, user: User, request: Request) -> VersionOut:
        """Publish a new, immutable version (designers). 422 lists each problem by line;
        409 when that version number is taken by other content."""
        v = _designer(request).publish(
            user, body.source, body.note, failing_scenarios=body.accept_failing_scenarios
        )
        return _version(v, 0)

    @api.get("/definitions/{definition}/versions", response_model=s.Page[VersionOut])
    def versions(
        definition: DefinitionName, user: User, request: Request, page: PageNo = 1, size: Size = 25
    ) -> dict[str, Any]:
        """The versions of one of your definitions, newest first, with their running cases
        (designers and coordinators)."""
        found = _designer(request).versions(user, definition)
        return s.page_of([_version(v, n) for v, n in found], page, size)

    @api.post("/definitions/{definition}/migrations", response_model=MigrationOut)
    async def migrate(
        definition: DefinitionName, body: MigrationRequest, user: User, request: Request
    ) -> MigrationOut:
        """Move chosen running cases to `to_version` with a state mapping. Every current state
        must be mapped and no open task lost; a refused case is left untouched and says why.
        Run with `dry_run: true` first."""
        results = await _designer(request).migrate(
            user, definition, body.to_version, body.case_ids, body.mapping, body.dry_run
        )
        return MigrationOut(dry_run=body.dry_run, results=[MigrationResult(**r) for r in results])

    @api.post("/cases/{case_id}/revert-migration", response_model=s.StateOut)
    async def revert(case_id: str, user: User, request: Request) -> s.StateOut:
        """Undo a case's last migration, while it has not moved on since."""
        return state_answer(request, user, await _designer(request).revert_migration(user, case_id))

    return api


def _version(v: Any, running: int) -> VersionOut:
    return VersionOut(
        version=v.version,
        title=v.title,
        content_hash=v.content_hash,
        status=v.status,
        published_by=v.published_by,
        published_at=v.published_at,
        note=v.note,
        running_cases=running,
    )
