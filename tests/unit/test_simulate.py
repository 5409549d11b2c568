"""The simulator against answers computed independently of it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from traject.definition import compile_file, compile_text
from traject.simulate import format_report, simulate

HEAD = """
definition: sim
title: Sim
municipality: test
version: 1
roles: {coach: Coach}
"""


def outcome(report, name):  # type: ignore[no-untyped-def]
    return next(o for o in report.outcomes if o.outcome == name)


def test_a_chain_of_two_states_has_the_sum_of_their_medians() -> None:
    d = compile_text(
        HEAD
        + """
outcomes: {klaar: {title: Klaar, expected: P30D}}
initial: a
states:
  a:
    tasks: {ta: {title: A, role: coach, simulate: {median: P10D, p90: P10D}}}
    on: {ta.done: b}
  b:
    tasks: {tb: {title: B, role: coach, simulate: {median: P5D, p90: P5D}}}
    on: {tb.done: klaar}
  klaar: {final: true, outcome: klaar}
"""
    )
    report = simulate(d, runs=2000, seed=3)
    spread = outcome(report, "klaar").days
    assert spread is not None and math.isclose(spread.median, 15.0, rel_tol=1e-6)
    assert outcome(report, "klaar").within_target == 1.0


def test_lognormal_median_and_p90_are_respected() -> None:
    d = compile_text(
        HEAD
        + """
outcomes: {klaar: {title: Klaar}}
initial: a
states:
  a:
    tasks: {ta: {title: A, role: coach, simulate: {median: P20D, p90: P60D}}}
    on: {ta.done: klaar}
  klaar: {final: true, outcome: klaar}
"""
    )
    days = outcome(simulate(d, runs=40_000, seed=1), "klaar").days
    assert days is not None
    assert math.isclose(days.median, 20, rel_tol=0.03)
    sigma = math.log(3) / 1.2815515655446004
    assert math.isclose(days.p80, 20 * math.exp(0.8416212335729143 * sigma), rel_tol=0.04)


def test_weighted_alternatives_give_their_shares() -> None:
    d = compile_text(
        HEAD
        + """
outcomes: {x: {title: X}, y: {title: Y}}
initial: a
states:
  a:
    tasks: {ta: {title: A, role: coach, form: {k: {type: choice, options: [x, y]}}}}
    on:
      ta.done:
        - {target: einde, guard: {field: ta.k, equals: x}, outcome: x, simulate: {weight: 1}}
        - {target: einde, outcome: y, simulate: {weight: 3}}
  einde: {final: true, outcomes: [x, y]}
"""
    )
    report = simulate(d, runs=40_000, seed=2)
    assert abs(outcome(report, "x").share - 0.25) < 0.01
    assert abs(outcome(report, "y").share - 0.75) < 0.01


def test_parallel_regions_complete_at_the_slowest() -> None:
    d = compile_text(
        HEAD
        + """
outcomes: {klaar: {title: Klaar}}
initial: p
states:
  p:
    on: {done: klaar}
    parallel:
      snel: {role: coach, checklist: {s1: {title: S1, simulate: {median: P3D, p90: P3D}}}}
      traag: {role: coach, checklist: {t1: {title: T1, simulate: {median: P9D, p90: P9D}},
                                       t2: {title: T2, simulate: {median: P4D, p90: P4D}}}}
  klaar: {final: true, outcome: klaar}
"""
    )
    days = outcome(simulate(d, runs=1000, seed=1), "klaar").days
    assert days is not None and math.isclose(days.median, 9.0, rel_tol=1e-6)


def test_an_earlier_timer_wins_over_a_slow_task() -> None:
    d = compile_text(
        HEAD
        + """
outcomes: {op_tijd: {title: Op tijd}, te_laat: {title: Te laat}}
initial: a
states:
  a:
    tasks: {ta: {title: A, role: coach, simulate: {median: P20D, p90: P30D}}}
    timers: [{name: termijn, after: P5D, goto: laat}]
    on: {ta.done: {target: einde, outcome: op_tijd}}
  laat: {final: true, outcome: te_laat}
  einde: {final: true, outcome: op_tijd}
"""
    )
    report = simulate(d, runs=20_000, seed=1)
    assert outcome(report, "te_laat").share > 0.99
    days = outcome(report, "te_laat").days
    assert days is not None and math.isclose(days.median, 5.0)


def test_seeds_make_runs_repeatable() -> None:
    d = compile_file(Path(__file__).parents[2] / "definitions" / "pragma.yaml")
    first, again, other = (simulate(d, runs=5000, seed=s) for s in (7, 7, 8))
    assert first == again
    assert first != other


def test_loops_terminate_and_unfinished_runs_are_reported() -> None:
    d = compile_text(
        HEAD
        + """
outcomes: {klaar: {title: Klaar}}
initial: a
states:
  a:
    tasks: {ta: {title: A, role: coach, form: {ok: {type: bool}}, simulate: {median: P1D, p90: P2D}}}
    on:
      ta.done:
        - {target: klaar, guard: {field: ta.ok, equals: true}, simulate: {weight: 1}}
        - {target: a, simulate: {weight: 999}}
  klaar: {final: true, outcome: klaar}
"""
    )
    report = simulate(d, runs=1000, seed=1)
    assert report.unfinished + round(outcome(report, "klaar").share * 1000) == 1000
    assert report.unfinished > 0


def test_missing_assumptions_are_listed_not_invented_silently() -> None:
    d = compile_text(
        HEAD
        + """
events: {klacht: {title: Klacht}}
outcomes: {klaar: {title: Klaar}}
initial: a
states:
  a:
    tasks: {ta: {title: A, role: coach}}
    on: {ta.done: klaar, klacht: klaar}
  klaar: {final: true, outcome: klaar}
"""
    )
    report = simulate(d, runs=100, seed=1)
    assert any("task 'ta'" in a for a in report.assumptions)
    assert any("event 'klacht'" in a for a in report.assumptions)
    assert "assumed" in format_report(report)


def test_pragma_meets_its_own_throughput_targets_in_the_median() -> None:
    d = compile_file(Path(__file__).parents[2] / "definitions" / "pragma.yaml")
    report = simulate(d, runs=20_000, seed=1)
    for name, months in (
        ("gesponsorde_baan", 4),
        ("vrijwilligerswerk", 9),
        ("stageplaats", 12),
        ("betaalde_baan", 18),
    ):
        days = outcome(report, name).days
        assert days is not None
        assert abs(days.median / (365.25 / 12) - months) < 0.5, name
    assert report.bottleneck == "vinden"
    assert np.isclose(sum(o.share for o in report.outcomes), report.finished)
