"""A definition as a ZGW zaaktype for the municipality's zaaksysteem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from traject.cli import main
from traject.definition import compile_file

DEFINITIONS = Path(__file__).parents[2] / "definitions"


def zaaktype(name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["zgw", str(DEFINITIONS / f"{name}.yaml")]) == 0
    return json.loads(capsys.readouterr().out)


def test_wi2021_as_a_zaaktype(capsys: pytest.CaptureFixture[str]) -> None:
    z = zaaktype("wi2021", capsys)
    assert z["doorlooptijd"] == "P3Y" and z["identificatie"] == "voorbeeldgemeente-wi2021"
    statuses = [s["omschrijvingGeneriek"] for s in z["statustypen"]]  # type: ignore[index]
    assert statuses[:2] == ["tot_pip", "inburgering"]
    ends = [s["omschrijvingGeneriek"] for s in z["statustypen"] if s["isEindstatus"]]  # type: ignore[index]
    assert set(ends) == {"afgerond", "ontheffing", "termijn_verlopen", "verhuisd"}
    assert [s["volgnummer"] for s in z["statustypen"]] == list(range(1, len(statuses) + 1))  # type: ignore[index]
    assert {r["omschrijvingGeneriek"] for r in z["resultaattypen"]} == set(  # type: ignore[index]
        compile_file(DEFINITIONS / "wi2021.yaml").outcomes
    )
    roles = {r["omschrijving"]: r["omschrijvingGeneriek"] for r in z["roltypen"]}  # type: ignore[index]
    assert roles["coordinator"] == "zaakcoordinator" and roles["nieuwkomer"] == "belanghebbende"
    assert {e["naam"] for e in z["eigenschappen"]} >= {"duo_melding", "pip_datum"}  # type: ignore[index]


def test_every_definition_gives_a_sequence_of_statuses_ending_in_final_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for path in sorted(DEFINITIONS.glob("*.yaml")):
        z = zaaktype(path.stem, capsys)
        flags = [s["isEindstatus"] for s in z["statustypen"]]  # type: ignore[index]
        assert flags and flags[-1] and flags == sorted(flags), path.stem
