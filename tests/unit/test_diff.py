"""`traject.definition.diff`: what changed between two versions, in the exact words a process
designer reads on the editor's and the diff page (states added and removed, durations, tasks and
their forms, timers, termijnen, outcome targets)."""

from __future__ import annotations

from traject.definition import compile_text
from traject.definition.diff import Change, diff

OLD = """
definition: klein
title: Klein
municipality: test
version: 1
roles: {coach: Coach, trainer: Trainer}
case_dates: {melding: Melding}
outcomes: {klaar: {title: Klaar, expected: P2M}}
termijnen:
  plan_termijn:
    title: Plan binnen tien weken
    start: {date: melding}
    length: P10W
initial: intake
states:
  intake:
    title: Intake
    kpi: {expected: P2W, maximum: P4W}
    tasks:
      gesprek:
        title: Gesprek voeren
        role: coach
        due: P1W
        form: {trede: {type: ladder, required: true}}
    timers:
      - {name: herinnering, after: P1W, actions: [{notify: coach}]}
    on: {gesprek.done: workshop}
  workshop:
    title: Workshop
    tasks:
      aanwezigheid: {title: Aanwezigheid, role: trainer, form: {aanwezig: {type: bool}}}
    on: {aanwezigheid.done: klaar}
  klaar: {final: true, outcome: klaar}
"""


def changed(new_text: str) -> list[Change]:
    return diff(compile_text(OLD, "klein.yaml"), compile_text(new_text, "klein.yaml"))


def texts(changes: list[Change]) -> list[str]:
    return [c.text for c in changes]


def test_the_same_definition_has_no_changes() -> None:
    assert changed(OLD.replace("version: 1", "version: 2")) == []


def test_a_state_added_and_a_state_removed_with_its_task() -> None:
    new = OLD.replace(
        """  workshop:
    title: Workshop
    tasks:
      aanwezigheid: {title: Aanwezigheid, role: trainer, form: {aanwezig: {type: bool}}}
    on: {aanwezigheid.done: klaar}
""",
        """  ondertekenen:
    title: Ondertekenen
    tasks:
      tekenen: {title: Tekenen, role: coach}
    on: {tekenen.done: klaar}
""",
    ).replace("gesprek.done: workshop", "gesprek.done: ondertekenen")
    changes = changed(new)
    assert texts(changes) == [
        "state 'ondertekenen' added",
        "state 'workshop' removed",
        "task 'tekenen' added",
        "task 'aanwezigheid' removed",
        "state 'intake': its transitions changed",
    ]
    assert [(c.kind, c.what, c.name) for c in changes[:4]] == [
        ("added", "state", "ondertekenen"),
        ("removed", "state", "workshop"),
        ("added", "task", "tekenen"),
        ("removed", "task", "aanwezigheid"),
    ]


def test_durations_changed_are_named_with_before_and_after() -> None:
    new = (
        OLD.replace("kpi: {expected: P2W, maximum: P4W}", "kpi: {expected: P3W}")
        .replace("due: P1W", "due: P10D")
        .replace("{name: herinnering, after: P1W", "{name: herinnering, after: P5D")
        .replace("length: P10W", "length: P12W")
        .replace("expected: P2M}", "expected: P3M}")
    )
    changes = changed(new)
    assert texts(changes) == [
        "state 'intake': expected time P2W → P3W",
        "state 'intake': maximum time P4W → -",
        "timer 'intake.gesprek.overdue': after P1W → P10D",  # a task's due date is a timer
        "timer 'intake.herinnering': after P1W → P5D",
        "task 'gesprek': due P1W → P10D",
        "termijn 'plan_termijn': length P10W → P12W",
        "outcome 'klaar': target P2M → P3M",
    ]
    assert {c.kind for c in changes} == {"changed"}


def test_tasks_changed_role_form_and_title_of_a_state() -> None:
    new = (
        OLD.replace("title: Workshop\n", "title: Workshop kernwaarden\n")
        .replace("role: trainer, form: {aanwezig: {type: bool}}", "role: coach, form: {}")
        .replace(
            "form: {trede: {type: ladder, required: true}}",
            "form: {trede: {type: ladder, required: true}, route: {type: text}}",
        )
    )
    assert texts(changed(new)) == [
        "state 'workshop': title Workshop → Workshop kernwaarden",
        "task 'aanwezigheid': role trainer → coach",
        "task 'aanwezigheid': form fields changed",
        "task 'gesprek': form fields changed",
    ]


def test_a_timer_added_and_removed() -> None:
    # a timer is also a (internal) transition of its state: renaming it changes those too
    new = OLD.replace(
        "{name: herinnering, after: P1W, actions: [{notify: coach}]}",
        "{name: nabellen, after: P3D, actions: [{notify: coach}]}",
    )
    assert texts(changed(new)) == [
        "timer 'intake.nabellen' added (P3D)",
        "timer 'intake.herinnering' removed",
        "state 'intake': its transitions changed",
    ]


def test_the_definitions_own_words_roles_dates_events_and_titles() -> None:
    """A designer who renames a role (its title), the definition, an outcome, a task or a
    termijn, or changes a description or legal basis, sees it: one short line each."""
    new = (
        OLD.replace("title: Klein\n", "title: Klein en fijn\ndescription: Kort.\n", 1)
        .replace("trainer: Trainer}", "trainer: Trainer van de workshop, jurist: Jurist}")
        .replace("{melding: Melding}", "{melding: Datum van melding}")
        .replace("outcomes:", "events: {verhuisd: {title: Verhuisd}}\noutcomes:")
        .replace("{title: Klaar,", "{title: Afgerond,")
        .replace("title: Plan binnen tien weken", "title: Plan in tien weken")
        .replace("title: Gesprek voeren", "title: Intakegesprek")
    )
    assert texts(changed(new)) == [
        "definition 'klein': title Klein → Klein en fijn",
        "definition 'klein': its description changed",
        "role 'jurist' added",
        "event 'verhuisd' added",
        "task 'gesprek': title Gesprek voeren → Intakegesprek",
        "termijn 'plan_termijn': title Plan binnen tien weken → Plan in tien weken",
        "outcome 'klaar': title Klaar → Afgerond",
        "role 'trainer': title Trainer → Trainer van de workshop",
        "case date 'melding': title Melding → Datum van melding",
    ]


def test_a_termijns_start_legal_basis_and_other_rules() -> None:
    new = OLD.replace(
        "    start: {date: melding}\n",
        "    legal_basis: Wet, art. 1\n    start: {state: intake}\n    amber: 0.9\n",
    )
    assert texts(changed(new)) == [
        "termijn 'plan_termijn': its legal basis changed",
        "termijn 'plan_termijn': its start changed",
        "termijn 'plan_termijn': its other rules changed",
    ]
