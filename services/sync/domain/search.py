"""Searching the upstreams for artists to import, marking those the catalog already has.

One Spotify artist search (the candidates) and one Ticketmaster attraction search
(their attraction ids and MBIDs, through the attractions' external links; an
attraction linked to no Spotify candidate is a candidate of its own), then one
catalog ListArtists call by all those ids. Spotify is required; Ticketmaster only
enriches, so its failure costs the enrichment, not the answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import grpc

from services.sync.domain.identity import attraction_links, score_name
from services.sync.upstreams import CircuitOpen, RateLimited, UpstreamError, Upstreams
from shared.errors import Unavailable

__all__ = ["Candidate", "UpstreamSearch", "upstream_unavailable"]

log = logging.getLogger(__name__)

DEFAULT_SIZE = 10
MAX_SIZE = 20


@dataclass(frozen=True)
class Candidate:
    """An artist some upstream knows, and its catalog id when already imported."""

    name: str
    spotify_id: str = ""
    ticketmaster_id: str = ""
    mbid: str = ""
    image_url: str = ""
    genres: tuple[str, ...] = ()
    popularity: int = 0
    catalog_artist_id: str = ""
    score: float = field(default=0.0, compare=False)


class ImportedArtists(Protocol):
    """The catalog lookup search needs (CatalogClient.artists_by_upstream_ids)."""

    async def artists_by_upstream_ids(
        self,
        *,
        spotify_ids: Sequence[str] = (),
        ticketmaster_ids: Sequence[str] = (),
        mbids: Sequence[str] = (),
    ) -> Sequence[Any]: ...


def upstream_unavailable(error: UpstreamError) -> Unavailable:
    """An upstream failure as the UNAVAILABLE the caller may retry, naming the upstream."""
    if isinstance(error, CircuitOpen):
        reason, what = "UPSTREAM_CIRCUIT_OPEN", "is failing; calls are paused for a while"
    elif isinstance(error, RateLimited):
        reason, what = "UPSTREAM_RATE_LIMITED", "is rate limiting us; try again shortly"
    else:
        reason, what = "UPSTREAM_UNAVAILABLE", "did not answer usefully; try again shortly"
    return Unavailable(
        f"{error.upstream} {what}",
        reason=reason,
        metadata={"upstream": error.upstream, "endpoint": error.endpoint},
    )


def _largest_image(images: Any) -> str:
    best = max(
        (i for i in images or [] if isinstance(i, Mapping) and i.get("url")),
        key=lambda i: int(i.get("width") or 0) * int(i.get("height") or 0),
        default=None,
    )
    return str(best["url"]) if best else ""


def _from_spotify(artist: Mapping[str, Any]) -> Candidate:
    return Candidate(
        name=str(artist.get("name") or ""),
        spotify_id=str(artist.get("id") or ""),
        image_url=_largest_image(artist.get("images")),
        genres=tuple(str(g) for g in artist.get("genres") or ()),
        popularity=int(artist.get("popularity") or 0),
    )


def _from_attraction(attraction: Mapping[str, Any], mbid: str) -> Candidate:
    genres = [
        str(((c.get("genre") or {}).get("name")) or "")
        for c in attraction.get("classifications") or []
        if isinstance(c, Mapping)
    ]
    return Candidate(
        name=str(attraction.get("name") or ""),
        ticketmaster_id=str(attraction.get("id") or ""),
        mbid=mbid,
        image_url=_largest_image(attraction.get("images")),
        genres=tuple(g for g in genres if g and g.lower() != "undefined"),
    )


def merge(
    query: str, spotify: Sequence[Mapping[str, Any]], attractions: Sequence[Mapping[str, Any]]
) -> list[Candidate]:
    """Spotify candidates enriched by the attractions linking to them, then the other attractions.

    Best first: by name score against the query, then Spotify popularity, then the
    upstream's own order.
    """
    by_spotify: dict[str, Candidate] = {}
    for artist in spotify:
        candidate = _from_spotify(artist)
        if candidate.spotify_id and candidate.spotify_id not in by_spotify:
            by_spotify[candidate.spotify_id] = candidate
    others: list[Candidate] = []
    for attraction in attractions:
        if not attraction.get("id"):
            continue
        links = attraction_links(attraction)
        mbid = links.mbids[0] if links.mbids else ""
        linked = [sid for sid in links.spotify_ids if sid in by_spotify]
        if linked:
            current = by_spotify[linked[0]]
            if not current.ticketmaster_id:
                by_spotify[linked[0]] = replace(
                    current,
                    ticketmaster_id=str(attraction["id"]),
                    mbid=current.mbid or mbid,
                    image_url=current.image_url or _largest_image(attraction.get("images")),
                )
            continue
        candidate = _from_attraction(attraction, mbid)
        if links.spotify_ids:
            # On Spotify, but not among its first results: still one candidate per artist.
            candidate = replace(candidate, spotify_id=links.spotify_ids[0])
            if any(o.spotify_id == candidate.spotify_id for o in others):
                continue
        others.append(candidate)
    found = [*by_spotify.values(), *others]
    scored = [replace(c, score=score_name(query, c.name)) for c in found]
    order = {id(c): n for n, c in enumerate(scored)}
    return sorted(scored, key=lambda c: (-c.score, -c.popularity, order[id(c)]))


class UpstreamSearch:
    """SearchUpstreamArtists: the upstreams' candidates, marked when already imported."""

    def __init__(self, upstreams: Upstreams | None, catalog: ImportedArtists) -> None:
        self._upstreams = upstreams
        self._catalog = catalog

    async def search(self, query: str, size: int = 0) -> list[Candidate]:
        """Up to `size` (0: 10, at most 20) candidates, best first."""
        if self._upstreams is None:
            raise Unavailable(
                "upstream clients are not configured on this server", reason="UPSTREAMS_DISABLED"
            )
        size = min(size or DEFAULT_SIZE, MAX_SIZE)
        query = " ".join(query.split())
        spotify, attractions = await asyncio.gather(
            self._upstreams.spotify.search_artists(query, limit=size),
            self._upstreams.ticketmaster.search_attractions(query, size=size),
            return_exceptions=True,
        )
        if isinstance(spotify, BaseException):
            if isinstance(spotify, UpstreamError):
                raise upstream_unavailable(spotify) from spotify
            raise spotify
        if isinstance(attractions, BaseException):
            if not isinstance(attractions, UpstreamError):
                raise attractions
            log.warning("search without ticketmaster: %s", attractions)
            attractions = []
        candidates = merge(query, spotify, attractions)[:size]
        return await self._mark_imported(candidates)

    async def _mark_imported(self, candidates: list[Candidate]) -> list[Candidate]:
        spotify_ids = sorted({c.spotify_id for c in candidates if c.spotify_id})
        tm_ids = sorted({c.ticketmaster_id for c in candidates if c.ticketmaster_id})
        mbids = sorted({c.mbid for c in candidates if c.mbid})
        try:
            artists = await self._catalog.artists_by_upstream_ids(
                spotify_ids=spotify_ids, ticketmaster_ids=tm_ids, mbids=mbids
            )
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise Unavailable(
                    "the catalog is unreachable; try again", reason="CATALOG_UNAVAILABLE"
                ) from error
            raise
        imported: dict[tuple[str, str], str] = {}
        for artist in artists:
            for kind in ("spotify_id", "ticketmaster_id", "mbid"):
                if value := getattr(artist, kind):
                    imported[(kind, value)] = artist.id
        marked = []
        for candidate in candidates:
            artist_id = next(
                (
                    imported[(kind, value)]
                    for kind in ("spotify_id", "ticketmaster_id", "mbid")
                    if (value := getattr(candidate, kind)) and (kind, value) in imported
                ),
                "",
            )
            marked.append(replace(candidate, catalog_artist_id=artist_id))
        return marked
