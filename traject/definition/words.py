"""Codes of a definition as people read them, where the definition gives them no words of its own:
a role, an escalation's reason, an option of a form field written in the short form."""

from __future__ import annotations

import re


def in_words(code: str) -> str:
    """A code of a definition as people read it, where the definition gives it no title: a role
    (the group of people who work a task: 'klantmanager' → 'Klantmanager', 'werk_coach' → 'Werk
    coach'; a group is one across a municipality's definitions, whose descriptions of it differ),
    an escalation's reason ('verklaring_niet_getekend' → 'Verklaring niet getekend') or an option
    of a form field without a label ('b1_of_hoger' → 'B1 of hoger'). (A user's role in Traject,
    coordinator or designer, is another thing: traject/web/i18n.py names those.)"""
    words = " ".join(ACRONYMS.get(word, word) for word in code.replace("_", " ").split())
    # codes are ASCII, these words are not
    words = re.sub(r"\b(\w+)\b", lambda m: DIAERESES.get(m.group(1), m.group(1)), words)
    return words[:1].upper() + words[1:]


# Words of the domain's codes written in capitals (pip_niet_binnen_tien_weken: "PIP niet ...",
# an option mbo_4: "MBO 4"): organisations and documents, levels of education (MBO, HBO, WO) and
# the language levels of the Common European Framework (A0 … C2).
ACRONYMS = {
    a.lower(): a
    for a in (
        *("PIP", "DUO", "PVT", "UWV", "KNM", "BSN", "IND", "COA", "VNG", "ONA", "MAP"),
        *("MBO", "HBO", "WO", "ROC", "ICT", "IELTS"),
        *("A0", "A1", "A2", "B1", "B2", "C1", "C2"),
    )
}

# Words the codes write without their diaeresis, as people read them (an option oekraiens:
# "Oekraïens"; the group coordinator: "Coördinator").
DIAERESES = {
    "coordinator": "coördinator",
    "coordinatoren": "coördinatoren",
    "coordinatie": "coördinatie",
    "oekraiens": "Oekraïens",
    "oekraine": "Oekraïne",
    "ideeen": "ideeën",
    "financien": "financiën",
    "geinformeerd": "geïnformeerd",
    "geintegreerd": "geïntegreerd",
    "geinteresseerd": "geïnteresseerd",
    "reintegratie": "re-integratie",
    "beeindigd": "beëindigd",
    "beeindiging": "beëindiging",
}
