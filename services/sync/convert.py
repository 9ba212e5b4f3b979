"""Sync's stored rows to protobuf messages (and enum names both ways)."""

from __future__ import annotations

from mysetlist.sync.v1 import sync_pb2 as pb

from services.sync.domain.schedules import ScheduleView
from services.sync.domain.search import Candidate
from services.sync.models import ImportJob, JobKind, JobState, ScheduleRun, Stage
from services.sync.upstream_status import AggregateStatus
from shared.grpc.convert import duration, timestamp

JOB_STATE_TO_PB = {
    JobState.QUEUED: pb.JOB_STATE_QUEUED,
    JobState.RUNNING: pb.JOB_STATE_RUNNING,
    JobState.COMPLETED: pb.JOB_STATE_COMPLETED,
    JobState.FAILED: pb.JOB_STATE_FAILED,
    JobState.CANCELLED: pb.JOB_STATE_CANCELLED,
}
JOB_STATE_FROM_PB = {v: k for k, v in JOB_STATE_TO_PB.items()}
STAGE_TO_PB = {
    Stage.PENDING: pb.IMPORT_STAGE_UNSPECIFIED,
    Stage.RESOLVING_IDENTITY: pb.IMPORT_STAGE_RESOLVING_IDENTITY,
    Stage.IMPORTING_CATALOG: pb.IMPORT_STAGE_IMPORTING_CATALOG,
    Stage.IMPORTING_SHOWS: pb.IMPORT_STAGE_IMPORTING_SHOWS,
    Stage.IMPORTING_SETLISTS: pb.IMPORT_STAGE_IMPORTING_SETLISTS,
    Stage.SEEDING_PREDICTIONS: pb.IMPORT_STAGE_SEEDING_PREDICTIONS,
    Stage.COMPLETED: pb.IMPORT_STAGE_COMPLETED,
    Stage.FAILED: pb.IMPORT_STAGE_FAILED,
}
KIND_TO_PB = {JobKind.IMPORT: pb.JOB_KIND_IMPORT, JobKind.REFRESH: pb.JOB_KIND_REFRESH}


def job(row: ImportJob) -> pb.ImportJob:
    error = (
        pb.JobError(reason=row.error_reason, message=row.error_message or "")
        if row.error_reason
        else None
    )
    return pb.ImportJob(
        id=str(row.id),
        kind=KIND_TO_PB[row.kind],
        reference=row.reference,
        artist_id=str(row.artist_id) if row.artist_id else "",
        artist_name=row.artist_name or "",
        state=JOB_STATE_TO_PB[row.state],
        stage=STAGE_TO_PB[row.stage],
        percent=row.percent,
        message=row.message or "",
        counters={k: int(v) for k, v in (row.counters or {}).items()},
        stage_timings=[
            pb.StageTiming(stage=STAGE_TO_PB[Stage(t["stage"])], duration=duration(t["seconds"]))
            for t in row.stage_timings or []
        ],
        error=error,
        attempts=row.attempts,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
        end_time=timestamp(row.ended_at),
    )


BREAKER_TO_PB = {
    "closed": pb.BREAKER_STATE_CLOSED,
    "open": pb.BREAKER_STATE_OPEN,
    "half_open": pb.BREAKER_STATE_HALF_OPEN,
}
RUN_STATUS_TO_PB = {
    "running": pb.RUN_STATUS_RUNNING,
    "succeeded": pb.RUN_STATUS_SUCCEEDED,
    "failed": pb.RUN_STATUS_FAILED,
}


def upstream_status(status: AggregateStatus) -> pb.UpstreamStatus:
    return pb.UpstreamStatus(
        name=status.name,
        breaker_state=BREAKER_TO_PB.get(status.breaker_state, pb.BREAKER_STATE_UNSPECIFIED),
        calls=status.calls,
        errors=status.errors,
        rate_limited=status.rate_limited,
        remaining_quota=status.remaining_quota,
    )


def upstream_artist(candidate: Candidate) -> pb.UpstreamArtist:
    return pb.UpstreamArtist(
        name=candidate.name,
        spotify_id=candidate.spotify_id,
        ticketmaster_id=candidate.ticketmaster_id,
        mbid=candidate.mbid,
        image_url=candidate.image_url,
        genres=candidate.genres,
        popularity=candidate.popularity,
        catalog_artist_id=candidate.catalog_artist_id,
    )


def schedule_run(row: ScheduleRun) -> pb.ScheduleRun:
    return pb.ScheduleRun(
        id=str(row.id),
        schedule=row.schedule,
        status=RUN_STATUS_TO_PB.get(row.status, pb.RUN_STATUS_UNSPECIFIED),
        start_time=timestamp(row.started_at),
        duration=duration(row.duration_seconds) if row.duration_seconds is not None else None,
        counts={k: int(v) for k, v in (row.counts or {}).items()},
        message=row.message or "",
    )


def schedule(view: ScheduleView) -> pb.Schedule:
    return pb.Schedule(
        name=view.definition.name,
        description=view.definition.description,
        interval=duration(view.definition.interval.total_seconds()),
        next_run_time=timestamp(view.next_run_at),
        last_run=schedule_run(view.last_run) if view.last_run is not None else None,
    )
