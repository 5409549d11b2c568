"""Production entry points: `traject api` (the HTTP API), `traject migrate` (schema and built-in
definitions, run once per release, e.g. as a Kubernetes Job). `traject worker` runs the workflows,
activities and the outbox dispatcher; `traject up` is all of it on one machine."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from traject import eventloop, heap, logs
from traject.api.app import create_app
from traject.api.codec import codec_router
from traject.api.oidc import OidcLogin, OidcSettings
from traject.casework import Casework
from traject.codec import EncryptionCodec
from traject.config import Settings
from traject.seed import seed
from traject.service import Traject
from traject.store.db import make_engine, session_factory
from traject.store.migrate import upgrade
from worker.main import connect, keys


async def build_api(settings: Settings) -> FastAPI:
    sessions = session_factory(make_engine(settings.database_url))
    client = await connect(settings)

    async def temporal_ready() -> bool:
        try:
            return await client.service_client.check_health()
        except Exception:  # a probe reports, it does not raise
            return False

    codec = codec_router(
        EncryptionCodec(keys(settings)), settings.codec_token or None, settings.ui_origin
    )
    casework = Casework(Traject(sessions, client, settings.task_queue))
    return create_app(
        sessions,
        temporal_ready,
        codec,
        casework,
        secure_cookies=settings.secure_cookies,
        temporal_ui=settings.temporal_ui_url or None,
        namespace=settings.temporal_namespace,
        oidc=_oidc(settings),
    )


def api_main() -> int:
    settings = Settings()
    logs.configure(settings.log_format, settings.log_level)

    async def serve() -> None:
        app = await build_api(settings)
        heap.settle(settings.gc)
        config = uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_level="warning",
            lifespan="off",
        )
        await uvicorn.Server(config).serve()

    eventloop.run(serve(), settings.event_loop)
    return 0


def migrate_main() -> int:
    settings = Settings()
    logs.configure(settings.log_format, settings.log_level)
    upgrade(settings.database_url)
    published = seed(session_factory(make_engine(settings.database_url)), settings.definitions_dir)
    print(f"store at the latest migration; {len(published)} built-in definitions published")
    return 0


def _oidc(settings: Settings) -> OidcLogin | None:
    configured = OidcSettings.of(settings)
    return OidcLogin(configured) if configured else None
