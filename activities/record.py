"""The step recorder: the one activity a workflow runs per step. It writes everything the step
did — state history, tasks, workshop seats, letters in the outbox, signing, ladder measurements,
escalations, the case's current state, the dashboard's aggregates — in one transaction, once: a
step applied before (a retry, a replay after a worker crash) writes nothing."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import aggregates, effects
from traject import metrics
from traject.definition.compiled import CompiledDefinition
from traject.machine import TaskClosed
from traject.store.db import transaction
from traject.store.models import AppliedStep, Case, DefinitionVersion
from workflows.messages import StepRecord
from workflows.trajectory import RECORD_STEP

log = structlog.get_logger()


class StepRecorder:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._definitions = lru_cache(maxsize=64)(self._load_definition)

    def _load_definition(self, version_id: int) -> CompiledDefinition:
        with self.sessions() as session:
            version = session.get(DefinitionVersion, version_id)
            assert version is not None
            return CompiledDefinition.model_validate(version.compiled)

    @staticmethod
    def _version_id(session: Session, case: Case, record: StepRecord) -> int:
        current = session.get(DefinitionVersion, case.definition_version_id)
        assert current is not None
        found = session.scalar(
            select(DefinitionVersion.id).where(
                DefinitionVersion.municipality == current.municipality,
                DefinitionVersion.definition == current.definition,
                DefinitionVersion.version == record.definition_version,
            )
        )
        if found is None:
            raise ApplicationError(
                f"version {record.definition_version} of {current.definition} is not published",
                type="unknown_version",
                non_retryable=True,
            )
        return found

    @activity.defn(name=RECORD_STEP)
    def record_step(self, record: StepRecord) -> None:
        try:
            self.apply(record)
        except IntegrityError:  # a concurrent attempt applied it first: check and move on
            with self.sessions() as session:
                if session.get(AppliedStep, (record.workflow_id, record.sequence)) is None:
                    raise

    def apply(self, record: StepRecord) -> bool:
        """Write one step; False when it had been written before."""
        with structlog.contextvars.bound_contextvars(
            case_id=record.case_id, workflow_id=record.workflow_id
        ):
            return self._apply(record)

    def _apply(self, record: StepRecord) -> bool:
        with transaction(self.sessions) as session:
            if session.get(AppliedStep, (record.workflow_id, record.sequence)) is not None:
                return False
            case = session.get(Case, record.case_id)
            if case is None:
                raise ApplicationError(
                    f"no case '{record.case_id}' in the store",
                    type="unknown_case",
                    non_retryable=True,
                )
            if record.definition_version is not None:  # migrated: the case now runs on it
                case.definition_version_id = self._version_id(session, case, record)
            definition = self._definitions(case.definition_version_id)
            at = datetime.fromisoformat(record.at)
            # Read first, write last: on SQLite a transaction holds the store's one write lock
            # from its first write to its commit, and the API and the other steps wait for it.
            with session.no_autoflush:
                step = effects.apply(session, case, definition, record, at)
                write_aggregates = aggregates.apply(session, case, record, at)
            session.add(
                AppliedStep(workflow_id=record.workflow_id, sequence=record.sequence, applied_at=at)
            )
            session.flush()
            step.write_timeline()
            write_aggregates()
        roles = [
            definition.tasks[e.task].role
            for e in record.effects
            if isinstance(e, TaskClosed) and e.reason == "completed" and e.task in definition.tasks
        ]
        metrics.WORKER.recorded(record.sequence, record.status, definition.definition, roles)
        log.info(
            "step_recorded",
            sequence=record.sequence,
            effects=len(record.effects),
            status=record.status,
        )
        return True
