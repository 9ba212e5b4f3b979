"""The fake Spotify behaves as UPSTREAMS.md describes: auth, shapes, paging, modes, limits, ETags."""

from __future__ import annotations

import asyncio
import base64

import httpx

from fakes import FakeUpstreams, Limit
from fakes.dataset import Dataset


async def test_client_credentials_grant_issues_an_expiring_bearer_token(
    fakes: FakeUpstreams, http: httpx.AsyncClient
) -> None:
    env = fakes.env()
    basic = base64.b64encode(
        f"{env['SPOTIFY_CLIENT_ID']}:{env['SPOTIFY_CLIENT_SECRET']}".encode()
    ).decode()

    response = await http.post(
        f"{env['SPOTIFY_ACCOUNTS_URL']}/api/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 3600
    assert "refresh_token" not in body


async def test_wrong_client_secret_gets_an_rfc6749_error(
    fakes: FakeUpstreams, http: httpx.AsyncClient
) -> None:
    env = fakes.env()

    response = await http.post(
        f"{env['SPOTIFY_ACCOUNTS_URL']}/api/token",
        data={"grant_type": "client_credentials"},
        auth=(env["SPOTIFY_CLIENT_ID"], "wrong"),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert "error_description" in response.json()


async def test_api_calls_without_or_with_an_unknown_token_get_401(
    fakes: FakeUpstreams, http: httpx.AsyncClient, demo: Dataset
) -> None:
    url = f"{fakes.env()['SPOTIFY_API_URL']}/artists/{demo.expected['halcyon_drive']['spotify_id']}"

    missing = await http.get(url)
    unknown = await http.get(url, headers={"Authorization": "Bearer nope"})

    assert missing.status_code == 401
    assert missing.json() == {"error": {"status": 401, "message": "No token provided"}}
    assert unknown.status_code == 401


async def test_token_expires_after_the_configured_lifetime(
    fakes: FakeUpstreams, http: httpx.AsyncClient, new_token, demo: Dataset
) -> None:
    fakes.spotify.config.token_ttl_s = 0.2
    headers = await new_token()
    url = f"{fakes.env()['SPOTIFY_API_URL']}/artists/{demo.expected['halcyon_drive']['spotify_id']}"
    assert (await http.get(url, headers=headers)).status_code == 200

    await asyncio.sleep(0.3)
    expired = await http.get(url, headers=headers)
    renewed = await http.get(url, headers=await new_token())

    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "The access token expired"
    assert renewed.status_code == 200


async def test_artist_has_popularity_in_extended_mode_only(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    path = f"/artists/{demo.expected['halcyon_drive']['spotify_id']}"

    extended = (await spotify.get(path)).json()
    fakes.spotify.config.mode = "development"
    development = (await spotify.get(path)).json()

    assert extended["popularity"] == 71 and extended["followers"]["total"] == 1_284_512
    assert "popularity" not in development and "followers" not in development
    assert development["name"] == "Halcyon Drive"
    assert development["uri"] == f"spotify:artist:{development['id']}"


async def test_sparse_artist_has_no_genres_key_and_unsized_images(
    spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    artist = (await spotify.get(f"/artists/{demo.expected['quiet_harbor']['spotify_id']}")).json()

    assert "genres" not in artist
    assert artist["images"][0]["height"] is None and artist["images"][0]["width"] is None


async def test_artist_albums_page_by_next_links_at_cap_50(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    facts = demo.expected["halcyon_drive"]
    path = f"/artists/{facts['spotify_id']}/albums"

    first = (await spotify.get(path, params={"include_groups": "album,single", "limit": 50})).json()
    second = (await spotify.get(first["next"])).json()

    assert first["total"] == facts["releases"] == 51
    assert len(first["items"]) == 50 and first["limit"] == 50
    assert first["next"].startswith(fakes.env()["SPOTIFY_API_URL"] + "/artists/")
    assert "include_groups=album,single" in first["next"]
    assert len(second["items"]) == 1 and second["next"] is None
    assert second["previous"] is not None
    groups = {item["album_group"] for item in first["items"] + second["items"]}
    assert groups == {"album", "single"}


async def test_development_mode_caps_pages_at_10(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    fakes.spotify.config.mode = "development"
    path = f"/artists/{demo.expected['halcyon_drive']['spotify_id']}/albums"
    page = (await spotify.get(path, params={"include_groups": "album,single", "limit": 50})).json()
    sizes = [len(page["items"])]
    while page["next"]:
        page = (await spotify.get(page["next"])).json()
        sizes.append(len(page["items"]))

    assert sizes == [10, 10, 10, 10, 10, 1]


async def test_default_groups_include_compilations_and_appearances(
    spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    path = f"/artists/{demo.expected['halcyon_drive']['spotify_id']}/albums"

    page = (await spotify.get(path, params={"limit": 50, "offset": 50})).json()

    assert page["total"] == 53
    assert [item["album_group"] for item in page["items"]] == [
        "single",
        "compilation",
        "appears_on",
    ]


async def test_limit_above_50_is_rejected(spotify: httpx.AsyncClient, demo: Dataset) -> None:
    path = f"/artists/{demo.expected['halcyon_drive']['spotify_id']}/albums"

    response = await spotify.get(path, params={"limit": 51})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid limit"


async def test_full_album_embeds_first_50_tracks_and_pages_the_rest(
    spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    album = next(a for a in demo.spotify_albums.values() if "Super Deluxe" in a.name)

    full = (await spotify.get(f"/albums/{album.id}")).json()
    rest = (await spotify.get(full["tracks"]["next"])).json()

    assert full["total_tracks"] == full["tracks"]["total"] == 53
    assert len(full["tracks"]["items"]) == 50
    assert [t["disc_number"] for t in rest["items"]] == [4, 4, 4]
    assert "external_ids" not in full["tracks"]["items"][0]


async def test_batch_tracks_carry_isrc_and_reject_more_than_50_ids(
    spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    ids = list(demo.spotify_tracks)[:51]

    ok = await spotify.get("/tracks", params={"ids": ",".join(ids[:50])})
    too_many = await spotify.get("/tracks", params={"ids": ",".join(ids)})

    assert ok.status_code == 200
    tracks = ok.json()["tracks"]
    assert len(tracks) == 50 and all(t["external_ids"]["isrc"] for t in tracks)
    assert too_many.status_code == 400


async def test_batch_albums_allow_20_ids_and_null_for_unknown(
    spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    ids = list(demo.spotify_albums)[:19] + ["0000000000000000000000"]

    ok = await spotify.get("/albums", params={"ids": ",".join(ids)})
    too_many = await spotify.get("/albums", params={"ids": ",".join([*ids, ids[0]])})

    assert ok.status_code == 200 and ok.json()["albums"][-1] is None
    assert too_many.status_code == 400


async def test_batch_endpoints_answer_403_in_development_mode(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    fakes.spotify.config.mode = "development"
    album_id = next(iter(demo.spotify_albums))
    track_id = next(iter(demo.spotify_tracks))
    artist_id = demo.expected["halcyon_drive"]["spotify_id"]

    statuses = [
        (await spotify.get(path, params={"ids": ident})).status_code
        for path, ident in (("/albums", album_id), ("/tracks", track_id), ("/artists", artist_id))
    ]
    single = await spotify.get(f"/tracks/{track_id}")

    assert statuses == [403, 403, 403]
    assert single.status_code == 200 and single.json()["external_ids"]["isrc"]


async def test_search_finds_similar_names_exact_match_first_and_ignores_accents(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient
) -> None:
    meridian = (await spotify.get("/search", params={"q": "meridian", "type": "artist"})).json()
    chloe = (
        await spotify.get("/search", params={"q": "chloe saint emile", "type": "artist"})
    ).json()
    fakes.spotify.config.mode = "development"
    capped = (await spotify.get("/search", params={"q": "a", "type": "track", "limit": 50})).json()

    assert [a["name"] for a in meridian["artists"]["items"]] == ["Meridian", "The Meridian"]
    assert chloe["artists"]["items"][0]["name"] == "Chloé Saint-Émile"
    assert capped["tracks"]["limit"] == 10 and len(capped["tracks"]["items"]) == 10


async def test_unknown_and_malformed_ids(spotify: httpx.AsyncClient) -> None:
    unknown = await spotify.get("/artists/0000000000000000000000")
    malformed = await spotify.get("/artists/not-an-id")

    assert unknown.status_code == 404
    assert malformed.status_code == 400


async def test_rolling_window_refuses_with_retry_after_and_counts_it(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    fakes.spotify.config.rate_limit = Limit(3, 1.0)
    path = f"/artists/{demo.expected['meridian']['spotify_id']}"

    statuses = [(await spotify.get(path)).status_code for _ in range(3)]
    refused = await spotify.get(path)
    await asyncio.sleep(1.0)
    later = await spotify.get(path)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["status"] == 429
    assert later.status_code == 200
    assert fakes.spotify.stats.rate_limit_violations["window"] == 1
    assert fakes.spotify.stats.calls["artist"] == 5


async def test_etag_answers_304_to_a_matching_if_none_match(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, demo: Dataset
) -> None:
    path = f"/artists/{demo.expected['halcyon_drive']['spotify_id']}/albums"
    first = await spotify.get(path)

    again = await spotify.get(path, headers={"If-None-Match": first.headers["ETag"]})
    stale = await spotify.get(path, headers={"If-None-Match": '"something-else"'})

    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert stale.status_code == 200
    assert fakes.spotify.stats.not_modified == 1
