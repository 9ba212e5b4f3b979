"""Artists: lookups, listing, search, upserts from sync, and their songs."""

import uuid

import grpc
from mysetlist.catalog.v1 import catalog_pb2 as api

from tests.catalog.builders import uid
from tests.catalog.errors import expect_error
from tests.catalog.pages import walk

# GetArtist ---------------------------------------------------------------


async def test_get_artist_by_id_returns_the_stored_artist(clients, world):
    artist = await world.artist("Sigur Rós", genres=["post-rock"], popularity=61)

    found = (await clients.anonymous().GetArtist(api.GetArtistRequest(artist=artist.id))).artist

    assert found.id == artist.id
    assert found.name == "Sigur Rós"
    assert list(found.genres) == ["post-rock"]
    assert found.popularity == 61
    assert found.spotify_id == artist.spotify_id


async def test_get_artist_by_slug_returns_the_same_artist(clients, world):
    artist = await world.artist(f"Slugged Artist {uid()}")

    found = (await clients.anonymous().GetArtist(api.GetArtistRequest(artist=artist.slug))).artist

    assert artist.slug.startswith("slugged-artist-")
    assert found.id == artist.id


async def test_get_artist_unknown_id_is_not_found(clients):
    await expect_error(
        clients.anonymous().GetArtist(api.GetArtistRequest(artist=str(uuid.uuid4()))),
        grpc.StatusCode.NOT_FOUND,
        reason="ARTIST_NOT_FOUND",
    )


async def test_get_artist_unknown_slug_is_not_found(clients):
    await expect_error(
        clients.anonymous().GetArtist(api.GetArtistRequest(artist=f"no-such-artist-{uid()}")),
        grpc.StatusCode.NOT_FOUND,
        reason="ARTIST_NOT_FOUND",
    )


async def test_get_artist_without_a_reference_is_invalid(clients):
    await expect_error(
        clients.anonymous().GetArtist(api.GetArtistRequest()),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="artist",
    )


# ListArtists -------------------------------------------------------------


async def test_list_artists_pages_through_every_artist_exactly_once(clients, world):
    prefix = f"Paging {uid()}"
    mine = [(await world.artist(f"{prefix} {i}")).id for i in range(5)]

    seen, responses = await walk(
        clients.anonymous().ListArtists, api.ListArtistsRequest(page_size=2), "artists"
    )

    ids = [a.id for a in seen]
    assert len(ids) == len(set(ids)), "an artist appeared on two pages"
    assert [i for i in ids if i in mine] == mine, "my artists missing or out of name order"
    assert all(len(r.artists) == 2 for r in responses[:-1])
    assert 1 <= len(responses[-1].artists) <= 2
    assert responses[-1].next_page_token == ""


async def test_list_artists_orders_by_name(clients, world):
    prefix = f"Order {uid()}"
    created = {name: (await world.artist(f"{prefix} {name}")).id for name in ("c", "a", "b")}

    seen, _ = await walk(
        clients.anonymous().ListArtists, api.ListArtistsRequest(page_size=500), "artists"
    )

    mine = [a.name for a in seen if a.id in created.values()]
    assert mine == [f"{prefix} a", f"{prefix} b", f"{prefix} c"]


async def test_list_artists_page_size_zero_means_fifty(clients, world):
    for i in range(51):
        await world.artist(f"Default Page {uid()} {i}")

    response = await clients.anonymous().ListArtists(api.ListArtistsRequest(page_size=0))

    assert len(response.artists) == 50
    assert response.next_page_token != ""


async def test_list_artists_negative_page_size_is_invalid(clients):
    await expect_error(
        clients.anonymous().ListArtists(api.ListArtistsRequest(page_size=-1)),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_size",
    )


async def test_list_artists_garbage_page_token_is_invalid(clients):
    await expect_error(
        clients.anonymous().ListArtists(api.ListArtistsRequest(page_token="not-a-token!!")),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_token",
    )


async def test_list_artists_refuses_a_token_from_another_list(clients, world):
    await world.venue(f"Token Venue {uid()}")
    await world.venue(f"Token Venue {uid()}")
    venues = await clients.anonymous().ListVenues(api.ListVenuesRequest(page_size=1))
    assert venues.next_page_token

    await expect_error(
        clients.anonymous().ListArtists(
            api.ListArtistsRequest(page_size=1, page_token=venues.next_page_token)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_token",
    )


# SearchArtists -------------------------------------------------------------


async def _search(clients, query: str, page_size: int = 50) -> list[api.ArtistMatch]:
    response = await clients.anonymous().SearchArtists(
        api.SearchArtistsRequest(query=query, page_size=page_size)
    )
    return list(response.matches)


async def test_search_without_accents_finds_the_accented_name_first(clients, world):
    beyonce = await world.artist("Beyoncé")

    matches = await _search(clients, "beyonce")

    assert matches[0].artist.name == "Beyoncé"
    assert beyonce.id in [m.artist.id for m in matches]
    assert matches[0].score == 1.0


async def test_search_folds_accents_in_every_word(clients, world):
    sigur_ros = await world.artist("Sigur Rós")

    matches = await _search(clients, "sigur ros")

    assert matches[0].artist.name == "Sigur Rós"
    assert sigur_ros.id in [m.artist.id for m in matches]


async def test_search_ignores_case_and_accents_in_the_query(clients, world):
    beyonce = await world.artist("Beyoncé")

    matches = await _search(clients, "BEYONCÉ")

    assert matches[0].artist.name == "Beyoncé"
    assert beyonce.id in [m.artist.id for m in matches]


async def test_search_tolerates_a_typo(clients, world):
    beyonce = await world.artist("Beyoncé")

    matches = await _search(clients, "beyonse")

    assert beyonce.id in [m.artist.id for m in matches]
    mine = next(m for m in matches if m.artist.id == beyonce.id)
    assert 0 < mine.score < 1


async def test_search_ranks_an_exact_name_above_a_name_that_only_contains_it(clients, world):
    # The partial match sorts first by name, so only the score can put the exact one ahead.
    partial = await world.artist("A Tribute to Björk")
    exact = await world.artist("Björk")

    matches = await _search(clients, "bjork")

    ids = [m.artist.id for m in matches]
    assert ids.index(exact.id) < ids.index(partial.id)


async def test_search_does_not_return_unrelated_names(clients, world):
    word = uid()
    unrelated = await world.artist(f"Completely Different {word}")

    matches = await _search(clients, "beyonce")

    assert unrelated.id not in [m.artist.id for m in matches]


async def test_search_returns_scores_best_first(clients, world):
    await world.artist("Radiohead")
    await world.artist("Radio Moscow")

    matches = await _search(clients, "radiohead")

    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert matches[0].artist.name == "Radiohead"


async def test_search_page_size_limits_the_matches(clients, world):
    for _ in range(3):
        await world.artist("Limitband")

    matches = await _search(clients, "limitband", page_size=2)

    assert len(matches) == 2


async def test_search_empty_query_is_invalid(clients):
    await expect_error(
        clients.anonymous().SearchArtists(api.SearchArtistsRequest(query="")),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="query",
    )


async def test_search_page_size_above_fifty_is_invalid(clients):
    await expect_error(
        clients.anonymous().SearchArtists(api.SearchArtistsRequest(query="a", page_size=51)),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_size",
    )


# UpsertArtist ----------------------------------------------------------------


async def test_upsert_artist_creates_then_updates_the_same_artist(clients):
    service = clients.service()
    spotify_id = f"sp{uid()}"
    first = await service.UpsertArtist(
        api.UpsertArtistRequest(
            artist=api.ArtistInput(name=f"Before {uid()}", spotify_id=spotify_id, popularity=10)
        )
    )

    second = await service.UpsertArtist(
        api.UpsertArtistRequest(
            artist=api.ArtistInput(
                name="After", spotify_id=spotify_id, popularity=55, genres=["indie"]
            )
        )
    )

    assert first.created is True
    assert second.created is False
    assert second.artist.id == first.artist.id
    assert second.artist.name == "After"
    assert second.artist.popularity == 55
    assert list(second.artist.genres) == ["indie"]
    assert second.artist.slug == first.artist.slug
    stored = (
        await clients.anonymous().GetArtist(api.GetArtistRequest(artist=first.artist.id))
    ).artist
    assert (stored.name, stored.slug, stored.popularity) == ("After", first.artist.slug, 55)


async def test_upsert_artist_fills_in_upstream_ids_found_later(clients):
    service = clients.service()
    spotify_id, ticketmaster_id = f"sp{uid()}", f"K8v{uid()}"
    created = await service.UpsertArtist(
        api.UpsertArtistRequest(artist=api.ArtistInput(name="Later Ids", spotify_id=spotify_id))
    )

    updated = await service.UpsertArtist(
        api.UpsertArtistRequest(
            artist=api.ArtistInput(
                name="Later Ids", spotify_id=spotify_id, ticketmaster_id=ticketmaster_id
            )
        )
    )

    assert updated.created is False
    assert updated.artist.id == created.artist.id
    assert updated.artist.spotify_id == spotify_id
    assert updated.artist.ticketmaster_id == ticketmaster_id


async def test_upsert_artist_by_one_id_keeps_the_ids_it_already_has(clients):
    service = clients.service()
    spotify_id, ticketmaster_id = f"sp{uid()}", f"K8v{uid()}"
    mbid = str(uuid.uuid4())
    created = await service.UpsertArtist(
        api.UpsertArtistRequest(
            artist=api.ArtistInput(
                name="Keeps Ids", spotify_id=spotify_id, ticketmaster_id=ticketmaster_id
            )
        )
    )

    updated = await service.UpsertArtist(
        api.UpsertArtistRequest(artist=api.ArtistInput(name="Keeps Ids", mbid=mbid))
    )

    # The mbid alone matches nobody yet: this must create a second artist, not merge.
    assert updated.created is True
    assert updated.artist.id != created.artist.id

    merged = await service.UpsertArtist(
        api.UpsertArtistRequest(
            artist=api.ArtistInput(name="Keeps Ids", ticketmaster_id=ticketmaster_id)
        )
    )

    assert merged.artist.id == created.artist.id
    assert merged.artist.spotify_id == spotify_id
    assert merged.artist.ticketmaster_id == ticketmaster_id


async def test_upsert_artist_with_ids_of_two_artists_is_a_conflict(clients, world):
    by_spotify = await world.artist()
    ticketmaster_id = f"K8v{uid()}"
    await clients.service().UpsertArtist(
        api.UpsertArtistRequest(
            artist=api.ArtistInput(name="Other", ticketmaster_id=ticketmaster_id)
        )
    )

    await expect_error(
        clients.service().UpsertArtist(
            api.UpsertArtistRequest(
                artist=api.ArtistInput(
                    name="Both",
                    spotify_id=by_spotify.spotify_id,
                    ticketmaster_id=ticketmaster_id,
                )
            )
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="UPSTREAM_ID_CONFLICT",
    )
    unchanged = (
        await clients.anonymous().GetArtist(api.GetArtistRequest(artist=by_spotify.id))
    ).artist
    assert unchanged.name == by_spotify.name
    assert unchanged.ticketmaster_id == ""


async def test_upsert_artist_without_any_upstream_id_is_invalid(clients):
    await expect_error(
        clients.service().UpsertArtist(
            api.UpsertArtistRequest(artist=api.ArtistInput(name="Nobody Knows Me"))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="artist",
    )


async def test_upsert_artist_without_a_name_is_invalid(clients):
    await expect_error(
        clients.service().UpsertArtist(
            api.UpsertArtistRequest(artist=api.ArtistInput(spotify_id=f"sp{uid()}"))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="artist.name",
    )


async def test_upsert_artist_with_a_malformed_mbid_is_invalid(clients):
    await expect_error(
        clients.service().UpsertArtist(
            api.UpsertArtistRequest(artist=api.ArtistInput(name="Bad Mbid", mbid="not-a-uuid"))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="artist.mbid",
    )


async def test_two_artists_with_the_same_name_get_distinct_slugs(world):
    name = f"Twin {uid()}"

    first = await world.artist(name)
    second = await world.artist(name)

    assert first.id != second.id
    assert first.slug != second.slug
    assert first.slug.startswith("twin-") and second.slug.startswith(first.slug)


# ListArtistSongs -------------------------------------------------------------


async def test_list_artist_songs_pages_by_title(clients, world):
    artist = await world.artist()
    titles = ["Echo", "Alpha", "Delta", "Bravo", "Charlie"]
    ids = dict(zip(titles, await world.songs(artist, titles), strict=True))

    seen, responses = await walk(
        clients.anonymous().ListArtistSongs,
        api.ListArtistSongsRequest(artist=artist.id, page_size=2),
        "songs",
    )

    assert [s.title for s in seen] == sorted(titles)
    assert [s.id for s in seen] == [ids[t] for t in sorted(titles)]
    assert [len(r.songs) for r in responses] == [2, 2, 1]
    assert responses[-1].next_page_token == ""


async def test_list_artist_songs_by_slug(clients, world):
    artist = await world.artist()
    [song_id] = await world.songs(artist, ["Only Song"])

    response = await clients.anonymous().ListArtistSongs(
        api.ListArtistSongsRequest(artist=artist.slug)
    )

    assert [s.id for s in response.songs] == [song_id]
    assert response.songs[0].is_catalog is True


async def test_list_artist_songs_hides_setlist_only_songs_unless_asked(clients, world):
    artist = await world.artist()
    [catalog_id] = await world.songs(artist, ["Studio Song"])
    show = await world.show(artist, await world.venue())
    await clients.service().UpsertActualSetlist(
        api.UpsertActualSetlistRequest(
            show_id=show.id,
            artist_id=artist.id,
            songs=[
                api.ActualSongInput(title="Studio Song"),
                api.ActualSongInput(title="Unreleased Jam"),
            ],
        )
    )

    default = await clients.anonymous().ListArtistSongs(
        api.ListArtistSongsRequest(artist=artist.id)
    )
    everything = await clients.anonymous().ListArtistSongs(
        api.ListArtistSongsRequest(artist=artist.id, include_non_catalog=True)
    )

    assert [s.id for s in default.songs] == [catalog_id]
    assert [(s.title, s.is_catalog) for s in everything.songs] == [
        ("Studio Song", True),
        ("Unreleased Jam", False),
    ]


async def test_list_artist_songs_of_unknown_artist_is_not_found(clients):
    await expect_error(
        clients.anonymous().ListArtistSongs(api.ListArtistSongsRequest(artist=str(uuid.uuid4()))),
        grpc.StatusCode.NOT_FOUND,
        reason="ARTIST_NOT_FOUND",
    )


async def test_list_artist_songs_refuses_a_token_of_another_artist(clients, world):
    first, second = await world.artist(), await world.artist()
    await world.songs(first, ["One", "Two"])
    await world.songs(second, ["Three", "Four"])
    page = await clients.anonymous().ListArtistSongs(
        api.ListArtistSongsRequest(artist=first.id, page_size=1)
    )

    await expect_error(
        clients.anonymous().ListArtistSongs(
            api.ListArtistSongsRequest(
                artist=second.id, page_size=1, page_token=page.next_page_token
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_token",
    )


async def test_search_finds_an_artist_by_its_new_name_after_a_rename(clients, world):
    word = uid()
    artist = await world.artist(f"Oldname {word}")

    await clients.service().UpsertArtist(
        api.UpsertArtistRequest(
            artist=api.ArtistInput(name=f"Renamed {word}", spotify_id=artist.spotify_id)
        )
    )

    found = await _search(clients, f"renamed {word}")
    assert artist.id in [m.artist.id for m in found]


async def test_search_page_size_zero_returns_ten(clients, world):
    word = f"tenband{uid()}"
    for i in range(11):
        await world.artist(f"{word} {i}")

    matches = await _search(clients, word, page_size=0)

    assert len(matches) == 10


async def test_upserting_unchanged_data_keeps_the_update_time(clients):
    artist_input = api.ArtistInput(name=f"Steady {uid()}", spotify_id=f"sp{uid()}", genres=["a"])
    first = await clients.service().UpsertArtist(api.UpsertArtistRequest(artist=artist_input))

    again = await clients.service().UpsertArtist(api.UpsertArtistRequest(artist=artist_input))
    artist_input.popularity = 77
    changed = await clients.service().UpsertArtist(api.UpsertArtistRequest(artist=artist_input))

    assert again.artist.update_time == first.artist.update_time
    assert changed.artist.update_time.ToDatetime() > first.artist.update_time.ToDatetime()
    assert changed.artist.create_time == first.artist.create_time
