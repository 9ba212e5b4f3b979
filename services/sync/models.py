"""The sync service's tables (schema "sync"): import jobs and their logs, upstream
fingerprints for incremental refresh, schedules and their runs."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.clock import utcnow
from shared.db import make_metadata, string_enum

SCHEMA = "sync"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


class JobKind(enum.StrEnum):
    IMPORT = "import"
    REFRESH = "refresh"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class Stage(enum.StrEnum):
    """Import stages in the order they run (DESIGN.md section 5)."""

    PENDING = "pending"
    RESOLVING_IDENTITY = "resolving_identity"
    IMPORTING_CATALOG = "importing_catalog"
    IMPORTING_SHOWS = "importing_shows"
    IMPORTING_SETLISTS = "importing_setlists"
    SEEDING_PREDICTIONS = "seeding_predictions"
    COMPLETED = "completed"
    FAILED = "failed"


class ImportJob(Base):
    __tablename__ = "import_job"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[JobKind] = mapped_column(string_enum(JobKind, "job_kind"))
    reference: Mapped[str] = mapped_column(String(300))
    # What makes two requests "the same artist" before its identity is known:
    # the classified reference, e.g. "spotify:4Z8W4fKeB5YxbusRsdQVPb" or "name:radiohead".
    artist_key: Mapped[str] = mapped_column(String(320))
    artist_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    artist_name: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[JobState] = mapped_column(string_enum(JobState, "job_state"))
    stage: Mapped[Stage] = mapped_column(string_enum(Stage, "import_stage"))
    percent: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    counters: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # [{"stage": "importing_catalog", "seconds": 1.5}, ...] in the order stages finished.
    stage_timings: Mapped[list[dict]] = mapped_column(JSON, default=list)
    error_reason: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped on every persisted change; watchers compare it to skip repeats.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # At most one active job per artist reference and per known artist.
        Index(
            "uq_import_job_active_artist_key",
            "artist_key",
            unique=True,
            postgresql_where=text("state IN ('queued', 'running')"),
            sqlite_where=text("state IN ('queued', 'running')"),
        ),
        Index(
            "uq_import_job_active_artist_id",
            "artist_id",
            unique=True,
            postgresql_where=text("state IN ('queued', 'running') AND artist_id IS NOT NULL"),
            sqlite_where=text("state IN ('queued', 'running') AND artist_id IS NOT NULL"),
        ),
        Index("ix_import_job_created_at_id", "created_at", "id"),
    )


class ImportLog(Base):
    """What a job did and decided (ambiguous matches, skipped releases...), for people."""

    __tablename__ = "import_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_job.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[Stage] = mapped_column(string_enum(Stage, "import_stage"))
    level: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


class UpstreamFingerprint(Base):
    """The last ETag and content hash seen for one upstream resource."""

    __tablename__ = "upstream_fingerprint"

    upstream: Mapped[str] = mapped_column(String(20), primary_key=True)
    resource: Mapped[str] = mapped_column(String(500), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Schedule(Base):
    __tablename__ = "schedule"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    interval_seconds: Mapped[float] = mapped_column(Float)
    next_run_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class ScheduleRun(Base):
    __tablename__ = "schedule_run"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    schedule: Mapped[str] = mapped_column(ForeignKey("schedule.name", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_schedule_run_schedule_started_at", "schedule", "started_at"),)
