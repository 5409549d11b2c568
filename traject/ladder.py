"""The participatieladder: the six steps a newcomer's participation is measured on (DOMAIN.md),
with their names in Dutch and English. The one list the pages use: the case page's measurement
form and facts, the timeline, a task's ladder field and its answer."""

from __future__ import annotations

STEPS: dict[int, tuple[str, str]] = {  # step: (nl, en)
    1: ("Geïsoleerd", "Isolated"),
    2: ("Sociale contacten buiten de deur", "Social contacts outside the home"),
    3: ("Deelname aan georganiseerde activiteiten", "Taking part in organised activities"),
    4: ("Onbetaald werk", "Unpaid work"),
    5: ("Betaald werk met ondersteuning", "Paid work with support"),
    6: ("Betaald werk zonder ondersteuning", "Paid work without support"),
}
_WORD = {"nl": "Trede", "en": "Step"}


def step_of(value: object) -> int | None:
    """A step as a whole number 1..6 (from a form's '3', a stored 3 or 3.0); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value in STEPS else None


def name(step: int, lang: str = "nl") -> str:
    """The step's name: 3 → 'Deelname aan georganiseerde activiteiten'."""
    return STEPS[step][1 if lang == "en" else 0]


def option(step: int, lang: str = "nl") -> str:
    """The step as a list offers it: '3 · Deelname aan georganiseerde activiteiten'."""
    return f"{step} · {name(step, lang)}"


def label(value: object, lang: str = "nl") -> str:
    """A measured step in words: 'Trede 3 (Deelname aan georganiseerde activiteiten)'; what is
    not a step as it was given."""
    step = step_of(value)
    if step is None:
        return str(value)
    return f"{_WORD['en' if lang == 'en' else 'nl']} {step} ({name(step, lang)})"
