"""A municipality's first version of a trajectory, started from a built-in definition: the
built-in's YAML, made the municipality's own (its `municipality`, version 1), opened in the
designer's editor. A built-in that `extends` another needs that one published first."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from traject.casework import require
from traject.definition import DefinitionError, compile_file
from traject.service import Refused
from traject.web import i18n
from traject.web.designer_pages import _designer
from traject.web.pages import lang_of, render, signed_in

BUILT_IN = Path(__file__).parents[2] / "definitions"
_MUNICIPALITY = re.compile(r"^municipality:.*$", re.MULTILINE)
_VERSION = re.compile(r"^version:.*$", re.MULTILINE)
_EXTENDS = re.compile(r"^extends:\s*(\S+)", re.MULTILINE)


def own_copy(source: str, municipality: str) -> str:
    """The built-in's text as version 1 of the municipality's own definition."""
    text = _VERSION.sub("version: 1", source, count=1)
    if _MUNICIPALITY.search(text):
        return _MUNICIPALITY.sub(f"municipality: {municipality}", text, count=1)
    return text  # an extending file inherits the municipality of its base


def built_ins() -> list[tuple[str, str, str | None]]:
    """(name, title, the built-in it extends) of each built-in definition that compiles."""
    found = []
    for path in sorted(BUILT_IN.glob("*.yaml")):
        try:
            compiled = compile_file(path)
        except DefinitionError:
            continue
        base = _EXTENDS.search(path.read_text(encoding="utf-8"))
        found.append((compiled.definition, compiled.title, base.group(1) if base else None))
    return found


def designer_start_router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/designer/start")
    def choose(request: Request, built_in: str = "") -> Response:
        user = signed_in(request)
        require(user, "designer")
        designer = _designer(request)
        own = designer.bases(user.municipality)
        options = built_ins()
        if not built_in:
            return render(
                request,
                "designer_start.html",
                user,
                options=options,
                own=own,
                active_nav="designer",
            )
        chosen = next((o for o in options if o[0] == built_in), None)
        if chosen is None:
            raise Refused("not_found", f"no built-in definition '{built_in}'")
        if chosen[0] in own:
            raise Refused("version_exists", f"'{built_in}' is already yours: make a new version")
        source = own_copy(
            (BUILT_IN / f"{built_in}.yaml").read_text(encoding="utf-8"), user.municipality
        )
        check = designer.check(user, built_in, source, lang_of(request))
        return render(
            request,
            "designer_edit.html",
            user,
            definition=built_in,
            source=source,
            c=check,
            note=i18n.translator(lang_of(request))("designer.copied_note").format(name=built_in),
        )

    return web
