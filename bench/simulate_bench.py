"""Benchmark: simulator throughput on every built-in definition, and their compile times.

    .venv/bin/python bench/simulate_bench.py

Writes bench/REPORT-simulate.md. Target: 100,000 Pragma trajectories simulated in under 5 s.
A definition that does not compile (someone may be editing it) is skipped and named in the report.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from traject.definition import CompiledDefinition, compile_file  # noqa: E402
from traject.simulate import simulate  # noqa: E402

RUNS = 100_000
REPEATS = 3
TARGET_SECONDS = 5.0


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of a few runs: the least disturbed by other work on the machine."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def compiled_definitions() -> tuple[list[tuple[str, CompiledDefinition, float]], list[str]]:
    ok, skipped = [], []
    for path in sorted((ROOT / "definitions").glob("*.yaml")):
        try:
            compiled = compile_file(path)
        except Exception as error:  # report any failure, go on with the rest
            skipped.append(f"{path.name}: {str(error).splitlines()[0][:120]}")
            continue
        ms = best_of(REPEATS, partial(compile_file, path)) * 1000
        ok.append((path.stem, compiled, ms))
    return ok, skipped


def main() -> None:
    definitions, skipped = compiled_definitions()
    rows = []
    for name, compiled, compile_ms in definitions:
        run = partial(simulate, compiled, runs=RUNS, seed=1)
        first = best_of(1, run)  # includes numpy's first-call warm-up
        seconds = best_of(REPEATS, run)
        report = simulate(compiled, runs=RUNS, seed=1)
        rows.append((name, compiled, compile_ms, first, seconds, report.finished))
        print(
            f"{name:<16} simulate {seconds:6.3f} s (first {first:.3f} s)  compile {compile_ms:6.1f} ms"
        )
    lines = header(rows)
    lines += [
        f"| definition | states | tasks | {RUNS:,} runs (best of {REPEATS}) | first run "
        "| trajectories/s | finished | compile |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {name} | {len(c.states)} | {len(c.tasks)} | {s:.3f} s | {first:.3f} s "
            f"| {RUNS / s:,.0f} | {done:.1%} | {ms:.1f} ms |"
            for name, c, ms, first, s, done in rows
        ],
        "",
        f"Compiling (YAML → CompiledDefinition, best of {REPEATS}): "
        f"{sum(r[2] for r in rows) / max(len(rows), 1):.1f} ms per definition on average.",
    ]
    if skipped:
        lines += ["", "Skipped (did not compile):", *[f"- {s}" for s in skipped]]
    lines += [
        "",
        "How: runs move through the definition in batches grouped by state (numpy arrays of entry",
        "times), so the cost grows with the number of states and loop rounds, not with the runs.",
    ]
    (ROOT / "bench" / "REPORT-simulate.md").write_text("\n".join(lines) + "\n")
    print(lines[5])


def header(rows: list[tuple[str, CompiledDefinition, float, float, float, float]]) -> list[str]:
    pragma = next((r[4] for r in rows if r[0] == "pragma"), None)
    if pragma is None:
        target = (
            f"Target: {RUNS:,} Pragma trajectories in < {TARGET_SECONDS:g} s — **not measured** "
        )
        target += "(pragma.yaml did not compile)."
    else:
        verdict = "met" if pragma < TARGET_SECONDS else "MISSED"
        target = (
            f"Target: ≥ {RUNS:,} Pragma trajectories in < {TARGET_SECONDS:g} s — "
            f"**{pragma:.2f} s, {verdict}** ({RUNS / pragma:,.0f} trajectories/s)."
        )
    return [
        "# Benchmark: simulator and compiler",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()} "
        f"({platform.machine()}, {os.cpu_count()} CPUs), Python {platform.python_version()}, "
        f"numpy {np.__version__}; one process, one thread.",
        "Command: `.venv/bin/python bench/simulate_bench.py` (also `make bench`).",
        "",
        target,
        "",
    ]


if __name__ == "__main__":
    main()
