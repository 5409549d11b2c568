"""The `traject` command: design definitions (validate, diagram, simulate, test, schema, zgw), run
Traject (up, or worker and api apart; migrate, doctor) and work with it (cases, tasks, events,
users, retention)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from traject import process
from traject.definition import CompiledDefinition, DefinitionError, compile_file
from traject.definition.schema import json_schema
from traject.diagram import mermaid
from traject.machine import Machine
from traject.scenario import ScenarioFailure, load_scenario, run_scenario, scenario_files

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def definition_files(paths: Sequence[str]) -> Iterator[Path]:
    """Definition files named directly, or found at the top of a named folder."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(path.glob("*.yaml"))
        else:
            yield path


def _validate(args: argparse.Namespace) -> int:
    problems = 0
    files = list(definition_files(args.paths))
    if not files:
        print("no definition files found", file=sys.stderr)
        return EXIT_USAGE
    for path in files:
        try:
            compiled = compile_file(path)
        except DefinitionError as error:
            problems += len(error.problems)
            for problem in error.problems:
                print(problem, flush=True)
            continue
        if not args.quiet:
            print(f"ok  {path}  {compiled.key}  {compiled.content_hash[:12]}")
    if problems:
        print(f"{problems} problem(s) in {len(files)} file(s)", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _load(path: str) -> CompiledDefinition | None:
    try:
        return compile_file(path)
    except DefinitionError as error:
        print(error, file=sys.stderr)
        return None


def _diagram(args: argparse.Namespace) -> int:
    compiled = _load(args.definition)
    if compiled is None:
        return EXIT_PROBLEMS
    sys.stdout.write(mermaid(compiled, highlight=args.highlight or (), lang=args.lang))
    return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    from traject.simulate import format_report, simulate

    compiled = _load(args.definition)
    if compiled is None:
        return EXIT_PROBLEMS
    if args.runs < 1:
        print("--runs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    report = simulate(compiled, runs=args.runs, seed=args.seed)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
    return EXIT_OK


def _test(args: argparse.Namespace) -> int:
    failures = passed = 0
    for path in definition_files(args.paths):
        compiled = _load(str(path))
        if compiled is None:
            failures += 1
            continue
        files = scenario_files(path, compiled)
        if not files:
            print(f"--  {path}: no scenarios in {path.parent / 'scenarios' / compiled.definition}")
        machine = Machine(compiled)
        for file in files:
            try:
                run_scenario(machine, load_scenario(file))
            except (ScenarioFailure, DefinitionError) as error:
                failures += 1
                print(f"FAIL {error}")
                continue
            passed += 1
            print(f"ok  {file}")
    print(f"{passed} passed, {failures} failed")
    return EXIT_PROBLEMS if failures else EXIT_OK


def _zgw(args: argparse.Namespace) -> int:
    from traject.zgw import zaaktype

    compiled = _load(args.definition)
    if compiled is None:
        return EXIT_PROBLEMS
    print(json.dumps(zaaktype(compiled), indent=2, ensure_ascii=False))
    return EXIT_OK


def _schema(_args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="traject", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    validate = commands.add_parser(
        "validate", help="check definitions; exit 1 listing every problem"
    )
    validate.add_argument("paths", nargs="*", default=["definitions"])
    validate.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    validate.set_defaults(run=_validate)

    diagram = commands.add_parser("diagram", help="Mermaid state diagram of a definition")
    diagram.add_argument("definition")
    diagram.add_argument("--highlight", action="append", help="state to highlight (repeatable)")
    diagram.add_argument(
        "--lang",
        choices=("en", "nl"),
        default="en",
        help="language of the arrows' words around the definition's titles (default: en)",
    )
    diagram.set_defaults(run=_diagram)

    simulate = commands.add_parser("simulate", help="Monte Carlo throughput times of a definition")
    simulate.add_argument("definition")
    simulate.add_argument("--runs", type=int, default=10_000)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--json", action="store_true")
    simulate.set_defaults(run=_simulate)

    test = commands.add_parser("test", help="run the scenario files of definitions")
    test.add_argument("paths", nargs="*", default=["definitions"])
    test.set_defaults(run=_test)

    zgw = commands.add_parser(
        "zgw", help="the definition as a ZGW zaaktype (JSON) for a zaaksysteem"
    )
    zgw.add_argument("definition")
    zgw.set_defaults(run=_zgw)

    schema = commands.add_parser("schema", help="JSON Schema of the definition language")
    schema.set_defaults(run=_schema)

    up = commands.add_parser(
        "up",
        help="start Traject: dev server, store, worker, API",
        description="Start Traject on its embedded default: the bundled Temporal dev server, the"
        " SQLite store in TRAJECT_DATA_DIR (.data), a worker and the API with the web pages."
        " Ctrl-C stops it; started again, every trajectory goes on where it was.",
        epilog="Settings are environment variables (or a TRAJECT_CONFIG_FILE): TRAJECT_API_PORT"
        " (8000), TRAJECT_DEV_SERVER_PORT (7233), TRAJECT_DEV_SERVER_UI_PORT (8233),"
        " TRAJECT_DATA_DIR, TRAJECT_DATABASE_URL, ...; the README lists them all.",
    )
    up.set_defaults(run=_up)
    worker = commands.add_parser(
        "worker", help="run a worker against the configured Temporal server"
    )
    worker.set_defaults(run=_worker)
    for name, help_text in (
        ("api", "serve the HTTP API (production)"),
        ("migrate", "migrate the store and publish the built-in definitions"),
    ):
        commands.add_parser(name, help=help_text).set_defaults(run=_serve)
    doctor = commands.add_parser("doctor", help="check the configuration and its connections")
    doctor.set_defaults(run=_doctor)
    from traject.cases_cli import add_commands
    from traject.users_cli import add_commands as add_user_commands

    add_commands(commands)
    add_user_commands(commands)
    return top


def _up(_args: argparse.Namespace) -> int:
    from traject.devserver import StartupError
    from traject.up import main as up

    try:
        up()
    except StartupError as error:
        print(f"traject up: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def _doctor(_args: argparse.Namespace) -> int:
    from traject.doctor import main as doctor

    return doctor()


def _serve(args: argparse.Namespace) -> int:
    from traject import serve

    return serve.api_main() if args.command == "api" else serve.migrate_main()


def _worker(_args: argparse.Namespace) -> int:
    from worker.main import main as run_worker

    run_worker()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


def entry() -> None:
    """The `traject` program: `main`, then the end of the process without the interpreter's
    teardown, which a Temporal client's threads can abort (traject/process.py)."""
    try:
        code = main()
    except BrokenPipeError:
        # the reader left (`traject tasks list | head`): stop as a pipe's writer does
        code = 128 + signal.SIGPIPE
    process.finish(code)


if __name__ == "__main__":
    entry()
