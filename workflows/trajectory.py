"""`TrajectoryWorkflow`: one generic interpreter that runs any compiled definition durably.

The pure machine computes each step; this workflow orchestrates: it keeps the snapshot, keeps one
durable wake-up for the earliest armed timer, accepts case workers' decisions as validated updates, and
hands every step's effects to one activity that writes them to the store in a single transaction
(idempotent by workflow id + step number). One activity per human step keeps histories short and
trajectories fast.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from traject.definition.compiled import CompiledDefinition
    from traject.definition.duration import Duration
    from traject.machine import (
        Machine,
        MachineError,
        Snapshot,
        Step,
        track_timers,
    )
    from traject.migration import plan as plan_migration
    from traject.termijn_runtime import TIMER_PREFIX as TERMIJN_TIMER
    from workflows.messages import (
        AdvanceClock,
        AssignTask,
        Carried,
        CaseDecision,
        ChangeTermijn,
        CompleteTask,
        Migrate,
        RecordEvent,
        RecordLadder,
        RevertMigration,
        StepRecord,
        TaskView,
        TrajectoryInput,
        TrajectoryView,
    )

DEFINITION = SearchAttributeKey.for_keyword("TrajectDefinition")
VERSION = SearchAttributeKey.for_int("TrajectVersion")
MUNICIPALITY = SearchAttributeKey.for_keyword("TrajectMunicipality")
STATE = SearchAttributeKey.for_keyword_list("TrajectState")
OVERDUE = SearchAttributeKey.for_bool("TrajectOverdue")
SEARCH_ATTRIBUTES = (DEFINITION, VERSION, MUNICIPALITY, STATE, OVERDUE)


def start_attributes(definition: CompiledDefinition) -> TypedSearchAttributes:
    """The search attributes Traject starts a trajectory with: what ops find cases by in
    Temporal's UI (definition, version, municipality) and whether any task is overdue, which the
    workflow upserts only when that changes (a case is rarely overdue at its start; if it is,
    its first step says so).

    Which states a case is in is not a search attribute any more: Traject's own read model keeps
    it (the case list filters by state), and keeping it in Temporal's visibility as well cost a
    history event and a visibility write at every change of state, about a fifth of the
    server's work per trajectory. A start without TrajectState tells the workflow so; histories
    of trajectories started with it replay as they were recorded."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(DEFINITION, definition.definition),
            SearchAttributePair(VERSION, definition.version),
            SearchAttributePair(MUNICIPALITY, definition.municipality),
            SearchAttributePair(OVERDUE, False),
        ]
    )


def _started_with() -> tuple[tuple[str, ...] | None, bool] | None:
    """What a new trajectory's start set: (states, overdue) if it set TrajectOverdue (states
    None when it left TrajectState out, as Traject now does), None if it set neither."""
    attributes = workflow.info().typed_search_attributes
    states, overdue = attributes.get(STATE), attributes.get(OVERDUE)
    if overdue is None:
        return None
    return (None if states is None else tuple(states)), overdue


RECORD_STEP = "record_step"
RECORD_STEP_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)
)
MAX_REMEMBERED_UPDATES = 200


def _machine(definition: CompiledDefinition) -> Machine:
    """The definition's machine. Since 2026-12-07 a termijn that runs from a case date starts
    when an event gives the date and moves when a step sets it again; trajectories whose
    histories were recorded before replay without that (no patch marker in them). Only a
    definition with such a termijn asks, so no other trajectory's history carries the marker."""
    if not any(t.start_kind == "date" for t in definition.termijnen.values()):
        return Machine.of(definition)
    return Machine.of(definition, workflow.patched("termijn-follows-its-date"))


def rejection(error: MachineError) -> ApplicationError:
    """A machine refusal as a typed, non-retryable failure the API maps to 409/422."""
    details = [getattr(error, "errors", {})]
    return ApplicationError(str(error), *details, type=error.code, non_retryable=True)


@workflow.defn(name="Trajectory")
class TrajectoryWorkflow:
    @workflow.init
    def __init__(self, params: TrajectoryInput) -> None:
        self.params = params
        self.machine = _machine(params.definition)
        carried = params.carried
        self.snapshot = carried.snapshot if carried else None
        self.due: dict[str, datetime | None] = (
            {t: datetime.fromisoformat(m) if m else None for t, m in carried.due.items()}
            if carried
            else {}
        )
        self.paused: dict[str, float] = dict(carried.paused) if carried else {}
        self.suspended = carried.suspended if carried else False
        # Whether the termijnen keep running while the trajectory is suspended (suspensions
        # since "termijnen-run-while-suspended"); before, a suspension paused them too.
        self.termijnen_run = carried.termijnen_run if carried else False
        self.cancelled = False
        self.applied: list[str] = list(carried.applied_updates) if carried else []
        self.records = carried.records if carried else 0
        self.assigned: dict[str, str] = dict(carried.assigned) if carried else {}
        # What a migration replaced, until the trajectory moves on: (definition, snapshot, timers).
        self.before_migration: tuple[Any, Snapshot, dict[str, datetime | None]] | None = None
        self.recorded = self.records
        # What the search attributes say now, and which of them this trajectory keeps:
        # - started with TrajectOverdue and without TrajectState (start_attributes now; the v5
        #   histories) or continued from such a run: only TrajectOverdue, upserted when it changes;
        # - started with TrajectState too (the v4 histories): both, upserted when
        #   (states, overdue) changes;
        # - started with neither, or continued from a run that kept the states: both, upserted
        #   on the first step and then as "upsert-on-change" says (older histories).
        self.searchable: tuple[tuple[str, ...] | None, bool | None] | None
        if carried:
            self.states_searchable = carried.states_searchable
            overdue = workflow.info().typed_search_attributes.get(OVERDUE)
            self.searchable = None if self.states_searchable else (None, overdue)
        else:
            self.searchable = _started_with()
            self.states_searchable = self.searchable is None or self.searchable[0] is not None
        # Histories from before "upsert-on-change" upserted on every step. Asking which kind this
        # is writes a marker and an upsert of its own the first time, so a trajectory started
        # with its states (newer than that patch) does not ask.
        self.on_change_only = self.searchable is not None
        self.manual_now: datetime | None = None
        if params.manual_clock:
            moment = carried.manual_now if carried else params.clock_start
            self.manual_now = datetime.fromisoformat(moment) if moment else workflow.now()
        self.started_at = carried.started_at if carried else self._clock().isoformat()
        self.lock = asyncio.Lock()
        self.woken = False

    # --------------------------------------------------------------------------------- run
    @workflow.run
    async def run(self, params: TrajectoryInput) -> TrajectoryView:
        if self.snapshot is None:
            async with self.lock:
                await self._apply(self.machine.start(self._now(), params.dates), actor=None)
        while not self._over():
            await self._sleep_until_next_timer()
            async with self.lock:
                await self._fire_due_timers()
            if self._history_full():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._over():
                    workflow.continue_as_new(self._carry())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def _over(self) -> bool:
        return self.cancelled or (self.snapshot is not None and self.snapshot.finished)

    def _history_full(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self.params.history_limit
        )

    def _carry(self) -> TrajectoryInput:
        assert self.snapshot is not None
        carried = Carried(
            snapshot=self.snapshot,
            due=self._due_iso(),
            paused=self.paused,
            suspended=self.suspended,
            termijnen_run=self.termijnen_run,
            applied_updates=self.applied[-MAX_REMEMBERED_UPDATES:],
            records=self.records,
            started_at=self.started_at,
            assigned=self.assigned,
            states_searchable=self.states_searchable,
        )
        return self.params.model_copy(update={"carried": carried})

    async def _sleep_until_next_timer(self) -> None:
        self.woken = False
        moments = [m for m in self.due.values() if m is not None]  # suspended: termijnen only
        timeout = None
        if moments and self.manual_now is None:
            timeout = max((min(moments) - self._clock()).total_seconds(), 0.0)
            if timeout == 0:
                return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.woken or self._over(), timeout=timeout)

    async def _fire_due_timers(self, until: datetime | None = None) -> None:
        """Fire every timer due by `until` (default: now), earliest first; on a manual clock the
        time moves to each timer's moment as it fires, so later entries are timed right."""
        until = until or self._clock()
        while not self._over():
            now = until
            ready = sorted((m, t) for t, m in self.due.items() if m is not None and m <= now)
            if not ready:
                return
            moment, timer = ready[0]
            del self.due[timer]
            if self.manual_now is not None:
                self.manual_now = max(self.manual_now, moment)
            assert self.snapshot is not None
            await self._apply(
                self.machine.fire_timer(self.snapshot, timer, self._now()), actor=None, timer=timer
            )

    # ------------------------------------------------------------------------------- steps
    async def _apply(self, step: Step, actor: str | None, **note: str | int | None) -> None:
        if step.moved or step.effects:  # the case moved on: a migration can no longer be undone
            self.before_migration = None
        self.snapshot = step.snapshot
        for effect in step.effects:  # a task that opens again later starts unclaimed
            if effect.kind == "task_closed":
                self.assigned.pop(effect.task, None)
        if not self.suspended:
            track_timers(
                self.due, step.effects, self.params.definition, self._clock(), step.snapshot.dates
            )
        elif self.termijnen_run:
            self._track_while_suspended(step)
        self.woken = True
        overdue = any(t.overdue for t in step.snapshot.open_tasks.values())
        self._index(step.snapshot.active, overdue)
        self.records += 1
        completed = {  # (effects by kind: isinstance is slow in the sandbox)
            e.task: step.snapshot.completed.get(e.task, {})
            for e in step.effects
            if e.kind == "task_closed" and e.reason == "completed"
        }
        record = StepRecord(
            case_id=self.params.case_id,
            workflow_id=workflow.info().workflow_id,
            sequence=self.records,
            at=self._now(),
            actor=actor,
            effects=list(step.effects),
            active=list(step.snapshot.active),
            finished=step.snapshot.finished,
            outcome=step.snapshot.outcome,
            status=self._status(),
            overdue=overdue,
            completed=completed,
            **note,
        )
        await workflow.execute_local_activity(
            RECORD_STEP,
            record,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_STEP_RETRY,
        )
        self.recorded = record.sequence

    def _track_while_suspended(self, step: Step) -> None:
        """A step while suspended (a termijn fired, or was changed): the termijnen's timers run
        on; a timer of anything else it arms waits, paused with all its time left, until the
        trajectory resumes; one it cancels is gone, paused or not."""
        assert self.snapshot is not None
        now = self._clock()
        running = {t: m for t, m in self.due.items() if t not in self.paused}
        for effect in step.effects:
            if effect.kind == "timer_cancelled":
                self.paused.pop(effect.timer, None)
        track_timers(running, step.effects, self.params.definition, now, self.snapshot.dates)
        for timer_id, moment in running.items():
            if moment is not None and not timer_id.startswith(TERMIJN_TIMER):
                self.paused[timer_id] = (moment - now).total_seconds()
                running[timer_id] = None
        self.due = {**dict.fromkeys(self.paused), **running}

    def _index(self, active: tuple[str, ...], overdue: bool) -> None:
        """Keep the search attributes up to date. An upsert is a history event and a visibility
        write, so only a change upserts; histories from before "upsert-on-change" upserted the
        states on every step, and replay so."""
        if not self.states_searchable:
            assert self.searchable is not None
            if overdue != self.searchable[1]:
                self.searchable = (None, overdue)
                workflow.upsert_search_attributes([OVERDUE.value_set(overdue)])
            return
        searchable = (active, overdue)
        if searchable != self.searchable or not (
            self.on_change_only or workflow.patched("upsert-on-change")
        ):
            self.searchable = searchable
            workflow.upsert_search_attributes(
                [STATE.value_set(list(active)), OVERDUE.value_set(overdue)]
            )

    def _due_iso(self) -> dict[str, str | None]:
        return {t: m.isoformat() if m else None for t, m in self.due.items()}

    def _clock(self) -> datetime:
        return self.manual_now if self.manual_now is not None else workflow.now()

    def _now(self) -> str:
        return self._clock().isoformat()

    def _status(self) -> str:
        if self.cancelled:
            return "cancelled"
        if self.snapshot is not None and self.snapshot.finished:
            return "finished"
        return "suspended" if self.suspended else "running"

    # ----------------------------------------------------------------------------- updates
    def _seen(self) -> bool:
        info = workflow.current_update_info()
        return info is not None and info.id in self.applied

    def _remember(self) -> None:
        info = workflow.current_update_info()
        if info is not None:
            self.applied.append(info.id)
            del self.applied[:-MAX_REMEMBERED_UPDATES]

    async def _started(self) -> None:
        """An update that arrives before the first step waits for it (validators let it pass)."""
        await workflow.wait_condition(lambda: self.snapshot is not None)

    def _check_open(self, termijn: bool = False) -> None:
        """Refuse a change to a cancelled trajectory, or to a suspended one: except, with
        `termijn`, a change to a termijn where they run on while it is suspended."""
        if self.cancelled:
            raise ApplicationError(
                "the trajectory was cancelled", type="finished", non_retryable=True
            )
        if self.suspended and not (termijn and self.termijnen_run):
            raise ApplicationError(
                "the trajectory is suspended: resume it first", type="suspended", non_retryable=True
            )

    async def _machine_update(
        self,
        compute: Callable[[Snapshot], Step],
        actor: str,
        termijn: bool = False,
        **note: str | int | None,
    ) -> TrajectoryView:
        """One machine step for an update: wait for the first step, answer a repeated update with
        the current view, refuse what the machine refuses, apply the step under the lock."""
        await self._started()
        if self._seen():
            return self.view()
        async with self.lock:
            self._check_open(termijn)
            assert self.snapshot is not None
            try:
                step = compute(self.snapshot)
            except MachineError as error:
                raise rejection(error) from None
            self._remember()
            await self._apply(step, actor, **note)
        return self.view()

    def _validate(self, check: Callable[[Snapshot], None], termijn: bool = False) -> None:
        """An update validator: pure, writes nothing; a refusal leaves no trace in history."""
        if self._seen():
            return
        self._check_open(termijn)
        if self.snapshot is None:  # not started yet: the handler waits and checks again
            return
        try:
            check(self.snapshot)
        except MachineError as error:
            raise rejection(error) from None

    @workflow.update
    async def complete_task(self, request: CompleteTask) -> TrajectoryView:
        return await self._machine_update(
            lambda s: self.machine.complete_task(s, request.task, request.data, self._now()),
            request.actor,
        )

    @complete_task.validator
    def _validate_complete(self, request: CompleteTask) -> None:
        holder = self.assigned.get(request.task)
        if holder is not None and holder != request.actor and not self._seen():
            raise ApplicationError(
                f"task '{request.task}' is claimed by someone else",
                type="claimed",
                non_retryable=True,
            )
        self._validate(lambda s: self.machine.check_completion(s, request.task, request.data))

    @workflow.update
    async def assign_task(self, request: AssignTask) -> TrajectoryView:
        await self._started()
        async with self.lock:
            if self._seen():
                return self.view()
            self._check_assignment(request)  # the state may have moved while this waited
            if request.assignee is None:
                self.assigned.pop(request.task, None)
            else:
                self.assigned[request.task] = request.assignee
            self._remember()
            await self._apply(
                self._still(),
                request.actor,
                assigned_task=request.task,
                assignee=request.assignee,
            )
        return self.view()

    @assign_task.validator
    def _validate_assign(self, request: AssignTask) -> None:
        if not self._seen():
            self._check_assignment(request)

    def _check_assignment(self, request: AssignTask) -> None:
        self._check_open()
        if self.snapshot is not None and request.task not in self.snapshot.open_tasks:
            raise ApplicationError(
                f"task '{request.task}' is not open", type="task_not_open", non_retryable=True
            )
        holder = self.assigned.get(request.task)
        if holder is None or holder == request.actor or request.override:
            return
        raise ApplicationError(
            f"task '{request.task}' is claimed by someone else", type="claimed", non_retryable=True
        )

    @workflow.update
    async def migrate(self, request: Migrate) -> TrajectoryView:
        await self._started()
        async with self.lock:
            if self._seen():
                return self.view()
            self._check_open()
            assert self.snapshot is not None
            try:
                planned = plan_migration(
                    self.params.definition,
                    request.definition,
                    self.snapshot,
                    request.mapping,
                    self._now(),
                )
            except MachineError as error:
                raise rejection(error) from None
            saved = (self.params.definition, self.snapshot, dict(self.due))
            self._switch(request.definition)
            self._remember()
            await self._apply(
                planned.step,
                request.actor,
                decision="migrated",
                definition_version=request.definition.version,
            )
            self.before_migration = saved
        return self.view()

    @migrate.validator
    def _validate_migrate(self, request: Migrate) -> None:
        def check(snapshot: Snapshot) -> None:
            plan_migration(
                self.params.definition, request.definition, snapshot, request.mapping, self._now()
            )

        self._validate(check)

    @workflow.update
    async def revert_migration(self, request: RevertMigration) -> TrajectoryView:
        await self._started()
        async with self.lock:
            if self._seen():
                return self.view()
            self._check_reverting()
            assert self.before_migration is not None
            definition, snapshot, due = self.before_migration
            self._switch(definition)
            self.due = due
            self._remember()
            await self._apply(
                Step(snapshot=snapshot, effects=(), moved=False),
                request.actor,
                decision="migration_reverted",
                definition_version=definition.version,
            )
            self.before_migration = None
        return self.view()

    @revert_migration.validator
    def _validate_revert(self, request: RevertMigration) -> None:
        if not self._seen():
            self._check_reverting()

    def _check_reverting(self) -> None:
        self._check_open()
        if self.before_migration is None:
            raise ApplicationError(
                "there is no migration to undo, or the case has moved on since",
                type="not_revertible",
                non_retryable=True,
            )

    def _switch(self, definition: Any) -> None:
        self.params = self.params.model_copy(update={"definition": definition})
        self.machine = _machine(definition)

    @workflow.query
    def current(self) -> Snapshot | None:
        """The machine's snapshot (no personal data), for a migration's dry run."""
        return self.snapshot

    @workflow.update
    async def change_termijn(self, request: ChangeTermijn) -> TrajectoryView:
        return await self._machine_update(
            lambda s: self.machine.change_termijn(
                s, request.name, request.change, self._now(), request.reason, request.length
            ),
            request.actor,
            termijn=True,
        )

    @change_termijn.validator
    def _validate_termijn(self, request: ChangeTermijn) -> None:
        self._validate(
            lambda s: self.machine.check_termijn_change(
                s, request.name, request.change, self._now(), request.length
            ),
            termijn=True,
        )

    @workflow.update
    async def record_event(self, request: RecordEvent) -> TrajectoryView:
        return await self._machine_update(
            lambda s: self.machine.record_event(s, request.event, self._now(), request.date),
            request.actor,
            event=request.event,
            event_date=request.date,
        )

    @record_event.validator
    def _validate_event(self, request: RecordEvent) -> None:
        self._validate(lambda s: self.machine.check_event(s, request.event))

    @workflow.update
    async def record_ladder(self, request: RecordLadder) -> TrajectoryView:
        return await self._machine_update(
            lambda s: Step(
                snapshot=self.machine.record_ladder(s, request.step), effects=(), moved=False
            ),
            request.actor,
            ladder=request.step,
        )

    @record_ladder.validator
    def _validate_ladder(self, request: RecordLadder) -> None:
        self._validate(lambda s: None)

    @workflow.update
    async def suspend(self, request: CaseDecision) -> TrajectoryView:
        await self._started()
        async with self.lock:
            if self._seen():
                return self.view()
            self._check_open()
            now = self._clock()
            # The law's clock is not the municipality's to stop: a termijn runs on while its
            # trajectory is suspended (it has its own suspension and extension, with reasons).
            # Suspensions in histories from before this paused the termijnen too.
            self.termijnen_run = bool(self.params.definition.termijnen) and workflow.patched(
                "termijnen-run-while-suspended"
            )
            kept = {t for t in self.due if self.termijnen_run and t.startswith(TERMIJN_TIMER)}
            self.paused = {
                t: (m - now).total_seconds()
                for t, m in self.due.items()
                if m is not None and t not in kept
            }
            self.due = {t: m if t in kept else None for t, m in self.due.items()}
            self.suspended = True
            self._remember()
            await self._apply(
                self._still(), request.actor, decision="suspended", reason=request.reason
            )
        return self.view()

    @suspend.validator
    def _validate_suspend(self, request: CaseDecision) -> None:
        if not self._seen():
            self._check_open()

    @workflow.update
    async def resume(self, request: CaseDecision) -> TrajectoryView:
        await self._started()
        async with self.lock:
            if self._seen():
                return self.view()
            now = self._clock()
            self.suspended = False
            for timer_id in list(self.due):
                left = self.paused.pop(timer_id, None)
                if left is not None:
                    self.due[timer_id] = now + timedelta(seconds=max(left, 0))
                elif not (self.termijnen_run and timer_id.startswith(TERMIJN_TIMER)):
                    self.due[timer_id] = None  # waits for a case date (track_timers below)
            assert self.snapshot is not None  # timers still waiting for a date start if it is known
            track_timers(self.due, (), self.params.definition, now, self.snapshot.dates)
            self._remember()
            await self._apply(
                self._still(), request.actor, decision="resumed", reason=request.reason
            )
        return self.view()

    @resume.validator
    def _validate_resume(self, request: CaseDecision) -> None:
        if self._seen():
            return
        if not self.suspended:
            raise ApplicationError(
                "the trajectory is not suspended", type="not_suspended", non_retryable=True
            )

    @workflow.update
    async def cancel(self, request: CaseDecision) -> TrajectoryView:
        await self._started()
        async with self.lock:
            if self._seen():
                return self.view()
            self.cancelled = True
            self.due.clear()
            self._remember()
            await self._apply(
                self._still(), request.actor, decision="cancelled", reason=request.reason
            )
        return self.view()

    @cancel.validator
    def _validate_cancel(self, request: CaseDecision) -> None:
        if self._seen():
            return
        if self._over():
            raise ApplicationError(
                "the trajectory has already ended", type="finished", non_retryable=True
            )

    def _still(self) -> Step:
        """A record of a decision or measurement that moves no state."""
        assert self.snapshot is not None
        return Step(snapshot=self.snapshot, effects=(), moved=False)

    @workflow.update
    async def advance_clock(self, request: AdvanceClock) -> TrajectoryView:
        await self._started()
        async with self.lock:
            if self._seen():
                return self.view()
            assert self.manual_now is not None
            until = Duration.parse(request.duration).add_to(self.manual_now)
            self._remember()
            await self._fire_due_timers(until)
            self.manual_now = max(self.manual_now, until)
        return self.view()

    @advance_clock.validator
    def _validate_advance(self, request: AdvanceClock) -> None:
        if self._seen():
            return
        if self.manual_now is None:
            raise ApplicationError(
                "only a manual-clock trajectory can be advanced",
                type="real_clock",
                non_retryable=True,
            )
        try:
            Duration.parse(request.duration)
        except ValueError as error:
            raise ApplicationError(
                str(error), type="invalid_duration", non_retryable=True
            ) from None
        self._check_open(termijn=True)  # suspended, time passes for the termijnen

    # ------------------------------------------------------------------------------- query
    @workflow.query
    def view(self) -> TrajectoryView:
        snap = self.snapshot
        d = self.params.definition
        return TrajectoryView(
            case_id=self.params.case_id,
            definition=d.definition,
            version=d.version,
            active=list(snap.active) if snap else [],
            open_tasks=[TaskView.of(t, self.assigned.get(t.name)) for t in snap.open_tasks.values()]
            if snap
            else [],
            finished=bool(snap and snap.finished),
            cancelled=self.cancelled,
            suspended=self.suspended,
            outcome=snap.outcome if snap else None,
            steps=snap.steps if snap else 0,
            recorded=self.recorded,
            timers=self._due_iso(),
            ladder=snap.ladder if snap else None,
            dates=dict(snap.dates) if snap else {},
            now=self._now(),
        )
