"""`traject up`: the embedded default in one process tree — the bundled Temporal dev server (its
data in a file, so trajectories survive restarts), the store migrated and seeded, the API in this
process and the worker (workflows, step recorder, outbox dispatcher) in a child process of its
own, as in production (`traject api` + `traject worker`): each gets a core, and a worker that
dies is started again while the API stays up. Ctrl-C stops all of it; running it again resumes
the same data."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys

import structlog
import uvicorn
from fastapi.middleware.cors import CORSMiddleware

from traject import devserver, eventloop, heap, logs
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
from worker import main as worker
from worker.main import PARENT_PID, keys

log = structlog.get_logger()

WORKER_STOP_TIMEOUT = 30.0  # s: running activities finish (the worker's own grace is 10 s)
WORKER_RESTART_PAUSE = (1.0, 30.0)  # s: first and longest pause before starting it again
WORKER = (sys.executable, "-m", "worker.main")


async def up(settings: Settings) -> None:
    logs.configure(settings.log_format, settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if devserver.listening(settings.api_port):
        raise devserver.StartupError(
            f"port {settings.api_port} is taken: is Traject already running? (set TRAJECT_API_PORT)"
        )
    server: subprocess.Popen[bytes] | None = None
    if settings.embedded_temporal:
        server = devserver.start(
            settings.data_dir / "temporal.db",
            settings.dev_server_port,
            settings.dev_server_ui_port,
            settings.data_dir / "temporal.log",
            codec_endpoint=f"http://{settings.api_host}:{settings.api_port}/codec",
        )
    try:
        await _serve(settings)
    finally:
        if server is not None:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=20)
        log.info("traject_stopped")


async def _serve(settings: Settings) -> None:
    upgrade(settings.database_url)
    sessions = session_factory(make_engine(settings.database_url))
    password = demo_password(settings)
    published = seed(sessions, settings.definitions_dir, password)
    client = await worker.connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async def temporal_ready() -> bool:
        try:
            return await client.service_client.check_health()
        except Exception:  # a probe reports, it does not raise
            return False

    ui_origin = settings.ui_origin
    codec = codec_router(EncryptionCodec(keys(settings)), settings.codec_token or None, ui_origin)
    casework = Casework(Traject(sessions, client, settings.task_queue))
    app = create_app(
        sessions,
        temporal_ready,
        codec,
        casework,
        secure_cookies=settings.secure_cookies,
        temporal_ui=f"http://127.0.0.1:{settings.dev_server_ui_port}"
        if settings.embedded_temporal
        else settings.temporal_ui_url or None,
        namespace=settings.temporal_namespace,
        oidc=_oidc(settings),
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[ui_origin],
        allow_methods=["POST"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    api = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_level="warning",
            lifespan="off",
        )
    )
    heap.settle(settings.gc)
    tasks = [
        asyncio.create_task(run_worker(stop)),
        asyncio.create_task(api.serve()),
    ]
    _print_welcome(settings, len(published), password)
    await stop.wait()
    api.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)


async def run_worker(
    stop: asyncio.Event,
    command: tuple[str, ...] = WORKER,
    pauses: tuple[float, float] = WORKER_RESTART_PAUSE,
) -> None:
    """`python -m worker.main` as a child with this process's settings (the environment), until
    `stop`; then SIGTERM, which it takes as a graceful stop. It has a session of its own, so a
    Ctrl-C in the terminal reaches this process only and the API stops first; it watches this
    process and stops when it is gone (a SIGKILL here leaves no orphan polling). Started again,
    after a growing pause, whenever it exits by itself."""
    pause = pauses[0]
    while not stop.is_set():
        process = await asyncio.create_subprocess_exec(
            *command,
            env={**os.environ, PARENT_PID: str(os.getpid())},
            start_new_session=True,
        )
        log.info("worker_process_started", pid=process.pid)
        exited = asyncio.create_task(process.wait())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            with contextlib.suppress(ProcessLookupError):  # it may have exited just now
                process.terminate()
            try:
                await asyncio.wait_for(exited, WORKER_STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await exited
            return
        stopping.cancel()
        log.error("worker_process_exited", pid=process.pid, code=process.returncode)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        pause = min(pause * 2, pauses[1])


def demo_password(settings: Settings) -> str:
    """One random password for the demo users of this embedded install, kept in the data dir."""
    path = settings.data_dir / "demo-password"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _print_welcome(settings: Settings, definitions: int, password: str) -> None:
    ui = (
        f"http://127.0.0.1:{settings.dev_server_ui_port}"
        if settings.embedded_temporal
        else "(external)"
    )
    print(
        f"""
Traject is running ({definitions} definitions published, data in {settings.data_dir}/).
  Web:               http://{settings.api_host}:{settings.api_port}/
                     sign in as demo-medewerker (Zaanstad, Voorbeeldgemeente, ...), or
                     demo-coordinator, with the password {password}
  API:               http://{settings.api_host}:{settings.api_port}/docs
  Temporal Web UI:   {ui}
  Letters and mail:  {settings.data_dir}/mail/
Try, in another terminal:
  .venv/bin/traject cases start pvt1 --first-name Amina
  .venv/bin/traject tasks list
  .venv/bin/traject tasks complete <task id> --data '{{"tolk_nodig": false}}'
  .venv/bin/traject cases show <case id>
Ctrl-C stops Traject; `make up` again resumes every trajectory.
""",
        flush=True,
    )


def main() -> None:
    settings = Settings()
    eventloop.run(up(settings), settings.event_loop)


def _oidc(settings: Settings) -> OidcLogin | None:
    configured = OidcSettings.of(settings)
    return OidcLogin(configured) if configured else None
