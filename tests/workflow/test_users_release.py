"""Someone leaves: `traject users deactivate … --release-tasks` keeps them out and hands the tasks
they held back to their groups, through each task's workflow, so the team sees them as
unassigned again. Real dev server, real worker process, the commands as ops run them."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.workflow.test_cli_exit import ROOT, environment, traject
from traject.config import Settings
from traject.service import Traject
from traject.store import repositories as repo
from traject.store.db import make_engine, session_factory
from worker.main import connect


def store(tmp_path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "traject.db") as db:
        return db.execute(sql, args).fetchall()


async def open_task(tmp_path: Path, case_id: str) -> int:
    for _ in range(200):
        rows = store(
            tmp_path, "SELECT id FROM tasks WHERE case_id = ? AND status = 'open'", case_id
        )
        if rows:
            return int(rows[0][0])  # type: ignore[call-overload]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open task in {case_id}")


async def test_deactivating_with_release_hands_the_tasks_back(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    env = environment(temporal_env, tmp_path, task_queue)
    assert traject(env, "migrate").returncode == 0
    added = traject(
        env, "users", "add", "voorbeeldgemeente", "vertrekt", "--name", "Vertrekt",
        "--role", "caseworker", "--group", "klantmanager", "--no-password",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    user_ref = "user:" + added.stdout.split()[1]
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker.main"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        started = traject(env, "cases", "start", "pvt1", "--first-name", "Amina")
        assert started.returncode == 0, started.stderr
        case_id = started.stdout.split()[1]
        task_id = await open_task(tmp_path, case_id)
        settings = Settings(
            data_dir=tmp_path,
            database_url=env["TRAJECT_DATABASE_URL"],
            temporal_address=env["TRAJECT_TEMPORAL_ADDRESS"],
            task_queue=task_queue,
        )
        service = Traject(
            session_factory(make_engine(settings.database_url)),
            await connect(settings),
            task_queue,
        )
        view = await service.assign_task(task_id, user_ref, user_ref, "voorbeeldgemeente")
        assert [t.assignee for t in view.open_tasks] == [user_ref]  # they claimed it

        released = traject(
            env, "users", "deactivate", "voorbeeldgemeente", "vertrekt", "--release-tasks"
        )
        assert released.returncode == 0, released.stderr
        assert "vertrekt is now deactivated" in released.stdout
        assert f"task {task_id}: back with its group" in released.stdout
        with service.sessions() as session:
            case = repo.get_case(session, case_id)
        view = await service.view(case)  # the workflow's own word
        assert [t.assignee for t in view.open_tasks] == [None]
        for _ in range(200):  # and the store's, once the step is recorded
            if store(tmp_path, "SELECT assignee FROM tasks WHERE id = ?", task_id) == [(None,)]:
                break
            await asyncio.sleep(0.05)
        assert store(tmp_path, "SELECT assignee FROM tasks WHERE id = ?", task_id) == [(None,)]
        audited = store(tmp_path, "SELECT action FROM audit_log WHERE actor = 'cli' ORDER BY id")
        assert [a for (a,) in audited][-2:] == ["user_deactivated", "task_released"]

        again = traject(env, "users", "deactivate", "voorbeeldgemeente", "vertrekt")
        assert "was already deactivated" in again.stdout and "claimed" not in again.stdout
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()[-2000:]
        log.close()
