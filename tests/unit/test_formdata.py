"""A completed task's answers as people read them, for each field type: labels as the form shows
them, yes/no, options by their labels (else their codes in words) joined, dates and decimal numbers
the Dutch way; personal answers only for a reader who may see them."""

from __future__ import annotations

from traject.definition.model import FormField
from traject.web.formdata import answer_text, answered, errors_in_words, label, option_text
from traject.web.i18n import decimal

FORM = {
    "aanwezig": FormField(type="bool", label="Deelnemer was aanwezig"),
    "gesprek_op": FormField(type="date"),
    "uren": FormField(type="number"),
    "kinderen": FormField(type="int"),
    "woonsituatie": FormField(
        type="choice", options={"azc": "In een azc", "eigen": "Eigen woning"}
    ),
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
        "woonsituatie": "eigen",
        "interesses": ["koken", "enschede_ontdekken"],
        "trede": 4,
    }
    assert answered(FORM, data, {"situatie": "Woont bij familie"}, "nl") == [
        ("Deelnemer was aanwezig", "Nee"),
        ("Gesprek op", "07-03-2025"),
        ("Uren", "2,5"),
        ("Kinderen", "3"),
        ("Woonsituatie", "Eigen woning"),  # its label
        ("Interesses", "Koken, Enschede ontdekken"),  # codes without a label: in words
        ("Trede", "4 · Onbetaald werk"),  # the step with its name (traject/ladder.py)
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


def test_an_option_reads_as_its_label_and_a_code_without_one_in_words() -> None:
    assert option_text("azc", FORM["woonsituatie"]) == "In een azc"
    assert option_text("enschede_ontdekken", FORM["interesses"]) == "Enschede ontdekken"
    assert option_text("tijdelijk", FORM["woonsituatie"]) == "Tijdelijk"  # an earlier version's
    assert option_text("3", FORM["trede"]) == "3"  # a ladder step is a number
    leerniveau = FormField(type="choice", options=["b1_of_hoger", "mbo", "hbo", "wo"])
    assert [option_text(o, leerniveau) for o in ("b1_of_hoger", "mbo", "hbo", "wo")] == [
        "B1 of hoger",
        "MBO",
        "HBO",
        "WO",
    ]


def test_the_error_summary_names_the_options_by_their_labels() -> None:
    errors = {
        "woonsituatie": "choose one of: azc, eigen",
        "interesses": "choose from: koken, enschede_ontdekken",
        "uren": "must be a number",
    }
    assert errors_in_words(FORM, errors) == {
        "woonsituatie": "choose one of: In een azc, Eigen woning",
        "interesses": "choose from: Koken, Enschede ontdekken",
        "uren": "must be a number",
    }
