"""A process designer in the browser: edits pvt4, sees a mistake at its line, fixes it, sees the
diagram, simulation and changes follow, publishes version 2, starts a case on it while version-1
cases keep running, and moves one version-1 case over (a refused mapping first, which changes
nothing). Real worker, Temporal server and store; screenshots in tests/browser/screenshots."""

from __future__ import annotations

import html
import re

import pytest
from playwright.async_api import Page, expect

from tests.api.conftest import api_database_url, api_sessions
from tests.browser.conftest import PageRecorder, screenshot
from tests.browser.test_casework import do_task, sign_in, site
from tests.conftest import DEFINITIONS
from traject.definition import compile_text

__all__ = ["api_database_url", "api_sessions", "site"]  # fixtures shared with the other tests


async def start_pvt4(page: Page, site: str, name: str) -> str:
    await page.goto(f"{site}/cases/new")
    await page.select_option("#definition", "pvt4")
    await page.fill("#first_name", name)
    await page.get_by_role("button", name="Traject starten").click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Traject gestart.")
    return page.url.rsplit("/", 1)[-1]


OLD_TITLE = "Dagdeel 1: kernwaarden en burgerschap, wonen"
NEW_TITLE = "Dagdeel 1: kennismaking en burgerschap"
PVT4 = "Participatieverklaringstraject PVT4 (vier dagdelen)"  # its title, on the case page


async def drawn_diagram(page: Page) -> str:
    """The text of the diagram mermaid has drawn in #diagram (after the last check)."""
    await expect(page.locator("#diagram[data-traject-diagram=done] svg")).to_be_visible()
    return await page.locator("#diagram svg").text_content() or ""


async def simulated_medians(page: Page, outcome: str) -> tuple[int, int]:
    """The simulation panel's median in days for `outcome`: the draft's and the published
    version's beside it."""
    cells = page.locator(f"#simulatie tr[data-outcome={outcome}] td")
    await expect(cells).to_have_count(4)
    share = (await cells.nth(1).inner_text()).strip()
    assert re.fullmatch(r"\d+,\d%", share), share  # a Dutch page writes 97,0%, not 97.0%
    draft = re.fullmatch(r"(\d+) / \d+ / \d+ d", (await cells.nth(2).inner_text()).strip())
    published = re.fullmatch(r"(\d+) d", (await cells.nth(3).inner_text()).strip())
    assert draft and published, (await cells.nth(2).inner_text(), await cells.nth(3).inner_text())
    return int(draft[1]), int(published[1])


async def test_a_designer_changes_pvt4_and_moves_a_running_case(
    page: Page, site: str, recorder: PageRecorder
) -> None:
    await sign_in(page, site, "procesontwerper", "voorbeeldgemeente")
    moved, stays = await start_pvt4(page, site, "Hana"), await start_pvt4(page, site, "Omid")
    await expect(page.locator("#trajectversie")).to_have_text(f"{PVT4}, versie 1")

    await page.get_by_role("link", name="Ontwerpen").click()
    await page.locator("#definities tr[data-definition=pvt4] a", has_text="Nieuwe versie").click()
    # the YAML text area has become a CodeMirror editor: line numbers, YAML highlighting
    editor = page.locator(".cm-editor")
    await expect(editor).to_be_visible()
    await expect(page.locator("#bron")).to_be_hidden()
    await expect(
        editor.locator(".cm-lineNumbers .cm-gutterElement", has_text="1").first
    ).to_be_visible()
    await expect(editor.locator(".cm-content .cm-line span").first).to_be_visible()
    source = await page.locator("#bron").input_value()
    assert "version: 2" in source
    assert await page.evaluate("() => TrajectEditor.value()") == source
    # the draft starts as the published version: its diagram, and the same simulated figures
    first_diagram = await drawn_diagram(page)
    assert OLD_TITLE in first_diagram and NEW_TITLE not in first_diagram
    draft, published = await simulated_medians(page, "verklaring_getekend")
    assert draft == published > 0

    # type a mistake like a user: "dagdeel_1" becomes "dagdel_1"; the text area follows, and htmx
    # checks it as before
    broken = source.replace("initial: dagdeel_1", "initial: dagdel_1")
    line = broken.splitlines().index("    initial: dagdel_1") + 1
    await editor.locator(".cm-line", has_text="initial: dagdeel_1").click(position={"x": 4, "y": 4})
    await page.keyboard.press("End")
    for _ in range(3):
        await page.keyboard.press("ArrowLeft")
    await page.keyboard.press("Backspace")
    await expect(page.locator("#bron")).to_have_value(broken)
    problem = page.locator(f"#problemen li[data-line='{line}']")
    await expect(problem).to_contain_text("onbekende eerste deelstap 'dagdel_1'")  # in Dutch
    await expect(problem).to_contain_text("bedoel je 'dagdeel_1'?")
    await screenshot(page, "designer-error")
    await page.evaluate("() => TrajectEditor.gotoLine(1)")
    await problem.locator("a").click()  # selects that line in the editor
    selected = await page.evaluate("() => TrajectEditor.selectedText()")
    assert selected.strip() == "initial: dagdel_1"
    await expect(editor.locator(".cm-activeLine")).to_have_text("    initial: dagdel_1")
    await expect(editor.locator(".cm-activeLine")).to_be_in_viewport()

    # the schema's keys are offered when typing a new line in a state
    await editor.locator(".cm-line", has_text="title: Vier dagdelen kernwaarden").click(
        position={"x": 4, "y": 4}
    )
    await page.keyboard.press("End")
    await page.keyboard.press("Enter")
    await page.keyboard.type("on_e")
    completions = page.locator(".cm-tooltip-autocomplete")
    await expect(completions).to_be_visible()
    await expect(completions).to_contain_text("on_entry")
    await screenshot(page, "designer-completion")
    await page.keyboard.press("Escape")

    # the fix, with more changes: the series takes longer (its KPI) and its first part much longer
    # (the simulation's assumption), and that part has a new title
    fixed = (
        source.replace("kpi: {expected: P6W, maximum: P4M}", "kpi: {expected: P8W, maximum: P4M}")
        .replace(
            "            simulate: {median: P1W, p90: P2W}\n        on: {aanwezig_dagdeel_1.done:",
            "            simulate: {median: P5W, p90: P8W}\n        on: {aanwezig_dagdeel_1.done:",
        )
        .replace(f'title: "{OLD_TITLE}"', f'title: "{NEW_TITLE}"')
    )
    assert fixed.count("P5W, p90: P8W") == 1 and fixed.count(NEW_TITLE) == 1
    await page.evaluate("(text) => TrajectEditor.setValue(text)", fixed)
    await expect(page.locator("#bron")).to_have_value(fixed)
    # what would be published, by its title: not the key (voorbeeldgemeente/pvt4@2)
    await expect(page.locator("#geldig")).to_have_text(
        "De definitie is geldig: Participatieverklaringstraject PVT4 (vier dagdelen), versie 2."
    )
    changes = page.locator("#wijzigingen")
    await expect(changes).to_contain_text("stap 'reeks': norm P6W → P8W")  # a Dutch page
    await expect(changes).to_contain_text(f"stap 'dagdeel_1': titel {OLD_TITLE} → {NEW_TITLE}")
    # the simulation follows: four weeks more in the first part shows in the median, next to
    # the published version's unchanged figure, and that part becomes the bottleneck
    draft_after, published_after = await simulated_medians(page, "verklaring_getekend")
    assert published_after == published
    assert draft_after >= published + 21, (draft_after, published)
    await expect(page.locator("#knelpunt")).to_have_text(  # the draft's title, with its name
        "Dagdeel 1: kennismaking en burgerschap dagdeel_1"
    )
    # the diagram follows: the new title is drawn, the old one is gone
    diagram = await drawn_diagram(page)
    assert NEW_TITLE in diagram and OLD_TITLE not in diagram
    # the definition's scenario tests ran on the fixed draft: there are some, and all pass
    scenarios = page.locator("#scenarios li")
    await expect(scenarios.first).to_be_visible()
    ran = await scenarios.count()
    assert ran >= 1
    await expect(page.locator("#scenarios li[data-ok=true]")).to_have_count(ran)
    await expect(scenarios.filter(has_text="hoofdpad.yaml")).to_have_attribute("data-ok", "true")
    await screenshot(page, "designer-valid")
    await page.get_by_role("button", name="Publiceren").click()  # without a reason: refused
    await expect(page.locator(".traject-message--error")).to_be_visible()
    await page.fill("#note", "reeks duurt langer door de vakanties")
    await page.get_by_role("button", name="Publiceren").click()
    await expect(page.locator(".traject-message--ok")).to_have_text("Nieuwe versie gepubliceerd.")
    await expect(page.locator("#versies tr[data-version='2']")).to_contain_text("vakanties")

    new_case = await start_pvt4(page, site, "Reza")
    await expect(page.locator("#trajectversie")).to_have_text(f"{PVT4}, versie 2")
    await page.goto(f"{site}/cases/{stays}")
    await expect(page.locator("#trajectversie")).to_have_text(f"{PVT4}, versie 1")
    # a version-1 case keeps running on version 1: its open task done, it moves into the series
    # as version 1 has it (the first part's old title)
    await expect(page.locator("#stand")).to_have_text("Aanmelden voor de reeks van vier dagdelen")
    await do_task(
        page,
        site,
        f"{site}/cases/{stays}",
        "Aanmelding voor de workshop bevestigen",
        {"tolk_nodig": "false"},
    )
    await page.goto(f"{site}/cases/{stays}")
    await expect(page.locator("#trajectversie")).to_have_text(f"{PVT4}, versie 1")
    await expect(page.locator("#stand")).to_have_text(OLD_TITLE)
    await expect(page.locator("#zaaktaken tr.traject-current")).to_contain_text(
        "Aanwezigheid dagdeel 1"
    )

    await page.goto(f"{site}/designer/pvt4/diff?a=1&b=2")
    await expect(page.locator("#wijzigingen")).to_contain_text("stap 'reeks': norm P6W → P8W")
    await expect(page.locator("#diagram svg")).to_be_visible()
    async with page.expect_download() as svg_download:
        await page.locator("#svg-download").click()
    svg = (await svg_download.value).suggested_filename, await (await svg_download.value).path()
    assert svg[0] == "pvt4-v2.svg" and "<svg" in svg[1].read_text()[:400]
    # the file is version 2's diagram: every state's label is in it, the old title is not
    drawn = html.unescape(svg[1].read_text(encoding="utf-8"))
    bases = {p.stem: p.read_text(encoding="utf-8") for p in DEFINITIONS.glob("*.yaml")}
    titles = {s.title for s in compile_text(fixed, "pvt4.yaml", bases).states.values()}
    assert NEW_TITLE in titles and len(titles) >= 10
    assert [t for t in sorted(titles) if t not in drawn] == []
    assert OLD_TITLE not in drawn
    zgw = await page.request.get(f"{site}/designer/pvt4/v2/zaaktype.json")
    assert zgw.ok and "statustypen" in await zgw.text()

    await page.goto(f"{site}/designer/pvt4/migrate")
    await page.locator(f"input[name=case][value={moved}]").check()
    await page.fill("#mapping", "uitnodigen: afgerond")
    await page.get_by_role("button", name="Overzetten").click()
    # first a confirmation, which says the case cannot move, and why: nothing to confirm
    await expect(page.locator("#bevestiging")).to_have_text(
        "Geen van de gekozen zaken kan over: er verandert niets."
    )
    await expect(page.locator("#bevestigen")).to_have_count(0)
    refused = page.locator(f"#weigeringen tr[data-case={moved}]")
    await expect(refused).to_have_attribute("data-ok", "false")
    await expect(refused).to_contain_text("de open taak 'aanmelding_bevestigen' hoort in versie 2")
    await page.goto(f"{site}/cases/{moved}")
    await expect(page.locator("#trajectversie")).to_have_text(f"{PVT4}, versie 1")  # untouched

    await page.goto(f"{site}/designer/pvt4/migrate")
    await page.locator(f"input[name=case][value={moved}]").check()
    await page.get_by_role("button", name="Controleren").click()
    await expect(page.locator(f"#resultaten tr[data-case={moved}]")).to_contain_text("kan over")
    await page.get_by_role("button", name="Overzetten").click()
    await expect(page.locator("#bevestiging")).to_have_text(
        "Je zet 1 zaak over van versie 1 naar versie 2."
    )
    await expect(page.locator(f"#resultaten tr[data-case={moved}]")).to_contain_text("gaat over")
    await screenshot(page, "designer-migrate-confirm")
    await page.get_by_role("button", name="Ja, zet 1 zaak over").click()
    await expect(page.locator(f"#resultaten tr[data-case={moved}]")).to_contain_text("overgezet")
    await screenshot(page, "designer-migrated")
    await page.goto(f"{site}/cases/{moved}")
    await expect(page.locator("#trajectversie")).to_have_text(f"{PVT4}, versie 2")
    await page.goto(f"{site}/cases/{stays}")
    await expect(page.locator("#trajectversie")).to_have_text(f"{PVT4}, versie 1")
    assert new_case != moved

    # a Wet inburgering case with its DUO date: the PIP termijn runs, shown as a deadline bar
    await page.goto(f"{site}/cases/new")
    await page.select_option("#definition", "wi2021")
    await expect(page.locator("[data-definition=pvt4].traject-case-date")).to_be_hidden()
    await page.fill("#first_name", "Samir")
    await page.fill("[name='date:wi2021:duo_melding']", "2026-11-16")
    await page.get_by_role("button", name="Traject starten").click()
    termijn = page.locator("#termijnen [data-termijn=pip_termijn]")
    await expect(termijn).to_contain_text("uiterlijk 25-01-2027")
    await expect(termijn.locator("[role=meter]")).to_be_visible()
    # extending without a reason: the form comes back with the error summary, nothing changed
    await termijn.get_by_role("button", name="Verlengen").click()
    summary = page.locator("#verlengen-pip_termijn .traject-error-summary")
    await expect(summary).to_contain_text("Reden: Kies een reden")
    await expect(summary).to_be_focused()  # and so in view, though the form sits low on the page
    await expect(summary).to_be_in_viewport()
    await expect(page.locator("#termijnen [data-termijn=pip_termijn]")).to_contain_text(
        "uiterlijk 25-01-2027"
    )
    await screenshot(page, "case-termijn-no-reason")
    reason = termijn.locator("#termijn-pip_termijn").get_by_label("Reden")  # a list to choose from
    await reason.select_option(label="Wacht op documenten")
    await termijn.get_by_role("button", name="Opschorten").click()
    await expect(page.locator("#termijnen [data-termijn=pip_termijn]")).to_have_attribute(
        "data-status", "suspended"
    )
    await expect(page.locator("#tijdlijn [data-kind=termijn_suspend]")).to_contain_text(
        "Wacht op documenten"  # the reason in words, not its code
    )
    await screenshot(page, "case-termijn")
    assert not recorder.outside(), recorder.outside()


@pytest.mark.parametrize("width", [1280, 1024])
async def test_the_editor_fits_a_laptop_screen(page: Page, site: str, width: int) -> None:
    """The editor with its check (the simulation table, the diagram) on a 1280 or 1024 pixel
    screen: nothing runs past the window, header and footer; the simulation table fits its
    column and each of its headers can be read in full."""
    await page.set_viewport_size({"width": width, "height": 800})
    await sign_in(page, site, "procesontwerper", "voorbeeldgemeente")
    await page.goto(f"{site}/designer/pvt4/edit")
    await expect(page.locator(".cm-editor")).to_be_visible()
    table = page.locator("#simulatie")
    await expect(table.locator("tbody tr").first).to_be_visible()
    sizes = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1], sizes
    right = await page.evaluate(  # the editor's column, the check's and what the check shows
        "() => Math.max(...[...document.querySelectorAll("
        "'.traject-columns > *, #controle > *, #controle section > *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    footer = await page.locator(".traject-footer__content").bounding_box()
    assert footer is not None and right <= footer["x"] + footer["width"] + 1, (right, footer)
    box = table.locator("xpath=..")
    assert await box.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table scrolls"
    clipped = await table.locator("th").evaluate_all(
        "ths => ths.filter(th => th.scrollWidth > th.clientWidth).map(th => th.innerText)"
    )
    assert clipped == []
    await screenshot(page, f"designer-editor-{width}")
