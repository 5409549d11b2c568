"""`traject up` keeps its worker child running: started again when it exits by itself, stopped
with SIGTERM (and waited for) when Traject stops, and gone when its parent is."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from traject.up import run_worker
from worker.main import PARENT_PID

FAST = (0.05, 0.2)


async def test_a_worker_that_exits_is_started_again(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    crash = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(stop, (sys.executable, "-c", crash), FAST))
    for _ in range(200):
        if starts.exists() and len(starts.read_text()) >= 3:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, 10)
    assert len(starts.read_text()) >= 3, "started again after each exit"


async def test_stopping_terminates_the_worker_and_waits_for_it(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    # a worker that says it runs, and says it stopped when SIGTERM comes (as worker.main does)
    graceful = (
        "import os, signal, sys, time\n"
        f"path = {str(marks)!r}\n"
        f"assert os.environ[{PARENT_PID!r}] == str(os.getppid())\n"
        "signal.signal(signal.SIGTERM, lambda *_: (open(path, 'a').write('stopped'), sys.exit(0)))\n"
        "open(path, 'a').write('running ')\n"
        "while True: time.sleep(0.05)\n"
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(stop, (sys.executable, "-c", graceful), FAST))
    for _ in range(200):
        if marks.exists() and "running" in marks.read_text():
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, 10)
    assert marks.read_text() == "running stopped", "one start, one graceful stop, no restart"


async def test_the_worker_stops_when_its_parent_is_gone() -> None:
    from worker.main import stop_without_parent

    stop = asyncio.Event()
    orphaned = asyncio.create_task(stop_without_parent(os.getppid() + 1_000_000, stop))
    await asyncio.wait_for(orphaned, 5)
    assert stop.is_set()
    stop = asyncio.Event()
    watching = asyncio.create_task(stop_without_parent(os.getppid(), stop))
    await asyncio.sleep(1.2)  # the parent is there: it keeps watching
    assert not stop.is_set() and not watching.done()
    stop.set()
    await asyncio.wait_for(watching, 5)
