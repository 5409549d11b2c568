"""SQLAlchemy 2 models. Schema changes go through alembic migrations (`migrations/`), and a test
checks that upgrading an empty database gives exactly these tables.

Personal data (names, BSN, contact details, free-text form answers) lives in `case_persons` and
`tasks.personal_data` only, so retention can delete it while the anonymous statistics stay.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Json = dict[str, Any]


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        Json: JSON,
        list[str]: JSON,
        datetime: DateTime(timezone=True),
    }


class Municipality(Base):
    __tablename__ = "municipalities"
    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    retention_days: Mapped[int] = mapped_column(Integer, default=7 * 365)
    policy: Mapped[Json] = mapped_column(default=dict)  # e.g. {"fines": false}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("municipality", "username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"))
    username: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    roles: Mapped[list[str]] = mapped_column(default=list)  # designer, caseworker, volunteer, ...
    groups: Mapped[list[str]] = mapped_column(default=list)  # candidate groups: klantmanager, coach
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(200))  # `sub` at the municipality's IdP
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()


class LoginSession(Base):
    """A browser session. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


class ApiToken(Base):
    """A token for an integration, acting as its user. Shown once; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class DefinitionVersion(Base):
    """A published definition: immutable once written."""

    __tablename__ = "definition_versions"
    __table_args__ = (UniqueConstraint("municipality", "definition", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"))
    definition: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    compiled: Mapped[Json] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="published")
    published_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)


class DefinitionDraft(Base):
    """A designer's work in progress on one of the municipality's definitions: one per
    definition, replaced by each save, removed when published from. It may be invalid, and
    nothing runs on it."""

    __tablename__ = "definition_drafts"
    __table_args__ = (UniqueConstraint("municipality", "definition"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"))
    definition: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime] = mapped_column()


class Case(Base):
    """A newcomer's trajectory. Its id is opaque: never derived from personal data."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_municipality_status", "municipality", "status"),
        Index("ix_cases_municipality_started", "municipality", "started_at"),
        # The dashboard's reads of one definition: the cases in scope (joined to their dates,
        # facts and tasks), period counts by start and by finish, and the ladder by its latest
        # measurement, each an index-only range (INCLUDE: PostgreSQL).
        Index(
            "ix_cases_scope",
            "municipality",
            "definition_version_id",
            postgresql_include=["id", "started_at", "finished_at", "outcome", "status"],
        ),
        Index(
            "ix_cases_scope_started",
            "municipality",
            "definition_version_id",
            "started_at",
            postgresql_include=["finished_at", "status"],
        ),
        Index(
            "ix_cases_scope_finished",
            "municipality",
            "definition_version_id",
            "finished_at",
            postgresql_include=["started_at", "outcome", "status"],
        ),
        Index(
            "ix_cases_scope_ladder",
            "municipality",
            "definition_version_id",
            "ladder_at",
            postgresql_include=["ladder_first", "ladder_step", "started_at", "finished_at"],
        ),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"))
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"))
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    reference: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="starting")
    current_states: Mapped[list[str]] = mapped_column(default=list)
    outcome: Mapped[str | None] = mapped_column(String(64))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column()
    last_progress_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    # The participatieladder as the step recorder last wrote it (first step, latest step and
    # when), so the dashboard need not rank every measurement of every case.
    ladder_first: Mapped[int | None] = mapped_column(Integer)
    ladder_step: Mapped[int | None] = mapped_column(Integer)
    ladder_at: Mapped[datetime | None] = mapped_column()


class CasePerson(Base):
    """The personal data of a case, and nothing else."""

    __tablename__ = "case_persons"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    bsn: Mapped[str | None] = mapped_column(String(9))
    birth_date: Mapped[date | None] = mapped_column(Date)
    contact: Mapped[Json] = mapped_column(default=dict)


class CaseDate(Base):
    __tablename__ = "case_dates"
    # the dashboard's Wet inburgering figures: the dates of one name in a range, index-only
    __table_args__ = (
        Index("ix_case_dates_name_value", "name", "value", postgresql_include=["case_id"]),
    )
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[date] = mapped_column(Date)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_case", "case_id"),
        # open tasks per role, for one municipality (dashboard) or all (the /metrics scrape),
        # index-only (INCLUDE: PostgreSQL)
        Index(
            "ix_tasks_open_by_role",
            "status",
            "municipality",
            "role",
            postgresql_include=["case_id", "assignee", "overdue", "escalated"],
        ),
        # the tasks of one name completed in a period (the routes decided in the PIPs)
        Index(
            "ix_tasks_done",
            "municipality",
            "name",
            "status",
            "completed_at",
            postgresql_include=["case_id"],
        ),
        Index("ix_tasks_due", "status", "due_at"),
        Index("ix_tasks_assignee", "municipality", "assignee", "status"),
        # The inbox's order (soonest due first, none last) straight from the index: LIMIT 25
        # reads 25 rows instead of sorting every open task of the municipality.
        Index("ix_tasks_inbox", "municipality", "status", text("(due_at IS NULL)"), "due_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # workflow id + step + task
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"))
    name: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    assignee: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_by: Mapped[str | None] = mapped_column(String(100))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    form_data: Mapped[Json] = mapped_column(default=dict)  # what the workflow saw
    personal_data: Mapped[Json] = mapped_column(default=dict)  # personal answers: store only


class TimelineEvent(Base):
    """Append-only history of a case (no personal data in `detail`)."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_case_seq", "case_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(100))  # state, task or action name
    detail: Mapped[Json] = mapped_column(default=dict)
    actor: Mapped[str | None] = mapped_column(String(100))


class CaseTermijn(Base):
    """A legal deadline of a case as it stands (the workflow's termijn, as last recorded)."""

    __tablename__ = "case_termijnen"
    __table_args__ = (
        UniqueConstraint("case_id", "name"),
        Index("ix_termijnen_open", "municipality", "status", "due_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"))
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # running, suspended, met, expired
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)  # None while suspended
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    suspensions: Mapped[int] = mapped_column(Integer, default=0)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column()


class LadderMeasurement(Base):
    __tablename__ = "ladder_measurements"
    __table_args__ = (
        CheckConstraint("step BETWEEN 1 AND 6", name="ladder_step_1_to_6"),
        # the measurements of a period (the dashboard's monthly series) ...
        Index(
            "ix_ladder_measured",
            "measured_at",
            postgresql_include=["case_id", "step", "previous_step"],
        ),
        # ... and the one each case had at a moment in the past (superseded after it)
        Index("ix_ladder_next", "next_at", postgresql_include=["case_id", "step", "measured_at"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    measured_at: Mapped[datetime] = mapped_column()
    measured_by: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(64))
    # Kept by the step recorder, in (measured_at, id) order per case: the step measured before
    # this one, and when the next one was measured (None: this is the case's latest).
    previous_step: Mapped[int | None] = mapped_column(Integer)
    next_at: Mapped[datetime | None] = mapped_column()


class StateStay(Base):
    """One stay of a case in a state: inserted when the step recorder writes `state_entered`,
    closed when it writes the next `state_exited` of that state (the same pairing as the timeline's).
    `municipality` and `definition_version_id` repeat the case's (the version follows a migrated
    case), so the stays that ended in a period are one index range for the dashboard. `days` is
    the closed stay's length in whole days (rounded down), its bucket in `stay_days`."""

    __tablename__ = "state_stays"
    __table_args__ = (
        Index(
            "ix_stays_left",
            "municipality",
            "definition_version_id",
            "state",
            "left_at",
            postgresql_include=["entered_at", "days"],
        ),
        Index(
            "ix_stays_days",
            "municipality",
            "definition_version_id",
            "state",
            "days",
            "left_at",
            postgresql_include=["entered_at"],
        ),
        Index("ix_stays_case", "case_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"))
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"))
    state: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column()
    left_at: Mapped[datetime | None] = mapped_column()
    days: Mapped[int | None] = mapped_column(Integer)


class StayDays(Base):
    """How many stays in a state ended in a month after how many whole days: the histogram the
    throughput per phase is read from (a period's few hundred buckets per state instead of its
    hundreds of thousands of stays; `kpis.phase_spreads` makes the percentiles exact by reading
    the stays of the buckets they fall in). Kept by the step recorder as it closes stays."""

    __tablename__ = "stay_days"
    __table_args__ = (  # the key covers the count: the dashboard reads the key alone
        PrimaryKeyConstraint(
            "municipality",
            "definition_version_id",
            "state",
            "month",
            "days",
            postgresql_include=["stays"],
        ),
    )
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"), primary_key=True)
    definition_version_id: Mapped[int] = mapped_column(
        ForeignKey("definition_versions.id"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day, UTC
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    stays: Mapped[int] = mapped_column(Integer)


class CaseIndicator(Base):
    """When a case first reached what the Wet inburgering indicators count (its PVT reported
    done, its MAP reported done, the MAP exemption of the onderwijsroute), kept by the step
    recorder. A row exists only for cases that reached one of them."""

    __tablename__ = "case_indicators"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    pvt_done_at: Mapped[datetime | None] = mapped_column()
    map_done_at: Mapped[datetime | None] = mapped_column()
    map_exempt_at: Mapped[datetime | None] = mapped_column()


class WorkshopSession(Base):
    __tablename__ = "workshop_sessions"
    __table_args__ = (Index("ix_sessions_workshop", "municipality", "workshop", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(ForeignKey("municipalities.slug"))
    workshop: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column()
    location: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)


class WorkshopSeat(Base):
    __tablename__ = "workshop_seats"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("workshop_sessions.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    workshop: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # booked, waitlisted, cancelled
    booked_at: Mapped[datetime] = mapped_column()


class Declaration(Base):
    """A signed participatieverklaring."""

    __tablename__ = "declarations"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    signed_at: Mapped[datetime] = mapped_column()
    recorded_by: Mapped[str | None] = mapped_column(String(100))


class Escalation(Base):
    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    task: Mapped[str | None] = mapped_column(String(64))
    to_role: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()


class OutboxMessage(Base):
    """A letter, e-mail or inbox message to send: written in the step's transaction, sent later."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # letter, email, inbox, duo
    template: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(64))  # a role, or "newcomer"
    payload: Mapped[Json] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """Append-only: who read or changed what. Repositories only ever insert here."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_case", "case_id", "at"),
        # the audit page, newest first, of a municipality and of one kind of action in it
        Index("ix_audit_municipality_at", "municipality", "at", "id"),
        Index("ix_audit_municipality_action_at", "municipality", "action", "at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column()
    municipality: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[Json] = mapped_column(default=dict)


class AppliedStep(Base):
    """Each step record a workflow sent, once: a retried activity writes nothing twice."""

    __tablename__ = "applied_steps"
    workflow_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column()
