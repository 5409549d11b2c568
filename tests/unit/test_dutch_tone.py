"""The Dutch pages address their reader one way: informally ("je", "jouw"), as case workers address
each other. A formal "u"/"uw" among them reads as a different product; this keeps them from
coming back, in the text table, the role names, the translated refusals, a definition's problems,
what the designer's pages say after an action (changes, scenario failures, refused migrations)
and the templates' own words."""

from __future__ import annotations

import re
from pathlib import Path

from traject.web import i18n, i18n_definition, i18n_designer

TEMPLATES = Path(i18n.__file__).parent / "templates"
FORMAL = re.compile(r"\b(?:u|uw|Uw|U)\b")
JINJA = re.compile(r"{[{%#].*?[}%#]}", re.S)
TAGS = re.compile(r"<[^>]*>", re.S)


def _dutch_texts() -> list[str]:
    texts = [nl for nl, _ in i18n.TEXT.values()]
    texts += [nl for nl, _ in i18n.ROLES.values()]
    texts += [nl for _, (nl, _en) in i18n._MESSAGES if isinstance(nl, str)]
    texts += [nl for _, nl in i18n_definition.PROBLEMS + i18n_definition.YAML_REASONS]
    texts += [
        nl
        for table in (
            i18n_designer.CHANGES,
            i18n_designer.SCENARIOS,
            i18n_designer.MACHINE,
            i18n_designer.MIGRATION,
        )
        for _, nl in table
    ]
    return texts


def test_the_dutch_texts_say_je_not_u() -> None:
    texts = _dutch_texts()
    assert len(texts) > 300  # the table was read, not an empty list
    assert [t for t in texts if FORMAL.search(t)] == []


def test_the_templates_own_words_say_je_not_u() -> None:
    found = {}
    for template in sorted(TEMPLATES.glob("*.html")):
        words = TAGS.sub(" ", JINJA.sub(" ", template.read_text()))
        hits = FORMAL.findall(words)
        if hits:
            found[template.name] = hits
    assert found == {}


def test_the_check_finds_a_formal_word() -> None:
    assert FORMAL.search("Neem een definitie over als versie 1 van uw eigen traject")
    assert FORMAL.search("Kunt U dit invullen?")
    assert not FORMAL.search("Je account heeft geen rol: vraag je beheerder (uur, duur).")
