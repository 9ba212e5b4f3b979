"""The fake Discovery API: key checks, envelopes, paging bounds, dates and Apigee limits."""

from __future__ import annotations

import time

import httpx

from fakes import FakeUpstreams, Limit
from fakes.dataset import Dataset


async def test_missing_or_wrong_api_key_gets_a_401_fault(
    fakes: FakeUpstreams, http: httpx.AsyncClient
) -> None:
    url = f"{fakes.env()['TICKETMASTER_API_URL']}/events.json"

    missing = await http.get(url)
    wrong = await http.get(url, params={"apikey": "nope"})
    header_only = await http.get(url, headers={"apikey": fakes.env()["TICKETMASTER_API_KEY"]})

    assert missing.status_code == wrong.status_code == header_only.status_code == 401
    assert wrong.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidApiKey"


async def test_attraction_search_shows_hard_links_only_where_they_exist(
    ticketmaster: httpx.AsyncClient, demo: Dataset
) -> None:
    body = (
        await ticketmaster.get(
            "/attractions.json", params={"keyword": "meridian", "classificationName": "music"}
        )
    ).json()

    found = {a["name"]: a for a in body["_embedded"]["attractions"]}
    assert set(found) == {"Meridian", "The Meridian"}
    assert "externalLinks" not in found["The Meridian"]
    spotify_url = found["Meridian"]["externalLinks"]["spotify"][0]["url"]
    assert spotify_url.rsplit("/", 1)[-1] == demo.expected["meridian"]["spotify_id"]
    assert body["page"] == {"size": 20, "totalElements": 2, "totalPages": 1, "number": 0}


async def test_attraction_by_id_links_spotify_and_musicbrainz(
    ticketmaster: httpx.AsyncClient, demo: Dataset
) -> None:
    facts = demo.expected["halcyon_drive"]

    attraction = (await ticketmaster.get(f"/attractions/{facts['attraction_id']}.json")).json()
    unknown = await ticketmaster.get("/attractions/K8vZ917zzzz.json")

    assert attraction["externalLinks"]["musicbrainz"][0]["id"] == facts["mbid"]
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["code"] == "DIS1004"


async def test_events_page_zero_based_in_date_order_across_pages(
    ticketmaster: httpx.AsyncClient, demo: Dataset
) -> None:
    facts = demo.expected["halcyon_drive"]
    params = {"attractionId": facts["attraction_id"], "size": 199, "sort": "date,asc"}

    first = (await ticketmaster.get("/events.json", params={**params, "page": 0})).json()
    second = (await ticketmaster.get("/events.json", params={**params, "page": 1})).json()

    assert first["page"] == {"size": 199, "totalElements": 261, "totalPages": 2, "number": 0}
    events = first["_embedded"]["events"] + second["_embedded"]["events"]
    assert len({e["id"] for e in events}) == facts["events"] == 261
    instants = [e["dates"]["start"].get("dateTime", "") for e in events]
    known = [i for i in instants if i]
    assert known == sorted(known)
    assert "apikey" not in first["_links"]["next"]["href"]
    assert "page=1" in first["_links"]["next"]["href"]


async def test_size_200_is_dis1036_and_deep_pages_are_dis1035(
    ticketmaster: httpx.AsyncClient,
) -> None:
    too_big = await ticketmaster.get("/events.json", params={"size": 200})
    deepest = await ticketmaster.get("/events.json", params={"size": 199, "page": 5})
    too_deep = await ticketmaster.get("/events.json", params={"size": 199, "page": 6})
    exactly_1000 = await ticketmaster.get("/events.json", params={"size": 100, "page": 10})

    assert too_big.status_code == 400 and too_big.json()["errors"][0]["code"] == "DIS1036"
    assert deepest.status_code == 200 and "_embedded" not in deepest.json()
    assert too_deep.json()["errors"][0]["code"] == "DIS1035"
    assert exactly_1000.status_code == 400


async def test_no_results_means_no_embedded_key_and_zero_pages(
    ticketmaster: httpx.AsyncClient, demo: Dataset
) -> None:
    params = {"attractionId": demo.expected["quiet_harbor"]["attraction_id"]}

    body = (await ticketmaster.get("/events.json", params=params)).json()

    assert "_embedded" not in body
    assert body["page"]["totalElements"] == 0 and body["page"]["totalPages"] == 0


async def test_date_range_filters_in_exact_format_only(
    ticketmaster: httpx.AsyncClient, demo: Dataset
) -> None:
    attraction = demo.expected["halcyon_drive"]["attraction_id"]
    window = {"startDateTime": "2027-01-01T00:00:00Z", "endDateTime": "2027-01-31T23:59:59Z"}

    narrowed = (
        await ticketmaster.get("/events.json", params={"attractionId": attraction, **window})
    ).json()
    with_millis = await ticketmaster.get(
        "/events.json", params={"startDateTime": "2027-01-01T00:00:00.000Z"}
    )

    assert 0 < narrowed["page"]["totalElements"] < 30
    assert with_millis.status_code == 400
    assert with_millis.json()["errors"][0]["code"] == "DIS1015"


async def test_late_los_angeles_show_keeps_its_local_date(
    ticketmaster: httpx.AsyncClient, demo: Dataset
) -> None:
    attraction = demo.expected["halcyon_drive"]["attraction_id"]

    events = (
        await ticketmaster.get(
            "/events.json", params={"attractionId": attraction, "sort": "date,asc", "size": 5}
        )
    ).json()["_embedded"]["events"]

    first = events[0]["dates"]
    assert first["start"]["localDate"] == "2026-12-01"
    assert first["start"]["localTime"] == "22:30:00"
    assert first["start"]["dateTime"] == "2026-12-02T06:30:00Z"
    venue = events[0]["_embedded"]["venues"][0]
    assert venue["timezone"] == "America/Los_Angeles"
    assert isinstance(venue["location"]["latitude"], str)


async def test_demo_events_cover_every_status_and_missing_fields(
    ticketmaster: httpx.AsyncClient, demo: Dataset
) -> None:
    attraction = demo.expected["halcyon_drive"]["attraction_id"]
    events = []
    for page in range(2):
        body = (
            await ticketmaster.get(
                "/events.json", params={"attractionId": attraction, "size": 199, "page": page}
            )
        ).json()
        events += body["_embedded"]["events"]

    statuses = {e["dates"]["status"]["code"] for e in events}
    assert {"onsale", "offsale", "cancelled", "canceled", "postponed", "rescheduled"} <= statuses
    assert any("timezone" not in e["dates"] for e in events)
    assert any("localTime" not in e["dates"]["start"] for e in events)
    assert any(len(e["_embedded"]["attractions"]) > 1 for e in events)
    assert any("priceRanges" in e for e in events)


async def test_spike_arrest_refuses_the_sixth_call_in_a_second(
    fakes: FakeUpstreams, ticketmaster: httpx.AsyncClient
) -> None:
    fakes.ticketmaster.config.per_second = Limit(5, 5.0)  # wide window: no flake on a slow machine
    key = fakes.env()["TICKETMASTER_API_KEY"]

    responses = [await ticketmaster.get("/events.json", params={"size": 1}) for _ in range(6)]

    assert [r.status_code for r in responses] == [200] * 5 + [429]
    refused = responses[-1]
    assert (
        refused.json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.SpikeArrestViolation"
    )
    assert key in refused.text  # the real body leaks the key: clients must redact it
    assert "Retry-After" not in refused.headers
    assert fakes.ticketmaster.stats.rate_limit_violations["second"] == 1


async def test_smoothed_spike_arrest_refuses_two_calls_closer_than_its_interval(
    fakes: FakeUpstreams, ticketmaster: httpx.AsyncClient
) -> None:
    fakes.ticketmaster.config.per_second = Limit(5, 25.0)  # smoothed: one call per 5 s
    fakes.ticketmaster.config.spike_smoothing = True

    responses = [await ticketmaster.get("/events.json", params={"size": 1}) for _ in range(2)]

    # Far below 5 calls in the window, yet the second comes too soon after the first.
    assert [r.status_code for r in responses] == [200, 429]
    fault = responses[1].json()["fault"]
    assert fault["detail"]["errorcode"] == "policies.ratelimit.SpikeArrestViolation"
    assert "messagesPerPeriod=1, periodInMicroseconds=5000000" in fault["faultstring"]


async def test_daily_quota_and_rate_limit_headers(
    fakes: FakeUpstreams, ticketmaster: httpx.AsyncClient
) -> None:
    fakes.ticketmaster.config.per_day = Limit(3, 60.0)

    responses = [await ticketmaster.get("/events.json", params={"size": 1}) for _ in range(4)]

    assert [r.headers["Rate-Limit-Available"] for r in responses[:3]] == ["2", "1", "0"]
    assert all(r.headers["Rate-Limit"] == "3" for r in responses)
    assert int(responses[0].headers["Rate-Limit-Reset"]) > time.time() * 1000
    assert responses[3].status_code == 429
    assert (
        responses[3].json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation"
    )
    assert fakes.ticketmaster.stats.rate_limit_violations["day"] == 1
