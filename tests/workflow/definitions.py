"""Small definitions for workflow tests: real durations of seconds, so real durable timers fire."""

from traject.definition import CompiledDefinition, compile_text

INTAKE = """
definition: intake_test
title: Intake test
municipality: testgemeente
version: 1
roles: {klantmanager: Klantmanager, coordinator: Coordinator}
case_dates: {registratiedatum: Registratie}
outcomes: {plan_klaar: {title: Plan klaar}}
initial: intake
states:
  intake:
    tasks:
      intakegesprek:
        title: Intakegesprek voeren
        role: klantmanager
        due: PT2S
        remind: [PT1S]
        escalate: {after: PT3S, to: coordinator}
        form:
          trede: {type: ladder, required: true}
          route: {type: choice, options: [b1, onderwijs, z], required: true}
          bijzonderheden: {type: text, personal: true}
    on:
      intakegesprek.done: {target: plan, actions: [{record_ladder: intakegesprek.trede}]}
  plan:
    tasks:
      plan_opstellen: {title: Plan opstellen, role: klantmanager}
    timers:
      - {name: termijn, after: P10W, from: registratiedatum, actions: [{escalate: coordinator}]}
    on:
      plan_opstellen.done: {target: klaar, actions: [sign_declaration]}
  klaar: {final: true, outcome: plan_klaar}
"""


def intake() -> CompiledDefinition:
    return compile_text(INTAKE, "intake_test.yaml")
