"""The list of reasons (traject/reasons.py): every action's form offers codes the workflow takes,
in words in Dutch and English, with `anders` last; a recorded code reads as its label, an unknown
one as itself; and no code says more about a person than the workflow history may hold."""

from __future__ import annotations

import re

import pytest

from traject import reasons
from traject.web.i18n import TEXT
from workflows.messages import CaseDecision, ChangeTermijn

FORMAL = re.compile(r"\b(?:u|uw|Uw|U)\b")


def test_every_action_offers_codes_the_workflow_takes_with_anders_last() -> None:
    assert set(reasons.CHOICES) == {
        "case_suspend",
        "case_resume",
        "case_cancel",
        "termijn_suspend",
        "termijn_resume",
        "termijn_extend",
    }
    for action in reasons.CHOICES:
        offered = reasons.choices(action)
        codes = [r.code for r in offered]
        assert len(codes) >= 4 and len(set(codes)) == len(codes), action
        assert codes[-1] == reasons.OTHER and codes.count(reasons.OTHER) == 1, action
        for code in codes:  # the messages the workflow gets: a code they refuse is no use
            CaseDecision(reason=code, actor="user:1")
            ChangeTermijn(name="pip_termijn", change="suspend", reason=code, actor="user:1")
        for lang in reasons.LANGUAGES:  # one option is told from another by its words
            options = [r.option(lang) for r in offered]
            assert len(set(options)) == len(options), (action, lang)


def test_each_action_is_an_audit_action_and_each_timeline_kind_has_words() -> None:
    # the lists are named as the audit log names the actions (the audit page shows the reason)
    assert all(f"action.{action}" in TEXT for action in reasons.CHOICES)
    assert all(f"kind.{kind}" in TEXT for kind in reasons.TIMELINE_KINDS)


def test_every_reason_has_words_in_dutch_and_english() -> None:
    for code, reason in reasons.REASONS.items():
        assert reason.code == code
        assert reason.nl and reason.en and reason.nl != code, code
        assert bool(reason.hint_nl) == bool(reason.hint_en), code
        assert not FORMAL.search(reason.option("nl")), reason  # the pages say 'je', not 'u'


def test_a_recorded_reason_reads_as_its_label() -> None:
    assert reasons.label("wacht_op_documenten") == "Wacht op documenten"
    assert reasons.label("wacht_op_documenten", "en") == "Waiting for documents"
    assert reasons.label("verhuisd", "nl") == "Verhuisd naar andere gemeente"
    assert reasons.label("overleden", "en") == "Deceased"
    assert reasons.label("anders") == "Anders"  # the timeline: not "(licht toe)"
    assert reasons.label("max_suspension") == "Langste opschorting bereikt, vanzelf hervat"
    # any other language reads Dutch, as the pages do
    assert reasons.label("verhuisd", "de") == "Verhuisd naar andere gemeente"


def test_an_unknown_code_reads_as_itself() -> None:
    # an integration's own code, or one from before the list: as it was sent
    assert reasons.label("eigen_code_koppeling") == "eigen_code_koppeling"
    assert reasons.label("eigen_code_koppeling", "en") == "eigen_code_koppeling"
    assert not reasons.known("eigen_code_koppeling") and reasons.known("ontheffing")
    assert reasons.label(None) == "" and reasons.label("") == ""


def test_the_form_shows_the_hint_the_timeline_does_not() -> None:
    other = reasons.REASONS[reasons.OTHER]
    assert other.option("nl") == "Anders (licht toe)" and other.option("en") == "Other (explain)"
    assert other.label("nl") == "Anders"
    plain = reasons.REASONS["wacht_op_documenten"]
    assert plain.option("nl") == plain.label("nl") == "Wacht op documenten"


def test_only_anders_needs_a_note() -> None:
    assert reasons.needs_note("anders") and reasons.REASONS["anders"].needs_note
    needing = [code for code, r in reasons.REASONS.items() if r.needs_note]
    assert needing == ["anders"]
    assert not reasons.needs_note("wacht_op_documenten")
    assert not reasons.needs_note(None) and not reasons.needs_note("iets_anders")


def test_an_action_without_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="no reasons for 'case_started'"):
        reasons.choices("case_started")


def test_a_code_names_a_kind_of_reason_never_a_health_or_other_special_detail() -> None:
    # the code goes into the workflow history: illness, pregnancy and care are all
    # 'persoonlijke_omstandigheden', the details are the note's (the audit log's)
    special = re.compile(r"ziek|zwanger|bevall|medisch|gezondheid|detentie|strafrecht|geloof")
    assert [code for code in reasons.REASONS if special.search(code)] == []
