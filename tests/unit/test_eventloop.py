"""The long-running processes' event loop (traject/eventloop.py, TRAJECT_EVENT_LOOP)."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable

import pytest

from traject import eventloop
from traject.config import Settings

Setting = Callable[[str, str | None], None]

uvloop = pytest.importorskip("uvloop", reason="uvloop is not built for this platform")


async def _where(value: int) -> tuple[str, str, int]:
    await asyncio.sleep(0)
    return eventloop.running(), type(asyncio.get_running_loop()).__module__, value


def test_uvloop_by_default(setting: Setting) -> None:
    setting("EVENT_LOOP", None)
    assert Settings().event_loop == "uvloop"
    name, module, value = eventloop.run(_where(7), "uvloop")
    assert (name, value) == ("uvloop", 7)
    assert module.startswith("uvloop")


def test_asyncio_on_request(setting: Setting) -> None:
    setting("EVENT_LOOP", "AsyncIO")
    name, module, _ = eventloop.run(_where(1), Settings().event_loop)
    assert name == "asyncio"
    assert module.startswith("asyncio")


def test_an_unknown_loop_is_refused_and_the_coroutine_closed() -> None:
    main = _where(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine was never awaited" would be a RuntimeWarning
        with pytest.raises(ValueError, match="TRAJECT_EVENT_LOOP is one of uvloop, asyncio"):
            eventloop.run(main, "trio")
        assert main.cr_frame is None  # closed: it can never run, nor warn
        del main
        gc.collect()


def test_the_loop_is_closed_afterwards() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def remember() -> None:
        loops.append(asyncio.get_running_loop())

    eventloop.run(remember(), "uvloop")
    eventloop.run(remember(), "asyncio")
    assert [loop.is_closed() for loop in loops] == [True, True]
