"""The API against a real worker, a real local Temporal server and the store (PostgreSQL when it
answers on 127.0.0.1:5432, SQLite otherwise). Two municipalities, each with its own users:
every test can check that one never sees or changes the other's cases.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.record import StepRecorder
from tests.conftest import DEFINITIONS, postgres_answers
from traject.api.app import create_app
from traject.casework import Casework
from traject.seed import seed
from traject.service import Traject
from traject.store import accounts
from traject.store.db import make_engine, session_factory, transaction
from traject.store.migrate import upgrade
from workflows.trajectory import TrajectoryWorkflow

PASSWORD = "correct horse battery staple"
USERS = {  # name: (municipality, roles, groups)
    "klantmanager": ("zaanstad", ["caseworker"], ["klantmanager", "trainer"]),
    "collega": ("zaanstad", ["caseworker"], ["klantmanager", "trainer"]),
    "teamleider": ("zaanstad", ["coordinator"], ["coordinator"]),
    "vrijwilliger": ("zaanstad", ["volunteer"], ["trainer"]),
    "ontwerper": ("zaanstad", ["designer"], []),
    "leiden": ("voorbeeldgemeente", ["caseworker", "coordinator"], ["klantmanager", "trainer"]),
    "docent": ("voorbeeldgemeente", ["caseworker"], ["taalaanbieder"]),
    "vormgever": ("voorbeeldgemeente", ["designer"], []),
    "procesontwerper": (
        "voorbeeldgemeente",
        ["designer", "caseworker", "coordinator"],
        ["klantmanager", "trainer"],
    ),
}


@pytest.fixture(scope="session")
def api_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not postgres_answers():
        yield f"sqlite:///{tmp_path_factory.mktemp('api') / 'traject.db'}"
        return
    from tests.conftest import PG_ADMIN, _admin

    name = f"traject_api_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def api_sessions(api_database_url: str) -> sessionmaker[Session]:
    upgrade(api_database_url)
    sessions = session_factory(make_engine(api_database_url))
    seed(sessions, DEFINITIONS)
    with transaction(sessions) as session:
        for name, (municipality, roles, groups) in USERS.items():
            accounts.create_user(
                session, municipality, name, name.capitalize(), roles, groups, PASSWORD
            )
    return sessions


@dataclass
class Api:
    http: httpx.AsyncClient
    sessions: sessionmaker[Session]
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def get(self, user: str, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, headers=self.headers(user), **kw)

    async def post(self, user: str, url: str, body: Any = None) -> httpx.Response:
        return await self.http.post(url, headers=self.headers(user), json=body or {})

    async def start(self, user: str = "klantmanager", **body: Any) -> dict[str, Any]:
        body = {"definition": "zaanstad_pvt", "first_name": "Amina", **body}
        response = await self.post(user, "/api/cases", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def open_task(self, case_id: str, name: str, user: str = "klantmanager") -> int:
        """The id of the case's open task `name`, once the workflow has recorded it."""
        for _ in range(100):
            case = (await self.get(user, f"/api/cases/{case_id}")).json()
            for task in case["tasks"]:
                if task["name"] == name and task["status"] == "open":
                    return int(task["id"])
            await asyncio.sleep(0.05)
        raise AssertionError(f"no open task {name} in {case_id}")


@pytest_asyncio.fixture(scope="session")
async def api(temporal_env: Any, api_sessions: sessionmaker[Session]) -> AsyncIterator[Api]:
    client: Client = temporal_env.client
    queue = f"api-{secrets.token_hex(4)}"
    casework = Casework(Traject(api_sessions, client, queue))
    app = create_app(api_sessions, client.service_client.check_health, casework=casework)
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[TrajectoryWorkflow],
            activities=[StepRecorder(api_sessions).record_step],
            activity_executor=executor,
        ):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://traject") as http:
                result = Api(http, api_sessions)
                with transaction(api_sessions) as session:
                    for name, (municipality, _, _) in USERS.items():
                        user = accounts.find_user(session, municipality, name)
                        assert user is not None
                        result.tokens[name] = accounts.create_token(session, user, "tests")[1]
                yield result


@asynccontextmanager
async def signed_in(api: Api, user: str) -> AsyncIterator[str]:
    """A browser session of `user` (its cookie in `api.http`); yields the CSRF token."""
    signed = await api.http.post(
        "/api/session",
        json={"municipality": USERS[user][0], "username": user, "password": PASSWORD},
    )
    assert signed.status_code == 200, signed.text
    csrf: str = signed.json()["csrf_token"]
    try:
        yield csrf
    finally:
        await api.http.delete("/api/session", headers={"X-CSRF-Token": csrf})
        api.http.cookies.clear()
