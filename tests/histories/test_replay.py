"""Replay committed histories against today's TrajectoryWorkflow: a change that would break running
trajectories fails here. `incompatible_*.json` must fail to replay, proving the check can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from workflows.trajectory import TrajectoryWorkflow

HERE = Path(__file__).parent
COMPATIBLE = sorted(p for p in HERE.glob("*.json") if not p.name.startswith("incompatible_"))
INCOMPATIBLE = sorted(HERE.glob("incompatible_*.json"))


def _replayer() -> Replayer:
    return Replayer(workflows=[TrajectoryWorkflow], data_converter=pydantic_data_converter)


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def test_there_are_histories_to_replay() -> None:
    assert COMPATIBLE and INCOMPATIBLE


@pytest.mark.parametrize("path", COMPATIBLE, ids=[p.stem for p in COMPATIBLE])
async def test_committed_history_replays(path: Path) -> None:
    await _replayer().replay_workflow(_history(path))


@pytest.mark.parametrize("path", INCOMPATIBLE, ids=[p.stem for p in INCOMPATIBLE])
async def test_incompatible_history_fails_to_replay(path: Path) -> None:
    with pytest.raises(NondeterminismError):
        await _replayer().replay_workflow(_history(path))
