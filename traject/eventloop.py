"""The event loop of Traject's long-running processes: the API, the worker and `traject up`.

uvloop (libuv) by default: the worker spends a tenth of its time in asyncio's own loop, waking up
for the Temporal SDK's threads and its activity threads, and uvloop does that work in C
(bench/REPORT.md, seventh session). TRAJECT_EVENT_LOOP=asyncio runs on Python's own loop, and so
does a platform uvloop is not built for (Windows). The workflows are not affected: Temporal runs
each of them on a deterministic loop of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

LOOPS = ("uvloop", "asyncio")


def run(main: Coroutine[Any, Any, T], loop: str) -> T:
    """Run `main` to its end on the event loop `loop` names (see LOOPS)."""
    if loop not in LOOPS:
        main.close()
        raise ValueError(f"TRAJECT_EVENT_LOOP is one of {', '.join(LOOPS)}, not '{loop}'")
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:  # not built for this platform: Python's own loop does the same work
            pass
        else:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                return runner.run(main)
    return asyncio.run(main)


def running() -> str:
    """The name of the loop this coroutine runs on (the worker logs it when it starts)."""
    return (
        "uvloop" if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else "asyncio"
    )
