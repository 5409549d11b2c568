"""`traject simulate` reports how likely each termijn is missed, checked against a closed form.

One task decides the trajectory; its time is lognormal with median 10 days and p90 20 days
(sigma = ln 2 / z90). A termijn that starts on entry and is met when the task is done is missed
exactly when that time exceeds its length L, so P(miss) = 1 - Phi(ln(L / 10) / sigma): one half
for 10 days, one tenth for 20 days (the p90 itself), about 0.5% for 40 days, and for 10 werkdagen
(the simulator's documented 7/5 days per werkdag: 14 days) 1 - Phi(ln 1.4 / sigma). A termijn
of 5 days from a case date the trajectory does not set itself counts from the start (as the
simulator documents), so it is missed nine times in ten: P(X > 5) = Phi(z90).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from statistics import NormalDist

import pytest

from traject.cli import main
from traject.definition import compile_text
from traject.simulate import Z90, simulate
from traject.simulate_termijnen import TermijnStats

MEDIAN, P90 = 10.0, 20.0
SIGMA = math.log(P90 / MEDIAN) / Z90
RUNS, SEED = 100_000, 7

DEFINITION = """
definition: kans_test
title: Kans op een gemiste termijn
municipality: testgemeente
version: 1
roles: {klantmanager: Klantmanager}
case_dates: {besluitdatum: Besluit}
termijnen:
  tien_dagen: {title: Tien dagen, start: {state: wachten}, length: P10D, atw: false, met: [besloten]}
  twintig_dagen: {title: Twintig dagen, start: {state: wachten}, length: P20D, atw: false,
                  met: [besloten]}
  veertig_dagen: {title: Veertig dagen, start: {state: wachten}, length: P40D, atw: false,
                  met: [besloten]}
  tien_werkdagen: {title: Tien werkdagen, start: {state: wachten}, length: 10 werkdagen,
                   atw: false, met: [besloten]}
  na_besluit: {title: Na het besluit, start: {date: besluitdatum}, length: P5D, atw: false,
               met: [besloten]}
outcomes: {besloten: {title: Besloten}}
initial: wachten
states:
  wachten:
    tasks:
      besluit_nemen:
        title: Besluit nemen
        role: klantmanager
        simulate: {median: P10D, p90: P20D}
    on: {besluit_nemen.done: besloten}
  besloten: {final: true, outcome: besloten}
"""
EXPECTED_DAYS = {"tien_dagen": 10.0, "twintig_dagen": 20.0, "veertig_dagen": 40.0}
EXPECTED_DAYS["tien_werkdagen"] = 10 * 7 / 5
EXPECTED_DAYS["na_besluit"] = 5.0


def p_missed(length_days: float) -> float:
    """P(lognormal(ln 10, sigma) > length), from the normal distribution alone."""
    return 1 - NormalDist().cdf(math.log(length_days / MEDIAN) / SIGMA)


def tolerance(p: float, runs: int = RUNS) -> float:
    return 5 * math.sqrt(p * (1 - p) / runs)  # five standard errors of a share of `runs`


def by_name(stats: tuple[TermijnStats, ...]) -> dict[str, TermijnStats]:
    return {s.termijn: s for s in stats}


def test_the_closed_form_itself() -> None:
    assert p_missed(10) == pytest.approx(0.5)
    assert p_missed(20) == pytest.approx(0.1)
    assert 0.004 < p_missed(40) < 0.006
    assert 0.25 < p_missed(14) < 0.30
    assert p_missed(5) == pytest.approx(0.9)


def test_the_report_gives_each_termijns_chance_of_being_missed() -> None:
    report = simulate(compile_text(DEFINITION, "kans.yaml"), runs=RUNS, seed=SEED)
    found = by_name(report.termijnen)
    assert list(found) == list(EXPECTED_DAYS)  # in the definition's order
    for name, days in EXPECTED_DAYS.items():
        stats = found[name]
        expected = p_missed(days)
        assert stats.length_days == pytest.approx(days)
        assert stats.started == RUNS
        assert stats.missed is not None
        assert abs(stats.missed - expected) < tolerance(expected), (name, stats.missed, expected)
        assert stats.met_median_days == pytest.approx(MEDIAN, rel=0.02)
    shares = [found[n].missed or 0.0 for n in ("tien_dagen", "tien_werkdagen", "twintig_dagen")]
    assert shares == sorted(shares, reverse=True)  # a longer termijn is missed less often


def test_the_cli_prints_and_exports_the_chance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kans.yaml"
    path.write_text(DEFINITION, encoding="utf-8")
    runs = 40_000
    assert main(["simulate", str(path), "--runs", str(runs), "--seed", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("termijn "))
    assert lines[header].split() == ["termijn", "length", "started", "missed", "met", "after"]
    rows = {line.split()[0]: line.split() for line in lines[header + 1 : header + 6]}
    assert set(rows) == set(EXPECTED_DAYS)
    for name, days in EXPECTED_DAYS.items():
        length, started, missed = rows[name][1:4]
        assert (length, started) == (f"{days:.0f}d", f"{runs:,}")
        printed = int(missed.removesuffix("%")) / 100  # rounded to whole percents
        expected = p_missed(days)
        assert abs(printed - expected) <= tolerance(expected, runs) + 0.005, (name, missed)
    assert rows["tien_dagen"][3] == "50%" and rows["twintig_dagen"][3] == "10%"
    assert rows["na_besluit"][3] == "90%"

    assert main(["simulate", str(path), "--runs", str(runs), "--seed", "3", "--json"]) == 0
    exported = {t["termijn"]: t for t in json.loads(capsys.readouterr().out)["termijnen"]}
    for name, days in EXPECTED_DAYS.items():
        expected = p_missed(days)
        assert abs(exported[name]["missed"] - expected) < tolerance(expected, runs), name
        assert exported[name]["length_days"] == pytest.approx(days)
