"""How Traject's programs end (`traject …`, `python -m worker.main`).

A process that used a Temporal client still has the client's Rust threads (tokio) running when
Python tears the interpreter down, and now and then one of them takes the GIL during the
teardown, which aborts the process (SIGABRT, exit status 134) after it did its work and printed
its answer: seen here with `traject cases start` about once in ten runs (temporalio/sdk-python#300).
So Traject's programs end with `finish`: what they wrote is flushed and the process exits with
its status, skipping the teardown. Nothing Traject does at exit is skipped by that: it registers
no exit handlers, stores commit before a command returns, and servers stop before they return.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn


def finish(code: int) -> NoReturn:
    """Flush what was written and end the process with `code`, without the interpreter's teardown."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing left to flush to
            stream.flush()
    os._exit(code)
