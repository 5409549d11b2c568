"""The long-running processes' garbage collector setting (traject/heap.py, TRAJECT_GC)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest

from traject import heap
from traject.config import Settings


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_tuned_freezes_what_start_up_made_and_walks_young_objects_less_often() -> None:
    made_at_start_up = {"definition": ["compiled"]}
    heap.settle("tuned")
    assert gc.is_tracked(made_at_start_up)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == heap.THRESHOLDS
    assert heap.THRESHOLDS[0] > 700  # Python's own young threshold

    class Cycle:
        me: object

    cycle = Cycle()
    cycle.me = cycle
    del cycle
    assert gc.collect() >= 1  # a cycle made after start-up is still collected


@pytest.mark.usefixtures("restored_gc")
def test_default_leaves_python_alone() -> None:
    before = gc.get_threshold()
    heap.settle("default")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("restored_gc")
def test_an_unknown_mode_is_refused_and_changes_nothing() -> None:
    before = gc.get_threshold()
    with pytest.raises(ValueError, match="TRAJECT_GC"):
        heap.settle("aggressive")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    ("value", "mode"), [(None, "tuned"), ("default", "default"), ("TUNED", "tuned")]
)
def test_the_setting_is_tuned_unless_told(
    setting: Callable[[str, str | None], None], value: str | None, mode: str
) -> None:
    setting("GC", value)
    assert Settings().gc == mode
