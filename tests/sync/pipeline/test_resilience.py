"""Imports under redelivery, cancellation, upstream failures and ambiguous names."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fakes import FaultPlan
from fakes.dataset import Dataset, SpotifyArtist
from services.sync.models import JobState, Stage
from services.sync.repository import jobs as job_rows
from tests.sync.pipeline.catalog_view import read_artist
from tests.sync.pipeline.conftest import MakePipeline, Pipeline


async def force_running(pipeline: Pipeline, job_id) -> None:
    """As if the worker died after its last write but before acknowledging the message."""
    async with pipeline.sync_sessions.begin() as session:
        await job_rows.change(session, job_id, state=JobState.RUNNING, stage=Stage.PENDING)


async def test_a_redelivered_job_resumes_and_a_rerun_changes_nothing(
    pipeline: Pipeline, expected: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = expected["chloe_saint_emile"]
    job = await pipeline.start(facts["spotify_id"])
    real = pipeline.catalog.upsert_actual_setlist
    written = 0

    async def crash_after_three(*args: Any, **kwargs: Any) -> Any:
        nonlocal written
        written += 1
        if written > 3:
            raise RuntimeError("worker died")
        return await real(*args, **kwargs)

    monkeypatch.setattr(pipeline.catalog, "upsert_actual_setlist", crash_after_three)
    with pytest.raises(RuntimeError):
        await pipeline.run(job.id)  # the first attempt dies; Dramatiq would redeliver
    monkeypatch.setattr(pipeline.catalog, "upsert_actual_setlist", real)

    resumed = await pipeline.run(job.id)
    first = await read_artist(pipeline.catalog, str(resumed.artist_id))
    await force_running(pipeline, job.id)
    again = await pipeline.run(job.id)
    second = await read_artist(pipeline.catalog, str(again.artist_id))

    assert (resumed.state, again.state) == (JobState.COMPLETED, JobState.COMPLETED)
    assert again.attempts == 3
    assert second.snapshot() == first.snapshot()
    assert len(first.songs) == facts["studio_songs"]
    assert len(first.ticketed_shows) == facts["events"]
    assert len(first.actual()) == facts["setlists"] - facts["empty_setlists"]


async def test_a_cancelled_import_stops_writing(
    pipeline: Pipeline, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected["chloe_saint_emile"]
    pipeline.fakes.ticketmaster.config.inject(
        FaultPlan("slow", delay=1.0, endpoints=frozenset({"events"}))
    )
    job = await pipeline.start(facts["spotify_id"])
    running = asyncio.create_task(pipeline.run(job.id))
    async for update in pipeline.jobs.watch(job.id):
        if update.stage is Stage.IMPORTING_SHOWS:
            break  # the events request is in flight

    await pipeline.jobs.cancel(job.id)
    await asyncio.wait_for(running, 10)

    stored = await pipeline.jobs.get(job.id)
    view = await read_artist(pipeline.catalog, str(stored.artist_id))
    assert stored.state is JobState.CANCELLED
    assert len(view.songs) == facts["studio_songs"]  # written before the cancellation
    assert view.shows == []
    assert pipeline.fakes.setlistfm.stats.total_calls == 0


async def test_a_5xx_storm_beyond_the_retry_budget_fails_the_job_with_a_clear_reason(
    pipeline: Pipeline, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected["yoake_no_machi"]
    pipeline.fakes.setlistfm.config.inject(
        FaultPlan("503", count=None, endpoints=frozenset({"artist_setlists"}))
    )

    job = await pipeline.import_artist(facts["spotify_id"])

    assert (job.state, job.stage) == (JobState.FAILED, Stage.FAILED)
    assert job.error_reason == "UPSTREAM_UNAVAILABLE"
    assert "setlistfm" in job.error_message and "503" in job.error_message
    calls = pipeline.fakes.setlistfm.stats.calls["artist_setlists"]
    assert calls == pipeline.upstreams.setlistfm.config.retry.max_attempts
    view = await read_artist(pipeline.catalog, str(job.artist_id))
    assert view.actual() == [] and view.predicted() == []


async def test_a_spotify_token_expiring_mid_import_is_renewed_and_the_import_completes(
    pipeline: Pipeline, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected["chloe_saint_emile"]
    # The albums call works, then the token is refused as expired on the tracks call.
    pipeline.fakes.spotify.config.inject(
        FaultPlan("token_expired", after=1, endpoints=frozenset({"albums", "tracks"}))
    )

    job = await pipeline.import_artist(facts["spotify_id"])

    assert job.state is JobState.COMPLETED, (job.error_reason, job.error_message)
    assert pipeline.upstreams.spotify.tokens_fetched == 2
    assert job.counters["songs"] == facts["studio_songs"]


async def test_namesakes_on_setlistfm_are_reported_and_settled_by_setlists_not_guessed(
    pipeline: Pipeline, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected["meridian"]

    job = await pipeline.import_artist("Meridian")

    assert job.state is JobState.COMPLETED, (job.error_reason, job.error_message)
    artist = (await read_artist(pipeline.catalog, str(job.artist_id))).artist
    assert (artist.spotify_id, artist.mbid) == (facts["spotify_id"], facts["mbid"])
    logs = await pipeline.jobs.logs(job.id)
    tie = next(e for e in logs if e.level == "warning" and e.data.get("upstream") == "setlistfm")
    assert "ambiguous" in tie.message
    tied = {c["id"] for c in tie.data["candidates"] if c["score"] == 1.0}
    assert facts["mbid"] in tied and len(tied) == 2  # the UK duo and the Swedish metal band
    assert any("settled by setlists" in e.message for e in logs)


async def test_an_ambiguous_spotify_name_fails_the_job_with_its_candidates(
    make_pipeline: MakePipeline, demo: Dataset
) -> None:
    twins = Dataset(
        spotify_artists={
            artist.id: artist
            for artist in (
                SpotifyArtist("S0lst1ceAAAAAAAAAAAAAA", "Solstice", ["doom metal"], 30, 1_000),
                SpotifyArtist("S0lst1ceBBBBBBBBBBBBBB", "Solstice", ["shoegaze"], 31, 1_200),
            )
        }
    )
    pipeline = await make_pipeline(dataset=demo.merge(twins))

    job = await pipeline.import_artist("Solstice")

    assert (job.state, job.error_reason) == (JobState.FAILED, "AMBIGUOUS_ARTIST")
    assert "S0lst1ceAAAAAAAAAAAAAA" in job.error_message
    assert "S0lst1ceBBBBBBBBBBBBBB" in job.error_message
    assert job.artist_id is None
    [warning] = [e for e in await pipeline.jobs.logs(job.id) if e.level == "warning"]
    assert {c["id"] for c in warning.data["candidates"]} == {
        "S0lst1ceAAAAAAAAAAAAAA",
        "S0lst1ceBBBBBBBBBBBBBB",
    }


async def test_transient_faults_of_every_kind_mid_import_still_end_with_the_exact_rows(
    make_pipeline: MakePipeline, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected["chloe_saint_emile"]
    calm = await make_pipeline()
    reference_view = await read_artist(
        calm.catalog, str((await calm.import_artist(facts["spotify_id"])).artist_id)
    )
    stormy = await make_pipeline(retry_attempts=5)
    # A 429 storm with Retry-After on the album batch, malformed and truncated
    # bodies on tracks, a 502 on the events page, a 429 without Retry-After and
    # a dropped connection on setlist.fm: each within the retry budget.
    stormy.fakes.spotify.config.inject(
        FaultPlan("429", count=2, retry_after=1, endpoints=frozenset({"albums"})),
        FaultPlan("malformed", count=1, endpoints=frozenset({"tracks"})),
        FaultPlan("truncated", count=1, endpoints=frozenset({"tracks"})),
    )
    stormy.fakes.ticketmaster.config.inject(
        FaultPlan("502", count=1, endpoints=frozenset({"events"}))
    )
    stormy.fakes.setlistfm.config.inject(
        FaultPlan("429", count=1, endpoints=frozenset({"artist_setlists"})),
        FaultPlan("disconnect", count=1, endpoints=frozenset({"artist_setlists"})),
    )

    job = await stormy.import_artist(facts["spotify_id"])

    assert job.state is JobState.COMPLETED, (job.error_reason, job.error_message)
    view = await read_artist(stormy.catalog, str(job.artist_id))
    assert view.content() == reference_view.content()
    fakes = (stormy.fakes.spotify, stormy.fakes.ticketmaster, stormy.fakes.setlistfm)
    assert sum(sum(f.stats.faults_injected.values()) for f in fakes) == 7
