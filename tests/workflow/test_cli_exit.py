"""`traject` commands that use a Temporal client end with their own exit status, every time.

Python's teardown after such a command aborted it now and then (SIGABRT, status 134) after it had
done its work: the client's Rust threads took the GIL during the teardown (traject/process.py).
Run against the real dev server with a real worker process, as a case worker runs them."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

ROOT = Path(__file__).parents[2]
RUNS = 8


def traject(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "traject.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def environment(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> dict[str, str]:
    """A Traject of its own in `tmp_path` on the session's dev server, for commands and a worker."""
    return {
        **os.environ,
        "TRAJECT_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TRAJECT_TASK_QUEUE": task_queue,
        "TRAJECT_DATA_DIR": str(tmp_path),
        "TRAJECT_DATABASE_URL": f"sqlite:///{tmp_path / 'traject.db'}",
        "TRAJECT_DEFINITIONS_DIR": str(ROOT / "definitions"),
        "TRAJECT_LOG_FORMAT": "json",
    }


async def test_commands_that_use_temporal_end_with_their_own_status(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    env = environment(temporal_env, tmp_path, task_queue)
    migrated = traject(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker.main"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        for run in range(RUNS):
            started = traject(env, "cases", "start", "pvt1", "--first-name", f"Amina{run}")
            assert (started.returncode, started.stderr[-2000:]) == (0, "")
            assert started.stdout.startswith("started case-"), started.stdout
        refused = traject(env, "cases", "start", "no_such_definition", "--first-name", "Amina")
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.startswith("refused (")  # said, and flushed before the exit
        assert "Traceback" not in refused.stderr
        # the elfproef holds on every way in: the CLI started a case with BSN '123' before
        for bsn in ("123", "111222334"):
            refused = traject(env, "cases", "start", "pvt1", "--first-name", "Noor", "--bsn", bsn)
            assert refused.returncode == 1, refused.stderr
            assert "not a valid BSN" in refused.stderr and "Traceback" not in refused.stderr
        with sqlite3.connect(tmp_path / "traject.db") as db:
            assert db.execute("SELECT count(*) FROM cases").fetchone() == (RUNS,)

        # a decision's reason 'anders' needs its note; the note goes to the audit log only
        case_id = started.stdout.split()[1]
        unexplained = traject(env, "cases", "suspend", case_id, "--reason", "anders")
        assert unexplained.returncode == 2, unexplained.stderr
        assert "needs a --note" in unexplained.stderr
        suspended = traject(
            env, "cases", "suspend", case_id, "--reason", "anders", "--note", "Tolk ziek"
        )
        assert (suspended.returncode, suspended.stdout) == (0, "suspend: suspended\n")
        with sqlite3.connect(tmp_path / "traject.db") as db:
            audited = db.execute(
                "SELECT detail FROM audit_log WHERE case_id = ? AND action = 'case_suspend'",
                (case_id,),
            ).fetchall()
        assert [json.loads(d) for (d,) in audited] == [{"reason": "anders", "note": "Tolk ziek"}]
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()[-2000:]
        log.close()


def test_a_command_when_temporal_does_not_answer_says_so_and_changes_nothing(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "TRAJECT_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "TRAJECT_DATA_DIR": str(tmp_path),
        "TRAJECT_DATABASE_URL": f"sqlite:///{tmp_path / 'traject.db'}",
        "TRAJECT_DEFINITIONS_DIR": str(ROOT / "definitions"),
    }
    assert traject(env, "migrate").returncode == 0
    started = traject(env, "cases", "start", "pvt1", "--first-name", "Amina")
    assert started.returncode == 3
    assert f"Temporal does not answer at 127.0.0.1:{port}" in started.stderr
    assert "Traceback" not in started.stderr
    listed = traject(env, "cases", "list")
    assert (listed.returncode, listed.stdout) == (0, "")


def test_a_command_without_a_store_says_so_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """Run where Traject's data is not (another folder, a missing setting): refused before any
    file, key or connection is made."""
    env = {
        **os.environ,
        "TRAJECT_DATA_DIR": str(tmp_path / "data"),
        "TRAJECT_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'traject.db'}",
    }
    for command in (["cases", "start", "pvt1", "--first-name", "Amina"], ["tasks", "list"]):
        answer = traject(env, *command)
        assert answer.returncode == 3, answer.stderr
        assert "no Traject store at" in answer.stderr
        assert "Traceback" not in answer.stderr
    assert list(tmp_path.iterdir()) == []
