"""Benchmark: memory with 10,000 concurrently open trajectories, their timers armed.

    .venv/bin/python bench/open_trajectories_bench.py [--n 10000] [--step 1000] [--touch 100]
        [--max-cached-workflows N] [--keep]

On the embedded default: the bundled Temporal dev server started by traject/devserver.py with the
arguments `traject up` gives it (`--db-filename`, WAL, synchronous=normal, Web UI, search
attributes), a fresh SQLite store migrated and seeded like `traject up` does, and the worker as its
own process, `python -m worker.main`, with worker/main.py's configuration untouched (so the SDK's
default workflow cache, max_cached_workflows=1000). This process starts PVT1 trajectories through
the service layer (Traject.start_case, what POST /api/cases calls), 10 at a time, and leaves each
in its first state: task `aanmelding_bevestigen` open, with a reminder (P10D), a due date (P2W)
and an escalation (P4W) — the workflow sleeps on one durable timer for the earliest of them.

After every --step trajectories (all first steps written) it samples the worker's and the dev
server's resident memory (VmRSS from /proc) and the database files. Then, with all N open, it
completes the first task of --touch trajectories started first (evicted from the worker's cache
long ago: the worker replays their history) and of --touch started last (still cached), timing
each, and samples memory again. --max-cached-workflows N runs the same worker with only that
setting changed (an experiment; the report says so).

Writes bench/REPORT-open.md (or REPORT-open-cacheN.md for the experiment).
Target (issue 9): worker RSS < 1 GiB at 10,000 open trajectories.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.throughput_bench import (
    MUNICIPALITY,
    Proc,
    free_port,
    machine,
    machine_line,
    percentile,
)
from traject import devserver
from traject.config import Settings
from traject.seed import seed
from traject.service import Traject
from traject.store.db import make_engine, session_factory
from traject.store.migrate import upgrade
from traject.store.models import Case, Task
from worker.main import connect, keys

ROOT = Path(__file__).resolve().parents[1]
TARGET_MIB = 1024.0
FIRST_TASK = "aanmelding_bevestigen"


@dataclass
class Sample:
    open: int
    worker: float
    server: float
    temporal_db: float
    store_db: float
    seconds: float


def files_mib(folder: Path, prefix: str) -> float:
    return sum(f.stat().st_size for f in folder.iterdir() if f.name.startswith(prefix)) / 2**20


def worker_command(cache: int | None) -> list[str]:
    if cache is None:  # worker/main.py exactly as it ships
        return [sys.executable, "-m", "worker.main"]
    patch = (
        "import functools, temporalio.worker, worker.main as m; "
        f"m.Worker = functools.partial(temporalio.worker.Worker, max_cached_workflows={cache}); "
        "m.main()"
    )
    return [sys.executable, "-c", patch]


async def first_steps_written(sessions: Any, expected: int, patience: float = 600) -> None:
    """Wait until every started case has its first step in the store (its task open, timers
    armed in the workflow)."""
    deadline = time.monotonic() + patience
    while True:
        with sessions() as session:
            starting = session.scalar(
                select(func.count()).select_from(Case).where(Case.status == "starting")
            )
            total = session.scalar(select(func.count()).select_from(Case))
        if total == expected and starting == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{starting} of {total} cases still starting after {patience} s")
        await asyncio.sleep(0.5)


async def start_cases(traject: Traject, count: int, concurrency: int) -> list[str]:
    ids: list[str] = []
    left = count

    async def starter() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            case = await traject.start_case(
                "pvt1", "Bench", municipality=MUNICIPALITY, actor="bench"
            )
            ids.append(case.id)

    await asyncio.gather(*(starter() for _ in range(concurrency)))
    return ids


async def armed_timer(traject: Traject, sessions: Any, case_id: str) -> str:
    """What the sample trajectory's history says: the durable timer it sleeps on."""
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
    history = await traject.client.get_workflow_handle(case.workflow_id).fetch_history()
    timers = [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in history.events
        if e.HasField("timer_started_event_attributes")
    ]
    if not timers:
        return "no timer started (!)"
    due: timedelta = timers[-1]
    days = due.total_seconds() / 86400
    return f"{len(timers)} timer started, the pending one set to fire after {days:.1f} days"


async def touch(traject: Traject, sessions: Any, case_ids: list[str]) -> tuple[list[float], int]:
    """Complete the first task of each case, one at a time: (round trips, failures)."""
    latencies, failures = [], 0
    for case_id in case_ids:
        with sessions() as session:
            task_id = session.scalar(
                select(Task.id).where(Task.case_id == case_id, Task.name == FIRST_TASK)
            )
        started = time.perf_counter()
        try:
            await traject.complete_task(int(task_id), {"tolk_nodig": False}, "bench")
        except Exception as error:  # counted and reported, the benchmark goes on
            failures += 1
            print(f"  touch {case_id}: {error}")
            continue
        latencies.append(time.perf_counter() - started)
    return latencies, failures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="traject-open-"))
    temporal_port, ui_port, api_port = free_port(3), free_port(), free_port()
    database_url = f"sqlite:///{data / 'traject.db'}"
    settings = Settings(
        data_dir=data,
        database_url=database_url,
        dev_server_port=temporal_port,
        definitions_dir=ROOT / "definitions",
    )
    keys(settings)  # the key file, before the worker and this process both read it
    upgrade(database_url)
    sessions = session_factory(make_engine(database_url))
    seed(sessions, ROOT / "definitions")
    r: dict[str, Any] = {"machine": machine(), "samples": []}
    server_process = devserver.start(
        data / "temporal.db",
        temporal_port,
        ui_port,
        data / "temporal.log",
        codec_endpoint=f"http://127.0.0.1:{api_port}/codec",  # as traject up (no API here)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAJECT_")}
    env.update(
        TRAJECT_DATA_DIR=str(data),
        TRAJECT_DATABASE_URL=database_url,
        TRAJECT_DEV_SERVER_PORT=str(temporal_port),
        TRAJECT_LOG_FORMAT="json",
    )
    worker_log = (data / "worker.log").open("ab")
    worker_process = subprocess.Popen(
        worker_command(args.max_cached_workflows),
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    worker, server = Proc(worker_process.pid, "worker"), Proc(server_process.pid, "dev server")
    r["server_args"] = " ".join(
        devserver.dev_server_args(
            Path("<data>/temporal.db"), temporal_port, ui_port, "http://…/codec"
        )
    )
    try:
        client = await connect(settings)
        traject = Traject(sessions, client, settings.task_queue)
        await asyncio.sleep(3)  # the worker connects and polls
        started = time.perf_counter()

        def sample(count: int, keep: bool = True) -> Sample:
            s = Sample(
                count,
                worker.rss(),
                server.rss(),
                files_mib(data, "temporal.db"),
                files_mib(data, "traject.db"),
                time.perf_counter() - started,
            )
            if keep:
                r["samples"].append(s)
            print(
                f"  {count:>6} open: worker {s.worker:.0f} MiB, dev server {s.server:.0f} MiB, "
                f"temporal.db {s.temporal_db:.0f} MiB, traject.db {s.store_db:.0f} MiB "
                f"({s.seconds:.0f} s)",
                flush=True,
            )
            return s

        sample(0)
        ids: list[str] = []
        steps = [args.step * i for i in range(1, args.n // args.step + 1)]
        if not steps or steps[-1] != args.n:
            steps.append(args.n)
        for target in steps:
            ids += await start_cases(traject, target - len(ids), args.concurrency)
            await first_steps_written(sessions, len(ids))
            await asyncio.sleep(5)  # let the worker settle (GC, cache) before sampling
            sample(len(ids))
        r["start_seconds"] = time.perf_counter() - started
        r["timer"] = await armed_timer(traject, sessions, ids[0])
        try:
            counted = await client.count_workflows("ExecutionStatus='Running'")
            r["running"] = f"{counted.count:,}"
        except Exception as error:  # visibility may not count on every server
            r["running"] = f"not counted ({error})"
        await asyncio.sleep(30)
        r["settled"] = sample(len(ids), keep=False)
        print(f"touch: {args.touch} oldest, {args.touch} newest")
        r["touch_old"] = await touch(traject, sessions, ids[: args.touch])
        r["touch_new"] = await touch(traject, sessions, ids[-args.touch :])
        await asyncio.sleep(5)
        r["touched"] = sample(len(ids), keep=False)
        r["worker_peak"], r["server_peak"] = worker.peak_rss, server.peak_rss
        r["worker_hwm"] = worker._status("VmHWM")
        r["server_hwm"] = server._status("VmHWM")
    finally:
        worker_process.send_signal(signal.SIGTERM)
        try:
            worker_process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker_process.kill()
            worker_process.wait(timeout=10)
        server_process.terminate()
        try:
            server_process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server_process.kill()
            server_process.wait(timeout=10)
        if args.keep:
            print(f"kept {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)
    return r


def slope(a: Sample, b: Sample, attr: str) -> float:
    """KiB per open trajectory between two samples."""
    return (getattr(b, attr) - getattr(a, attr)) * 1024 / max(b.open - a.open, 1)


def write_report(r: dict[str, Any], args: argparse.Namespace) -> str:
    samples: list[Sample] = r["samples"]
    zero, last, end = samples[0], samples[-1], r["settled"]
    cache = args.max_cached_workflows
    at_cache = next((s for s in samples if s.open >= (cache or 1000)), samples[-1])
    verdict = "**met**" if r["worker_peak"] < TARGET_MIB else "**MISSED**"
    if samples[-1].open < 10_000:
        verdict += f" at {samples[-1].open:,}; the target is at 10,000"
    command = f".venv/bin/python bench/open_trajectories_bench.py --n {args.n} --step {args.step}"
    command += f" --touch {args.touch}"
    command += f" --max-cached-workflows {cache}" if cache else ""
    worker_setup = (
        f"**experiment: the same worker with `max_cached_workflows={cache}`** (patched in by this "
        "benchmark; worker/main.py unchanged)"
        if cache
        else "`python -m worker.main` as it ships (no `max_cached_workflows` given: the SDK "
        "default, 1,000 workflows kept in the worker's cache)"
    )
    evicted = (cache or 1000) < last.open
    first_kind = (
        "evicted: the worker replays their history"
        if evicted
        else "still cached: this cache holds all of them"
    )
    old, old_failed = r["touch_old"]
    new, new_failed = r["touch_new"]
    lines = [
        "# Benchmark: memory with concurrently open trajectories, timers armed",
        "",
        machine_line(r["machine"]),
        f"Command: `{command}`" + ("" if cache else " (`make bench` runs it with its defaults)."),
        "",
        f"Set-up: the bundled dev server as `temporal {r['server_args']}`",
        f"(traject/devserver.py, as `traject up` starts it); the worker: {worker_setup}, on a",
        "fresh SQLite store seeded like `traject up`. PVT1 trajectories started through",
        "Traject.start_case, 10 at a time, each left in its first state with task",
        f"`{FIRST_TASK}` open: reminder P10D, due P2W, escalation P4W. Sample trajectory:",
        f"{r['timer']}. Temporal counts {r['running']} running workflows.",
        f"Starting {args.n:,} took {r['start_seconds']:.0f} s.",
        "",
        "## Against the target",
        "",
        "| figure | measured | target | |",
        "|---|---:|---:|---|",
        f"| worker RSS at {end.open:,} open trajectories (peak seen) | **{r['worker_peak']:.0f} "
        f"MiB** | < 1 GiB | {verdict} |",
        f"| worker RSS settled, 30 s after the last start | {end.worker:.0f} MiB | | |",
        f"| dev server RSS at {end.open:,} open (peak seen) | {r['server_peak']:.0f} MiB | | |",
        "",
        "## Memory as trajectories open",
        "",
        "| open trajectories | worker RSS | dev server RSS | temporal.db (+wal) | traject.db "
        "(+wal) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for s in samples:
        lines.append(
            f"| {s.open:,} | {s.worker:.0f} MiB | {s.server:.0f} MiB | {s.temporal_db:.0f} MiB "
            f"| {s.store_db:.0f} MiB |"
        )
    for label, t in (("30 s later", end), ("after the touches below", r["touched"])):
        lines.append(
            f"| {t.open:,}, {label} | {t.worker:.0f} MiB | {t.server:.0f} MiB "
            f"| {t.temporal_db:.0f} MiB | {t.store_db:.0f} MiB |"
        )
    lines += [
        "",
        "Memory per open trajectory (KiB, from the samples):",
        "",
        "| | worker | dev server | temporal.db | traject.db |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, a, b in (
        (f"0 → {at_cache.open:,} (all fit in the worker's cache)", zero, at_cache),
        (f"{at_cache.open:,} → {last.open:,} (beyond the cache)", at_cache, last),
        (f"0 → {last.open:,}", zero, last),
    ):
        if b.open <= a.open:
            continue
        lines.append(
            f"| {label} | {slope(a, b, 'worker'):.0f} | {slope(a, b, 'server'):.0f} "
            f"| {slope(a, b, 'temporal_db'):.0f} | {slope(a, b, 'store_db'):.0f} |"
        )
    if cache and last.open < 10_000:
        per = (last.worker - zero.worker) / max(last.open, 1)
        lines += [
            "",
            f"**Extrapolated, not measured:** with `max_cached_workflows={cache}` the worker "
            f"would hold {min(cache, 10_000):,} trajectories at 10,000 open: "
            f"{zero.worker:.0f} MiB + {min(cache, 10_000):,} × {per * 1024:.0f} KiB ≈ "
            f"**{(zero.worker + per * min(cache, 10_000)) / 1024:.2f} GiB** (target < 1 GiB).",
        ]
    lines += [
        "",
        "## A step on a trajectory that is not in the worker's cache",
        "",
        f"Completing `{FIRST_TASK}` through Traject.complete_task, one at a time, with "
        f"{end.open:,} open:",
        "",
        "| trajectories | p50 | p99 | failed |",
        "|---|---:|---:|---:|",
        f"| the {args.touch} started first ({first_kind}) "
        f"| {percentile(old, 50):.1f} ms | {percentile(old, 99):.1f} ms | {old_failed} |",
        f"| the {args.touch} started last (cached) | {percentile(new, 50):.1f} ms "
        f"| {percentile(new, 99):.1f} ms | {new_failed} |",
        "",
        "## The worker's workflow cache",
        "",
        "An open trajectory that waits on a timer is not in the worker's memory by necessity: its "
        "state is its history in the Temporal server's database, and its timer is a row there "
        "that the server fires. The worker keeps up to `max_cached_workflows` running workflows "
        "(each its own sandboxed instance: the interpreter, the compiled definition, the "
        "`transitions` machine) so the next step does not have to replay; past that it evicts "
        "the least recently used. worker/main.py does not set it, so the SDK default of 1,000 "
        "holds: worker memory grows with the first 1,000 open trajectories and then stays "
        "flat, whatever the number open. The price of eviction is a replay of the history when "
        "a trajectory next moves (the first row of the table above). With the cache raised to "
        "hold all of them the worker would grow by the first row's per-trajectory figure for "
        "every open trajectory (see `--max-cached-workflows`). The dev server's memory is "
        "mostly its own caches; the open trajectories cost disk, in temporal.db.",
        "",
    ]
    text = "\n".join(lines)
    name = f"REPORT-open-cache{cache}.md" if cache else "REPORT-open.md"
    (Path(__file__).parent / name).write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="open trajectories")
    parser.add_argument("--step", type=int, default=1000, help="sample memory every so many")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--touch", type=int, default=100, help="old and new ones to complete")
    parser.add_argument("--max-cached-workflows", type=int, default=None, help="experiment")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(write_report(results, args))


if __name__ == "__main__":
    main()
