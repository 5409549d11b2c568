"""Prometheus metrics of the API and the worker. No personal data and no ids in labels: routes
are templates (`/api/tasks/{task_id}`), never raw paths; cases are counted, not named.

API (`GET /metrics` on the API's port):
  traject_http_request_duration_seconds{method,route,status}   histogram
  traject_task_completions_total{channel}   completions accepted through the REST API or the pages
  traject_workflow_starts_total{channel}    trajectories started through the REST API or the pages
  traject_open_cases{municipality,definition,version,state}    gauge, read from the store at scrape
  traject_open_tasks{municipality,role} / traject_overdue_tasks{municipality,role}   same
  traject_store_up   1 when the scrape could read the store

Worker (its own port, TRAJECT_METRICS_PORT):
  traject_worker_steps_recorded_total{status}     steps written to the store (each once)
  traject_worker_task_completions_total{role}     completed tasks, as the steps recorded them
  traject_worker_workflow_starts_total{definition}   first steps of new trajectories
  traject_worker_activity_failures_total{activity,error}   failed activity attempts
  traject_worker_activity_duration_seconds{activity}       histogram
"""

from __future__ import annotations

import json
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from time import perf_counter
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from traject.store.models import Case, DefinitionVersion, Task

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
OPEN = ("starting", "running", "suspended")
# (method, route template) → (status that means it worked, counter, channel)
COMPLETIONS = {
    ("POST", "/api/tasks/{task_id}/complete"): (200, "api"),
    ("POST", "/tasks/{task_id}"): (303, "web"),
}
STARTS = {("POST", "/api/cases"): (201, "api"), ("POST", "/cases/new"): (303, "web")}
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


def route_of(scope: Scope) -> str:
    """The route template the router matched; never the raw path (ids would explode labels)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    return "/static/{path}" if str(scope.get("path", "")).startswith("/static/") else "unmatched"


class ApiMetrics:
    def __init__(self, sessions: sessionmaker[Session] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "traject_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.completions = Counter(
            "traject_task_completions",
            "Task completions accepted",
            ["channel"],
            registry=self.registry,
        )
        self.starts = Counter(
            "traject_workflow_starts", "Trajectories started", ["channel"], registry=self.registry
        )
        if sessions is not None:
            self.registry.register(StoreCollector(sessions))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method, route, str(status)).observe(seconds)
        for table, counter in ((COMPLETIONS, self.completions), (STARTS, self.starts)):
            wanted = table.get((method, route))
            if wanted is not None and status == wanted[0]:
                counter.labels(wanted[1]).inc()


class LatencyMiddleware:
    """Pure ASGI middleware: times every HTTP request and labels it with its route template."""

    def __init__(self, app: Asgi, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = perf_counter(), [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.observe(
                scope["method"], route_of(scope), status[0], perf_counter() - started
            )


class StoreCollector(Collector):
    """Gauges computed from the store at each scrape: open cases per state, open and overdue tasks
    per role. Two grouped queries; a failing store gives traject_store_up 0, not a failed scrape."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def describe(self) -> Iterable[Metric]:
        return []  # computed at scrape; nothing to check at registration

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("traject_store_up", "1 when the store answered this scrape")
        try:
            cases, tasks = self._read()
        except Exception:  # the scrape reports the failure; it does not raise
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        states = GaugeMetricFamily(
            "traject_open_cases",
            "Open cases per current state (a case in parallel states counts in each)",
            labels=["municipality", "definition", "version", "state"],
        )
        for (municipality, definition, version, state), n in sorted(cases.items()):
            states.add_metric([municipality, definition, str(version), state], n)
        yield states
        open_tasks = GaugeMetricFamily(
            "traject_open_tasks", "Open tasks per role", labels=["municipality", "role"]
        )
        overdue = GaugeMetricFamily(
            "traject_overdue_tasks", "Open overdue tasks per role", labels=["municipality", "role"]
        )
        for municipality, role, n, late in tasks:
            open_tasks.add_metric([municipality, role], n)
            overdue.add_metric([municipality, role], late)
        yield open_tasks
        yield overdue

    def _read(self) -> tuple[Tally[tuple[str, str, int, str]], list[tuple[str, str, int, int]]]:
        key = cast(Case.current_states, Text)
        with self.sessions() as session:
            rows = session.execute(
                select(
                    Case.municipality,
                    DefinitionVersion.definition,
                    DefinitionVersion.version,
                    key,
                    func.count(),
                )
                .join(DefinitionVersion, DefinitionVersion.id == Case.definition_version_id)
                .where(Case.status.in_(OPEN))
                .group_by(
                    Case.municipality, DefinitionVersion.definition, DefinitionVersion.version, key
                )
            ).all()
            tasks = session.execute(
                select(
                    Task.municipality,
                    Task.role,
                    func.count(),
                    func.coalesce(func.sum(case((Task.overdue.is_(True), 1), else_=0)), 0),
                )
                .where(Task.status == "open")
                .group_by(Task.municipality, Task.role)
                .order_by(Task.municipality, Task.role)
            ).all()
        cases: Tally[tuple[str, str, int, str]] = Tally()
        for municipality, definition, version, text, n in rows:
            for state in json.loads(text or "[]"):
                cases[(municipality, definition, version, state)] += n
        return cases, [(m, r, int(n), int(late)) for m, r, n, late in tasks]


# ----------------------------------------------------------------------------------- worker
class WorkerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.steps = Counter(
            "traject_worker_steps_recorded",
            "Steps written to the store",
            ["status"],
            registry=self.registry,
        )
        self.completions = Counter(
            "traject_worker_task_completions",
            "Tasks completed (as recorded)",
            ["role"],
            registry=self.registry,
        )
        self.starts = Counter(
            "traject_worker_workflow_starts",
            "New trajectories (first step recorded)",
            ["definition"],
            registry=self.registry,
        )
        self.failures = Counter(
            "traject_worker_activity_failures",
            "Failed activity attempts",
            ["activity", "error"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "traject_worker_activity_duration_seconds",
            "Activity attempt time",
            ["activity"],
            buckets=BUCKETS,
            registry=self.registry,
        )

    def recorded(
        self, sequence: int, status: str, definition: str, completed_roles: Iterable[str]
    ) -> None:
        """A step was written (not a repeat): count it, its task completions and a new start."""
        self.steps.labels(status).inc()
        for role in completed_roles:
            self.completions.labels(role).inc()
        if sequence == 1:
            self.starts.labels(definition).inc()


WORKER = WorkerMetrics()


class MetricsInterceptor(Interceptor):
    """Counts failed activity attempts and times every attempt (local activities included)."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityMetrics(next)


class _ActivityMetrics(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        name = activity.info().activity_type
        started = perf_counter()
        try:
            return await super().execute_activity(input)
        except BaseException as error:
            WORKER.failures.labels(name, type(error).__name__).inc()
            raise
        finally:
            WORKER.duration.labels(name).observe(perf_counter() - started)
