"""The reasons a case worker chooses from when they suspend (opschorten), resume (hervatten) or stop
a trajectory, or suspend, resume or extend (verlengen) a termijn: one list, so that everyone records
the same reason the same way and the reports can count them.

A reason is stored as its code everywhere (the workflow history, the audit log, the API); the pages
show its label in the reader's language. The code goes into the Temporal workflow history, where
nothing personal may go, so a code names a kind of reason and never a person's details: health,
pregnancy or care for someone are all `persoonlijke_omstandigheden`, and what exactly is the matter
goes into the note (toelichting), which stays in the audit log in the store. For the same reason
an exemption is just `ontheffing`, without its grounds. `anders` (other) needs that note.

The API still takes any code (lower case letters, digits and _): an integration may send its own.
A code not in this list is shown as it is.

Pure data and lookups: no web, store or workflow imports.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("nl", "en")
OTHER = "anders"


@dataclass(frozen=True)
class Reason:
    """A reason: its code, its label in Dutch and English, and a hint that the form shows after
    the label (what the reason covers), not the timeline."""

    code: str
    nl: str
    en: str
    hint_nl: str = ""
    hint_en: str = ""

    def label(self, lang: str = "nl") -> str:
        """The reason in words, as the timeline and the audit log show it."""
        return self.en if lang == "en" else self.nl

    def option(self, lang: str = "nl") -> str:
        """The reason as the form offers it: its label, with its hint in brackets."""
        hint = self.hint_en if lang == "en" else self.hint_nl
        return f"{self.label(lang)} ({hint})" if hint else self.label(lang)

    @property
    def needs_note(self) -> bool:
        """Whether the case worker must explain it in the note."""
        return self.code == OTHER


_ALL = (
    # suspending (traject or termijn)
    Reason("wacht_op_documenten", "Wacht op documenten", "Waiting for documents"),
    Reason(
        "persoonlijke_omstandigheden",
        "Persoonlijke omstandigheden",
        "Personal circumstances",
        "ziekte, zwangerschap, mantelzorg",
        "illness, pregnancy, caring for someone",
    ),
    Reason(
        "verblijf_buiten_nederland",
        "Tijdelijk verblijf buiten Nederland",
        "Temporarily outside the Netherlands",
    ),
    Reason(
        "verhuizing_in_behandeling",
        "Verhuizing naar andere gemeente in behandeling",
        "Move to another municipality in progress",
    ),
    Reason(
        "wacht_op_besluit_duo",
        "Wacht op besluit van DUO",
        "Waiting for a decision by DUO",
        "bijv. over ontheffing",
        "e.g. on an exemption",
    ),
    Reason(
        "uitstel_op_verzoek",
        "Uitstel op verzoek van de inburgeraar",
        "Postponed at the newcomer's request",
    ),
    # resuming
    Reason("documenten_ontvangen", "Documenten ontvangen", "Documents received"),
    Reason(
        "weer_beschikbaar",
        "Inburgeraar weer beschikbaar",
        "Newcomer available again",
        "na persoonlijke omstandigheden of uitstel",
        "after personal circumstances or postponement",
    ),
    Reason("terug_in_nederland", "Terug in Nederland", "Back in the Netherlands"),
    Reason("verhuizing_gaat_niet_door", "Verhuizing gaat niet door", "Move called off"),
    Reason("besluit_duo_ontvangen", "Besluit van DUO ontvangen", "Decision by DUO received"),
    # stopping
    Reason("verhuisd", "Verhuisd naar andere gemeente", "Moved to another municipality"),
    Reason("vertrokken_uit_nederland", "Vertrokken uit Nederland", "Left the Netherlands"),
    Reason(
        "ontheffing",
        "Ontheffing van de inburgeringsplicht",
        "Exemption from the civic integration requirement (ontheffing)",
    ),
    Reason(
        "vrijstelling",
        "Vrijstelling van de inburgeringsplicht",
        "Exemption from the civic integration requirement (vrijstelling)",
        "bijv. op grond van een diploma",
        "e.g. on the grounds of a diploma",
    ),
    Reason(
        "geen_inburgeringsplicht",
        "Niet (meer) inburgeringsplichtig",
        "Not (or no longer) required to integrate",
    ),
    Reason("traject_niet_meer_nodig", "Traject niet meer nodig", "Trajectory no longer needed"),
    Reason(
        "eigen_verzoek",
        "Gestopt op eigen verzoek",
        "Stopped at the newcomer's own request",
        "vrijwillige deelname",
        "voluntary participation",
    ),
    Reason(
        "ten_onrechte_gestart",
        "Dubbel of ten onrechte gestart",
        "Duplicate or started by mistake",
    ),
    Reason("overleden", "Overleden", "Deceased"),
    # extending a termijn
    Reason(
        "lesuitval_of_wachtlijst",
        "Lessen uitgevallen of wachten op een lesplek",
        "Classes cancelled or waiting for a place",
    ),
    Reason("wachttijd_examen", "Wachttijd voor een examen", "Waiting time for an exam"),
    Reason(
        "meer_tijd_leerroute",
        "Meer tijd nodig voor de leerroute",
        "More time needed for the learning route",
        "bij voldoende voortgang",
        "with sufficient progress",
    ),
    Reason(
        "verdaging",
        "Verdaging: meer tijd nodig voor het besluit",
        "Adjournment: more time needed for the decision",
        "advies of onderzoek",
        "advice or inquiry",
    ),
    Reason(OTHER, "Anders", "Other", "licht toe", "explain"),
    # written by Traject itself, never offered: a suspension at its maximum length resumes
    Reason(
        "max_suspension",
        "Langste opschorting bereikt, vanzelf hervat",
        "Longest suspension reached, resumed automatically",
    ),
)
REASONS: dict[str, Reason] = {r.code: r for r in _ALL}

_SUSPEND = (
    "wacht_op_documenten",
    "persoonlijke_omstandigheden",
    "verblijf_buiten_nederland",
    "verhuizing_in_behandeling",
    "wacht_op_besluit_duo",
    "uitstel_op_verzoek",
)
_RESUME = (
    "documenten_ontvangen",
    "weer_beschikbaar",
    "terug_in_nederland",
    "verhuizing_gaat_niet_door",
    "besluit_duo_ontvangen",
)
# Each action (named as the audit log names it) → the codes its form offers, in order; `anders`
# last, always.
CHOICES: dict[str, tuple[str, ...]] = {
    "case_suspend": (*_SUSPEND, OTHER),
    "case_resume": (*_RESUME, OTHER),
    "case_cancel": (
        "verhuisd",
        "vertrokken_uit_nederland",
        "ontheffing",
        "vrijstelling",
        "geen_inburgeringsplicht",
        "traject_niet_meer_nodig",
        "eigen_verzoek",
        "ten_onrechte_gestart",
        "overleden",
        OTHER,
    ),
    "termijn_suspend": (*_SUSPEND, OTHER),
    "termijn_resume": (*_RESUME, OTHER),
    "termijn_extend": (
        "persoonlijke_omstandigheden",
        "lesuitval_of_wachtlijst",
        "wachttijd_examen",
        "meer_tijd_leerroute",
        "verdaging",
        OTHER,
    ),
}
# The timeline entries (by kind) whose reason is one of these: a case worker's decision or termijn
# change. (An escalation's reason is a code of its definition's, not one of these.)
TIMELINE_KINDS = frozenset(
    {"suspended", "resumed", "cancelled", "termijn_suspend", "termijn_resume", "termijn_extend"}
)


def choices(action: str) -> tuple[Reason, ...]:
    """The reasons to choose from for `action` (case_suspend, case_resume, case_cancel,
    termijn_suspend, termijn_resume or termijn_extend)."""
    try:
        return tuple(REASONS[code] for code in CHOICES[action])
    except KeyError:
        raise ValueError(f"no reasons for '{action}': one of {', '.join(CHOICES)}") from None


def known(code: str | None) -> bool:
    return code in REASONS


def label(code: str | None, lang: str = "nl") -> str:
    """A recorded reason in words: the code itself when it is not in the list (an integration's
    own code, or one from before the list), empty for none."""
    if not code:
        return ""
    reason = REASONS.get(code)
    return reason.label(lang) if reason else code


def needs_note(code: str | None) -> bool:
    """Whether a reason must be explained in the note: `anders`."""
    return code == OTHER
