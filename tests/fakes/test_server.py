"""FakeUpstreams wiring, stats, the standalone entry point and the shipped dataset."""

from __future__ import annotations

import asyncio
import filecmp
import os
import sys
from pathlib import Path

import httpx

from fakes import FakeUpstreams
from fakes.dataset import DEMO_DIR, Dataset
from fakes.demo import build
from fakes.synthetic import synthetic_artist

REPO = Path(__file__).resolve().parents[2]
ENV_KEYS = {
    "SPOTIFY_ACCOUNTS_URL",
    "SPOTIFY_API_URL",
    "SPOTIFY_CLIENT_ID",
    "SPOTIFY_CLIENT_SECRET",
    "TICKETMASTER_API_URL",
    "TICKETMASTER_API_KEY",
    "SETLISTFM_API_URL",
    "SETLISTFM_API_KEY",
}


async def test_env_names_every_design_variable_with_the_documented_bases(
    fakes: FakeUpstreams,
) -> None:
    env = fakes.env()

    assert set(env) == ENV_KEYS
    assert env["SPOTIFY_API_URL"] == env["SPOTIFY_ACCOUNTS_URL"] + "/v1"
    assert env["TICKETMASTER_API_URL"].endswith("/discovery/v2")
    assert env["SETLISTFM_API_URL"].endswith("/rest/1.0")
    assert len({fakes.ports[name] for name in ("spotify", "ticketmaster", "setlistfm")}) == 3


async def test_stats_count_calls_per_endpoint_and_status_and_reset(
    fakes: FakeUpstreams, ticketmaster: httpx.AsyncClient
) -> None:
    await ticketmaster.get("/events.json")
    await ticketmaster.get("/attractions/K8vZ917zzzz.json")
    await ticketmaster.get("/no/such/path.json")

    stats = fakes.ticketmaster.stats
    assert stats.calls == {"events": 1, "attraction": 1, "unknown": 1}
    assert stats.statuses == {200: 1, 404: 2}
    assert stats.endpoint_statuses[("attraction", 404)] == 1
    assert [record.endpoint for record in stats.log] == ["events", "attraction", "unknown"]
    fakes.reset_stats()
    assert stats.total_calls == 0 and not stats.log


async def test_standalone_entry_point_prints_env_and_serves() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fakes",
        "--no-limits",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stdout is not None
        lines = [(await asyncio.wait_for(process.stdout.readline(), 10)).decode() for _ in ENV_KEYS]
        env = dict(line.strip().split("=", 1) for line in lines)
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{env['SPOTIFY_ACCOUNTS_URL']}/api/token",
                data={"grant_type": "client_credentials"},
                auth=(env["SPOTIFY_CLIENT_ID"], env["SPOTIFY_CLIENT_SECRET"]),
            )
        assert set(env) == ENV_KEYS
        assert response.status_code == 200
    finally:
        process.terminate()
        await process.wait()


def test_shipped_demo_files_match_the_generator(tmp_path: Path) -> None:
    build().dump(tmp_path)

    names = sorted(p.name for p in DEMO_DIR.glob("*.json"))
    match, mismatch, errors = filecmp.cmpfiles(DEMO_DIR, tmp_path, names, shallow=False)

    assert names and not mismatch and not errors, "run `python -m fakes.demo` to regenerate"


def test_dataset_round_trips_through_json(tmp_path: Path, demo: Dataset) -> None:
    demo.dump(tmp_path)

    again = Dataset.load(tmp_path)

    assert again == demo


def test_demo_expectations(demo: Dataset) -> None:
    summary = {
        key: (f["releases"], f["studio_songs"], f["events"], f["setlists"])
        for key, f in demo.expected.items()
    }

    assert summary == {
        "halcyon_drive": (51, 117, 261, 45),
        "chloe_saint_emile": (12, 33, 15, 12),
        "yoake_no_machi": (9, 48, 12, 10),
        "the_meridian": (6, 40, 31, 22),
        "meridian": (5, 17, 9, 5),
        "quiet_harbor": (2, 18, 0, 0),
    }
    titles = {t.name for t in demo.spotify_tracks.values()}
    assert {"Live Wire", "Live and Let Die", "Radio Ga Ga", "Demolition", "Alive"} <= titles
    zones = {v.timezone for v in demo.tm_venues.values()}
    assert {"America/Los_Angeles", "Europe/Paris", "Asia/Tokyo"} <= zones


def test_synthetic_artist_has_the_requested_volume() -> None:
    data = synthetic_artist(albums=5, tracks_per_album=4, events=30, setlists=3)

    facts = data.expected["synthetic"]
    assert (facts["releases"], facts["studio_songs"], facts["events"]) == (5, 20, 30)
    assert len(data.tm_events) == 30 and len(data.sf_setlists) == 3
