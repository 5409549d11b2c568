"""deploy/ checked without a Docker engine or a cluster: the compose file, the Kubernetes manifests
(validated against the Kubernetes API schemas) and the Dockerfile say what they should."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from traject.cli import parser
from traject.config import Settings

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES = "1.30"
SETTINGS = {f"TRAJECT_{name.upper()}" for name in Settings.__dataclass_fields__}


def commands() -> set[str]:
    choices = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    return set(choices)


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def test_compose_services_use_pinned_images_known_commands_and_settings() -> None:
    services = compose()["services"]
    assert {
        "temporal",
        "temporal-ui",
        "traject-db",
        "traject-api",
        "traject-worker",
        "traject-migrate",
    } <= set(services)
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image"
        if name.startswith("traject-") and name != "traject-db":
            assert service["command"][0] in commands(), f"{name}: unknown traject command"
            assert set(service["environment"]) <= SETTINGS, f"{name}: unknown setting"
            assert service["build"]["dockerfile"] == "deploy/Dockerfile"


def test_compose_variables_are_all_in_the_example_env() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    example = {
        line.split("=", 1)[0]
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert used and used <= example


def test_the_temporal_setup_registers_every_search_attribute() -> None:
    from workflows.trajectory import SEARCH_ATTRIBUTES

    command = " ".join(compose()["services"]["temporal-setup"]["command"])
    values = (K8S / "temporal-values.yaml").read_text()
    for key in SEARCH_ATTRIBUTES:
        assert f"--name {key.name}" in command and f"--name {key.name}" in values


def manifests() -> list[tuple[str, dict[str, Any]]]:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    found = []
    for name in [*listed, "secret.example.yaml"]:
        for document in yaml.safe_load_all((K8S / name).read_text()):
            found.append((name, document))
    return found


@pytest.mark.parametrize(
    ("name", "manifest"), manifests(), ids=lambda v: v if isinstance(v, str) else v["kind"]
)
def test_manifests_are_valid_kubernetes(name: str, manifest: dict[str, Any]) -> None:
    kubernetes_validate.validate(manifest, KUBERNETES, strict=True)


def test_pods_run_unprivileged_with_resources_probes_and_known_settings() -> None:
    config = next(m for n, m in manifests() if m["kind"] == "ConfigMap")
    secret = next(m for n, m in manifests() if m["kind"] == "Secret")
    assert set(config["data"]) | set(secret["stringData"]) <= SETTINGS
    for name, manifest in manifests():
        if manifest["kind"] not in ("Deployment", "Job"):
            continue
        pod = manifest["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert container["args"][0] in commands(), name
            assert (
                container["resources"]["requests"] and container["resources"]["limits"]["memory"]
            ), name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            if manifest["metadata"]["name"] == "traject-api":
                assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
                assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_the_dockerfile_is_multi_stage_non_root_and_copies_what_exists() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) == 2
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0")
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"COPY {path}: not in the repository"
