"""A definition's problems in Dutch, for the designer's pages.

The loader and the compiler (`traject/definition`) report a definition's problems in English: the
API, `traject validate` and the English pages show them as they are, and tests and scripts match
that text. A Dutch page says them in Dutch, by their pattern, as `i18n.message` does for the
service's refusals (it asks `dutch()` when none of its own patterns fits).

Each entry is the English sentence as the source writes it, with `{name}` where it fills
something in, and the Dutch sentence with the same names. What the designer wrote comes through
as written (a state, task, key or value, in quotes); `{hint}` is the "did you mean" hint, said
in Dutch; `{name:conv}` passes the value through one of `_CONVERT`. Put a more specific sentence
before a more general one that would also fit it. `tests/unit/test_definition_problems_nl.py`
runs broken definitions through the loader and compiler and fails on a problem without Dutch.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

# {name} or {name:conv}: not `{…}`, which the sentences also hold
_HOLE = re.compile(r"\{(\w+)(?::(\w+))?\}")
_HINT = r"(?P<hint>(?: \(did you mean '.*?'\?\))?)"  # errors.did_you_mean
_HINT_NAME = re.compile(r" \(did you mean '(.*)'\?\)", re.S)


def _pattern(english: str) -> re.Pattern[str]:
    """The English sentence as a pattern: its words literally, each `{name}` any text."""
    parts, at = [], 0
    for hole in _HOLE.finditer(english):
        parts.append(re.escape(english[at : hole.start()]))
        parts.append(_HINT if hole.group(1) == "hint" else f"(?P<{hole.group(1)}>.*?)")
        at = hole.end()
    parts.append(re.escape(english[at:]))
    return re.compile("".join(parts), re.S)


Table = list[tuple[re.Pattern[str], str]]


def table(entries: list[tuple[str, str]]) -> Table:
    return [(_pattern(english), dutch) for english, dutch in entries]


Convert = dict[str, Callable[[str], str]]


def say(table: Table, text: str, convert: Convert | None = None) -> str | None:
    """`text` in Dutch by the first entry of `table` it fits; `convert`: the `{name:conv}` of
    the table (those of the definition's problems when not given)."""
    for pattern, dutch in table:
        found = pattern.fullmatch(text)
        if found:
            fill = functools.partial(_fill, found, _CONVERT if convert is None else convert)
            return _HOLE.sub(fill, dutch)
    return None


def _fill(found: re.Match[str], convert: Convert, hole: re.Match[str]) -> str:
    name, conv = hole.group(1), hole.group(2)
    value = found.group(name)
    if name == "hint":
        close = _HINT_NAME.fullmatch(value)
        return f" (bedoel je '{close.group(1)}'?)" if close else ""
    return convert[conv](value) if conv else value


# PyYAML's reasons for refusing a text (its `problem`; the reader's whole message), as a
# designer can act on them. The character or token PyYAML names comes through where it helps.
YAML_REASONS = table(
    [
        (
            "found character '\\t' that cannot start any token",
            "een tab mag niet: spring in met spaties",
        ),
        (
            "found character {char} that cannot start any token",
            "een waarde mag niet beginnen met {char}: zet de tekst tussen aanhalingstekens",
        ),
        (
            "mapping values are not allowed here",
            "hier mag geen ':' staan: zet een tekst met ': ' tussen aanhalingstekens, of kijk"
            " de inspringing na",
        ),
        ("could not find expected ':'", "hier ontbreekt een ':', of een regel springt verkeerd in"),
        ("expected <block end>, but found {token}", "de inspringing klopt hier niet"),
        ("expected the node content, but found {token}", "hier ontbreekt een waarde"),
        ("expected ',' or ']', but got {token}", "een lijst tussen [ en ] is niet goed afgesloten"),
        ("expected ',' or '}', but got {token}", "een blok tussen { en } is niet goed afgesloten"),
        (
            "found undefined alias {name}",
            "de verwijzing naar {name} (met *) noemt geen anker (met &)",
        ),
        ("second occurrence", "hetzelfde anker (met &) staat er twee keer"),
        (
            "found unexpected end of stream",
            "een tekst tussen aanhalingstekens wordt niet afgesloten",
        ),
        (
            "found unexpected document separator",
            "een tekst tussen aanhalingstekens wordt niet afgesloten voor '---' of '...'",
        ),
        (
            "found unknown escape character {char}",
            "na een \\ in een tekst tussen dubbele aanhalingstekens mag {char} niet staan",
        ),
        (
            "expected escape sequence of {count} hexadecimal numbers, but found {char}",
            "een code als \\x41 of \\u00e9 is niet af: daar horen {count} hexadecimale cijfers",
        ),
        (
            "sequence entries are not allowed here",
            "hier mag geen lijstregel ('- ') staan: kijk de inspringing na",
        ),
        ("mapping keys are not allowed here", "hier mag geen '?' staan"),
        (
            "expected alphabetic or numeric character, but found {char}",
            "na '&', '*' of '!' hoort een naam: zet een tekst die zo begint tussen"
            " aanhalingstekens",
        ),
        ("expected a comment or a line break, but found {char}", "hier hoort de regel te eindigen"),
        (
            "expected chomping or indentation indicators, but found {char}",
            "na '|' of '>' mag alleen '+', '-' of een cijfer staan",
        ),
        (
            "expected indentation indicator in the range 1-9, but found 0",
            "het cijfer na '|' of '>' is 1 tot en met 9",
        ),
        (
            "but found another document",
            "er staat meer dan één document in (met '---'): een definitie is één document",
        ),
        (
            "expected '<document start>', but found {token}",
            "hier hoort geen tekst meer: de definitie is al afgesloten, of een regel met %"
            " klopt niet",
        ),
        ("found duplicate YAML directive", "een regel met %YAML staat er twee keer"),
        (
            "found incompatible YAML document (version 1.* is required)",
            "een regel met %YAML noemt een versie die Traject niet kan lezen: laat die weg",
        ),
        ("duplicate tag handle {handle}", "een regel met %TAG staat er twee keer"),
        ("expected a digit or '.', but found {char}", "een regel met % klopt niet: laat die weg"),
        ("expected a digit or ' ', but found {char}", "een regel met % klopt niet: laat die weg"),
        ("expected a digit, but found {char}", "een regel met % klopt niet: laat die weg"),
        ("expected ' ', but found {char}", "een regel met % of een tag (!) klopt niet"),
        ("found undefined tag handle {handle}", "een tag (!) klopt niet: laat die weg"),
        ("expected '!', but found {char}", "een tag (!) klopt niet: laat die weg"),
        ("expected '>', but found {char}", "een tag (!) klopt niet: laat die weg"),
        ("expected URI, but found {char}", "een tag (!) klopt niet: laat die weg"),
        (
            "expected URI escape sequence of 2 hexadecimal numbers, but found {char}",
            "een tag (!) klopt niet: laat die weg",
        ),
        (
            "unacceptable character {code}: special characters are not allowed{where}",
            "het teken {code} is geen tekst en mag er niet in staan",
        ),
    ]
)


def _yaml(reason: str) -> str:
    said = say(YAML_REASONS, reason)
    return said if said is not None else reason


_CONVERT: Convert = {
    "keys": lambda text: " en ".join(f"'{key}'" for key in text.split(" and ")),
    "or": lambda text: text.replace(" or ", " of "),
    "yaml": _yaml,
}

# What is unknown: "unknown {what} '{name}'{hint}" (compiler.py's and termijnen.py's `unknown`,
# and the loader's keys, parameters, actions and guards).
_UNKNOWN = {
    "case date": "onbekende zaakdatum",
    "initial state": "onbekende beginstap",
    "initial substate": "onbekende eerste deelstap",
    "outcome": "onbekende uitkomst",
    "target": "onbekende doelstap",
    "task": "onbekende taak",
    "role": "onbekende rol",
    "state": "onbekende stap",
    "event": "onbekende gebeurtenis",
    "key": "onbekend trefwoord",
    "parameter": "onbekende parameter",
    "guard": "onbekende voorwaarde",  # a pydantic union tag, followed by '; known: …'
    "action": "onbekende actie",
}

PROBLEMS: Table = table(
    [
        # ---------------------------------------------------------------- loader.py: the YAML
        ("file is larger than {size} bytes", "het bestand is groter dan {size} bytes"),
        ("not valid YAML: {reason}", "geen geldige YAML: {reason:yaml}"),
        ("the file is empty", "het bestand is leeg"),
        (
            "a definition is a mapping",
            "een definitie bestaat uit trefwoorden met een waarde, zoals 'title: …'",
        ),
        ("more than {count} YAML nodes", "meer dan {count} YAML-elementen: dat is te groot"),
        (
            "YAML tags such as '{tag}' are not supported",
            "YAML-tags zoals '{tag}' kan Traject niet lezen",
        ),
        (
            "YAML merge keys (<<) are not supported",
            "samenvoegen met '<<' kan Traject niet lezen: schrijf de waarden uit",
        ),
        (
            "a YAML alias may not refer to itself",
            "een YAML-alias mag niet naar zichzelf verwijzen: schrijf de waarden uit",
        ),
        (
            "a key is a name, not a list or a mapping",
            "een sleutel is een naam, geen lijst of groep sleutels met waarden",
        ),
        ("duplicate key '{key}'", "'{key}' staat hier twee keer"),
        ("not a valid value: '{value}'", "'{value}' is geen geldige waarde"),
        (
            "cannot read: 'utf-8' codec can't decode {detail}",
            "het bestand is geen UTF-8-tekst: sla het op als UTF-8",
        ),
        (
            "cannot read: [Errno 2] No such file or directory: {path}",
            "het bestand {path} bestaat niet",
        ),
        (
            "cannot read: [Errno 13] Permission denied: {path}",
            "Traject mag het bestand {path} niet lezen",
        ),
        ("cannot read: {error}", "het bestand is niet te lezen ({error})"),
        # ----------------------------------------------------------- loader.py: extends, params
        (
            "extends names a definition file",
            "'extends' noemt een definitie (kleine letters, cijfers, - en _), zoals 'pvt1'",
        ),
        ("extends cycle through '{name}'", "'extends' maakt een kringverwijzing via '{name}'"),
        ("no definition '{name}'{hint}", "er is geen definitie '{name}'{hint}"),
        # ------------------------------------------------------- loader.py: the grammar (pydantic)
        (
            "unknown key '{key}' (a comma inside {…} splits a text: put the text in quotes)",
            "onbekend trefwoord '{key}' (een komma binnen {…} knipt een tekst in stukken: zet"
            " de tekst tussen aanhalingstekens)",
        ),
        ("'{key}' is required", "'{key}' is verplicht"),
        *(
            (
                f"unknown {what} '{{name}}'{{hint}}; known: {{known}}",
                f"{dutch} '{{name}}'{{hint}}; kies uit {{known}}",
            )
            for what, dutch in _UNKNOWN.items()
            if what in ("guard", "action")
        ),
        (
            "{value} is not a termijn length: P10W, P2M, P3Y, P14D or '15 werkdagen'",
            "{value} is geen termijnlengte: schrijf P10W, P2M, P3Y, P14D of '15 werkdagen'",
        ),
        (
            "{value} is not an ISO-8601 duration such as P10W, P3M or P1Y",
            "{value} is geen duur zoals P10W (10 weken), P3M (3 maanden) of P1Y (1 jaar)",
        ),
        (
            "{value} must be a lowercase name (letters, digits, _), e.g. 'plan_van_aanpak'",
            "{value} is geen naam: gebruik kleine letters, cijfers en _, zoals 'plan_van_aanpak'",
        ),
        # pydantic's own messages (its first letter made lower case), by error type
        ("input should be a valid string", "hier hoort een tekst"),  # string_type
        ("input should be a valid integer", "hier hoort een heel getal"),  # int_type
        (
            "input should be a valid integer, unable to parse string as an integer",  # int_parsing
            "hier hoort een heel getal",
        ),
        (
            "input should be a valid integer, got a number with a fractional part",  # int_from_float
            "hier hoort een heel getal, zonder komma",
        ),
        ("input should be a valid number", "hier hoort een getal"),  # float_type
        (
            "input should be a valid number, unable to parse string as a number",  # float_parsing
            "hier hoort een getal",
        ),
        ("input should be a valid boolean", "hier hoort true of false"),  # bool_type
        (
            "input should be a valid boolean, unable to interpret input",  # bool_parsing
            "hier hoort true of false",
        ),
        (
            "input should be a valid dictionary",  # dict_type
            "hier horen regels 'naam: waarde', geen lijst of losse waarde",
        ),
        (
            "input should be a valid dictionary or instance of {model}",  # model_type
            "hier horen trefwoorden met een waarde ('trefwoord: waarde'), geen lijst of losse"
            " waarde",
        ),
        (
            "input should be a valid dictionary or object to extract fields from",
            "hier horen trefwoorden met een waarde ('trefwoord: waarde'), geen lijst of losse"
            " waarde",
        ),  # model_attributes_type: an action or guard that is a number or a list
        ("input should be a valid list", "hier hoort een lijst: '- …' per regel, of [a, b]"),
        ("input should be greater than or equal to {limit}", "moet {limit} of meer zijn"),
        ("input should be greater than {limit}", "moet groter zijn dan {limit}"),
        ("input should be less than or equal to {limit}", "mag hoogstens {limit} zijn"),
        ("input should be less than {limit}", "moet kleiner zijn dan {limit}"),
        ("input should be '{choices:or}", "kies uit '{choices:or}"),  # literal_error
        ("string should have at most {limit} characters", "mag hoogstens {limit} tekens lang zijn"),
        ("string should have at least 1 character", "mag niet leeg zijn"),
        (
            "string should have at least {limit} characters",
            "moet ten minste {limit} tekens lang zijn",
        ),
        ("list should have at least 1 item after validation, not 0", "mag geen lege lijst zijn"),
        (
            "list should have at least {limit} items after validation, not {count}",
            "moet ten minste {limit} items hebben",
        ),
        ("dictionary should have at least 1 item after validation, not 0", "mag niet leeg zijn"),
        (
            "dictionary should have at least {limit} items after validation, not {count}",
            "moet ten minste {limit} items hebben",
        ),
        (
            "unable to extract tag using discriminator 'action'",  # union_tag_not_found
            "onduidelijk welke actie dit is: begin met de naam van de actie, zoals 'notify:'",
        ),
        (
            "unable to extract tag using discriminator 'guard'",
            "onduidelijk welke voorwaarde dit is: begin met de naam van de voorwaarde, zoals"
            " 'date_known:' of 'field:'",
        ),
        # value errors of the models (model.py) and of durations (duration.py)
        (
            "a termijn starts on exactly one of 'state', 'date' or 'event'",
            "een termijn start op precies één van 'state', 'date' of 'event'",
        ),
        (
            "{value} is not an ISO-8601 duration (examples: P10W, P3M, P1Y, P2DT12H, PT30S)",
            "{value} is geen duur zoals P10W (10 weken), P3M (3 maanden), P1Y (1 jaar) of"
            " PT30S (30 seconden)",
        ),
        (
            "{value} is not an ISO-8601 duration (a text such as P10W)",
            "{value} is geen duur: schrijf een tekst zoals P10W",
        ),
        (
            "{value} is zero: a deadline or timer needs a positive duration",
            "{value} is nul: een deadline of timer moet langer dan nul duren",
        ),
        ("{value} is longer than {years} years", "{value} is langer dan {years} jaar"),
        # ----------------------------------------------------------------- compiler.py: states
        (
            "duplicate state name '{name}' (also at {where}); state names are unique",
            "de stapnaam '{name}' staat er twee keer (ook bij {where}); elke stap heeft een"
            " eigen naam",
        ),
        (
            "duplicate name '{name}' (also a task at {where}): task names are unique and differ"
            " from state names",
            "de naam '{name}' is ook een taak (bij {where}): elke taak heeft een eigen naam,"
            " anders dan die van de stappen",
        ),
        (
            "duplicate name '{name}': task names are unique and differ from state names",
            "de naam '{name}' is al gebruikt: elke taak heeft een eigen naam, anders dan die van"
            " de stappen",
        ),
        (
            "a state is one kind: it has {kinds}",
            "een stap is van één soort: deze heeft {kinds:keys}",
        ),
        (
            "only a state with 'states' has an initial substate",
            "alleen een stap met 'states' heeft een 'initial'",
        ),
        ("'role' belongs to a checklist state", "'role' hoort bij een stap met een 'checklist'"),
        (
            "a parallel region needs 'states' or a 'checklist'",
            "een parallel deel heeft 'states' of een 'checklist' nodig",
        ),
        ("a state with 'states' needs 'initial'", "een stap met 'states' heeft 'initial' nodig"),
        ("a final state has no {key}", "een eindstap heeft geen '{key}'"),
        (
            "a checklist makes the states {open} and {done}: '{name}' is already used at {where}",
            "een checklist maakt de stappen {open} en {done}: '{name}' is al gebruikt bij {where}",
        ),
        ("a checklist needs at least one item", "een checklist heeft ten minste één item nodig"),
        (
            "a checklist item needs a role (set 'role' on the checklist state or on the item)",
            "een checklistitem heeft een rol nodig (zet 'role' bij de stap met de checklist of"
            " bij het item)",
        ),
        # ------------------------------------------------------------------ forms.py: task forms
        ("a {type} field needs 'options'", "een veld van type '{type}' heeft 'options' nodig"),
        (
            "'options' belong to choice fields, not {type}",
            "'options' horen bij een veld van type 'choice' of 'multichoice', niet bij '{type}'",
        ),
        (
            "options are a list of codes, [b1, z], or each code with its label,"
            " {b1: B1-route, z: Z-route}",
            "'options' is een lijst van codes, [b1, z], of elke code met het label dat de"
            " medewerker leest, {b1: B1-route, z: Z-route}",
        ),
        (
            "option '{code}' is given twice: options must be unique",
            "de optie '{code}' staat er twee keer: elke optie mag er maar één keer staan",
        ),
        (
            "options '{one}' and '{other}' both read '{label}': give each option its own label",
            "de opties '{one}' en '{other}' heten allebei '{label}': geef elke optie een eigen"
            " label",
        ),
        (
            "min/max belong to int and number fields, not {type}",
            "min/max horen bij een veld van type 'int' of 'number', niet bij '{type}'",
        ),
        ("min {min} is larger than max {max}", "min {min} is groter dan max {max}"),
        (
            "max_length belongs to text and string fields",
            "max_length hoort bij een veld van type 'text' of 'string'",
        ),
        # ------------------------------------------------ compiler.py: timers, transitions, guards
        (
            "duplicate timer name '{name}' in this state",
            "de timernaam '{name}' staat twee keer in deze stap",
        ),
        (
            "'{target}' has several outcomes: say which with 'outcome' ({outcomes})",
            "'{target}' heeft meerdere uitkomsten: kies er een met 'outcome' ({outcomes})",
        ),
        (
            "'outcome' belongs on a transition into a final state",
            "'outcome' hoort bij een overgang naar een eindstap",
        ),
        (
            "'done' is the completion of a state with 'states', 'parallel' or 'checklist'",
            "'done' is het afronden van een stap met 'states', 'parallel' of 'checklist'",
        ),
        (
            "task '{task}' belongs to state '{owner}', which is not '{state}' or inside it",
            "taak '{task}' hoort bij stap '{owner}', en die is niet '{state}' of een stap"
            " daarbinnen",
        ),
        (
            "unknown trigger '{name}'{hint}: use '<task>.done', 'done', '<termijn>.expired' or an"
            " event declared under 'events'",
            "onbekende trigger '{name}'{hint}: gebruik '<taak>.done', 'done', '<termijn>.expired'"
            " of een gebeurtenis uit 'events'",
        ),
        (
            "'{field}' is personal data: a guard may not read it",
            "'{field}' is een persoonsgegeven: een voorwaarde mag het niet lezen",
        ),
        (
            "'{value}' is the label of option '{code}' of '{field}': a guard compares the code",
            "'{value}' is het label van de optie '{code}' van '{field}': een voorwaarde"
            " vergelijkt de code",
        ),
        (
            "'{value}' is not an option of '{field}'{hint}",
            "'{value}' is geen optie van '{field}'{hint}",
        ),
        (
            "'{field}' is {type}: at_least/at_most need a number",
            "'{field}' is een veld van type '{type}': at_least/at_most vragen een getal",
        ),
        (
            "'{field}' is {type}, record_ladder needs a ladder field",
            "'{field}' is een veld van type '{type}'; record_ladder vraagt een veld van type"
            " 'ladder'",
        ),
        # what `_unknown` did not find ("unknown key" and "unknown parameter" from the loader)
        (
            "unknown outcome of '{target}' '{name}'{hint}",
            "'{target}' heeft geen uitkomst '{name}'{hint}",
        ),
        (
            "unknown field of task '{task}' '{name}'{hint}",
            "taak '{task}' heeft geen veld '{name}'{hint}",
        ),
        *(
            (f"unknown {what} '{{name}}'{{hint}}", f"{dutch} '{{name}}'{{hint}}")
            for what, dutch in _UNKNOWN.items()
            if what not in ("guard", "action")
        ),
        # --------------------------------------------------------------------- graph.py: the graph
        (
            "no final state at the top level: add one with 'final: true'",
            "er is geen eindstap op het bovenste niveau: voeg er een toe met 'final: true'",
        ),
        (
            "has a 'done' transition but no final substate",
            "heeft een overgang bij 'done', maar geen eindstap erin",
        ),
        (
            "on '{trigger}' a transition without a guard comes before others, which can then"
            " never be taken",
            "bij '{trigger}' staat een overgang zonder voorwaarde vóór andere, die daardoor nooit"
            " genomen worden",
        ),
        (
            "state '{name}' is unreachable: no transition leads to it",
            "stap '{name}' is onbereikbaar: geen overgang leidt erheen",
        ),
        (
            "state '{name}' has no way out: its 'done' has no transition, and it is not final",
            "stap '{name}' is geen eindstap, maar bij 'done' hoort geen overgang: het traject loopt"
            " daar vast",
        ),
        (
            "state '{name}' has no way out: no transition leaves it, and it is not final",
            "stap '{name}' is geen eindstap, maar er gaat geen overgang uit: het traject loopt daar"
            " vast",
        ),
        (
            "state '{name}' can never reach a final state (it only cycles)",
            "stap '{name}' komt nooit bij een eindstap (het traject blijft rondgaan)",
        ),
        (
            "state '{name}' is on a cycle without any task, timer or event: the trajectory would"
            " loop forever",
            "stap '{name}' ligt in een kring zonder taak, timer of gebeurtenis: het traject zou"
            " eindeloos rondgaan",
        ),
    ]
)


def dutch(text: str) -> str | None:
    """A problem of a definition in Dutch; None when `text` is not one."""
    return say(PROBLEMS, text)
