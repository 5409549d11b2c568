"""The static web foundation in a real browser: base.html, the vendored htmx, mermaid, NL Design
System CSS and font, and traject.css/traject.js, served by a tiny FastAPI app on the loopback; and
the API docs at /docs, Traject's own app drawing its OpenAPI with the vendored Swagger UI."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from playwright.async_api import Page, expect

from tests.browser.conftest import PageRecorder, is_loopback, screenshot, serve
from traject.api.app import create_app
from traject.web import STATIC_DIR, TEMPLATES_DIR

HERE = Path(__file__).parent
CSRF = "test-csrf-'\"<token>"
USER = {"name": "Jeroen de Vries", "role": "Klantmanager inburgering"}


class CASEWORKER:  # what base.html asks of the signed-in Principal for its nav
    oversees = False

    @staticmethod
    def has(*roles: str) -> bool:
        return "caseworker" in roles


FRAGMENT = """<p id="csrf-echo">{token}</p>
<pre class="mermaid traject-diagram">stateDiagram-v2
  [*] --> Open
  Open --> Klaar
  class Open current
</pre>"""


def make_app() -> FastAPI:
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(TEMPLATES_DIR), FileSystemLoader(HERE / "templates")]
        ),
        autoescape=select_autoescape(),
    )
    templates = Jinja2Templates(env=env)
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", response_class=HTMLResponse)
    def demo(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "demo.html",
            {
                "user": USER,
                "me": CASEWORKER,
                "municipality": "Gemeente Voorbeeld",
                "csrf_token": CSRF,
                "messages": [
                    {"level": "ok", "text": "Taak ‘Welkomstbrief’ is afgerond."},
                    {"level": "error", "text": "De leerbaarheidstoets is te laat."},
                ],
            },
        )

    @app.get("/login", response_class=HTMLResponse)
    def login(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "base.html", {"messages": ["Log in."]})

    @app.get("/fragment", response_class=HTMLResponse)
    def fragment(request: Request) -> HTMLResponse:
        return HTMLResponse(FRAGMENT.format(token=escape(request.headers.get("x-csrf-token", ""))))

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(make_app()) as url:
        yield url


def docs_app() -> FastAPI:
    """Traject's app with every route (stand-ins for the store, Temporal and the policy layer:
    /docs and /openapi.json only read the routes)."""
    return create_app(MagicMock(), MagicMock(), casework=MagicMock())


@pytest.fixture(scope="module")
def docs_url() -> Iterator[str]:
    with serve(docs_app(), lifespan="off") as url:
        yield url


class Assets(HTMLParser):
    """The URLs of a page's stylesheets, scripts and images, and its <html lang>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        for name in ("src", "href") if tag in ("script", "link", "img") else ():
            if attributes.get(name):
                self.urls.append(str(attributes[name]))


# ------------------------------------------------------------------------ without a browser
def test_is_loopback() -> None:
    assert is_loopback("http://127.0.0.1:8000/static/x.css")
    assert is_loopback("http://[::1]:8000/")
    assert is_loopback("http://localhost/")
    assert is_loopback("data:image/svg+xml,<svg/>")
    assert not is_loopback("https://cdn.jsdelivr.net/npm/htmx.org")
    assert not is_loopback("http://10.0.0.1/")


def test_base_html_loads_only_local_files() -> None:
    client = TestClient(make_app())
    html = client.get("/").text
    assets = Assets()
    assets.feed(html)
    assert assets.lang == "nl"
    assert assets.urls, "base.html loads its CSS and JS"
    for url in assets.urls:
        assert url.startswith("/static/") or url.startswith("data:"), url
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
    # Nav for a signed-in user, the current page marked, logout with the CSRF token (escaped).
    assert 'href="/cases/new"' in html and 'href="/cases"' in html
    assert 'href="/" aria-current="page">Inbox' in html
    assert '<form method="post" action="/logout">' in html
    assert 'name="csrf_token" value="test-csrf-&#39;&#34;&lt;token&gt;"' in html
    assert "Jeroen de Vries" in html and "Klantmanager inburgering" in html
    assert 'role="alert">De leerbaarheidstoets is te laat.' in html


def test_base_html_without_user_has_no_nav_or_logout() -> None:
    html = TestClient(make_app()).get("/login").text
    assert html.startswith("<!DOCTYPE html>")
    assert "Hoofdmenu" not in html and "/logout" not in html and "hx-headers" not in html
    assert '<p class="traject-message traject-message--info">Log in.</p>' in html


def test_api_docs_load_only_local_files() -> None:
    """/docs is Swagger UI from /static/vendor/swagger-ui/, not from a CDN (FastAPI's own page
    is blank without the internet); /redoc, which only a CDN served, is gone."""
    client = TestClient(docs_app())
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    html = docs.text
    assert "http://" not in html and "https://" not in html, html
    assets = Assets()
    assets.feed(html)
    types = {
        ".js": ("text/javascript", "application/javascript"),
        ".css": ("text/css",),
        ".png": ("image/png",),
    }
    assert len(assets.urls) == 3, assets.urls  # script, stylesheet, icon
    for url in assets.urls:
        assert url.startswith("/static/vendor/swagger-ui/"), url
        served = client.get(url)
        assert served.status_code == 200, url
        assert served.headers["content-type"].startswith(types[Path(url).suffix]), (url, served)
        assert served.content == (STATIC_DIR / url.removeprefix("/static/")).read_bytes()
    assert "url: '/openapi.json'" in html
    assert "/api/cases" in client.get("/openapi.json").json()["paths"]
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200 and "https://" not in redirect.text
    assert client.get("/redoc").status_code == 404
    assert not {"/docs", "/redoc", "/docs/oauth2-redirect"} & set(docs_app().openapi()["paths"])


# ------------------------------------------------------------------------ in Chromium
@pytest.mark.slow
async def test_page_in_chromium(page: Page, recorder: PageRecorder, base_url: str) -> None:
    await page.goto(base_url + "/")
    await expect(page.locator("#diagram svg")).to_be_visible(timeout=20_000)

    assert await page.evaluate("typeof window.htmx") == "object"
    assert (await page.evaluate("window.htmx.version")).startswith("2.")
    # mermaid drew the state diagram, with the current state marked.
    assert await page.locator("#diagram svg g.current").count() == 1
    assert "Intake" in (await page.locator("#diagram svg g.current").text_content() or "")
    # The NL Design System tokens and components apply: a token is set on <body>, and the primary
    # button is painted with it.
    token = await page.evaluate(
        "getComputedStyle(document.body)"
        ".getPropertyValue('--utrecht-button-primary-action-background-color').trim()"
    )
    assert token, "the design tokens' CSS variables are defined under the theme class"
    background = await page.locator("#opslaan").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("", "rgba(0, 0, 0, 0)", "transparent")
    # The vendored font is the one in use.
    await page.evaluate("document.fonts.ready")
    assert await page.evaluate("document.fonts.check('16px \"Noto Sans\"')")
    family = await page.locator("h1").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Noto Sans" in family
    # Inline field error: red, and tied to its input.
    described = await page.locator("#datum").get_attribute("aria-describedby")
    assert described is not None and "datum-error" in described.split()
    color = await page.locator("#datum-error").evaluate("e => getComputedStyle(e).color")
    red, green, blue = (int(part) for part in color[color.index("(") + 1 : -1].split(",")[:3])
    assert red > 120 and green < 80 and blue < 80, color

    path = await screenshot(page, "static-base")
    assert path.stat().st_size > 10_000

    # Every request went to the loopback, including the lazily loaded mermaid bundle.
    assert any(url.endswith("/static/vendor/mermaid/mermaid.min.js") for url in recorder.requests)
    assert any(url.endswith("/static/vendor/htmx/htmx.min.js") for url in recorder.requests)
    assert recorder.requests and not recorder.outside(), recorder.requests
    assert not recorder.console_errors, recorder.console_errors


@pytest.mark.slow
async def test_htmx_swap_draws_diagram_and_sends_csrf(
    page: Page, recorder: PageRecorder, base_url: str
) -> None:
    await page.goto(base_url + "/")
    await page.click("#laad")
    await expect(page.locator("#fragment svg g.current")).to_have_count(1, timeout=20_000)
    await expect(page.locator("#csrf-echo")).to_have_text(CSRF)
    assert not recorder.console_errors, recorder.console_errors


@pytest.mark.slow
async def test_keyboard_focus_is_visible(page: Page, base_url: str) -> None:
    await page.goto(base_url + "/")
    await page.keyboard.press("Tab")
    skip = page.locator(".traject-skip-link")
    await expect(skip).to_be_focused()
    box = await skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link shows when it has focus"
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    outline = await focused.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline not in ("none", ""), outline
    await screenshot(page, "static-focus", full_page=False)


@pytest.mark.slow
async def test_api_docs_in_chromium_offline(
    page: Page, recorder: PageRecorder, docs_url: str
) -> None:
    """Swagger UI draws the API's operations with every request outside the loopback aborted
    (the `page` fixture routes them to abort, and fails the test if there was one)."""
    await page.goto(docs_url + "/docs")
    operations = page.locator(".opblock", has_text="/api/cases")
    await expect(operations.first).to_be_visible(timeout=20_000)
    assert await page.evaluate("typeof window.SwaggerUIBundle") == "function"
    assert await page.locator(".opblock").count() > 20
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Traject")
    await screenshot(page, "api-docs", full_page=False)
    assert any(
        url.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for url in recorder.requests
    )
    assert any(url.endswith("/openapi.json") for url in recorder.requests)
    assert recorder.requests and not recorder.outside(), recorder.outside()
    assert not recorder.console_errors, recorder.console_errors
