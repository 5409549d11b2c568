"""Browser tests: Playwright's async API driving Debian's Chromium at /usr/bin/chromium.

Never a browser that Playwright downloads: `make browser` (a dependency of `make test`) installs
Debian's `chromium` package. Without it the `browser` fixture fails and says so.

- `browser`: one headless Chromium for the test session.
- `page`: a fresh context and page per test, 1366x768 (a municipal laptop), Dutch locale,
  Amsterdam time. Every request the page makes is checked: one to a host other than the loopback
  is blocked and fails the test. `recorder` lists what the page asked for and its console errors.
- `serve(app)`: runs an ASGI app with uvicorn on a free 127.0.0.1 port in a background thread and
  yields its base URL (TestClient cannot serve a browser).
- `screenshot(page, name)`: saves tests/browser/screenshots/NAME.png (git-ignored) and returns
  its path, to look at what a person would see.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    ViewportSize,
    async_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}


def is_loopback(url: str) -> bool:
    """True for URLs the page may load: loopback hosts, and data:/blob:/about: URLs."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    host = (parts.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest_asyncio.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as playwright:
        yield playwright


@pytest_asyncio.fixture(scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests use Debian's Chromium, never a downloaded"
            " one. Run `make browser` (part of `make test`) to install it.",
            pytrace=False,
        )
    browser = await playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=["--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
    )
    try:
        yield browser
    finally:
        await browser.close()


class PageRecorder:
    """What a test's page asked for: every request URL, those blocked, and console errors."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.console_errors: list[str] = []

    def outside(self) -> list[str]:
        return [url for url in self.requests if not is_loopback(url)] + self.blocked


@pytest.fixture
def recorder() -> PageRecorder:
    """The PageRecorder of this test's `page`."""
    return PageRecorder()


async def new_context(browser: Browser) -> BrowserContext:
    """A browser context as a Dutch user's: 1366x768, nl-NL, Amsterdam time."""
    return await browser.new_context(
        viewport=VIEWPORT,
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        service_workers="block",
    )


async def loopback_page(context: BrowserContext, recorder: PageRecorder) -> Page:
    """A page of `context` whose requests may go to the loopback only: any other is blocked and
    kept in `recorder`, with what the page asked for and its console errors."""

    async def guard(route: Route) -> None:
        url = route.request.url
        if is_loopback(url):
            await route.continue_()
        else:
            recorder.blocked.append(url)
            await route.abort("blockedbyclient")

    await context.route("**/*", guard)
    page = await context.new_page()
    page.on("request", lambda request: recorder.requests.append(request.url))
    page.on("console", lambda message: on_console(recorder, message))
    page.on("pageerror", lambda error: recorder.console_errors.append(str(error)))
    return page


@pytest_asyncio.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser)
    try:
        yield context
    finally:
        await context.close()


@pytest_asyncio.fixture
async def page(context: BrowserContext, recorder: PageRecorder) -> AsyncIterator[Page]:
    """A page at 1366x768 whose requests may go to the loopback only: any other is blocked and
    fails the test. What it asked for is in the `recorder` fixture."""
    page = await loopback_page(context, recorder)
    yield page
    outside = recorder.outside()
    assert not outside, f"the page asked for something outside the loopback: {outside}"


def on_console(recorder: PageRecorder, message: ConsoleMessage) -> None:
    if message.type == "error":
        recorder.console_errors.append(message.text)


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page to tests/browser/screenshots/NAME.png and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


def free_loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(
    app: Any, *, lifespan: Literal["auto", "on", "off"] = "auto", timeout: float = 10.0
) -> Iterator[str]:
    """Run the ASGI `app` with uvicorn on a free 127.0.0.1 port in a background thread; yield its
    base URL ("http://127.0.0.1:PORT") and stop the server afterwards."""
    sock = free_loopback_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
