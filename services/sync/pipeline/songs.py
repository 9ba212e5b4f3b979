"""IMPORTING_CATALOG: the artist's studio songs from Spotify into the catalog.

Calls, in order: the artist's albums and singles (every page, following
`next`), full albums for the releases that can hold studio songs (batches of
20; one call each in development mode), the remaining track pages of albums
longer than the embedded first page, then full tracks for their ISRCs
(batches of 50; one each in development mode). Releases named as live,
unplugged, session or demo records and tracks whose titles declare such a
version are left out before any of their details are fetched: the hygiene
rules would drop them anyway, so fetching them would only spend calls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from mysetlist.catalog.v1 import catalog_pb2 as api

from services.sync.domain.hygiene import (
    DEFAULT_GROUPS,
    DropReason,
    HygieneReport,
    StudioSong,
    release_group,
    select_studio_songs,
)
from services.sync.domain.titles import album_version, track_version
from services.sync.pipeline.context import ImportContext, ImportFailed
from services.sync.upstreams import BadResponse

Json = dict[str, Any]
INCLUDE_GROUPS = "album,single"


def _wanted_release(album: Mapping[str, Any], artist_id: str) -> bool:
    """True when the release may hold studio songs, so its tracks are worth fetching."""
    return (
        release_group(album, artist_id) in DEFAULT_GROUPS
        and album_version(str(album.get("name") or "")) is None
    )


def _wanted_track(track: Mapping[str, Any], artist_id: str) -> bool:
    """True when a simplified track may become a studio song (so its ISRC matters)."""
    if not track.get("id") or track_version(str(track.get("name") or "")) is not None:
        return False
    credited = {a.get("id") for a in track.get("artists") or []}
    return not credited or artist_id in credited


async def _all_tracks(ctx: ImportContext, album: Json) -> list[Json]:
    """The album's tracks: the embedded first page, then the rest by following `next`."""
    page = album.get("tracks") or {}
    items = list(page.get("items") or [])
    next_url = page.get("next")
    while next_url:
        body = (await ctx.upstreams.spotify.get_json("album_tracks", next_url)).data
        try:
            items.extend(body["items"])
            next_url = body.get("next")
        except (KeyError, TypeError):
            raise BadResponse("spotify", "album_tracks", "answer is not a paging object") from None
    return items


def song_input(song: StudioSong) -> api.SongInput:
    """A catalog song from its preferred recording."""
    return api.SongInput(
        spotify_id=song.spotify_id,
        title=song.title[:500],
        isrc=song.isrc or "",
        duration_ms=song.duration_ms,
        album_name=song.album_name[:500],
        release_date=song.release_date[:10],
        popularity=song.popularity or 0,
    )


async def _log_dropped(ctx: ImportContext, report: HygieneReport) -> None:
    counts = Counter(d.reason.value for d in report.dropped)
    if not counts:
        return
    samples = {
        reason.value: sorted(
            {f"{d.title} [{d.album_name}]" for d in report.dropped if d.reason is reason}
        )[:10]
        for reason in DropReason
        if counts.get(reason.value)
    }
    await ctx.log(
        f"left out {sum(counts.values())} releases or tracks that are not studio songs",
        dropped=dict(sorted(counts.items())),
        samples=samples,
    )


async def run(ctx: ImportContext) -> None:
    """Fetch the artist's releases, keep the studio songs, upsert them into the catalog."""
    job = await ctx.job()
    if job.artist_id is None:
        raise ImportFailed("INTERNAL", "the artist was not identified")
    artist = await ctx.catalog.artist(str(job.artist_id))
    spotify = ctx.upstreams.spotify

    releases = await spotify.artist_albums(artist.spotify_id, include_groups=INCLUDE_GROUPS)
    wanted = [a for a in releases if _wanted_release(a, artist.spotify_id)]
    await ctx.report(0.2, f"{len(releases)} releases, {len(wanted)} may hold studio songs")

    groups = {str(a["id"]): a.get("album_group") for a in releases}
    full_albums = await spotify.albums([str(a["id"]) for a in wanted])
    albums: list[Json] = []
    for album in full_albums:
        tracks = await _all_tracks(ctx, album)
        group = groups.get(str(album.get("id"))) or album.get("album_group")
        albums.append({**album, "album_group": group, "tracks": {"items": tracks}})
    fetched = {str(a.get("id")) for a in albums}
    # Releases left out keep their place in the report (as dropped versions).
    albums += [a for a in releases if str(a["id"]) not in fetched]
    await ctx.report(0.5, f"{len(full_albums)} releases fetched")

    track_ids = list(
        dict.fromkeys(
            str(t["id"])
            for album in albums
            for t in (album.get("tracks") or {}).get("items") or []
            if _wanted_track(t, artist.spotify_id)
        )
    )
    full_tracks = {str(t["id"]): t for t in await spotify.tracks(track_ids)}
    report = select_studio_songs(artist.spotify_id, albums, full_tracks)
    await ctx.report(0.8, f"{len(report.songs)} studio songs from {len(track_ids)} tracks")

    await _log_dropped(ctx, report)
    if report.songs:
        await ctx.catalog.upsert_songs(artist.id, [song_input(s) for s in report.songs])
    await ctx.report(
        1.0,
        f"{len(report.songs)} studio songs",
        songs=len(report.songs),
        releases=report.releases,
    )
