"""Regressions: moves inside a parallel state while another region is already done.

transitions 0.9.3's own final-state check fails at the root of such a configuration
("'scoped_enter' does not exist"); the machine detects completion itself, so it never runs.
"""

from traject.definition import compile_text
from traject.machine import Machine

DEFINITION = """
definition: parallel_regression
title: Parallel regression
municipality: test
version: 1
roles: {r: R}
events: {e: {title: E}}
initial: p
states:
  p:
    on: {done: end}
    parallel:
      c:
        initial: a
        on: {e: b}
        states:
          a: {tasks: {ta: {title: A, role: r}}, on: {ta.done: b}}
          b: {tasks: {tb: {title: B, role: r}}, on: {tb.done: f}}
          f: {final: true}
      d:
        initial: g
        states:
          g: {tasks: {tg: {title: G, role: r}}, on: {tg.done: h}}
          h: {final: true}
  end: {final: true}
"""
AT = "2025-01-06T09:00:00+00:00"


def started_with_region_d_done() -> tuple[Machine, object]:
    machine = Machine(compile_text(DEFINITION))
    step = machine.start(AT)
    step = machine.complete_task(step.snapshot, "tg", {}, AT)
    assert step.snapshot.active == ("a", "h")
    return machine, step.snapshot


def test_leaf_move_in_one_region_while_the_other_is_final() -> None:
    machine, snapshot = started_with_region_d_done()
    step = machine.complete_task(snapshot, "ta", {}, AT)  # type: ignore[arg-type]
    assert step.snapshot.active == ("b", "h")


def test_region_level_event_while_the_other_region_is_final() -> None:
    machine, snapshot = started_with_region_d_done()
    step = machine.record_event(snapshot, "e", AT)  # type: ignore[arg-type]
    assert step.snapshot.active == ("b", "h")


def test_parallel_state_completes_when_the_last_region_finishes() -> None:
    machine, snapshot = started_with_region_d_done()
    step = machine.complete_task(snapshot, "ta", {}, AT)  # type: ignore[arg-type]
    step = machine.complete_task(step.snapshot, "tb", {}, AT)
    assert step.snapshot.active == ("end",) and step.snapshot.finished
