"""A definition described as a ZGW zaaktype (Zaakgericht Werken, the VNG Catalogi API's shape), so a
municipality can register its trajectory in its zaaksysteem: statustypen from the top-level states
in the order a trajectory meets them, resultaattypen from the outcomes, roltypen from the roles plus
the newcomer, eigenschappen from the case dates, doorlooptijd from the longest outcome target."""

from __future__ import annotations

from typing import Any

from traject.definition.compiled import CompiledDefinition
from traject.definition.duration import Duration

# ZGW's fixed generic role types; a role is mapped by what it does in the trajectory.
GENERIC_ROLE = {
    "coordinator": "zaakcoordinator",
    "wethouder": "beslisser",
    "klantmanager": "behandelaar",
}


def zaaktype(d: CompiledDefinition) -> dict[str, Any]:
    targets = [o.expected for o in d.outcomes.values() if o.expected]
    doorlooptijd = max(targets, key=lambda t: Duration.parse(t).approx_days()) if targets else None
    return {
        "identificatie": f"{d.municipality}-{d.definition}"[:50],
        "omschrijving": d.title[:80],
        "versie": str(d.version),
        "doel": d.description or d.title,
        "aanleiding": "; ".join(d.legal_basis) or d.title,
        "onderwerp": "Inburgering en participatie",
        "handelingInitiator": "Aanmelden",
        "handelingBehandelaar": "Begeleiden",
        "vertrouwelijkheidaanduiding": "vertrouwelijk",
        "doorlooptijd": doorlooptijd,
        "servicenorm": None,
        "publicatieIndicatie": False,
        "statustypen": _statustypen(d),
        "resultaattypen": [
            {
                "omschrijving": o.title[:20],
                "omschrijvingGeneriek": name,
                "toelichting": o.title,
                "doorlooptijd": o.expected,
            }
            for name, o in d.outcomes.items()
        ],
        "roltypen": [
            {
                "omschrijving": name,
                "omschrijvingGeneriek": GENERIC_ROLE.get(name, "adviseur"),
                "toelichting": description,
            }
            for name, description in d.roles.items()
        ]
        + [
            {
                "omschrijving": "nieuwkomer",
                "omschrijvingGeneriek": "belanghebbende",
                "toelichting": "De inburgeraar of statushouder om wie het traject draait",
            }
        ],
        "eigenschappen": [
            {"naam": name, "definitie": description, "specificatie": {"formaat": "datum"}}
            for name, description in d.case_dates.items()
        ],
        "bronTraject": {"definition": d.key, "contentHash": d.content_hash},
    }


def _statustypen(d: CompiledDefinition) -> list[dict[str, Any]]:
    """Top-level states in the order a trajectory reaches them (breadth first from the start),
    the final ones last: ZGW statuses are a sequence, the last one ends the zaak."""
    order, queue = [], [d.initial]
    while queue:
        name = queue.pop(0)
        if name in order:
            continue
        order.append(name)
        inside = {n for n, s in d.states.items() if name in d.ancestors(n)}
        for state in inside:
            for t in d.states[state].transitions:
                top = d.ancestors(t.target)[-1] if t.target else None
                if top and top not in order:
                    queue.append(top)
    working = [n for n in order if d.states[n].kind != "final"]
    finals = [n for n in order if d.states[n].kind == "final"]
    statustypen = []
    for number, name in enumerate([*working, *finals], start=1):
        spec = d.states[name]
        statustypen.append(
            {
                "volgnummer": number,
                "omschrijving": spec.title[:80],
                "omschrijvingGeneriek": name,
                "statustekst": spec.title,
                "doorlooptijd": spec.kpi.expected if spec.kpi is not None else None,
                "isEindstatus": name in finals,
            }
        )
    return statustypen
