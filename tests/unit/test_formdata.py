"""A completed task's answers as people read them, for each field type: labels as the form shows
them, yes/no, options joined, dates and decimal numbers the Dutch way; personal answers only for
a reader who may see them."""

from __future__ import annotations

from traject.definition.model import FormField
from traject.web.formdata import answer_text, answered, label
from traject.web.i18n import decimal

FORM = {
    "aanwezig": FormField(type="bool", label="Deelnemer was aanwezig"),
    "gesprek_op": FormField(type="date"),
    "uren": FormField(type="number"),
    "kinderen": FormField(type="int"),
    "woonsituatie": FormField(type="choice", options=["azc", "eigen_woning"]),
    "interesses": FormField(type="multichoice", options=["koken", "enschede_ontdekken"]),
    "trede": FormField(type="ladder"),
    "situatie": FormField(type="text", personal=True, label="Persoonlijke situatie"),
}


def test_a_field_is_named_by_its_label_or_its_name_made_readable() -> None:
    assert label("aanwezig", FORM["aanwezig"]) == "Deelnemer was aanwezig"
    assert label("gesprek_op", FORM["gesprek_op"]) == "Gesprek op"
    assert label("vervallen_veld") == "Vervallen veld"  # no longer in the form


def test_each_type_of_answer_reads_as_people_write_it() -> None:
    data = {
        "aanwezig": False,
        "gesprek_op": "2025-03-07",
        "uren": 2.5,
        "kinderen": 3,
        "woonsituatie": "eigen_woning",
        "interesses": ["koken", "enschede_ontdekken"],
        "trede": 4,
    }
    assert answered(FORM, data, {"situatie": "Woont bij familie"}, "nl") == [
        ("Deelnemer was aanwezig", "Nee"),
        ("Gesprek op", "07-03-2025"),
        ("Uren", "2,5"),
        ("Kinderen", "3"),
        ("Woonsituatie", "eigen woning"),
        ("Interesses", "koken, enschede ontdekken"),
        ("Trede", "4"),
        ("Persoonlijke situatie", "Woont bij familie"),
    ]
    assert answer_text(FORM["aanwezig"], True, "en") == "Yes"
    assert answer_text(FORM["uren"], 2.5, "en") == "2.5"
    assert answer_text(FORM["uren"], 8.0, "nl") == "8"


def test_unanswered_fields_say_so_and_personal_ones_stay_hidden_unless_allowed() -> None:
    rows = answered(FORM, {"aanwezig": True, "oud_veld": "x"}, None, "nl")
    assert ("Persoonlijke situatie", "—") not in rows  # not for this reader: not even its label
    assert rows[0] == ("Deelnemer was aanwezig", "Ja")
    assert ("Gesprek op", "—") in rows and ("Interesses", "—") in rows
    assert rows[-1] == ("Oud veld", "x")  # an answer of a field the form no longer has
    assert ("Persoonlijke situatie", "—") in answered(FORM, {}, {}, "nl")


def test_decimals_are_written_as_the_pages_language_writes_them() -> None:
    assert decimal(97.04, "nl") == "97,0" and decimal(97.04, "en") == "97.0"
    assert decimal(365.25, "nl", 2) == "365,25" and decimal(2.0, "xx") == "2,0"  # Dutch default
