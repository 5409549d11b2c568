"""`traject cases …`, `traject tasks …`, `traject events …`: case operations without the web UI,
against the configured store and Temporal server (the ones `traject up` runs by default)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from traject import reasons
from traject.config import Settings
from traject.service import Refused, Traject
from traject.store import repositories as repo
from traject.store.db import session_factory, transaction
from traject.store.migrate import StoreUnavailable, migrated_engine
from traject.store.records import apply_retention, export_person

ACTOR = "cli"


def add_commands(commands: Any) -> None:
    cases = commands.add_parser("cases", help="start, list and show trajectories")
    sub = cases.add_subparsers(dest="action", required=True)
    start = sub.add_parser("start", help="start a trajectory for a newcomer")
    start.add_argument("definition")
    start.add_argument("--first-name", required=True)
    start.add_argument("--last-name")
    start.add_argument("--bsn")
    start.add_argument("--case-ref", help="the municipality's own case reference")
    start.add_argument("--municipality")
    start.add_argument("--date", action="append", default=[], metavar="NAME=YYYY-MM-DD")
    sub.add_parser("list", help="recent cases")
    show = sub.add_parser("show", help="a case with its tasks and timeline")
    show.add_argument("case")
    export = sub.add_parser(
        "export", help="everything held about the newcomer (AVG inzage), as JSON"
    )
    export.add_argument("case")
    export.add_argument("--municipality", required=True)
    for name in ("suspend", "resume", "cancel"):
        decide = sub.add_parser(name, help=f"{name} a trajectory")
        decide.add_argument("case")
        codes = ", ".join(r.code for r in reasons.choices(f"case_{name}"))
        decide.add_argument(
            "--reason",
            required=True,
            help=f"a reason code: one of the list ({codes}) or your own",
        )
        decide.add_argument(
            "--note",
            help="what colleagues need to know (kept in the audit log only; required with anders)",
        )
    cases.set_defaults(run=_run)

    tasks = commands.add_parser("tasks", help="list and complete human tasks")
    sub = tasks.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="open tasks")
    listing.add_argument("--case")
    listing.add_argument("--role")
    complete = sub.add_parser("complete", help="complete a task with its form data")
    complete.add_argument("task", type=int)
    complete.add_argument("--data", default="{}", help="form data as JSON")
    tasks.set_defaults(run=_run)

    retention = commands.add_parser(
        "retention", help="remove personal data of ended cases past retention"
    )
    retention.add_argument("action", choices=["run"])
    retention.set_defaults(run=_run)

    events = commands.add_parser("events", help="record an outside event on a case")
    sub = events.add_subparsers(dest="action", required=True)
    record = sub.add_parser("record")
    record.add_argument("case")
    record.add_argument("event")
    record.add_argument("--date", type=date.fromisoformat)
    events.set_defaults(run=_run)


class Unavailable(Exception):
    """The store or the Temporal server is not there: nothing was read, sent or written."""


HINT = (
    "is this where Traject runs (`make up` keeps its data in .data/), or are TRAJECT_DATA_DIR, "
    "TRAJECT_DATABASE_URL and TRAJECT_TEMPORAL_ADDRESS set?"
)


def _store(settings: Settings) -> Engine:
    """The store's engine, once it is there at the code's migration; refused before touching
    anything otherwise (see `migrated_engine`)."""
    try:
        return migrated_engine(settings.database_url)
    except StoreUnavailable as missing:
        raise Unavailable(f"{missing}; {HINT}") from None


def _run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_dispatch(args))
    except Unavailable as unavailable:
        print(f"traject: {unavailable}", file=sys.stderr)
        return 3
    except Refused as refused:
        print(f"refused ({refused.code}): {refused}", file=sys.stderr)
        for field, message in refused.errors.items():
            print(f"  {field}: {message}", file=sys.stderr)
        return 1


async def _dispatch(args: argparse.Namespace) -> int:
    settings = Settings()
    sessions = session_factory(_store(settings))
    if args.command == "tasks" and args.action == "list":
        with sessions() as session:
            for task in repo.list_tasks(session, case_id=args.case, role=args.role):
                flags = " ".join(
                    f for f, on in (("overdue", task.overdue), ("escalated", task.escalated)) if on
                )
                due = task.due_at.date().isoformat() if task.due_at else "-"
                print(
                    f"{task.id:>5}  {task.case_id}  {task.role:<14} due {due}  {task.title}  {flags}"
                )
        return 0
    if args.command == "retention":
        with transaction(sessions) as session:
            result = apply_retention(session, datetime.now(UTC), actor=ACTOR)
        print(
            f"anonymised {len(result.anonymised)} case(s)"
            + "".join(f"\n  {c}" for c in result.anonymised)
        )
        return 0
    if args.command == "cases" and args.action == "export":
        with transaction(sessions) as session:
            try:
                exported = export_person(session, args.case, args.municipality, actor=ACTOR)
            except repo.NotFound as error:
                raise Refused("not_found", str(error)) from None
        print(json.dumps(exported, indent=2, ensure_ascii=False))
        return 0
    if args.command == "cases" and args.action == "list":
        with sessions() as session:
            for case in repo.list_cases(session):
                print(
                    f"{case.id}  {case.municipality:<18} {case.status:<10} {', '.join(case.current_states)}"
                )
        return 0
    from worker.main import TemporalUnavailable, connect

    try:
        client = await connect(settings)
    except TemporalUnavailable as unanswered:
        raise Unavailable(f"{unanswered}; {HINT}") from None
    traject = Traject(sessions, client, settings.task_queue)
    if args.command == "cases":
        return await _cases(traject, args)
    if args.command == "tasks":
        view = await traject.complete_task(args.task, _json(args.data), ACTOR)
        print(
            f"completed; now in {', '.join(view.active)}"
            + (f" — finished: {view.outcome}" if view.finished else "")
        )
        return 0
    view = await traject.record_event(args.case, args.event, ACTOR, args.date)
    print(f"recorded; now in {', '.join(view.active)}")
    return 0


async def _cases(traject: Traject, args: argparse.Namespace) -> int:
    if args.action == "start":
        dates = dict(_date(item) for item in args.date)
        case = await traject.start_case(
            args.definition,
            args.first_name,
            municipality=args.municipality,
            last_name=args.last_name,
            bsn=args.bsn,
            reference=args.case_ref,
            dates=dates,
            actor=ACTOR,
        )
        print(f"started {case.id} ({args.definition})")
        return 0
    if args.action == "show":
        shown = traject.show(args.case, actor=ACTOR)
        case = shown["case"]
        print(
            f"{case.id}  {shown['first_name']}  {case.status}  in {', '.join(case.current_states)}"
            + (f"  outcome {case.outcome}" if case.outcome else "")
        )
        print("tasks:")
        for task in shown["tasks"]:
            print(f"  {task.id:>5}  {task.status:<10} {task.title}")
        print("timeline:")
        for event in shown["timeline"]:
            print(f"  {event.at:%Y-%m-%d %H:%M}  {event.kind:<18} {event.subject or ''}")
        return 0
    note = (args.note or "").strip() or None
    if reasons.needs_note(args.reason) and note is None:
        print(f"the reason '{args.reason}' needs a --note that explains it", file=sys.stderr)
        return 2
    view = await traject.decide(args.case, args.action, args.reason, ACTOR, note=note)
    print(
        f"{args.action}: {'suspended' if view.suspended else 'cancelled' if view.cancelled else 'running'}"
    )
    return 0


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise Refused("invalid", f"--data is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise Refused("invalid", "--data must be a JSON object of form fields")
    return data


def _date(item: str) -> tuple[str, date]:
    name, _, value = item.partition("=")
    try:
        return name, date.fromisoformat(value)
    except ValueError:
        raise Refused("invalid", f"--date {item!r}: use NAME=YYYY-MM-DD") from None
