"""The orchestration benchmark in a few trajectories on the test session's dev server: its
variants run (the hand-written workflow for the product must record what the interpreter records,
or `same_records` refuses to measure) and its report holds every figure, the paired ones read
round by round. `make bench` runs it at size; this keeps it from rotting between those runs."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from bench import interpreter_bench
from bench.handwritten import HandwrittenPvt1, HandwrittenPvt1Recorded
from traject.definition import compile_text
from worker.main import workflow_runner
from workflows.trajectory import TrajectoryWorkflow

pytestmark = pytest.mark.asyncio


async def test_the_benchmark_measures_every_variant_and_pairs_its_rounds(
    client: Client, task_queue: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = compile_text(interpreter_bench.PVT1, "pvt1_path.yaml")
    args = argparse.Namespace(trajectories=6, rounds=2, concurrency=3, unloaded=1)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow, HandwrittenPvt1, HandwrittenPvt1Recorded],
        workflow_runner=workflow_runner(),
        activities=[interpreter_bench.record_step, interpreter_bench.record_plain],
    ):
        results = await interpreter_bench.measure(client, task_queue, definition, args)

    for variant in ("hand", "hand_started", "hand_recorded"):
        assert results[f"paired_{variant}_low"] <= results[f"paired_{variant}"]
        assert results[f"paired_{variant}"] <= results[f"paired_{variant}_high"]
        assert 0 <= results[f"paired_{variant}_faster"] <= 2
        assert results[f"paired_{variant}_cpu"] > 0
    assert results["samples"] == 3  # one trajectory per variant, three completions each

    report = tmp_path / "REPORT-interpreter.md"
    monkeypatch.setattr(interpreter_bench, "REPORT", report)
    interpreter_bench.write_report({**results, "store_p50": 1.0, "store_p99": 2.0}, args)
    text = report.read_text()
    paired = re.search(r"\*\*paired by round\*\*.*— (met|MISSED) \|", text)
    assert paired is not None
    assert (paired.group(1) == "met") == (results["paired_hand"] >= 1.0)
    assert "{" not in text  # every figure filled in
