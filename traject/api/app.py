"""The HTTP app: health and readiness, the case workers' REST API (`/api`, OpenAPI at
/openapi.json, docs at /docs), the web pages, and the codec server for the Temporal Web UI.

/docs is Swagger UI from the vendored files under /static/vendor/swagger-ui/ (FastAPI's own page
loads it from a CDN, and is blank without the internet); there is no /redoc."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
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
from traject.web import STATIC_DIR, pages
from traject.web.dashboard import dashboard_router

ReadyCheck = Callable[[], Awaitable[bool]]
SWAGGER_UI = "/static/vendor/swagger-ui"


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
        docs_url=None,  # served by _docs from the vendored Swagger UI, not from a CDN
        redoc_url=None,
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
    else:  # the pages mount /static; /docs needs its vendored Swagger UI without them too
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _docs(app)
    if codec is not None:
        app.include_router(codec)
    return app


def _docs(app: FastAPI) -> None:
    """/docs as FastAPI serves it, with Swagger UI's script, style and icon from /static/vendor/
    (vendored by traject/web/assets/vendor.py), and its OAuth2 redirect page."""
    redirect = app.swagger_ui_oauth2_redirect_url

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + str(app.openapi_url),
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{root}{SWAGGER_UI}/favicon-32x32.png",
            oauth2_redirect_url=root + redirect if redirect else None,
            init_oauth=app.swagger_ui_init_oauth,
            # No "valid" badge fetched from validator.swagger.io.
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )

    if redirect:

        @app.get(redirect, include_in_schema=False)
        async def swagger_ui_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()


def _store_ready(sessions: sessionmaker[Session]) -> bool:
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the probe reports, it does not raise
        return False
    return True
