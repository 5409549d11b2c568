"""`traject doctor`: check a configuration and its connections, and say what is wrong."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import make_url

from traject.codec import CodecError, EncryptionCodec, local_keys, parse_keys
from traject.config import Settings
from traject.definition import DefinitionError, compile_file
from traject.store.migrate import head, migrated_engine
from workflows.trajectory import SEARCH_ATTRIBUTES


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str


def run_checks(settings: Settings) -> list[Finding]:
    findings = [
        _guard("store", lambda: _store(settings)),
        _guard("encryption keys", lambda: _keys(settings)),
        _guard("definitions", lambda: _definitions(settings)),
    ]
    findings.append(_guard("temporal", lambda: asyncio.run(_temporal(settings))))
    return findings


def _guard(name: str, check: Callable[[], str]) -> Finding:
    try:
        return Finding(name, True, check())
    except Exception as error:  # the doctor reports every failure, it never stops at the first
        return Finding(name, False, f"{type(error).__name__}: {error}")


def _store(settings: Settings) -> str:
    migrated_engine(settings.database_url).dispose()
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"{shown} at migration {head()}"


def _keys(settings: Settings) -> str:
    if settings.encryption_keys:
        keys = parse_keys(settings.encryption_keys)
        EncryptionCodec(keys)
        return f"{len(keys)} key(s) from TRAJECT_ENCRYPTION_KEYS, encrypting with '{keys[0][0]}'"
    path = settings.data_dir / "keys.json"
    if not path.exists():
        raise CodecError(f"no TRAJECT_ENCRYPTION_KEYS and no {path}: set keys for production")
    return f"{len(local_keys(path))} key(s) in {path} (embedded default)"


def _definitions(settings: Settings) -> str:
    files = sorted(settings.definitions_dir.glob("*.yaml"))
    broken = []
    for path in files:
        try:
            compile_file(path)
        except DefinitionError as error:
            broken.append(f"{path.name} ({len(error.problems)} problems)")
    if not files:
        raise RuntimeError(f"no definitions in {settings.definitions_dir}")
    if broken:
        raise RuntimeError("invalid: " + ", ".join(broken) + " (run `traject validate`)")
    return f"{len(files)} valid in {settings.definitions_dir}"


async def _temporal(settings: Settings) -> str:
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    from worker.main import TemporalUnavailable, connect

    try:
        client = await asyncio.wait_for(connect(settings), timeout=5)
    except TemporalUnavailable as unanswered:
        raise RuntimeError(str(unanswered)) from None
    except TimeoutError:
        raise RuntimeError(
            f"Temporal does not answer at {settings.temporal_target} (not in 5 s)"
        ) from None
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=settings.temporal_namespace)
    )
    missing = [key.name for key in SEARCH_ATTRIBUTES if key.name not in listed.custom_attributes]
    if missing:
        raise RuntimeError(f"search attributes not registered: {', '.join(missing)}")
    return f"{settings.temporal_target} namespace '{settings.temporal_namespace}', search attributes present"


def main() -> int:
    findings = run_checks(Settings())
    for finding in findings:
        print(f"{'ok ' if finding.ok else 'BAD'}  {finding.check:<16} {finding.detail}")
    return 0 if all(f.ok for f in findings) else 1
