"""The benchmark's hand-written PVT1 workflow for the product records what the interpreter records:
the same effects at every step of the path, so comparing the two measures only the interpreting."""

from __future__ import annotations

from pathlib import Path

from bench.handwritten import pvt1_effects
from traject.definition import compile_text
from traject.machine import Machine

PATH = Path(__file__).parents[2] / "bench" / "pvt1_path.yaml"
AT = "2026-12-07T09:00:00+00:00"


def test_the_hand_written_effects_are_the_machines() -> None:
    machine = Machine(compile_text(PATH.read_text(), str(PATH)))
    step = machine.start(AT)
    assert list(step.effects) == pvt1_effects(0)
    for number, (task, data) in enumerate(
        (
            ("aanmelding_bevestigen", {}),
            ("aanwezigheid", {"aanwezig": True}),
            ("ondertekening", {}),
        ),
        start=1,
    ):
        step = machine.complete_task(step.snapshot, task, data, AT)
        assert list(step.effects) == pvt1_effects(number), task
    assert step.snapshot.finished
