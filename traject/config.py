"""Settings from environment variables (12-factor); the defaults are the embedded set-up of `make up`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.service import TLSConfig


def _file_settings() -> dict[str, str]:
    """TRAJECT_CONFIG_FILE: optional KEY=VALUE lines (like an env file); the environment wins."""
    path = os.environ.get("TRAJECT_CONFIG_FILE")
    if not path:
        return {}
    settings = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip().strip('"')
    return settings


def _read(path: str) -> bytes | None:
    return Path(path).read_bytes() if path else None


def _env(name: str, default: str) -> str:
    key = f"TRAJECT_{name}"
    return os.environ.get(key) or _file_settings().get(key, default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", ".data")))
    database_url: str = ""
    temporal_address: str = field(default_factory=lambda: _env("TEMPORAL_ADDRESS", ""))
    temporal_namespace: str = field(default_factory=lambda: _env("TEMPORAL_NAMESPACE", "default"))
    task_queue: str = field(default_factory=lambda: _env("TASK_QUEUE", "traject"))
    log_format: str = field(default_factory=lambda: _env("LOG_FORMAT", "console"))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "info"))
    api_host: str = field(default_factory=lambda: _env("API_HOST", "127.0.0.1"))
    api_port: int = field(default_factory=lambda: int(_env("API_PORT", "8000")))
    dev_server_port: int = field(default_factory=lambda: int(_env("DEV_SERVER_PORT", "7233")))
    dev_server_ui_port: int = field(default_factory=lambda: int(_env("DEV_SERVER_UI_PORT", "8233")))
    definitions_dir: Path = field(
        default_factory=lambda: Path(_env("DEFINITIONS_DIR", "definitions"))
    )
    encryption_keys: str = field(default_factory=lambda: _env("ENCRYPTION_KEYS", ""))
    codec_token: str = field(default_factory=lambda: _env("CODEC_TOKEN", ""))
    temporal_tls_cert: str = field(default_factory=lambda: _env("TEMPORAL_TLS_CERT", ""))
    temporal_tls_key: str = field(default_factory=lambda: _env("TEMPORAL_TLS_KEY", ""))
    temporal_tls_ca: str = field(default_factory=lambda: _env("TEMPORAL_TLS_CA", ""))
    ui_origin: str = field(default_factory=lambda: _env("UI_ORIGIN", "http://127.0.0.1:8233"))
    public_url: str = field(default_factory=lambda: _env("PUBLIC_URL", ""))
    oidc_issuer: str = field(default_factory=lambda: _env("OIDC_ISSUER", ""))
    oidc_client_id: str = field(default_factory=lambda: _env("OIDC_CLIENT_ID", ""))
    oidc_client_secret: str = field(default_factory=lambda: _env("OIDC_CLIENT_SECRET", ""))
    oidc_municipality: str = field(default_factory=lambda: _env("OIDC_MUNICIPALITY", ""))
    oidc_roles_claim: str = field(default_factory=lambda: _env("OIDC_ROLES_CLAIM", "roles"))
    oidc_groups_claim: str = field(default_factory=lambda: _env("OIDC_GROUPS_CLAIM", "groups"))
    temporal_ui_url: str = field(default_factory=lambda: _env("TEMPORAL_UI_URL", ""))
    metrics_port: int = field(default_factory=lambda: int(_env("METRICS_PORT", "0") or "0"))
    secure_cookies: bool = field(
        default_factory=lambda: _env("SECURE_COOKIES", "false").lower() in ("1", "true", "yes")
    )
    # Temporal's workflow sandbox: on unless turned off. Off saves the worker about a fifth of
    # its CPU (bench/REPORT.md); the tests always run the workflows in it, so code
    # that is not deterministic is still caught before it ships.
    workflow_sandbox: bool = field(
        default_factory=lambda: (
            _env("WORKFLOW_SANDBOX", "on").lower() not in ("0", "off", "false", "no")
        )
    )

    # Python's garbage collector in the API and the worker: "tuned" (traject/heap.py) or "default"
    gc: str = field(default_factory=lambda: _env("GC", "tuned").lower())
    # The API's and the worker's event loop: "uvloop" or "asyncio" (traject/eventloop.py)
    event_loop: str = field(default_factory=lambda: _env("EVENT_LOOP", "uvloop").lower())

    def __post_init__(self) -> None:
        if not self.database_url:
            url = _env("DATABASE_URL", f"sqlite:///{self.data_dir / 'traject.db'}")
            object.__setattr__(self, "database_url", url)

    def temporal_tls(self) -> TLSConfig | bool:
        """mTLS to the Temporal frontend when a client certificate (and key) are configured."""
        if not (self.temporal_tls_cert or self.temporal_tls_ca):
            return False
        return TLSConfig(
            client_cert=_read(self.temporal_tls_cert),
            client_private_key=_read(self.temporal_tls_key),
            server_root_ca_cert=_read(self.temporal_tls_ca),
        )

    @property
    def embedded_temporal(self) -> bool:
        """No Temporal address configured: `traject up` starts the bundled dev server."""
        return not self.temporal_address

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.dev_server_port}"
