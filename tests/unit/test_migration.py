"""The migration check, pure: every current state mapped onto a valid configuration of the new
version, no open task lost, only to a later version of the same definition."""

from __future__ import annotations

import re

import pytest

from tests.conftest import DEFINITIONS
from traject.definition import compile_file, compile_text
from traject.machine import Machine
from traject.migration import MigrationRefused, plan

AT = "2025-01-06T09:00:00+00:00"
ZAANSTAD = (DEFINITIONS / "zaanstad_pvt.yaml").read_text(encoding="utf-8")


def test_a_parallel_case_needs_a_state_in_every_region() -> None:
    old = compile_text(ZAANSTAD, "v1.yaml")
    later = re.sub(
        r"^version: (\d+)$", lambda m: f"version: {int(m[1]) + 1}", ZAANSTAD, count=1, flags=re.M
    )
    new = compile_text(later, "v2.yaml")
    snapshot = Machine(old).start(AT).snapshot
    assert set(snapshot.active) == {"workshop_kernwaarden", "wacht_op_huisvesting"}
    same = plan(old, new, snapshot, {}, AT)  # same names: mapped onto themselves
    assert set(same.step.snapshot.active) == set(snapshot.active)
    assert same.step.snapshot.open_tasks.keys() == snapshot.open_tasks.keys()
    with pytest.raises(MigrationRefused) as refused:
        plan(old, new, snapshot, {"wacht_op_huisvesting": "workshop_praktijk"}, AT)
    assert any("needs a state in region(s) ['begeleiding']" in p for p in refused.value.problems)
    with pytest.raises(MigrationRefused) as refused:
        plan(old, new, snapshot, {"workshop_kernwaarden": "ondertekening"}, AT)
    assert any("open task 'aanwezigheid_kernwaarden'" in p for p in refused.value.problems)
    with pytest.raises(MigrationRefused, match="not later than"):
        plan(old, old, snapshot, {}, AT)
    other = compile_file(DEFINITIONS / "pvt4.yaml")
    with pytest.raises(MigrationRefused, match="is not a version of"):
        plan(old, other, snapshot, {}, AT)
    with pytest.raises(MigrationRefused, match="has substates"):
        plan(old, new, snapshot, {"workshop_kernwaarden": "pvt"}, AT)
