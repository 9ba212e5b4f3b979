"""The fake setlist.fm: key header, JSON only on request, fixed pages, 404 for empty searches."""

from __future__ import annotations

import httpx

from fakes import FakeUpstreams, Limit
from fakes.dataset import Dataset


async def test_missing_key_is_forbidden(fakes: FakeUpstreams, http: httpx.AsyncClient) -> None:
    url = f"{fakes.env()['SETLISTFM_API_URL']}/search/artists"

    response = await http.get(
        url, params={"artistName": "Meridian"}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 403
    assert response.json()["code"] == 403


async def test_xml_is_the_default_and_json_needs_the_accept_header(
    fakes: FakeUpstreams, http: httpx.AsyncClient
) -> None:
    url = f"{fakes.env()['SETLISTFM_API_URL']}/search/artists"
    key = {"x-api-key": fakes.env()["SETLISTFM_API_KEY"]}

    default = await http.get(url, params={"artistName": "Meridian"}, headers=key)
    html = await http.get(
        url, params={"artistName": "Meridian"}, headers={**key, "Accept": "text/html"}
    )

    assert default.headers["content-type"].startswith("application/xml")
    assert default.text.startswith("<?xml") and 'itemsPerPage="20"' in default.text
    assert html.status_code == 406


async def test_artist_search_lists_namesakes_with_disambiguation(
    setlistfm: httpx.AsyncClient,
) -> None:
    body = (
        await setlistfm.get(
            "/search/artists", params={"artistName": "Meridian", "sort": "relevance"}
        )
    ).json()

    assert body["type"] == "artists" and body["itemsPerPage"] == 20 and body["page"] == 1
    disambiguations = {a["disambiguation"] for a in body["artist"] if a["name"] == "Meridian"}
    assert disambiguations == {"UK electronic duo", "Swedish metal band"}
    assert body["artist"][-1]["name"] == "The Meridian"


async def test_search_without_match_is_404_not_an_empty_page(setlistfm: httpx.AsyncClient) -> None:
    response = await setlistfm.get("/search/artists", params={"artistName": "Nobody At All"})

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == 404 and body["status"] == "Not Found"
    assert set(body) == {"code", "status", "message", "timestamp"}


async def test_artist_setlists_page_20_at_a_time_newest_first(
    setlistfm: httpx.AsyncClient, demo: Dataset
) -> None:
    mbid = demo.expected["halcyon_drive"]["mbid"]

    pages = [
        (await setlistfm.get(f"/artist/{mbid}/setlists", params={"p": p})) for p in (1, 2, 3, 4)
    ]

    assert [len(r.json()["setlist"]) for r in pages[:3]] == [20, 20, 5]
    assert pages[0].json()["total"] == 45
    assert pages[3].status_code == 404
    dates = [s["eventDate"] for r in pages[:3] for s in r.json()["setlist"]]
    as_iso = [d[6:] + d[3:5] + d[:2] for d in dates]
    assert as_iso == sorted(as_iso, reverse=True)


async def test_setlists_have_encores_covers_tapes_and_empty_ones(
    setlistfm: httpx.AsyncClient, demo: Dataset
) -> None:
    mbid = demo.expected["halcyon_drive"]["mbid"]
    setlists = []
    for page in (1, 2, 3):
        setlists += (await setlistfm.get(f"/artist/{mbid}/setlists", params={"p": page})).json()[
            "setlist"
        ]

    sets = [s for sl in setlists for s in sl["sets"]["set"]]
    songs = [song for s in sets for song in s["song"]]
    assert {s.get("encore") for s in sets} >= {None, 1, 2}
    assert any("cover" in song for song in songs)
    assert any(song.get("tape") for song in songs)
    assert any("with" in song for song in songs)
    assert sum(1 for sl in setlists if not sl["sets"]["set"]) == 4
    assert setlists[0]["lastUpdated"].endswith("+0000")


async def test_documented_shape_puts_set_at_the_top_level(
    fakes: FakeUpstreams, setlistfm: httpx.AsyncClient, demo: Dataset
) -> None:
    setlist_id = next(iter(demo.sf_setlists))
    fakes.setlistfm.config.documented_shape = True

    body = (await setlistfm.get(f"/setlist/{setlist_id}")).json()

    assert "set" in body and "sets" not in body


async def test_setlist_search_by_artist_and_date(
    setlistfm: httpx.AsyncClient, demo: Dataset
) -> None:
    setlist = demo.setlists_of(demo.expected["chloe_saint_emile"]["mbid"])[0]
    params = {"artistMbid": setlist.artist_mbid, "date": setlist.event_date}

    found = await setlistfm.get("/search/setlists", params=params)
    none = await setlistfm.get("/search/setlists", params={**params, "date": "01-01-1999"})
    bad = await setlistfm.get("/search/setlists", params={**params, "date": "1999-01-01"})

    assert found.json()["setlist"][0]["id"] == setlist.id
    assert none.status_code == 404
    assert bad.status_code == 400


async def test_artist_without_setlists_is_404(setlistfm: httpx.AsyncClient, demo: Dataset) -> None:
    response = await setlistfm.get(f"/artist/{demo.expected['quiet_harbor']['mbid']}/setlists")

    assert response.status_code == 404


async def test_two_per_second_then_429_without_retry_after(
    fakes: FakeUpstreams, setlistfm: httpx.AsyncClient, demo: Dataset
) -> None:
    fakes.setlistfm.config.per_second = Limit(2, 5.0)  # wide window: no flake on a slow machine
    path = f"/artist/{demo.expected['meridian']['mbid']}"

    responses = [await setlistfm.get(path) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert "Retry-After" not in responses[2].headers
    assert responses[2].json()["code"] == 429
    assert fakes.setlistfm.stats.rate_limit_violations["second"] == 1
