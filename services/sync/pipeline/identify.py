"""RESOLVING_IDENTITY: who the reference names on Spotify, Ticketmaster and setlist.fm.

Spotify is the primary identity: without it the job fails (ARTIST_NOT_FOUND or
AMBIGUOUS_ARTIST). Hard links come first: a Ticketmaster attraction's
`externalLinks` name the Spotify id and the MBID. Names are scored, never
taken as "the first search result", and every ambiguity is logged with its
candidates. A missing Ticketmaster match only means no shows.

A setlist.fm artist found by name alone is left to the setlists stage: a tie
between namesakes ("Meridian") is settled there by which candidate plays the
artist's catalog, which exists only once the songs stage has run.

Upstream calls: one lookup of the reference (Spotify artist, Ticketmaster
attraction, or one setlist.fm page for an MBID), one Ticketmaster attraction
search, and at most one Spotify search or artist fetch. A refresh makes one
conditional GET of the Spotify artist and keeps the matched ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from mysetlist.catalog.v1 import catalog_pb2 as api

from services.sync.domain.identity import (
    Ambiguous,
    ArtistRef,
    Candidate,
    Matched,
    MatchResult,
    Method,
    NoMatch,
    RefKind,
    attraction_links,
    match_attraction_for_spotify,
    match_name,
    match_spotify_for_attraction,
    parse_artist_ref,
    spotify_named,
    ticketmaster_named,
)
from services.sync.pipeline.context import ImportContext, ImportFailed
from services.sync.upstreams import NotFound

Json = dict[str, Any]


def candidates_for_log(candidates: Sequence[Candidate], limit: int = 10) -> list[dict[str, Any]]:
    """Candidates as the import log stores them."""
    return [{"id": c.id, "name": c.name, "score": c.score} for c in candidates[:limit]]


async def log_match(ctx: ImportContext, upstream: str, result: MatchResult) -> None:
    """Record how a match was decided; ambiguity and misses as warnings."""
    match result:
        case Matched():
            await ctx.log(
                f"{upstream}: matched {result.name!r} by {result.method.value}",
                upstream=upstream,
                id=result.id,
                method=result.method.value,
                score=result.score,
                candidates=candidates_for_log(result.candidates),
            )
        case Ambiguous():
            await ctx.log(
                f"{upstream}: {result.query!r} is ambiguous ({result.reason}); not guessing",
                level="warning",
                upstream=upstream,
                query=result.query,
                reason=result.reason,
                candidates=candidates_for_log(result.candidates),
            )
        case NoMatch():
            await ctx.log(
                f"{upstream}: no match for {result.query!r} ({result.reason})",
                level="warning",
                upstream=upstream,
                query=result.query,
                reason=result.reason,
                candidates=candidates_for_log(result.candidates),
            )


def _image(images: Sequence[Mapping[str, Any]] | None) -> str:
    """The largest image; Spotify lists them largest first and sizes may be null."""
    images = [i for i in images or [] if i.get("url")]
    if not images:
        return ""
    return str(max(images, key=lambda i: (i.get("width") or 0) * (i.get("height") or 0))["url"])


def _single_mbid(attraction: Mapping[str, Any] | None) -> str:
    mbids = attraction_links(attraction).mbids if attraction else ()
    return mbids[0] if len(mbids) == 1 else ""


async def _spotify_artist_by_id(ctx: ImportContext, spotify_id: str) -> Json | None:
    try:
        return await ctx.upstreams.spotify.artist(spotify_id)
    except NotFound:
        return None


async def _attraction_by_id(ctx: ImportContext, attraction_id: str) -> Json | None:
    try:
        return await ctx.upstreams.ticketmaster.attraction(attraction_id)
    except NotFound:
        return None


class _Resolver:
    """One identification: caches search answers so no query is sent twice."""

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self._attraction_searches: dict[str, list[Json]] = {}
        self._spotify_searches: dict[str, list[Json]] = {}

    async def attractions(self, name: str) -> list[Json]:
        if name not in self._attraction_searches:
            found = await self.ctx.upstreams.ticketmaster.search_attractions(name)
            self._attraction_searches[name] = found
        return self._attraction_searches[name]

    async def spotify_search(self, name: str) -> list[Json]:
        if name not in self._spotify_searches:
            found = await self.ctx.upstreams.spotify.search_artists(name, limit=50)
            self._spotify_searches[name] = found
        return self._spotify_searches[name]

    async def spotify_for_attraction(self, attraction: Json) -> Json:
        """The Spotify artist of an attraction: its single link, else its name scored."""
        links = attraction_links(attraction).spotify_ids
        name = str(attraction.get("name") or "")
        results = [] if len(links) == 1 else await self.spotify_search(name)
        result = match_spotify_for_attraction(attraction, results)
        await log_match(self.ctx, "spotify", result)
        return await self.spotify_from(result, results)

    async def spotify_by_name(self, name: str) -> Json:
        """The Spotify artist named `name`; a tie is settled only by a Ticketmaster hard link."""
        results = await self.spotify_search(name)
        result = match_name(name, spotify_named(results))
        await log_match(self.ctx, "spotify", result)
        if isinstance(result, Ambiguous):
            result = await self._settle_by_attraction(name, result)
        return await self.spotify_from(result, results)

    async def _settle_by_attraction(self, name: str, tie: Ambiguous) -> MatchResult:
        """Among tied Spotify artists, the one a same-named attraction links to, if exactly one."""
        attraction = match_name(name, ticketmaster_named(await self.attractions(name)))
        if not isinstance(attraction, Matched):
            return tie
        found = next(a for a in await self.attractions(name) if str(a.get("id")) == attraction.id)
        tied = {c.id for c in tie.candidates}
        linked = [s for s in attraction_links(found).spotify_ids if s in tied]
        if len(linked) != 1:
            return tie
        chosen = next(c for c in tie.candidates if c.id == linked[0])
        await self.ctx.log(
            f"spotify: tie settled by Ticketmaster attraction {attraction.id} linking {chosen.id}",
            upstream="spotify",
            id=chosen.id,
            attraction_id=attraction.id,
        )
        return Matched(chosen.id, chosen.name, Method.HARD_LINK, 1.0, tie.candidates)

    async def spotify_from(self, result: MatchResult, results: Sequence[Json]) -> Json:
        """The full artist for a decided match; the job fails when there is none."""
        if isinstance(result, Ambiguous):
            names = ", ".join(f"{c.name} ({c.id})" for c in result.candidates[:5])
            raise ImportFailed(
                "AMBIGUOUS_ARTIST", f"{result.query!r} matches several Spotify artists: {names}"
            )
        if isinstance(result, NoMatch):
            raise ImportFailed("ARTIST_NOT_FOUND", f"no Spotify artist matches {result.query!r}")
        # Search answers carry full artist objects: no second call for them.
        found = next((a for a in results if str(a.get("id")) == result.id), None)
        if found is None:
            found = await _spotify_artist_by_id(self.ctx, result.id)
        if found is None:
            raise ImportFailed("ARTIST_NOT_FOUND", f"Spotify has no artist {result.id}")
        return found

    async def attraction_for_spotify(self, spotify_id: str, name: str) -> Json | None:
        """The Ticketmaster attraction of a Spotify artist, or None (logged)."""
        attractions = await self.attractions(name)
        result = match_attraction_for_spotify(spotify_id, name, attractions)
        await log_match(self.ctx, "ticketmaster", result)
        if not isinstance(result, Matched):
            return None
        return next(a for a in attractions if str(a.get("id")) == result.id)


async def _name_from_mbid(ctx: ImportContext, mbid: str) -> str:
    setlists = await ctx.upstreams.setlistfm.artist_setlists(mbid, pages=1)
    for setlist in setlists:
        name = str((setlist.get("artist") or {}).get("name") or "")
        if name:
            return name
    raise ImportFailed(
        "ARTIST_NOT_FOUND", f"setlist.fm knows no setlists for MBID {mbid}: no name to match"
    )


async def resolve(ctx: ImportContext, ref: ArtistRef) -> tuple[Json, Json | None, str]:
    """(Spotify artist, Ticketmaster attraction or None, MBID or "") for a reference."""
    resolver = _Resolver(ctx)
    kind = ref.kind
    if kind is RefKind.SPOTIFY:
        artist = await _spotify_artist_by_id(ctx, ref.value)
        if artist is not None:
            name = str(artist.get("name") or "")
            attraction = await resolver.attraction_for_spotify(str(artist["id"]), name)
            return artist, attraction, _single_mbid(attraction)
        if not ref.could_be_name:
            raise ImportFailed("ARTIST_NOT_FOUND", f"Spotify has no artist {ref.value}")
        kind = RefKind.NAME
    if kind is RefKind.TICKETMASTER:
        attraction = await _attraction_by_id(ctx, ref.value)
        if attraction is not None:
            artist = await resolver.spotify_for_attraction(attraction)
            return artist, attraction, _single_mbid(attraction)
        if not ref.could_be_name:
            raise ImportFailed("ARTIST_NOT_FOUND", f"Ticketmaster has no attraction {ref.value}")
        kind = RefKind.NAME
    if kind is RefKind.MBID:
        name = await _name_from_mbid(ctx, ref.value)
        attractions = await resolver.attractions(name)
        linked = [a for a in attractions if ref.value in attraction_links(a).mbids]
        if len(linked) == 1:
            await ctx.log(
                f"ticketmaster: attraction {linked[0].get('id')} links MBID {ref.value}",
                upstream="ticketmaster",
                id=str(linked[0].get("id")),
                method="hard_link",
            )
            artist = await resolver.spotify_for_attraction(linked[0])
            return artist, linked[0], ref.value
        artist = await resolver.spotify_by_name(name)
        attraction = await resolver.attraction_for_spotify(str(artist["id"]), str(artist["name"]))
        return artist, attraction, ref.value
    artist = await resolver.spotify_by_name(ref.value)
    attraction = await resolver.attraction_for_spotify(
        str(artist["id"]), str(artist.get("name") or "")
    )
    return artist, attraction, _single_mbid(attraction)


def artist_input(artist: Mapping[str, Any], attraction: Mapping[str, Any] | None, mbid: str):
    """The catalog artist from the Spotify artist and its matched ids."""
    followers = (artist.get("followers") or {}).get("total")
    return api.ArtistInput(
        name=str(artist.get("name") or ""),
        spotify_id=str(artist["id"]),
        ticketmaster_id=str(attraction["id"]) if attraction else "",
        mbid=mbid,
        genres=[str(g) for g in artist.get("genres") or []][:50],
        image_url=_image(artist.get("images")),
        popularity=int(artist.get("popularity") or 0),
        spotify_followers=int(followers or 0),
    )


async def refresh(ctx: ImportContext, artist_id: uuid.UUID) -> None:
    """Refresh mode: the identity stands; the Spotify artist is asked for only if it changed.

    One conditional GET: a 304 (or an answer whose content is what was stored) writes
    nothing; otherwise the artist's name, genres, images and popularity are upserted.
    """
    artist = await ctx.catalog.artist(str(artist_id))
    if not artist.spotify_id:
        await ctx.report(1.0, f"{artist.name} has no Spotify id: identity kept")
        return
    spotify = ctx.upstreams.spotify
    url = f"/artists/{artist.spotify_id}"
    stored = await ctx.remembered(spotify.name, spotify.resource_key(url))
    await ctx.report(0.1, f"checking {artist.name} on Spotify")
    try:
        answer = await spotify.get_json("artist", url, etag=stored.etag if stored else None)
    except NotFound:
        await ctx.log(
            f"spotify: artist {artist.spotify_id} is gone; the catalog artist is kept",
            level="warning",
            upstream="spotify",
            id=artist.spotify_id,
        )
        await ctx.report(1.0, f"{artist.name} not found on Spotify: identity kept")
        return
    if answer.not_modified or (stored is not None and answer.fingerprint == stored.content_hash):
        await ctx.report(1.0, f"{artist.name} unchanged on Spotify")
        return
    # Empty Ticketmaster id and MBID leave the stored ones as they are.
    updated, _ = await ctx.catalog.upsert_artist(artist_input(answer.data, None, ""))
    await ctx.report(1.0, f"updated {updated.name} from Spotify", artists_updated=1)


async def run(ctx: ImportContext) -> None:
    """Resolve the job's reference, upsert the artist and attach it to the job."""
    job = await ctx.job()
    if ctx.refresh and job.artist_id is not None:
        await refresh(ctx, job.artist_id)
        return
    try:
        ref = parse_artist_ref(job.reference)
    except ValueError as error:
        raise ImportFailed("INVALID_REFERENCE", str(error)) from None
    await ctx.report(0.1, f"resolving {ref.kind.value} {ref.value!r}")
    artist, attraction, mbid = await resolve(ctx, ref)
    if attraction is None:
        await ctx.log("no Ticketmaster attraction: the import continues without shows")
    if not mbid:
        await ctx.log("no MBID hard link: setlist.fm is matched by name in the setlists stage")
    await ctx.report(0.8, f"identified {artist.get('name')}")
    stored, _ = await ctx.catalog.upsert_artist(artist_input(artist, attraction, mbid))
    attached = await ctx.jobs.identified(ctx.job_id, uuid.UUID(stored.id), stored.name)
    if attached is None:
        raise ImportFailed(
            "DUPLICATE_IMPORT", f"another active job already imports {stored.name} ({stored.id})"
        )
    await ctx.report(1.0, f"identified {stored.name}")
