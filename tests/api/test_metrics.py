"""Prometheus metrics, scraped and parsed with prometheus_client's own text parser: the API's
/metrics on a real worker and Temporal server (HTTP latency by route template, starts and
completions, open cases per state read from the store at scrape), the worker's counters as the
step recorder writes steps, and the activity interceptor's failure count."""

from __future__ import annotations

import asyncio
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from temporalio.worker import ActivityInboundInterceptor

from tests.api.conftest import Api
from tests.conftest import DEFINITIONS
from traject import metrics
from traject.definition import compile_file
from traject.store.models import Case, DefinitionVersion

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(api: Api) -> Samples:
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def open_cases_in_store(api: Api) -> Counter[tuple[str, str, str, str]]:
    """Counted here from the rows, independently of the collector's grouped query."""
    expected: Counter[tuple[str, str, str, str]] = Counter()
    with api.sessions() as session:
        rows = session.execute(
            select(
                Case.municipality,
                DefinitionVersion.definition,
                DefinitionVersion.version,
                Case.current_states,
            )
            .join(DefinitionVersion, DefinitionVersion.id == Case.definition_version_id)
            .where(Case.status.in_(("starting", "running", "suspended")))
        )
        for municipality, definition, version, states in rows:
            for state in states:
                expected[(municipality, definition, str(version), state)] += 1
    return expected


async def test_the_api_metrics_follow_a_case_workers_requests(api: Api) -> None:
    worker = parse(generate_latest(metrics.WORKER.registry).decode())
    before = await scrape(api)
    case = await api.start()
    task_id = await api.open_task(case["id"], "aanwezigheid_kernwaarden")
    assert (await api.post("klantmanager", f"/api/tasks/{task_id}/claim")).status_code == 200
    done = await api.post(
        "klantmanager", f"/api/tasks/{task_id}/complete", {"data": {"aanwezig": True}}
    )
    assert done.status_code == 200, done.text
    refused = await api.post(
        "klantmanager", f"/api/tasks/{task_id}/complete", {"data": {"aanwezig": True}}
    )
    assert refused.status_code in (
        200,
        409,
    )  # the same completion again: answered, not counted twice
    missing = await api.get("klantmanager", "/api/cases/c-no-such-case-123")
    assert missing.status_code == 404
    after = await scrape(api)

    assert (
        value(after, "traject_workflow_starts_total", channel="api")
        == value(before, "traject_workflow_starts_total", channel="api") + 1
    )
    completions = value(after, "traject_task_completions_total", channel="api") - value(
        before, "traject_task_completions_total", channel="api"
    )
    assert completions == (2 if refused.status_code == 200 else 1)
    route = {"method": "GET", "route": "/api/cases/{case_id}", "status": "404"}
    count = "traject_http_request_duration_seconds_count"
    assert value(after, count, **route) == value(before, count, **route) + 1
    assert value(
        after, "traject_http_request_duration_seconds_bucket", le="+Inf", **route
    ) == value(after, count, **route)
    labels = {v for (_, pairs) in after for _, v in pairs}
    assert not [
        v for v in labels if "c-no-such-case" in v or case["id"] in v
    ]  # templates, not paths

    assert value(after, "traject_store_up") == 1
    for _ in range(20):  # other tests' workflows may still be taking steps: settle, then compare
        gauges = {
            tuple(dict(pairs)[k] for k in ("municipality", "definition", "version", "state")): v
            for (name, pairs), v in (await scrape(api)).items()
            if name == "traject_open_cases"
        }
        expected = open_cases_in_store(api)
        if gauges == {k: float(n) for k, n in expected.items()}:
            break
        await asyncio.sleep(0.2)
    assert gauges == {k: float(n) for k, n in expected.items()}
    version = str(compile_file(DEFINITIONS / "zaanstad_pvt.yaml").version)  # what cases start on
    assert gauges[("zaanstad", "zaanstad_pvt", version, "workshop_praktijk")] >= 1

    now = parse(generate_latest(metrics.WORKER.registry).decode())
    start = ("traject_worker_workflow_starts_total", frozenset({("definition", "zaanstad_pvt")}))
    assert now.get(start, 0) >= worker.get(start, 0) + 1
    done_by = ("traject_worker_task_completions_total", frozenset({("role", "trainer")}))
    assert now.get(done_by, 0) >= worker.get(done_by, 0) + 1


class Failing(ActivityInboundInterceptor):
    def __init__(self) -> None:
        pass

    async def execute_activity(self, input: Any) -> Any:
        raise RuntimeError("the store is down")


async def test_failed_activity_attempts_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        metrics.activity, "info", lambda: SimpleNamespace(activity_type="record_step")
    )
    interceptor = metrics.MetricsInterceptor().intercept_activity(Failing())
    labels = {"activity": "record_step", "error": "RuntimeError"}
    before = parse(generate_latest(metrics.WORKER.registry).decode())
    with pytest.raises(RuntimeError):
        await interceptor.execute_activity(None)  # type: ignore[arg-type]
    after = parse(generate_latest(metrics.WORKER.registry).decode())
    name = "traject_worker_activity_failures_total"
    assert value(after, name, **labels) == value(before, name, **labels) + 1
    timed = "traject_worker_activity_duration_seconds_count"
    assert (
        value(after, timed, activity="record_step")
        == value(before, timed, activity="record_step") + 1
    )
