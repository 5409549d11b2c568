"""An option of a form field can carry the label a case worker reads: `options: [a, b]` (each code
read in words) or `options: {code: label}`. The answer, the guards and the workflow's history keep
the code; the compiled definition keeps the labels; the compiler refuses two options of one code
or of one label, and a guard that compares a label."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from traject.definition import (
    CompiledDefinition,
    Problem,
    compile_file,
    compile_text,
    validate_form,
)
from traject.definition.loader import parse_yaml
from traject.definition.model import FormField
from traject.definition.words import in_words

DEFINITIONS = Path(__file__).parents[2] / "definitions"
Rejected = Callable[..., list[Problem]]

ROUTE = """\
definition: route
title: Route
municipality: test
version: 1
roles: {klantmanager: Klantmanager}
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
            required: true
            options:
              b1: B1-route
              onderwijs: Onderwijsroute
              z: Z-route
          taalniveau: {type: choice, options: [a0, a2, b1_of_hoger]}
          activiteiten: {type: multichoice, options: {taalcafe: Taalcafé, ouders_en_school: Ouders en school}}
    on:
      pip_vaststellen.done:
        - {target: b1, guard: {field: pip_vaststellen.route, equals: b1}}
        - {target: anders}
  b1: {final: true}
  anders: {final: true}
"""


@pytest.fixture(scope="module")
def route() -> CompiledDefinition:
    return compile_text(ROUTE, "route.yaml")


def form_of(d: CompiledDefinition) -> dict[str, FormField]:
    return d.tasks["pip_vaststellen"].form


# ------------------------------------------------------------------------------ the two forms
def test_the_labelled_form_gives_each_code_its_label(route: CompiledDefinition) -> None:
    spec = form_of(route)["route"]
    assert list(spec.options or ()) == ["b1", "onderwijs", "z"]  # the codes, in order
    assert spec.option_labels() == {"b1": "B1-route", "onderwijs": "Onderwijsroute", "z": "Z-route"}
    assert form_of(route)["activiteiten"].option_label("taalcafe") == "Taalcafé"


def test_the_short_form_reads_each_code_in_words(route: CompiledDefinition) -> None:
    spec = form_of(route)["taalniveau"]
    assert spec.options == ["a0", "a2", "b1_of_hoger"]
    assert spec.option_labels() == {"a0": "A0", "a2": "A2", "b1_of_hoger": "B1 of hoger"}


def test_education_and_language_levels_are_written_in_capitals() -> None:
    assert [in_words(c) for c in ("mbo", "hbo", "wo", "mbo_4", "wo_master", "ict")] == [
        "MBO",
        "HBO",
        "WO",
        "MBO 4",
        "WO master",
        "ICT",
    ]
    assert [in_words(c) for c in ("a0", "a1", "a2", "b1", "b2", "c1", "c2")] == [
        "A0",
        "A1",
        "A2",
        "B1",
        "B2",
        "C1",
        "C2",
    ]
    assert in_words("taalcafe") == "Taalcafe"  # words keep their letters: a label adds the é
    assert in_words("wortel") == "Wortel"  # only whole words are acronyms


def test_a_code_the_field_does_not_offer_reads_in_words(route: CompiledDefinition) -> None:
    """An answer given to an earlier version's form (a case moved to a new version)."""
    assert form_of(route)["route"].option_label("b1_oud") == "B1 oud"


# ------------------------------------------------------------------------- answers keep codes
def test_an_answer_is_the_code_not_the_label(route: CompiledDefinition) -> None:
    form = form_of(route)
    ok = {"route": "b1", "activiteiten": ["taalcafe", "ouders_en_school"]}
    assert validate_form(form, ok) == {}
    assert validate_form(form, {"route": "B1-route"}) == {
        "route": "choose one of: b1, onderwijs, z"
    }
    assert validate_form(form, {"route": "z", "activiteiten": ["Taalcafé"]}) == {
        "activiteiten": "choose from: taalcafe, ouders_en_school"
    }


# ---------------------------------------------------------------------- the compiled definition
def test_the_compiled_json_keeps_the_labels_and_the_codes_order(route: CompiledDefinition) -> None:
    wire = json.loads(route.model_dump_json())
    options = wire["tasks"]["pip_vaststellen"]["form"]["route"]["options"]
    assert list(options.items()) == [
        ("b1", "B1-route"),
        ("onderwijs", "Onderwijsroute"),
        ("z", "Z-route"),
    ]
    # the short form is dumped as it was before labels existed: a list (published hashes stay)
    assert wire["tasks"]["pip_vaststellen"]["form"]["taalniveau"]["options"] == [
        "a0",
        "a2",
        "b1_of_hoger",
    ]
    again = CompiledDefinition.model_validate(wire)
    assert again == route and again.with_hash().content_hash == route.content_hash


def test_a_label_is_content(route: CompiledDefinition) -> None:
    relabelled = compile_text(ROUTE.replace("z: Z-route", "z: Z-route (800 uur)"), "route.yaml")
    assert relabelled.content_hash != route.content_hash


def test_an_extension_relabels_or_adds_an_option_of_its_base() -> None:
    """Mappings merge key by key under `extends`: a municipality renames one option or adds one
    without repeating the others; `code: null` removes one."""
    extension = (
        "extends: route\ndefinition: route_zaanstad\nstates:\n  pip:\n    tasks:\n"
        "      pip_vaststellen:\n        form:\n          route:\n            options:\n"
        "              z: Z-route (zelfredzaamheid)\n              onderwijs: null\n"
        "              nog_niet: Nog niet bekend\n"
    )
    d = compile_text(extension, "route_zaanstad.yaml", {"route": ROUTE})
    assert form_of(d)["route"].options == {
        "b1": "B1-route",
        "z": "Z-route (zelfredzaamheid)",
        "nog_niet": "Nog niet bekend",
    }


# ------------------------------------------------------------------------------------ refused
def test_two_options_of_one_code_are_refused(rejected: Rejected) -> None:
    (problem,) = rejected(ROUTE.replace("[a0, a2, b1_of_hoger]", "[a0, a2, a2]"))
    assert problem.path == "states.pip.tasks.pip_vaststellen.form.taalniveau"
    assert problem.message == "option 'a2' is given twice: options must be unique"
    (problem,) = rejected(ROUTE.replace("              z: Z-route\n", "              z: Z\n" * 2))
    assert problem.message == "duplicate key 'z'" and problem.line == 21  # the second


def test_two_options_a_case_worker_cannot_tell_apart_are_refused(rejected: Rejected) -> None:
    (problem,) = rejected(ROUTE.replace("z: Z-route", "z: b1-route "))
    assert problem.message == (
        "options 'b1' and 'z' both read 'b1-route': give each option its own label"
    )
    (problem,) = rejected(ROUTE.replace("[a0, a2, b1_of_hoger]", "[a2, b1_of_hoger, b1 of hoger]"))
    assert problem.message == (
        "options 'b1_of_hoger' and 'b1 of hoger' both read 'B1 of hoger':"
        " give each option its own label"
    )


def test_a_guard_compares_the_code_not_the_label(rejected: Rejected) -> None:
    (problem,) = rejected(ROUTE.replace("route, equals: b1}", "route, equals: B1-route}"))
    assert problem.path == "states.pip.on.pip_vaststellen.done[0].guard"
    assert problem.message == (
        "'B1-route' is the label of option 'b1' of 'pip_vaststellen.route':"
        " a guard compares the code"
    )
    (problem,) = rejected(ROUTE.replace("route, equals: b1}", "route, equals: b2}"))
    assert problem.message == (
        "'b2' is not an option of 'pip_vaststellen.route' (did you mean 'b1'?)"
    )


@pytest.mark.parametrize(
    ("options", "message", "where"),
    [
        ("{b1: B1-route, z: }", "input should be a valid string", "options.z"),
        ("{b1: '   '}", "string should have at least 1 character", "options.b1"),
        ("{b1: [B1, route]}", "input should be a valid string", "options.b1"),
        (
            "'b1, z'",
            "options are a list of codes, [b1, z], or each code with its label,"
            " {b1: B1-route, z: Z-route}",
            "options",
        ),
        ("[b1, [z]]", "input should be a valid string", "options[1]"),
    ],
)
def test_a_misshapen_options_is_said_where_it_is(
    rejected: Rejected, options: str, message: str, where: str
) -> None:
    text = ROUTE.replace(
        "{type: choice, options: [a0, a2, b1_of_hoger]}", f"{{type: choice, options: {options}}}"
    )
    (problem,) = rejected(text)
    assert problem.message == message
    assert problem.path == f"states.pip.tasks.pip_vaststellen.form.taalniveau.{where}".replace(
        ".[", "["
    )
    assert problem.line == 21  # the line of taalniveau


# ------------------------------------------------------------------------------- JSON schema
def test_the_json_schema_accepts_both_forms_and_no_other() -> None:
    schema = json.loads((DEFINITIONS / "schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    data, _ = parse_yaml(ROUTE, "route.yaml")
    assert not list(validator.iter_errors(data))
    form = data["states"]["pip"]["tasks"]["pip_vaststellen"]["form"]
    for wrong in ("b1, z", {"b1": 3}, {"b1": ""}, [""], 5):
        form["route"]["options"] = wrong
        assert list(validator.iter_errors(data)), wrong


# -------------------------------------------------------------------------------- the dashboard
def test_the_dashboard_names_a_route_by_its_label_and_the_csv_keeps_its_code() -> None:
    from traject.kpi import csv_text
    from traject.store.kpis_wi import WiFigures
    from traject.web import dashboard_sections as sections

    wi = compile_file(DEFINITIONS / "wi2021.yaml")
    figures = WiFigures(routes={"b1": 3, "z": 1}, switches={"onderwijs": 1})
    section = sections.routes(lambda key: key, wi, figures)
    assert [(r[0].code, r[0].words) for r in section.rows] == [
        ("b1", "B1-route"),
        ("onderwijs", "Onderwijsroute"),
        ("z", "Z-route"),
    ]
    assert section.chart is not None
    assert section.chart["data"]["labels"] == ["B1-route", "Onderwijsroute", "Z-route"]
    assert [line.split(",")[0] for line in csv_text(section.columns, section.rows).split()[1:]] == [
        "b1",
        "onderwijs",
        "z",
    ]
    assert sections.route_words(wi, "vrijgesteld") == "Vrijgesteld"  # no longer an option
