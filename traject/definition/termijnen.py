"""Compiling a definition's `termijnen:`: resolve what each one starts on and is met by, check
its length and rules, and give the frozen `CTermijn` the machine runs."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from traject.definition.compiled import CTermijn, CTermijnRule
from traject.definition.model import Definition, Termijn, TermijnRule
from traject.termijn import Length, TermijnError, Unit

Path_ = tuple[str | int, ...]
_ISO = re.compile(r"^P(\d+)([DWMY])$")
_UNITS = {"D": Unit.DAYS, "W": Unit.WEEKS, "M": Unit.MONTHS, "Y": Unit.YEARS}


def length_of(text: str) -> Length:
    """'P10W' → 10 weeks, '15 werkdagen' → 15 working days."""
    found = _ISO.match(text)
    if found:
        return Length(int(found.group(1)), _UNITS[found.group(2)])
    count, _, unit = text.partition(" ")
    if unit == "werkdagen" and count.isdigit():
        return Length(int(count), Unit.WERKDAGEN)
    raise TermijnError(f"'{text}' is not a termijn length: P10W, P2M, P3Y, P14D or '15 werkdagen'")


# A length as a case worker writes it: a number (or a small one in words) and a unit, in Dutch or
# English ("2 maanden", "6 weken", "10 werkdagen", "14 dagen", "1 jaar", "two months").
_WRITTEN = re.compile(r"^(\d{1,5}\s*|[a-zé]+\s+)([a-z ]+?)\.?$")
_WRITTEN_UNITS = {
    Unit.DAYS: ("d", "dag", "dagen", "kalenderdag", "kalenderdagen", "day", "days"),
    Unit.WEEKS: ("w", "wk", "week", "weken", "weeks"),
    Unit.MONTHS: ("m", "mnd", "maand", "maanden", "month", "months"),
    Unit.YEARS: ("j", "jr", "jaar", "jaren", "y", "year", "years"),
    Unit.WERKDAGEN: (
        "wd",
        "werkdag",
        "werkdagen",
        "working day",
        "working days",
        "workday",
        "workdays",
        "business day",
        "business days",
    ),
}
_UNIT_OF = {word: unit for unit, words in _WRITTEN_UNITS.items() for word in words}
_NUMBERS = {
    word: n
    for n, words in enumerate(
        (
            (),
            ("een", "één", "eén", "one", "a", "an"),
            ("twee", "two"),
            ("drie", "three"),
            ("vier", "four"),
            ("vijf", "five"),
            ("zes", "six"),
            ("zeven", "seven"),
            ("acht", "eight"),
            ("negen", "nine"),
            ("tien", "ten"),
            ("elf", "eleven"),
            ("twaalf", "twelve"),
        )
    )
    for word in words
}


def written_length(text: str) -> Length | None:
    """A termijn length as a case worker writes it, or as a definition does: 'P2M', '2 maanden',
    '6 weken', '10 werkdagen', '14 dagen', '1 jaar', '2 months'; None for anything else."""
    plain = " ".join(text.strip().lower().split())
    iso, found = _ISO.match(plain.upper()), _WRITTEN.match(plain)
    if iso:
        n, unit = int(iso.group(1)), _UNITS[iso.group(2)]
    elif found and found.group(2) in _UNIT_OF:
        count = found.group(1).strip()
        n = int(count) if count.isdigit() else _NUMBERS.get(count, 0)
        unit = _UNIT_OF[found.group(2)]
    else:
        return None
    try:
        return Length(n, unit)
    except TermijnError:  # none at all, or longer than 100 years
        return None


def canonical(length: Length) -> str:
    """The length as the workflow keeps it (what `length_of` reads): 'P2M', '10 werkdagen'."""
    if length.unit is Unit.WERKDAGEN:
        return f"{length.n} werkdagen"
    return f"P{length.n}{length.unit.value[0].upper()}"


def compile_termijnen(
    d: Definition,
    states: Mapping[str, Any],
    problem: Callable[[Path_, str], None],
    unknown: Callable[[Path_, str, str, Any], None],
    check_actions: Callable[[Any, Path_], None],
) -> dict[str, CTermijn]:
    compiled = {}
    for name, termijn in d.termijnen.items():
        path: Path_ = ("termijnen", name)
        start_kind, start = _start(termijn)
        known = {"state": states, "date": d.case_dates, "event": d.events}[start_kind]
        if start not in known:
            unknown(
                (*path, "start", start_kind), start_kind.replace("date", "case date"), start, known
            )
        for i, state in enumerate(termijn.met):
            if state not in states:
                unknown((*path, "met", i), "state", state, states)
        try:
            length_of(termijn.length)
        except TermijnError as error:
            problem((*path, "length"), str(error))
        check_actions(termijn.on_warning, (*path, "on_warning"))
        check_actions(termijn.on_expiry, (*path, "on_expiry"))
        rules = {}
        for kind in ("suspend", "extend"):
            rule: TermijnRule | None = getattr(termijn, kind)
            if rule is not None:
                for i, role in enumerate(rule.roles):
                    if role not in d.roles:
                        unknown((*path, kind, "roles", i), "role", role, d.roles)
                rules[kind] = CTermijnRule(
                    roles=tuple(rule.roles), max_times=rule.max_times, max_length=rule.max_length
                )
        compiled[name] = CTermijn(
            name=name,
            title=termijn.title,
            legal_basis=termijn.legal_basis,
            start_kind=start_kind,
            start=start,
            length=termijn.length,
            from_day_after=termijn.from_day_after,
            atw=termijn.atw,
            amber=termijn.amber,
            warn_before=termijn.warn_before,
            met=tuple(termijn.met),
            on_warning=tuple(termijn.on_warning),
            on_expiry=tuple(termijn.on_expiry),
            **rules,
        )
    return compiled


def _start(termijn: Termijn) -> tuple[Any, str]:
    for kind in ("state", "date", "event"):
        value = getattr(termijn.start, kind)
        if value is not None:
            return kind, value
    raise AssertionError("TermijnStart validates exactly one")
