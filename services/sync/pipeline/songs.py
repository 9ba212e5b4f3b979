"""IMPORTING_CATALOG: the artist's studio songs from Spotify into the catalog.

Calls, in order: the artist's albums and singles (every page, following
`next`), full albums for the releases that can hold studio songs (batches of
20; one call each in development mode), the remaining track pages of albums
longer than the embedded first page, then full tracks for their ISRCs
(batches of 50; one each in development mode). Releases named as live,
unplugged, session or demo records and tracks whose titles declare such a
version are left out before any of their details are fetched: the hygiene
rules would drop them anyway, so fetching them would only spend calls.

A refresh asks for the release list's pages with their stored ETags and stops
there when all answer 304; see `refresh` for what it does otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import resources_pb2 as pb

from services.sync.domain.hygiene import (
    DEFAULT_GROUPS,
    DURATION_TOLERANCE_MS,
    DropReason,
    HygieneReport,
    StudioSong,
    release_group,
    select_studio_songs,
)
from services.sync.pipeline.context import ImportContext, ImportFailed
from services.sync.upstreams import BadResponse, fingerprint
from shared.titles import album_version, title_key, track_version

Json = dict[str, Any]
INCLUDE_GROUPS = "album,single"
# Fingerprints this stage keeps: the artist's release list, and each release on it.
RELEASES = "#releases:"
RELEASE = "#release:"


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


async def _studio_songs(ctx: ImportContext, spotify_id: str, releases: list[Json]) -> HygieneReport:
    """The studio songs of these releases, fetching the details of those that may hold some."""
    spotify = ctx.upstreams.spotify
    wanted = [a for a in releases if _wanted_release(a, spotify_id)]
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
            if _wanted_track(t, spotify_id)
        )
    )
    full_tracks = {str(t["id"]): t for t in await spotify.tracks(track_ids)}
    report = select_studio_songs(spotify_id, albums, full_tracks)
    await ctx.report(0.8, f"{len(report.songs)} studio songs from {len(track_ids)} tracks")
    return report


def _release_hashes(releases: list[Json]) -> dict[str, str]:
    """Each release's fingerprint as the release list shows it (name, date, track count...)."""
    return {str(a["id"]): fingerprint(a) for a in releases}


def _remember_releases(ctx: ImportContext, spotify_id: str, hashes: dict[str, str]) -> None:
    ctx.remember("spotify", f"{RELEASES}{spotify_id}", fingerprint(hashes))
    for album_id, digest in hashes.items():
        ctx.remember("spotify", f"{RELEASE}{spotify_id}/{album_id}", digest)


async def run(ctx: ImportContext) -> None:
    """Fetch the artist's releases, keep the studio songs, upsert them into the catalog."""
    job = await ctx.job()
    if job.artist_id is None:
        raise ImportFailed("INTERNAL", "the artist was not identified")
    artist = await ctx.catalog.artist(str(job.artist_id))
    if ctx.refresh:
        await refresh(ctx, artist)
        return
    releases = await ctx.upstreams.spotify.artist_albums(
        artist.spotify_id, include_groups=INCLUDE_GROUPS
    )
    report = await _studio_songs(ctx, artist.spotify_id, releases)
    await _log_dropped(ctx, report)
    if report.songs:
        await ctx.catalog.upsert_songs(artist.id, [song_input(s) for s in report.songs])
    _remember_releases(ctx, artist.spotify_id, _release_hashes(releases))
    await ctx.report(
        1.0,
        f"{len(report.songs)} studio songs",
        songs=len(report.songs),
        releases=report.releases,
    )


# Refresh ----------------------------------------------------------------------


async def _release_list_unchanged(ctx: ImportContext, spotify_id: str) -> bool:
    """True when every stored page of the release list answers 304 to its stored ETag."""
    if ctx.fingerprints is None:
        return False
    spotify = ctx.upstreams.spotify
    pages = await ctx.fingerprints.under(spotify.name, _pages_prefix(ctx, spotify_id))
    if not pages or any(not p.etag for p in pages.values()):
        return False
    for resource, stored in pages.items():
        answer = await spotify.get_json("artist_albums", resource, etag=stored.etag)
        if not answer.not_modified:
            return False  # the rest cannot spare the full list now
    return True


def _pages_prefix(ctx: ImportContext, spotify_id: str) -> str:
    # Every page of the list, the first (asked for by path) and those reached by `next`.
    return ctx.upstreams.spotify.resource_key(f"/artists/{spotify_id}/albums")


def new_to_catalog(songs: list[StudioSong], existing: list[pb.Song]) -> list[StudioSong]:
    """Songs of changed releases minus those the catalog holds as another recording.

    The hygiene rules ran over the changed releases only, so they are applied once more
    against the catalog: a known Spotify id is an update; otherwise the same ISRC, or the
    same title key and duration, means the song is already there.
    """
    spotify_ids = {s.spotify_id for s in existing}
    isrcs = {s.isrc.upper() for s in existing if s.isrc}
    titles = [(title_key(s.title), s.duration_ms) for s in existing]
    kept = []
    for song in songs:
        if song.spotify_id not in spotify_ids:
            if song.isrc and song.isrc.upper() in isrcs:
                continue
            if any(
                key == song.title_key and abs(ms - song.duration_ms) <= DURATION_TOLERANCE_MS
                for key, ms in titles
            ):
                continue
        kept.append(song)
    return kept


async def refresh(ctx: ImportContext, artist: pb.Artist) -> None:
    """Refresh mode: only releases that are new or changed since the last run are fetched.

    Calls when nothing changed: one conditional GET per page of the release list, each a
    304. Otherwise the list is read again and each release compared with its stored
    fingerprint; the new or changed ones go through the import's path (full albums,
    track pages, full tracks), and their songs are upserted. Releases gone from Spotify
    leave their songs in the catalog: fans may have voted on them.
    """
    spotify_id = artist.spotify_id
    await ctx.report(0.05, "checking the release list")
    if await _release_list_unchanged(ctx, spotify_id):
        await ctx.report(1.0, "release list unchanged", songs=0, releases=0)
        return
    releases = await ctx.upstreams.spotify.artist_albums(spotify_id, include_groups=INCLUDE_GROUPS)
    if ctx.fingerprints is not None:
        # Pages the list no longer has would answer (and cost) forever: drop them.
        stored = await ctx.fingerprints.under("spotify", _pages_prefix(ctx, spotify_id))
        walked = {r for r in stored if ctx.fingerprints.pending("spotify", r) is not None}
        await ctx.fingerprints.forget("spotify", set(stored) - walked)
    hashes = _release_hashes(releases)
    listing = await ctx.remembered("spotify", f"{RELEASES}{spotify_id}")
    if listing is not None and listing.content_hash == fingerprint(hashes):
        _remember_releases(ctx, spotify_id, hashes)
        await ctx.report(1.0, "release list unchanged", songs=0, releases=0)
        return
    known = (
        await ctx.fingerprints.under("spotify", f"{RELEASE}{spotify_id}/")
        if ctx.fingerprints is not None
        else {}
    )
    changed = [
        a
        for a in releases
        if (seen := known.get(f"{RELEASE}{spotify_id}/{a['id']}")) is None
        or seen.content_hash != hashes[str(a["id"])]
    ]
    await ctx.log(
        f"{len(changed)} of {len(releases)} releases are new or changed",
        releases=[str(a.get("name")) for a in changed][:50],
    )
    report = await _studio_songs(ctx, spotify_id, changed)
    await _log_dropped(ctx, report)
    existing = await ctx.catalog.artist_songs(artist.id)
    songs = new_to_catalog(report.songs, existing)
    if songs:
        await ctx.catalog.upsert_songs(artist.id, [song_input(s) for s in songs])
    _remember_releases(ctx, spotify_id, hashes)
    known = {s.spotify_id for s in existing}
    new = sum(1 for s in songs if s.spotify_id not in known)
    await ctx.report(
        1.0,
        f"{len(songs)} studio songs ({new} new) from {len(changed)} new or changed releases",
        songs=len(songs),
        releases=len(changed),
    )
