"""The HTTP API. For now: health, readiness, the published definitions and the codec server for the
Temporal Web UI; the case workers' API (with login, roles and tenancy) builds on this app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from traject.store import repositories

ReadyCheck = Callable[[], Awaitable[bool]]


def create_app(
    sessions: sessionmaker[Session], temporal_ready: ReadyCheck, codec: APIRouter | None = None
) -> FastAPI:
    app = FastAPI(
        title="Traject",
        summary="Civic-integration trajectories for Dutch municipalities",
        version="0.1.0",
    )

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/ready", tags=["ops"])
    async def ready(response: Response) -> dict[str, Any]:
        """The store and the Temporal server answer."""
        checks = {"store": _store_ready(sessions), "temporal": await temporal_ready()}
        if not all(checks.values()):
            response.status_code = 503
        return {"status": "ready" if all(checks.values()) else "not ready", "checks": checks}

    @app.get("/api/definitions", tags=["definitions"])
    def definitions() -> list[dict[str, Any]]:
        """Published definition versions, newest first."""
        with sessions() as session:
            return [
                {
                    "municipality": v.municipality,
                    "definition": v.definition,
                    "version": v.version,
                    "content_hash": v.content_hash,
                    "published_at": v.published_at.isoformat() if v.published_at else None,
                }
                for v in repositories.list_definition_versions(session)
            ]

    if codec is not None:
        app.include_router(codec)
    return app


def _store_ready(sessions: sessionmaker[Session]) -> bool:
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the probe reports, it does not raise
        return False
    return True
