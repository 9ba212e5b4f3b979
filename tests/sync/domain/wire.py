"""The demo dataset in the JSON shapes the upstreams send, rendered by the fakes themselves.

Domain rules take upstream JSON; rendering through the fakes' own renderers keeps
these tests on the exact wire shapes the sync client will receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from fakes.dataset import Dataset
from fakes.setlistfm import FakeSetlistFm, SetlistFmConfig
from fakes.spotify import FakeSpotify, SpotifyConfig
from fakes.ticketmaster import FakeTicketmaster, TicketmasterConfig

ARTISTS = [
    "halcyon_drive",
    "chloe_saint_emile",
    "yoake_no_machi",
    "the_meridian",
    "meridian",
    "quiet_harbor",
]


@dataclass(frozen=True)
class _Request:
    """The two attributes the Spotify renderer reads from a request."""

    scheme: str = "http"
    host: str = "spotify.test"


@cache
def demo() -> Dataset:
    """The shipped demo dataset, loaded once."""
    return Dataset.demo()


def spotify(*, development: bool = False) -> FakeSpotify:
    config = SpotifyConfig(mode="development" if development else "extended")
    return FakeSpotify(demo(), config)


def albums(artist_id: str, *, development: bool = False) -> list[dict[str, Any]]:
    """Full albums with album_group and every track page merged, as the client assembles them."""
    fake, request = spotify(development=development), _Request()
    rendered = []
    for group, album in demo().albums_of(artist_id):
        data = fake._full_album(request, album)  # noqa: SLF001 - the fake's renderer
        data["album_group"] = group
        data["tracks"]["items"] = [
            fake._track(request, t, full=False)  # noqa: SLF001
            for t in album.tracks
        ]
        rendered.append(data)
    return rendered


def full_tracks(artist_id: str, *, development: bool = False) -> dict[str, dict[str, Any]]:
    """Full tracks (ISRC, popularity) of every album of the artist, keyed by id."""
    fake, request = spotify(development=development), _Request()
    return {
        t.id: fake._track(request, t, full=True)  # noqa: SLF001
        for _, album in demo().albums_of(artist_id)
        for t in album.tracks
    }


def spotify_artist(artist_id: str) -> dict[str, Any]:
    return spotify()._full_artist(_Request(), demo().spotify_artists[artist_id])  # noqa: SLF001


def ticketmaster() -> FakeTicketmaster:
    return FakeTicketmaster(demo(), TicketmasterConfig())


def attraction(attraction_id: str) -> dict[str, Any]:
    return ticketmaster()._attraction(demo().tm_attractions[attraction_id])  # noqa: SLF001


def attractions() -> list[dict[str, Any]]:
    fake = ticketmaster()
    return [fake._attraction(a) for a in demo().tm_attractions.values()]  # noqa: SLF001


def events(attraction_id: str) -> list[dict[str, Any]]:
    fake = ticketmaster()
    return [fake._event(e) for e in demo().events_of(attraction_id)]  # noqa: SLF001


def setlists(mbid: str, *, documented_shape: bool = False) -> list[dict[str, Any]]:
    fake = FakeSetlistFm(demo(), SetlistFmConfig(documented_shape=documented_shape))
    return [fake._setlist(s) for s in demo().setlists_of(mbid)]  # noqa: SLF001


def setlistfm_artists() -> list[dict[str, Any]]:
    from fakes.setlistfm import _artist

    return [_artist(a) for a in demo().sf_artists.values()]


def expected(key: str) -> dict[str, Any]:
    return demo().expected[key]
