"""The words on a diagram's arrows as Mermaid draws them in a real browser: the vendored mermaid,
loaded by traject.js as on the pages, from text in a <pre> that Jinja escaped as the pages do.
Every built-in definition parses in both languages; the labels read as the case worker's words; what
a designer writes (';', '#', '<b>', '%%{init}', markdown) is drawn as written, never as markup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, select_autoescape
from playwright.async_api import Page, expect

from tests.browser.conftest import PageRecorder, screenshot, serve
from tests.unit.test_diagram import HOSTILE
from traject.definition import compile_file, compile_text
from traject.diagram import mermaid
from traject.web import STATIC_DIR

DEFINITIONS = Path(__file__).parents[2] / "definitions"
PAGE = Environment(autoescape=select_autoescape(default=True)).from_string(
    """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"></head><body>
{% for name, text in diagrams %}<pre class="mermaid traject-diagram" id="{{ name }}">{{ text }}</pre>
{% endfor %}<script src="/static/traject.js"></script></body></html>"""
)


def make_app() -> FastAPI:
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    drawn = {
        "nl": [
            ("zaanstad", mermaid(compile_file(DEFINITIONS / "zaanstad_pvt.yaml"), lang="nl")),
            ("vijandig", mermaid(compile_text(HOSTILE, "vijandig.yaml"), lang="nl")),
        ],
        "en": [("pvt1", mermaid(compile_file(DEFINITIONS / "pvt1.yaml"), lang="en"))],
    }

    @app.get("/{lang}", response_class=HTMLResponse)
    def diagrams(lang: str) -> HTMLResponse:
        return HTMLResponse(PAGE.render(lang=lang, diagrams=drawn[lang]))

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(make_app()) as url:
        yield url


async def edge_labels(page: Page, diagram: str) -> list[str]:
    await expect(page.locator(f"#{diagram}[data-traject-diagram=done] svg")).to_be_visible(
        timeout=30_000
    )
    texts: list[str] = await page.evaluate(
        """(id) => [...document.querySelectorAll(`#${id} svg .edgeLabel`)].map((label) => {
          const html = label.querySelector("foreignObject div, p");  // its lines: innerText
          return html ? html.innerText : label.textContent;
        })""",
        diagram,
    )
    return [re.sub(r"\s+", " ", t).strip() for t in texts if t.strip()]


async def test_arrows_are_drawn_in_words(page: Page, base_url: str, recorder: PageRecorder) -> None:
    await page.goto(f"{base_url}/nl")
    zaanstad = await edge_labels(page, "zaanstad")
    assert "Aanwezigheid workshop kernwaarden registreren als Deelnemer was aanwezig: Ja" in (
        zaanstad
    )
    assert "na 3 maanden" in zaanstad and "Plan van aanpak evalueren anders" in zaanstad
    assert not [t for t in zaanstad if ".done" in t or "equals" in t]
    # what the designer wrote is drawn as written: no bold, no entity, no directive
    hostile = await edge_labels(page, "vijandig")
    assert (
        "Taak: a::b [x] {y} ~z~ _w_ |v| ^u^ \\t als Klaar?: Ja – of – "
        "Brief #3; zie <b>bijlage</b> & 50% %%{init} *vet* `code` $x$"
    ) in hostile
    assert (
        await page.locator("#vijandig svg b, #vijandig svg strong, #vijandig svg em").count() == 0
    )
    await screenshot(page, "diagram-labels-nl")

    await page.goto(f"{base_url}/en")
    pvt1 = await edge_labels(page, "pvt1")
    assert "Ondertekening participatieverklaring vastleggen otherwise" in pvt1
    assert (
        "Ondertekening participatieverklaring vastleggen if Participatieverklaring ondertekend: Yes"
    ) in pvt1
    assert recorder.console_errors == []


async def test_every_built_in_diagram_parses_in_both_languages(
    page: Page, base_url: str, recorder: PageRecorder
) -> None:
    await page.goto(f"{base_url}/en")
    await expect(page.locator("#pvt1[data-traject-diagram=done] svg")).to_be_visible(timeout=30_000)
    texts = {
        f"{path.stem} ({lang})": mermaid(compile_file(path), lang=lang)
        for path in sorted(DEFINITIONS.glob("*.yaml"))
        for lang in ("nl", "en")
    }
    problems = await page.evaluate(
        """async (texts) => {
          const problems = {};
          for (const [name, text] of Object.entries(texts)) {
            try { await window.mermaid.parse(text); } catch (e) { problems[name] = String(e); }
          }
          return problems;
        }""",
        texts,
    )
    assert problems == {}
    assert recorder.console_errors == []
