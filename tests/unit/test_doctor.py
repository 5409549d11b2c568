"""`traject doctor` names each thing that is wrong with a configuration."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from traject.config import Settings
from traject.doctor import run_checks
from traject.store import migrate
from traject.store.migrate import upgrade

ROOT = Path(__file__).parents[2]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'traject.db'}",
        temporal_address=f"127.0.0.1:{closed_port()}",
        definitions_dir=ROOT / "definitions",
        **env,  # type: ignore[arg-type]
    )


def by_check(tmp_path: Path, **env: str) -> dict[str, tuple[bool, str]]:
    return {f.check: (f.ok, f.detail) for f in run_checks(settings(tmp_path, **env))}


def test_an_unmigrated_store_missing_keys_and_no_temporal_are_each_reported(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "traject.db").close()  # a store that was never migrated
    found = by_check(tmp_path)
    assert found["store"][0] is False and "at migration nothing" in found["store"][1]
    assert (
        found["encryption keys"][0] is False
        and "TRAJECT_ENCRYPTION_KEYS" in found["encryption keys"][1]
    )
    assert found["definitions"] == (True, f"9 valid in {ROOT / 'definitions'}")
    assert found["temporal"][0] is False
    assert found["temporal"][1].startswith("RuntimeError: Temporal does not answer at 127.0.0.1:")


def test_a_missing_store_is_reported_and_not_made(tmp_path: Path) -> None:
    found = by_check(tmp_path)
    assert found["store"] == (
        False,
        f"StoreUnavailable: no Traject store at {tmp_path / 'traject.db'}",
    )
    assert not (tmp_path / "traject.db").exists()


def test_a_migrated_store_and_valid_keys_pass(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path / 'traject.db'}")
    key = "k1:" + "A" * 43 + "="
    found = by_check(tmp_path, encryption_keys=key)
    head = ScriptDirectory.from_config(migrate.config("sqlite://")).get_current_head()
    assert found["store"][0] and f"migration {head}" in found["store"][1]
    assert found["encryption keys"] == (
        True,
        "1 key(s) from TRAJECT_ENCRYPTION_KEYS, encrypting with 'k1'",
    )


@pytest.mark.parametrize("keys", ["k1:short", "k1:%%%"])
def test_bad_keys_are_reported(tmp_path: Path, keys: str) -> None:
    assert by_check(tmp_path, encryption_keys=keys)["encryption keys"][0] is False


def test_a_config_file_fills_in_what_the_environment_leaves_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "traject.env"
    config.write_text("# production\nTRAJECT_TASK_QUEUE=gemeente\nTRAJECT_API_PORT = 9000\n")
    monkeypatch.setenv("TRAJECT_CONFIG_FILE", str(config))
    monkeypatch.setenv("TRAJECT_API_PORT", "9100")
    loaded = Settings()
    assert loaded.task_queue == "gemeente" and loaded.api_port == 9100
    assert loaded.temporal_tls() is False


def test_client_certificates_turn_on_mtls(tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(b"cert")
    (tmp_path / "client.key").write_bytes(b"key")
    tls = Settings(
        temporal_tls_cert=str(tmp_path / "client.pem"),
        temporal_tls_key=str(tmp_path / "client.key"),
    )
    config = tls.temporal_tls()
    assert not isinstance(config, bool)
    assert config.client_cert == b"cert" and config.client_private_key == b"key"
