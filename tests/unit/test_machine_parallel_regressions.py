"""Regressions: moves inside a parallel state while another region is already done.

transitions 0.9.3's own final-state check fails at the root of such a configuration
("'scoped_enter' does not exist"); the machine detects completion itself, so it never runs.
"""

import pytest

from traject.definition import DefinitionError, compile_text
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


# --------------------------------------------------------------------------------------------
# A transition from outside a parallel state into a state of one of its regions enters the
# parallel state: its other regions start too, at their initial states (SCXML; the simulator
# has it so). transitions 0.9.3 entered only the targeted region, so the others never started
# and the parallel state could never complete: such a trajectory waited for ever.

INTO_A_REGION = """
definition: into_a_region
title: Into a region
municipality: test
version: 1
roles: {r: R}
events: {skip: {title: Skip}, later: {title: Later}}
initial: a
states:
  a:
    tasks: {ta: {title: A, role: r}}
    on: {ta.done: x2, skip: y2, later: w}
  w:
    timers: [{name: soon, after: P1D, goto: x2}]
  p:
    on: {done: end}
    parallel:
      rx:
        initial: x1
        states:
          x1: {tasks: {t1: {title: T1, role: r}}, on: {t1.done: x2}}
          x2: {tasks: {t2: {title: T2, role: r}}, on: {t2.done: x3}}
          x3: {final: true}
      ry:
        initial: y1
        states:
          y1: {tasks: {t3: {title: T3, role: r}}, on: {t3.done: y2}}
          y2:
            initial: y2a
            states:
              y2a: {tasks: {t4: {title: T4, role: r}}, on: {t4.done: y2b}}
              y2b: {final: true}
            on: {done: y3}
          y3: {final: true}
      rz:
        initial: z
        states:
          z:
            parallel:
              z1:
                initial: z1a
                states:
                  z1a: {tasks: {t5: {title: T5, role: r}}, on: {t5.done: z1b}}
                  z1b: {final: true}
              z2:
                initial: z2a
                states:
                  z2a: {final: true}
            on: {done: zf}
          zf: {final: true}
  end: {final: true}
"""


def test_entering_one_region_starts_the_others_at_their_initial_states() -> None:
    machine = Machine(compile_text(INTO_A_REGION))
    step = machine.complete_task(machine.start(AT).snapshot, "ta", {}, AT)
    assert step.snapshot.active == ("x2", "y1", "z1a", "z2a")
    assert set(step.snapshot.open_tasks) == {"t2", "t3", "t5"}
    entered = [e.state for e in step.effects if e.kind == "state_entered"]
    assert entered == ["p", "rx", "x2", "ry", "y1", "rz", "z", "z1", "z1a", "z2", "z2a"]


def test_the_parallel_state_then_completes_and_the_trajectory_finishes() -> None:
    machine = Machine(compile_text(INTO_A_REGION))
    snapshot = machine.complete_task(machine.start(AT).snapshot, "ta", {}, AT).snapshot
    for task in ("t2", "t3", "t4"):
        snapshot = machine.complete_task(snapshot, task, {}, AT).snapshot
        assert not snapshot.finished, task
    step = machine.complete_task(snapshot, "t5", {}, AT)
    assert step.snapshot.active == ("end",) and step.snapshot.finished


def test_an_event_into_a_compound_state_of_a_region_starts_it_and_the_others() -> None:
    machine = Machine(compile_text(INTO_A_REGION))
    step = machine.record_event(machine.start(AT).snapshot, "skip", AT)
    assert step.snapshot.active == ("x1", "y2a", "z1a", "z2a")
    assert set(step.snapshot.open_tasks) == {"t1", "t4", "t5"}


def test_a_timer_into_a_region_does_the_same() -> None:
    machine = Machine(compile_text(INTO_A_REGION))
    snapshot = machine.record_event(machine.start(AT).snapshot, "later", AT).snapshot
    timer = next(t for t in snapshot.armed if "soon" in t)
    step = machine.fire_timer(snapshot, timer, AT)
    assert step.snapshot.active == ("x2", "y1", "z1a", "z2a")


def test_a_remembered_route_enters_the_same_regions() -> None:
    machine = Machine(compile_text(INTO_A_REGION))
    first = machine.complete_task(machine.start(AT).snapshot, "ta", {}, AT)
    again = machine.complete_task(machine.start(AT).snapshot, "ta", {}, AT)  # remembered
    assert again.snapshot == first.snapshot and again.effects == first.effects


def test_the_compiler_counts_the_other_regions_as_reached() -> None:
    """Entered only at x2, the parallel state's other regions still start (no 'unreachable' for
    y1 or rz), while x1 (rx's initial state, never entered so) is unreachable indeed."""
    only_at_x2 = INTO_A_REGION.replace("on: {ta.done: x2, skip: y2, later: w}", "on: {ta.done: x2}")
    only_at_x2 = only_at_x2.replace("events: {skip: {title: Skip}, later: {title: Later}}\n", "")
    only_at_x2 = only_at_x2.replace("  w:\n    timers: [{name: soon, after: P1D, goto: x2}]\n", "")
    with pytest.raises(DefinitionError) as refused:
        compile_text(only_at_x2)
    unreachable = [p.message for p in refused.value.problems if "unreachable" in p.message]
    assert unreachable == ["state 'x1' is unreachable: no transition leads to it"]
