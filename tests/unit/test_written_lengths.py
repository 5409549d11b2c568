"""A termijn is extended by a length as case workers write it ("2 maanden", "10 werkdagen"), in
Dutch or English words or as ISO; the workflow keeps the one form a definition writes (P2M,
'10 werkdagen'). And the participatieladder's steps by name, as the pages show them."""

from __future__ import annotations

import pytest

from traject import ladder
from traject.definition.forms import LADDER_STEPS
from traject.definition.termijnen import canonical, length_of, written_length
from traject.web.i18n import length_words


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("2 maanden", "P2M"),
        ("1 maand", "P1M"),
        ("6 weken", "P6W"),
        ("1 week", "P1W"),
        ("10 werkdagen", "10 werkdagen"),
        ("1 werkdag", "1 werkdagen"),
        ("14 dagen", "P14D"),
        ("1 jaar", "P1Y"),
        ("twee maanden", "P2M"),
        ("één jaar", "P1Y"),
        ("  2   Maanden ", "P2M"),
        ("6weken", "P6W"),
        ("3 mnd.", "P3M"),
        ("2 months", "P2M"),
        ("six weeks", "P6W"),
        ("10 working days", "10 werkdagen"),
        ("a year", "P1Y"),
        ("P2W", "P2W"),
        ("p10w", "P10W"),
        ("15 werkdagen", "15 werkdagen"),
    ],
)
def test_a_length_is_read_as_written_and_kept_in_one_form(written: str, kept: str) -> None:
    length = written_length(written)
    assert length is not None and canonical(length) == kept
    assert length_of(kept) == length  # the form the workflow reads


@pytest.mark.parametrize(
    "written",
    ["", "2", "maanden", "2 maandjes", "0 weken", "P0W", "-2 weken", "2 uur", "PT2H", "9999 jaar"],
)
def test_what_is_no_length_is_none(written: str) -> None:
    assert written_length(written) is None


def test_a_length_in_the_words_of_the_page() -> None:
    assert length_words("P2M", "nl") == "2 maanden" and length_words("P2M", "en") == "2 months"
    assert length_words("P1W", "nl") == "1 week" and length_words("P3Y", "nl") == "3 jaar"
    assert length_words("10 werkdagen", "en") == "10 working days"
    assert length_words("wat", "nl") == "wat"


def test_the_ladder_has_six_named_steps() -> None:
    assert tuple(ladder.STEPS) == LADDER_STEPS == (1, 2, 3, 4, 5, 6)
    assert ladder.name(1) == "Geïsoleerd" and ladder.name(6) == "Betaald werk zonder ondersteuning"
    assert ladder.option(3, "en") == "3 · Taking part in organised activities"
    assert ladder.label("3") == "Trede 3 (Deelname aan georganiseerde activiteiten)"
    assert ladder.label(4.0, "en") == "Step 4 (Unpaid work)"
    assert ladder.label(7) == "7" and ladder.step_of(True) is None and ladder.step_of("x") is None
