"""SyncService over gRPC: protobuf in, domain call, protobuf out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
from mysetlist.sync.v1 import sync_pb2 as api
from mysetlist.sync.v1 import sync_pb2_grpc

from services.sync import convert, upstream_status
from services.sync.domain.jobs import Jobs
from services.sync.domain.schedules import Schedules
from services.sync.domain.search import UpstreamSearch
from services.sync.refresh import Refreshes
from services.sync.upstream_status import StatusBoard, StatusPublisher


class SyncServicer(sync_pb2_grpc.SyncServiceServicer):
    """Import and refresh jobs, upstream search and status, maintenance schedules."""

    def __init__(
        self,
        jobs: Jobs,
        *,
        refreshes: Refreshes,
        search: UpstreamSearch,
        status: StatusBoard,
        schedules: Schedules,
        own_status: StatusPublisher | None = None,
    ) -> None:
        self._jobs = jobs
        self._refreshes = refreshes
        self._search = search
        self._status = status
        self._own_status = own_status
        self._schedules = schedules

    async def StartImport(
        self, request: api.StartImportRequest, context: grpc.aio.ServicerContext
    ) -> api.StartImportResponse:
        job, created = await self._jobs.start(request.reference)
        return api.StartImportResponse(job=convert.job(job), created=created)

    async def GetImportJob(
        self, request: api.GetImportJobRequest, context: grpc.aio.ServicerContext
    ) -> api.GetImportJobResponse:
        return api.GetImportJobResponse(
            job=convert.job(await self._jobs.get(uuid.UUID(request.job_id)))
        )

    async def ListImportJobs(
        self, request: api.ListImportJobsRequest, context: grpc.aio.ServicerContext
    ) -> api.ListImportJobsResponse:
        rows, token = await self._jobs.list(
            state=convert.JOB_STATE_FROM_PB.get(request.state),
            artist_id=uuid.UUID(request.artist_id) if request.artist_id else None,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return api.ListImportJobsResponse(
            jobs=[convert.job(j) for j in rows], next_page_token=token
        )

    async def WatchImportJob(
        self, request: api.WatchImportJobRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[api.WatchImportJobResponse]:
        async for job in self._jobs.watch(uuid.UUID(request.job_id)):
            yield api.WatchImportJobResponse(job=convert.job(job))

    async def CancelImportJob(
        self, request: api.CancelImportJobRequest, context: grpc.aio.ServicerContext
    ) -> api.CancelImportJobResponse:
        return api.CancelImportJobResponse(
            job=convert.job(await self._jobs.cancel(uuid.UUID(request.job_id)))
        )

    async def RefreshArtist(
        self, request: api.RefreshArtistRequest, context: grpc.aio.ServicerContext
    ) -> api.RefreshArtistResponse:
        job, created = await self._refreshes.start(request.artist_id)
        return api.RefreshArtistResponse(job=convert.job(job), created=created)

    async def SearchUpstreamArtists(
        self, request: api.SearchUpstreamArtistsRequest, context: grpc.aio.ServicerContext
    ) -> api.SearchUpstreamArtistsResponse:
        found = await self._search.search(request.query, request.page_size)
        return api.SearchUpstreamArtistsResponse(
            artists=[convert.upstream_artist(c) for c in found]
        )

    async def GetUpstreamStatus(
        self, request: api.GetUpstreamStatusRequest, context: grpc.aio.ServicerContext
    ) -> api.GetUpstreamStatusResponse:
        statuses = await upstream_status.collect(self._status, self._own_status)
        return api.GetUpstreamStatusResponse(
            upstreams=[convert.upstream_status(s) for s in statuses]
        )

    async def ListSchedules(
        self, request: api.ListSchedulesRequest, context: grpc.aio.ServicerContext
    ) -> api.ListSchedulesResponse:
        views = await self._schedules.list()
        return api.ListSchedulesResponse(schedules=[convert.schedule(v) for v in views])

    async def RunSchedule(
        self, request: api.RunScheduleRequest, context: grpc.aio.ServicerContext
    ) -> api.RunScheduleResponse:
        return api.RunScheduleResponse(
            run=convert.schedule_run(await self._schedules.run_now(request.name))
        )
