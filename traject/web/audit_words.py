"""What a row of the audit log says beside its action: which task, event, ladder step, termijn,
version or person it was about, in words a coordinator reads (`repo.audit(…)` writes codes and
ids in `detail`: a task's name or id, an event's code, a definition's key). And the action itself
where its code says too little: an assignment to the one who made it is a claim ("Taak
opgepakt"), to someone else it names them ("Taak toegewezen aan Fatima").

What cannot be found any more (a task of an anonymised case, a version since removed) is said
as it was written, never left out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from traject import ladder
from traject.definition.compiled import CompiledDefinition, in_words
from traject.store import queries
from traject.store import repositories as repo
from traject.store.models import AuditEvent, Case, DefinitionVersion, Task
from traject.web import i18n

TASK_ACTIONS = {"task_read", "task_assigned", "task_released", "task_completed"}
TERMIJN_ACTIONS = {"termijn_suspend", "termijn_resume", "termijn_extend"}
DEFINITION_ACTIONS = {
    "case_started",
    "definition_published",
    "definition_draft_saved",
    "definition_draft_discarded",
}


@dataclass(frozen=True)
class Said:
    action: str | None  # the action in words; None: it has none (the page shows its code)
    detail: str = ""  # what it was about; "" when the action says it all


def kinds(lang: str) -> list[tuple[str, str]]:
    """(code, words) of every action the log can be filtered on, in the order of i18n.TEXT; an
    assignment stands for claims too."""
    t = i18n.translator(lang)
    return [
        (code, t("audit.filter_task_assigned") if code == "task_assigned" else t(key))
        for key in i18n.TEXT
        if key.startswith("action.") and (code := key.removeprefix("action."))
    ]


def said(
    session: Session, events: Sequence[AuditEvent], lang: str
) -> tuple[dict[str, str], dict[int, Said]]:
    """The names of the people the rows name ('user:<id>' → display name: who did it, who a
    task went to, which user was (de)activated) and what each row says (by its id)."""
    refs = {e.actor for e in events}
    for e in events:
        detail = e.detail or {}
        for key in ("assignee", "user"):
            if isinstance(detail.get(key), str):
                refs.add(detail[key])
    names = queries.user_names(session, refs)
    found = _Found(session, events)
    t = i18n.translator(lang)
    return names, {e.id: _say(e, found, names, t, lang) for e in events}


def _say(
    e: AuditEvent, found: _Found, names: dict[str, str], t: Callable[[str], str], lang: str
) -> Said:
    detail: dict[str, Any] = e.detail or {}
    action = t(f"action.{e.action}") if f"action.{e.action}" in i18n.TEXT else None
    about = ""
    if e.action in TASK_ACTIONS:
        about = found.task_title(e.case_id, detail)
        if e.action == "task_read" and detail.get("personal"):
            about = f"{about} ({t('audit.with_personal')})"
        if e.action == "task_assigned" and detail.get("assignee") == e.actor:
            action = t("audit.claimed")
        elif e.action == "task_assigned" and detail.get("assignee"):
            who = i18n.actor_name(str(detail["assignee"]), names, lang)
            action = t("audit.assigned_to").format(name=who)
    elif e.action == "event_recorded":
        event = str(detail.get("event", ""))
        compiled = found.compiled(e.case_id)
        about = compiled.event_titles.get(event, event) if compiled else event
    elif e.action == "ladder_recorded":
        about = ladder.label(detail.get("step"), lang)
    elif e.action in TERMIJN_ACTIONS:
        name = str(detail.get("termijn", ""))
        compiled = found.compiled(e.case_id)
        termijn = compiled.termijnen.get(name) if compiled else None
        about = termijn.title if termijn else name
        if e.action == "termijn_extend" and detail.get("length"):
            about = f"{about}: + {i18n.length_words(str(detail['length']), lang)}"
    elif e.action in ("case_migrated", "case_migration_reverted"):
        key = "audit.to_version" if e.action == "case_migrated" else "audit.back_to_version"
        about = t(key).format(version=detail.get("to_version", "?"))
    elif e.action in DEFINITION_ACTIONS:
        about = found.definition(str(detail.get("definition", "")), t)
    elif e.action in ("user_activated", "user_deactivated"):
        about = names.get(str(detail.get("user", "")), str(detail.get("username", "")))
    elif e.action in ("token_created", "token_revoked"):
        owner = names.get(str(detail.get("user", "")), "")
        about = f"{detail.get('name', '')}" + (f" ({owner})" if owner else "")
    return Said(action, about.strip())


class _Found:
    """What the rows name, read once for the page: their tasks, cases' versions, definitions."""

    def __init__(self, session: Session, events: Sequence[AuditEvent]) -> None:
        self.session = session
        tasks = [e for e in events if e.action in TASK_ACTIONS]
        ids = {int(i) for e in tasks if isinstance(i := _task_id(e), int)}
        named = {(e.case_id, n) for e in tasks if e.case_id and isinstance(n := _task_name(e), str)}
        self.by_id: dict[int, str] = {}
        self.by_name: dict[tuple[str, str], str] = {}
        if ids:
            found = session.execute(select(Task.id, Task.title).where(Task.id.in_(ids)))
            self.by_id = {i: title for i, title in found}
        if named:
            titles = session.execute(
                select(Task.case_id, Task.name, Task.title).where(
                    Task.case_id.in_({c for c, _ in named}), Task.name.in_({n for _, n in named})
                )
            )
            self.by_name = {(c, n): title for c, n, title in titles if (c, n) in named}
        need = {
            e.case_id
            for e in events
            if e.case_id and (e.action in TERMIJN_ACTIONS or e.action == "event_recorded")
        }
        self.versions: dict[str, DefinitionVersion] = {}
        if need:
            for case, version in session.execute(
                select(Case, DefinitionVersion)
                .join(DefinitionVersion, Case.definition_version_id == DefinitionVersion.id)
                .where(Case.id.in_(need))
                .options(defer(DefinitionVersion.source))
            ):
                self.versions[case.id] = version
        keys = {
            str(e.detail.get("definition", ""))
            for e in events
            if e.action in DEFINITION_ACTIONS and e.detail
        }
        slugs = {k.split("/", 1)[-1].split("@", 1)[0] for k in keys}
        municipalities = {e.municipality for e in events}
        self.titles: dict[tuple[str, str], list[tuple[int, str]]] = {}
        if slugs:
            for m, d, v, title in session.execute(
                select(
                    DefinitionVersion.municipality,
                    DefinitionVersion.definition,
                    DefinitionVersion.version,
                    DefinitionVersion.title,
                ).where(
                    DefinitionVersion.definition.in_(slugs),
                    DefinitionVersion.municipality.in_(municipalities),
                )
            ):
                self.titles.setdefault((m, d), []).append((v, title))

    def task_title(self, case_id: str | None, detail: dict[str, Any]) -> str:
        task_id, name = detail.get("task_id", detail.get("task")), detail.get("task")
        if isinstance(task_id, int) and task_id in self.by_id:
            return self.by_id[task_id]
        if isinstance(name, str):
            return self.by_name.get((case_id or "", name)) or in_words(name)
        return str(name or "")

    def compiled(self, case_id: str | None) -> CompiledDefinition | None:
        version = self.versions.get(case_id or "")
        return repo.compiled_of(version) if version is not None else None

    def definition(self, key: str, t: Callable[[str], str]) -> str:
        """'zaanstad/zaanstad_pvt@2' → 'Participatieverklaring Zaanstad, versie 2'; a draft's
        'zaanstad/zaanstad_pvt' → the title of its newest version."""
        where, _, rest = key.rpartition("/")
        slug, at, number = rest.partition("@")
        versions = sorted(self.titles.get((where, slug), []))
        if at and number.isdigit():
            title = dict(versions).get(int(number), slug)
            return t("audit.definition_version").format(title=title, version=number)
        return versions[-1][1] if versions else slug or key


def _task_id(e: AuditEvent) -> object:
    detail = e.detail or {}
    return detail.get("task_id", detail.get("task") if e.action == "task_read" else None)


def _task_name(e: AuditEvent) -> object:
    return None if e.action == "task_read" else (e.detail or {}).get("task")
