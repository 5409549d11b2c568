"""The HTTP app: health and readiness, the case workers' REST API (`/api`, OpenAPI at
/openapi.json, docs at /docs), the web pages, and the codec server for the Temporal Web UI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from traject.api import problems
from traject.api.auth import AuthConfig
from traject.api.design_routes import design_router
from traject.api.oidc import OidcLogin, oidc_router
from traject.api.routes import api_router
from traject.casework import Casework
from traject.designer import Designer
from traject.metrics import ApiMetrics, LatencyMiddleware
from traject.team import Team
from traject.web import pages
from traject.web.dashboard import dashboard_router

ReadyCheck = Callable[[], Awaitable[bool]]


def create_app(
    sessions: sessionmaker[Session],
    temporal_ready: ReadyCheck,
    codec: APIRouter | None = None,
    casework: Casework | None = None,
    secure_cookies: bool = False,
    temporal_ui: str | None = None,
    namespace: str = "default",
    oidc: OidcLogin | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Traject",
        summary="Civic-integration trajectories for Dutch municipalities",
        version="0.1.0",
    )
    app.state.auth = AuthConfig(sessions, secure_cookies)
    app.state.casework = casework
    app.state.oidc = oidc
    problems.install(app)
    problems.document(app)
    app.state.metrics = metrics = ApiMetrics(sessions)
    app.add_middleware(problems.NoNulInAddress)
    app.add_middleware(LatencyMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        """Prometheus text format: HTTP latency by route, starts, completions, open cases."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)

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

    if casework is not None:
        app.state.designer = Designer(casework)
        app.state.team = Team(casework.traject)
        app.include_router(api_router())
        app.include_router(design_router())
        pages.install(app, temporal_ui, namespace)
        app.include_router(dashboard_router())
        if oidc is not None:
            app.include_router(oidc_router(oidc, secure_cookies))
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
