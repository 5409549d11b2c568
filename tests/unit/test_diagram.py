"""The words on a diagram's arrows: what a case worker reads on the case page, the dashboard and
the designer pages ("Waar staat het traject?"), in the page's language, and safe for Mermaid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from traject.definition import compile_file, compile_text
from traject.definition.compiled import CompiledDefinition
from traject.definition.model import Guard
from traject.diagram import (
    BREAK,
    NBSP,
    describe_guard,
    duration_text,
    label_lines,
    mermaid,
    mermaid_label,
)

DEFINITIONS = Path(__file__).parents[2] / "definitions"
ARROW = re.compile(r"^\s*(\S+) --> (\S+)(?: : (.*))?$")
# Mermaid's own rule for an arrow's label (stateDiagram lexer): no ';', no '::', no ':' at the end;
# it reads its entity codes (#59; is ';') before that
MERMAID_LABEL = re.compile(r"^\s*:(?:[^:\n;]|:[^:\n;])+$")


def mermaid_reads(label: str) -> bool:
    return MERMAID_LABEL.match(":" + re.sub(r"#\w+;", "E", label)) is not None


GUARD: TypeAdapter[Guard] = TypeAdapter(Guard)


def arrows(text: str) -> dict[tuple[str, str], str]:
    """(source, target) → the label as drawn: lines joined by " / ", entities decoded."""
    found = {}
    for line in text.splitlines():
        match = ARROW.match(line)
        if match and match[3] is not None:
            label = re.sub(r"#(\d+);", lambda m: chr(int(m[1])), match[3])
            found[(match[1], match[2])] = label.replace(BREAK, " / ").replace(NBSP, " ")
    return found


@pytest.fixture(scope="module")
def zaanstad() -> CompiledDefinition:
    return compile_file(DEFINITIONS / "zaanstad_pvt.yaml")


@pytest.fixture(scope="module")
def pvt1() -> CompiledDefinition:
    return compile_file(DEFINITIONS / "pvt1.yaml")


def guard(data: object) -> Guard:
    return GUARD.validate_python(data)


# ------------------------------------------------------------------------- built-in definitions
def test_zaanstad_arrows_name_the_tasks_and_the_answers(zaanstad: CompiledDefinition) -> None:
    drawn = arrows(mermaid(zaanstad, lang="nl"))
    assert drawn[("workshop_kernwaarden", "workshop_praktijk")] == (
        "Aanwezigheid workshop kernwaarden registreren / als Deelnemer was aanwezig: Ja"
    )
    assert drawn[("workshop_kernwaarden", "afwezig_kernwaarden")] == (
        "Aanwezigheid workshop kernwaarden registreren / anders"
    )
    assert drawn[("ondertekening", "pvt_afgerond")] == (
        "Ondertekening van de participatieverklaring vastleggen / als Getekend: Ja"
    )
    # the remark in parentheses is left out of a title
    assert drawn[("participatiegesprek", "plan_van_aanpak")] == "Participatiegesprek voeren"
    # a choice: the option as the form writes it, by its label
    assert drawn[("traject", "niet_ondertekend")] == (
        "Contact opnemen na afwezigheid en opnieuw inplannen / als Reden: Weigert deel te nemen"
        " / – of – / "
        "Ondertekening van de participatieverklaring vastleggen / anders"
    )
    # timers and events in words; two ways between the same states are one arrow
    assert drawn[("plan_uitvoering", "plan_evalueren")] == "na 3 maanden"
    assert drawn[("wacht_op_huisvesting", "participatiegesprek")] == (
        "1 dag na datum waarop de vergunninghouder in Zaanstad gehuisvest is / – of – / "
        "Vergunninghouder is gehuisvest"
    )
    assert drawn[("traject", "afgerond")] == "afgerond"
    # no technical names are left
    for label in drawn.values():
        assert not re.search(r"\.done|equals|\[|_", label), label


def test_pvt1_arrows_in_dutch_and_english(pvt1: CompiledDefinition) -> None:
    nl = arrows(mermaid(pvt1, lang="nl"))
    assert nl == {
        ("uitnodigen", "workshop"): "Aanmelding voor de workshop bevestigen",
        ("workshop", "ondertekenen"): "Aanwezigheid workshop en uitreiking brochure Kernwaarden"
        " registreren / als Deelnemer was aanwezig: Ja",
        ("workshop", "uitnodigen"): "Aanwezigheid workshop en uitreiking brochure Kernwaarden"
        " registreren / anders",
        ("ondertekenen", "afgerond"): "Ondertekening participatieverklaring vastleggen"
        " / als Participatieverklaring ondertekend: Ja",
        ("ondertekenen", "niet_getekend"): "Ondertekening participatieverklaring vastleggen"
        " / anders",
    }
    en = arrows(mermaid(pvt1, lang="en"))
    assert en[("ondertekenen", "afgerond")] == (
        "Ondertekening participatieverklaring vastleggen"
        " / if Participatieverklaring ondertekend: Yes"
    )
    assert en[("ondertekenen", "niet_getekend")].endswith(" / otherwise")


def test_the_answer_stays_on_the_line_of_its_field(pvt1: CompiledDefinition) -> None:
    text = mermaid(pvt1, lang="nl")
    assert f"als Participatieverklaring ondertekend:{NBSP}Ja" in text


def test_a_checklist_is_one_arrow_all_tasks_done() -> None:
    pragma = compile_file(DEFINITIONS / "pragma.yaml")
    drawn = arrows(mermaid(pragma, lang="nl"))
    assert drawn[("weten_open", "weten_done")] == "alle taken klaar"
    assert drawn[("eerste_opvang", "zelfredzaamheid")] == "alle taken klaar"
    assert arrows(mermaid(pragma, lang="en"))[("kunnen_open", "kunnen_done")] == "all tasks done"


def test_conditions_that_cannot_fail_on_an_arrow_are_left_out() -> None:
    """All of a trigger's transitions go to the same box: the arrow is taken whatever they say."""
    wi = compile_file(DEFINITIONS / "wi2021.yaml")
    drawn = arrows(mermaid(wi, lang="nl"))
    assert drawn[("route_wisselen", "leerroute")] == "PIP wijzigen met de nieuwe leerroute"
    assert drawn[("leerroute", "route_wisselen")].startswith(
        "Verzoek om routewissel / als Datum vanaf wanneer een routewissel niet meer kan nog niet"
        " bekend / – of – / Resultaat van het taalschakeltraject vastleggen / als Resultaat:"
        " Niet haalbaar / en Datum vanaf"
    )
    assert "termijn verlopen: Inburgeringstermijn van drie jaar" in drawn.values()


def test_an_outcome_is_named_where_the_final_state_has_several() -> None:
    d = compile_file(Path(__file__).parent / "pragma_test.yaml")
    drawn = arrows(mermaid(d, lang="nl"))
    assert drawn[("traject", "uitgestroomd")] == (
        "Uitstroom / als Uitkomst: Betaalde baan / uitkomst: Betaalde baan / – of – / anders /"
        " uitkomst: Vrijwilligerswerk"
    )
    assert drawn[("zelfredzaamheid", "spreekuur")] == "afgerond"
    assert drawn[("eerste_opvang", "traject")] == "Welkom"


LABELLED = """\
definition: gelabeld
title: Gelabeld
municipality: test
version: 1
roles: {klantmanager: K}
initial: pip
states:
  pip:
    tasks:
      pip_vaststellen:
        title: PIP vaststellen
        role: klantmanager
        form:
          route:
            type: choice
            label: Leerroute
            options: {b1: B1-route, onderwijs: Onderwijsroute, z: "Z-route; <i>800 uur</i>"}
          niveau: {type: choice, options: [a2, b1_of_hoger]}
    on:
      pip_vaststellen.done:
        - {target: b1, guard: {field: pip_vaststellen.route, equals: b1}}
        - {target: anders, guard: {field: pip_vaststellen.route, in: [onderwijs, z]}}
        - {target: b1, guard: {field: pip_vaststellen.niveau, not_equals: a2}}
        - {target: anders}
  b1: {final: true}
  anders: {final: true}
"""


def test_a_guard_on_a_labelled_option_says_its_label() -> None:
    """The guard compares the code (b1); the arrow says what the case worker chose (B1-route),
    and an option without a label in words (B1 of hoger, not b1 of hoger)."""
    d = compile_text(LABELLED, "gelabeld.yaml")
    assert d.tasks["pip_vaststellen"].form["route"].options == {
        "b1": "B1-route",
        "onderwijs": "Onderwijsroute",
        "z": "Z-route; <i>800 uur</i>",
    }
    text = mermaid(d, lang="nl")
    drawn = arrows(text)
    assert drawn[("pip", "b1")] == (
        "PIP vaststellen / als Leerroute: B1-route / – of – / als Niveau: niet ‘A2’"
    )
    assert drawn[("pip", "anders")] == (
        "PIP vaststellen / als Leerroute: Onderwijsroute of Z-route; <i>800 uur</i> / – of – /"
        " anders"
    )
    for line in text.splitlines():  # the label is escaped for Mermaid like any designer's text
        if ARROW.match(line) and ARROW.match(line)[3]:  # type: ignore[index]
            assert mermaid_reads(ARROW.match(line)[3]), line  # type: ignore[index]
    route = guard({"field": "pip_vaststellen.route", "equals": "z"})
    assert describe_guard(route, d) == "Leerroute: Z-route; <i>800 uur</i>"
    assert describe_guard(route, d, "en") == "Leerroute: Z-route; <i>800 uur</i>"
    assert describe_guard(route) == "Route: z"  # without the definition: the code as it is


def test_wi2021_routes_are_named_as_the_law_names_them() -> None:
    wi = compile_file(DEFINITIONS / "wi2021.yaml")
    switch = wi.states["route_wisselen"].transitions
    assert [describe_guard(t.guard, wi) for t in switch if t.guard is not None] == [
        "Nieuwe route: B1-route",
        "Nieuwe route: Onderwijsroute",
    ]


def test_fields_of_one_label_in_different_tasks_are_told_apart_by_their_task() -> None:
    pvt4 = compile_file(DEFINITIONS / "pvt4.yaml")
    label = arrows(mermaid(pvt4, lang="nl"))[("dagdeel_4", "reeks_afgerond")]
    assert label.startswith(
        "Aanwezigheid dagdeel 4 registreren / als Aanwezig (Aanwezigheid dagdeel 1 registreren):"
        " Ja / en Aanwezig (Aanwezigheid dagdeel 2 registreren): Ja / en"
    )


@pytest.mark.parametrize("path", sorted(DEFINITIONS.glob("*.yaml")), ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_built_in_label_is_words_mermaid_can_read(path: Path, lang: str) -> None:
    text = mermaid(compile_file(path), lang=lang)
    for line in text.splitlines():
        match = ARROW.match(line)
        if match and match[3] is not None:
            assert mermaid_reads(match[3]), line
            assert not re.search(r"\.done|equals|all_tasks_done|\[|\]", match[3]), line


# ------------------------------------------------------------------------------------ guards
def test_describe_guard_names_fields_by_their_labels(pvt1: CompiledDefinition) -> None:
    aanwezig = guard({"field": "aanwezigheid.aanwezig", "equals": True})
    assert describe_guard(aanwezig, pvt1) == "Deelnemer was aanwezig: Ja"
    assert describe_guard(aanwezig, pvt1, "en") == "Deelnemer was aanwezig: Yes"
    not_there = guard({"field": "aanwezigheid.aanwezig", "equals": False})
    assert describe_guard(not_there, pvt1) == "Deelnemer was aanwezig: Nee"
    # without the definition: the field's name made readable, as the pages do
    assert describe_guard(aanwezig) == "Aanwezig: Ja"


def test_describe_guard_in_words() -> None:
    cases: list[tuple[object, str, str]] = [
        ("all_tasks_done", "alle taken klaar", "all tasks done"),
        (
            {"ladder_at_least": 3},
            "participatieladder trede 3 of hoger",
            "participation ladder step 3 or higher",
        ),
        (
            {"ladder_below": 2},
            "participatieladder onder trede 2",
            "participation ladder below step 2",
        ),
        ({"date_known": "pip_datum"}, "pip datum bekend", "pip datum known"),
        (
            {"not": {"date_known": "pip_datum"}},
            "pip datum nog niet bekend",
            "pip datum not known yet",
        ),
        ({"field": "x.uren", "at_least": 12}, "Uren: ten minste 12", "Uren: at least 12"),
        ({"field": "x.uren", "at_most": 2.5}, "Uren: hoogstens 2,5", "Uren: at most 2.5"),
        (
            {"field": "x.reden", "in": ["geen_reden", "ziek"]},
            "Reden: geen reden of ziek",
            "Reden: geen reden or ziek",
        ),
        ({"field": "x.sector", "not_equals": "geen"}, "Sector: niet ‘geen’", "Sector: not ‘geen’"),
        ({"field": "x.toelichting"}, "Toelichting ingevuld", "Toelichting answered"),
        (
            {
                "all": [
                    {"ladder_below": 3},
                    {"any": [{"field": "x.a", "equals": True}, "all_tasks_done"]},
                ]
            },
            "participatieladder onder trede 3 en (A: Ja of alle taken klaar)",
            "participation ladder below step 3 and (A: Yes or all tasks done)",
        ),
        ({"not": {"field": "x.a", "equals": True}}, "niet (A: Ja)", "not (A: Yes)"),
    ]
    for data, nl, en in cases:
        g = guard(data)
        assert describe_guard(g) == nl, data
        assert describe_guard(g, lang="en") == en, data


def test_a_date_is_named_by_its_title(zaanstad: CompiledDefinition) -> None:
    known = guard({"date_known": "huisvestingsdatum"})
    assert describe_guard(known, zaanstad) == (
        "Datum waarop de vergunninghouder in Zaanstad gehuisvest is bekend"
    )


# --------------------------------------------------------------------------------- durations
@pytest.mark.parametrize(
    ("iso", "nl", "en"),
    [
        ("P2W", "2 weken", "2 weeks"),
        ("P1D", "1 dag", "1 day"),
        ("P3M", "3 maanden", "3 months"),
        ("P1Y", "1 jaar", "1 year"),
        ("P1Y6M", "1 jaar en 6 maanden", "1 year and 6 months"),
        ("P1Y2M3D", "1 jaar, 2 maanden en 3 dagen", "1 year, 2 months and 3 days"),
        ("PT30M", "30 minuten", "30 minutes"),
        ("P2DT1H", "2 dagen en 1 uur", "2 days and 1 hour"),
        ("${termijn}", "${termijn}", "${termijn}"),
    ],
)
def test_duration_text(iso: str, nl: str, en: str) -> None:
    assert duration_text(iso, "nl") == nl
    assert duration_text(iso, "en") == en


# ---------------------------------------------------------------------------------- escaping
HOSTILE = """\
definition: vijandig
title: Vijandig
municipality: test
version: 1
roles: {medewerker: M}
events:
  gebeurd: {title: "Brief #3; zie <b>bijlage</b> & 50% %%{init} *vet* `code` $x$"}
initial: open
states:
  open:
    tasks:
      taak:
        title: "Taak: a::b [x] {y} ~z~ _w_ |v| ^u^ \\\\t:"
        role: medewerker
        form: {ok: {type: bool, label: "Klaar?:"}}
    on:
      taak.done: [{target: dicht, guard: {field: taak.ok, equals: true}}, {target: open}]
      gebeurd: dicht
  dicht: {final: true}
"""


def test_what_a_designer_writes_is_escaped_for_mermaid() -> None:
    d = compile_text(HOSTILE, "vijandig.yaml")
    text = mermaid(d)
    labels = [ARROW.match(line)[3] for line in text.splitlines() if ARROW.match(line)]  # type: ignore[index]
    labels = [label for label in labels if label]
    for label in labels:
        assert mermaid_reads(label), label
        plain = re.sub(r"#\d+;", "", label.replace(BREAK, ""))  # without the entity codes
        assert not re.search(r"[#;<>&%*`$_~|^\[\]{}\"\\]", plain), label
        assert "::" not in label
    drawn = arrows(text)
    assert drawn[("open", "dicht")] == (
        "Taak: a::b [x] {y} ~z~ _w_ |v| ^u^ \\t / als Klaar?: Ja / – of – / "
        "Brief #3; zie <b>bijlage</b> & 50% %%{init} *vet* `code` $x$"
    )


def test_mermaid_label_joins_lines_with_breaks() -> None:
    assert mermaid_label(["Eerste", "", "tweede; derde"]) == "Eerste<br>tweede#59; derde"


def test_label_lines_of_one_transition(pvt1: CompiledDefinition) -> None:
    t = pvt1.states["ondertekenen"].transitions[0]
    assert label_lines(pvt1, t, "en") == [
        "Ondertekening participatieverklaring vastleggen",
        f"if Participatieverklaring ondertekend:{NBSP}Yes",
    ]


def test_highlight_and_structure_stay(zaanstad: CompiledDefinition) -> None:
    text = mermaid(zaanstad, ["workshop_praktijk"])
    assert text.startswith("stateDiagram-v2\n  direction LR\n")
    assert "class workshop_praktijk current" in text
    assert "  --\n" in text  # the parallel regions
    for name in zaanstad.states:
        assert f" as {name}" in text


def test_a_state_note_names_who_works_its_task_in_words(zaanstad: CompiledDefinition) -> None:
    text = mermaid(zaanstad)
    assert "registreren (Trainer)" in text
    assert "(klantmanager)" not in text and "(Klantmanager)" in text
