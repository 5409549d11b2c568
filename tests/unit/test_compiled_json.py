"""A compiled definition is a Temporal workflow input: it must survive its own JSON exactly, with
every guard and action kind, and its hash must follow the content, not the way the YAML is written."""

from __future__ import annotations

import json

import pytest

from traject.definition import CompiledDefinition, compile_text
from traject.definition.model import FieldCheck
from traject.machine import Machine

EVERYTHING = """
definition: alles
title: Alles
municipality: test
variant: volledig
version: 3
description: Every construct of the language once
legal_basis: [Wet inburgering 2021]
roles: {coach: Coach, coordinator: Coordinator}
case_dates: {registratiedatum: Registratie, pip_datum: PIP}
events:
  duo_melding: {title: Melding DUO, sets_date: registratiedatum}
  verhuisd: {title: Verhuisd}
outcomes:
  b1: {title: B1-route, expected: P3Y}
  z: {title: Z-route}
  weg: {title: Vertrokken}
initial: intake
states:
  intake:
    title: Brede intake
    kpi: {expected: P6W, maximum: P10W}
    simulate: {median: P4W, p90: P8W}
    on_entry: [intake, {invite: uitnodiging}, {schedule_workshop: {workshop: kennismaking, dagdelen: 2}}]
    on_exit: [{report: {indicator: intake_klaar, to: duo}}]
    tasks:
      gesprek:
        title: Gesprek
        role: coach
        due: P2W
        remind: [P1W, P10D]
        escalate: {after: P3W, to: coordinator, goto: opgeschaald}
        simulate: {median: P1W, probability: 0.9}
        form:
          route: {type: choice, options: [b1, z], required: true}
          uren: {type: number, min: 0, max: 40}
          kinderen: {type: int}
          trede: {type: ladder}
          themas: {type: multichoice, options: [werk, taal]}
          niveau: {type: choice, options: {a2: A2, b1_of_hoger: B1 of hoger}}
          datum: {type: date}
          akkoord: {type: bool}
          naam: {type: string, max_length: 80, personal: true}
    timers:
      - {name: termijn, after: P10W, from: registratiedatum, guard: {not: {date_known: pip_datum}}, actions: [{escalate: {to: coordinator, reason: termijn}}]}
    on:
      gesprek.done:
        - target: plan
          guard: {all: [{field: gesprek.route, in: [b1, z]}, {field: gesprek.uren, at_least: 8, at_most: 40}, {ladder_at_least: 2}]}
          actions: [{record_ladder: gesprek.trede}, {set_date: pip_datum}, sign_declaration]
          simulate: {weight: 3}
        - target: plan
          guard: {any: [{field: gesprek.route, not_equals: z}, {ladder_below: 4}, all_tasks_done, {field: gesprek.akkoord}]}
        - {actions: [{notify: {to: coach, template: herinnering}}]}
      verhuisd: {target: einde, outcome: weg}
  opgeschaald:
    tasks: {besluit: {title: Besluit, role: coordinator}}
    on: {besluit.done: intake}
  plan:
    parallel:
      leren:
        initial: les
        states:
          les:
            tasks: {examen: {title: Examen, role: coach}}
            on: {examen.done: geleerd}
          geleerd: {final: true}
      regelen:
        role: coach
        checklist:
          zorgverzekering: {title: Zorgverzekering}
          bank: {title: Bankrekening, role: coordinator, simulate: {median: P2W}}
    on:
      done:
        - {target: einde, guard: {field: gesprek.route, equals: b1}, outcome: b1}
        - {target: einde, outcome: z}
  einde: {final: true, outcomes: [b1, z, weg]}
"""


@pytest.fixture(scope="module")
def compiled() -> CompiledDefinition:
    return compile_text(EVERYTHING)


def test_every_construct_survives_json_exactly(compiled: CompiledDefinition) -> None:
    text = compiled.model_dump_json()
    again = CompiledDefinition.model_validate_json(text)
    assert again == compiled
    assert again.content_hash == compiled.content_hash
    assert again.with_hash().content_hash == compiled.content_hash
    assert again.model_dump_json() == text


def test_the_json_is_what_a_temporal_converter_sends(compiled: CompiledDefinition) -> None:
    """Temporal's pydantic converter sends `model_dump(mode="json")` through `json.dumps`."""
    wire = json.loads(json.dumps(compiled.model_dump(mode="json")))
    assert CompiledDefinition.model_validate(wire) == compiled


def test_a_guard_written_with_in_is_dumped_as_one_of_and_loads_again(
    compiled: CompiledDefinition,
) -> None:
    first = next(t for t in compiled.states["intake"].transitions if t.trigger == "task:gesprek")
    route = first.guard.of[0]  # type: ignore[union-attr]
    assert isinstance(route, FieldCheck) and route.one_of == ["b1", "z"]
    dumped = route.model_dump()
    assert "one_of" in dumped and "in" not in dumped
    assert FieldCheck.model_validate(dumped) == route


def test_a_loaded_definition_drives_the_same_machine(compiled: CompiledDefinition) -> None:
    at = "2025-01-06T09:00:00+00:00"
    original, loaded = (
        Machine(compiled),
        Machine(CompiledDefinition.model_validate_json(compiled.model_dump_json())),
    )
    steps = []
    for machine in (original, loaded):
        step = machine.start(at, {"registratiedatum": "2025-01-02"})
        step = machine.complete_task(
            step.snapshot, "gesprek", {"route": "b1", "uren": 12, "trede": 3}, at
        )
        steps.append(step.model_dump())
    assert steps[0] == steps[1]
    assert steps[0]["snapshot"]["active"] == ("les", "regelen_open")


def test_the_compiled_form_is_flat_named_and_canonical(compiled: CompiledDefinition) -> None:
    assert compiled.key == "test/alles@3"
    assert list(compiled.states) == [
        "intake",
        "opgeschaald",
        "plan",
        "leren",
        "les",
        "geleerd",
        "regelen",
        "regelen_open",
        "regelen_done",
        "einde",
    ]
    assert compiled.states["les"].path == "plan/leren/les"
    assert (
        compiled.states["regelen"].kind == "compound" and compiled.states["plan"].kind == "parallel"
    )
    assert compiled.events == {"duo_melding": "registratiedatum", "verhuisd": ""}
    assert compiled.tasks["bank"].role == "coordinator"
    assert compiled.tasks["zorgverzekering"].role == "coach"
    assert compiled.tasks["zorgverzekering"].title == "Zorgverzekering"
    triggers = {(t.trigger, t.label) for s in compiled.states.values() for t in s.transitions}
    assert {
        ("task:gesprek", "gesprek.done"),
        ("event:verhuisd", "verhuisd"),
        ("done:plan", "done"),
        ("timer:intake.termijn", "termijn"),
        ("timer:intake.gesprek.escalate", "gesprek.escalate"),
    } <= triggers
    timers = {t.id: (t.kind, t.after, t.anchor) for t in compiled.states["intake"].timers}
    assert timers == {
        "intake.gesprek.remind1": ("reminder", "P1W", "entry"),
        "intake.gesprek.remind2": ("reminder", "P10D", "entry"),
        "intake.gesprek.overdue": ("overdue", "P2W", "entry"),
        "intake.gesprek.escalate": ("escalation", "P3W", "entry"),
        "intake.termijn": ("timer", "P10W", "registratiedatum"),
    }


def test_layout_and_comments_do_not_change_the_hash(compiled: CompiledDefinition) -> None:
    relaid = "# the same definition, written differently\n" + EVERYTHING.replace(
        "  einde: {final: true, outcomes: [b1, z, weg]}",
        "  einde:\n    final: true\n    outcomes:\n      - b1\n      - z\n      - weg\n",
    ).replace("version: 3", "version: 3  # third")
    assert compile_text(relaid).content_hash == compiled.content_hash
    assert compile_text(EVERYTHING.replace("P10D", "p10d")).content_hash == compiled.content_hash


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("remind: [P1W, P10D]", "remind: [P1W, P11D]"),
        ("version: 3", "version: 4"),
        ("{title: B1-route, expected: P3Y}", "{title: B1-route, expected: P2Y}"),
        ("{median: P1W, probability: 0.9}", "{median: P1W, probability: 0.8}"),
        (
            "route: {type: choice, options: [b1, z], required: true}",
            "route: {type: choice, options: [b1, z]}",
        ),
        ("{a2: A2, b1_of_hoger: B1 of hoger}", "{a2: A2, b1_of_hoger: B1 en hoger}"),
    ],
)
def test_any_change_of_content_changes_the_hash(
    compiled: CompiledDefinition, old: str, new: str
) -> None:
    assert old in EVERYTHING
    assert compile_text(EVERYTHING.replace(old, new)).content_hash != compiled.content_hash


def test_a_compiled_definition_is_immutable(compiled: CompiledDefinition) -> None:
    with pytest.raises(ValueError, match="frozen"):
        compiled.version = 4  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        compiled.states["intake"].title = "Anders"  # type: ignore[misc]


def test_a_carried_definition_is_decoded_once_per_content() -> None:
    """A trajectory's input carries its definition whole; the worker decodes each published
    definition once and hands every later input the same object. A different content (another
    hash) or a draft without a hash is decoded from its own JSON."""
    from workflows.messages import TrajectoryInput

    compiled = compile_text(EVERYTHING)
    assert compiled.content_hash
    first = TrajectoryInput.model_validate_json(
        TrajectoryInput(case_id="case-a", definition=compiled).model_dump_json()
    )
    again = TrajectoryInput.model_validate_json(
        TrajectoryInput(case_id="case-b", definition=compiled).model_dump_json()
    )
    assert first.definition == compiled
    assert again.definition is first.definition
    assert again.case_id == "case-b"

    other = compile_text(EVERYTHING.replace("version: 3", "version: 4"))
    decoded = TrajectoryInput.model_validate_json(
        TrajectoryInput(case_id="case-c", definition=other).model_dump_json()
    )
    assert decoded.definition == other and decoded.definition.version == 4

    draft = compiled.model_copy(update={"content_hash": ""})
    one, two = (
        TrajectoryInput.model_validate_json(
            TrajectoryInput(case_id="case-d", definition=draft).model_dump_json()
        )
        for _ in range(2)
    )
    assert one.definition == draft and one.definition is not two.definition


def test_a_start_asks_only_the_case_dates_no_step_records() -> None:
    """A case date an event gives (DUO's notice) can be known when a trajectory starts; one a step
    records itself (the PIP's date, set when the PIP is decided) is the process's to write."""
    d = compile_text(EVERYTHING)
    assert d.case_dates.keys() == {"registratiedatum", "pip_datum"}
    assert d.start_dates == {"registratiedatum": "Registratie"}


def test_a_date_a_timer_sets_is_recorded_by_the_process() -> None:
    text = EVERYTHING.replace(
        "actions: [{escalate: {to: coordinator, reason: termijn}}]", "actions: [{set_date: laat}]"
    ).replace("pip_datum: PIP}", "pip_datum: PIP, laat: Te laat}")
    d = compile_text(text)
    assert "laat" in d.case_dates
    assert d.start_dates == {"registratiedatum": "Registratie"}
