"""The cyclic garbage collector of Traject's long-running processes (the API, the worker).

Python's collector walks the young objects every 700 net allocations and, now and then, every
object the process holds. A worker step or an API request allocates thousands of short-lived
objects (protobufs, pydantic models, SQLAlchemy rows) that reference counting frees anyway, so
most of those walks find nothing, and the full ones walk everything start-up made too: modules,
classes, compiled definitions, SQLAlchemy's mappers, the web templates.

`settle()`, called once a process has started, moves what start-up made out of the collector's
reach (`gc.freeze`) and walks the young objects less often. Cycles are still collected, later.
Measured in bench/REPORT.md (2026-12-07, fourth session). TRAJECT_GC=default keeps Python's own
settings, for an operator who wants them.
"""

from __future__ import annotations

import gc

import structlog

log = structlog.get_logger()

# a young walk every 10,000 net allocations instead of 700; the middle and the full walks as often
# relative to it as Python's defaults have them
THRESHOLDS = (10_000, 10, 10)


def settle(mode: str = "tuned") -> None:
    """Freeze what start-up made and walk the young generation less often (mode "tuned"), or
    leave Python's settings as they are (mode "default")."""
    if mode == "default":
        return
    if mode != "tuned":
        raise ValueError(f"TRAJECT_GC is 'tuned' or 'default', not '{mode}'")
    gc.collect()  # what start-up left as garbage goes now, not into the frozen generation
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    log.debug("heap_settled", frozen=gc.get_freeze_count(), thresholds=THRESHOLDS)
