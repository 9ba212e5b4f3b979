"""Setlists: predictions fans shape, actual setlists from setlist.fm, and how they compare."""

import datetime as dt
import uuid

import grpc
import pytest
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import resources_pb2 as pb

from tests.catalog.builders import future, uid
from tests.catalog.errors import expect_error


def _past(days: int = 3) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


async def _record_actual(clients, show, artist, songs, **fields) -> pb.Setlist:
    response = await clients.service().UpsertActualSetlist(
        api.UpsertActualSetlistRequest(show_id=show.id, artist_id=artist.id, songs=songs, **fields)
    )
    return response.setlist


async def _get_setlist(clients, setlist_id: str) -> pb.Setlist:
    return (
        await clients.anonymous().GetSetlist(api.GetSetlistRequest(setlist_id=setlist_id))
    ).setlist


# GetSetlist / ListShowSetlists ----------------------------------------------------


async def test_get_setlist_returns_the_songs_in_order(clients, world):
    artist, song_ids, show, seeded = await world.voting_setup(("First", "Second", "Third"))

    setlist = await _get_setlist(clients, seeded.id)

    assert setlist.show_id == show.id
    assert setlist.artist_id == artist.id
    assert setlist.kind == pb.SETLIST_KIND_PREDICTED
    assert setlist.locked is False
    assert setlist.source == "seed"
    assert [(s.song_id, s.title, s.position) for s in setlist.songs] == [
        (song_ids[0], "First", 1),
        (song_ids[1], "Second", 2),
        (song_ids[2], "Third", 3),
    ]
    assert all(s.upvotes == 0 for s in setlist.songs)


async def test_get_setlist_unknown_is_not_found(clients):
    await expect_error(
        clients.anonymous().GetSetlist(api.GetSetlistRequest(setlist_id=str(uuid.uuid4()))),
        grpc.StatusCode.NOT_FOUND,
        reason="SETLIST_NOT_FOUND",
    )


async def test_list_show_setlists_returns_predicted_and_actual_in_bill_order(clients, world):
    headliner, support = await world.artist(), await world.artist()
    headliner_songs = await world.songs(headliner, ["Hit"])
    support_songs = await world.songs(support, ["Opener"])
    show = await world.show(headliner, await world.venue(), support=[support.id])
    # Created support first, so only the bill can put the headliner first.
    support_prediction = await world.predicted(show, support, support_songs)
    actual = await _record_actual(clients, show, headliner, [api.ActualSongInput(title="Hit")])
    prediction = await world.predicted(show, headliner, headliner_songs)

    response = await clients.anonymous().ListShowSetlists(
        api.ListShowSetlistsRequest(show_id=show.id)
    )

    assert [(s.id, s.kind) for s in response.setlists] == [
        (prediction.id, pb.SETLIST_KIND_PREDICTED),
        (actual.id, pb.SETLIST_KIND_ACTUAL),
        (support_prediction.id, pb.SETLIST_KIND_PREDICTED),
    ]
    assert [s.title for s in response.setlists[0].songs] == ["Hit"]


@pytest.mark.parametrize("kind", [pb.SETLIST_KIND_PREDICTED, pb.SETLIST_KIND_ACTUAL])
async def test_list_show_setlists_filters_by_kind(clients, world, kind):
    artist, _, show, prediction = await world.voting_setup()
    actual = await _record_actual(clients, show, artist, [api.ActualSongInput(title="Song A")])
    expected = prediction.id if kind == pb.SETLIST_KIND_PREDICTED else actual.id

    response = await clients.anonymous().ListShowSetlists(
        api.ListShowSetlistsRequest(show_id=show.id, kind=kind)
    )

    assert [s.id for s in response.setlists] == [expected]


async def test_list_show_setlists_of_unknown_show_is_not_found(clients):
    await expect_error(
        clients.anonymous().ListShowSetlists(
            api.ListShowSetlistsRequest(show_id=str(uuid.uuid4()))
        ),
        grpc.StatusCode.NOT_FOUND,
        reason="SHOW_NOT_FOUND",
    )


# AddSetlistSong -------------------------------------------------------------------


async def test_add_setlist_song_appends_it_at_the_end(clients, world):
    artist, _, _, setlist = await world.voting_setup(("A", "B", "C"))
    [extra] = await world.songs(artist, ["Deep Cut"])

    response = await clients.user().AddSetlistSong(
        api.AddSetlistSongRequest(setlist_id=setlist.id, song_id=extra)
    )

    added = response.setlist_song
    assert (added.song_id, added.title, added.position, added.upvotes) == (extra, "Deep Cut", 4, 0)
    stored = await _get_setlist(clients, setlist.id)
    assert [s.id for s in stored.songs][-1] == added.id
    assert [s.position for s in stored.songs] == [1, 2, 3, 4]


async def test_add_setlist_song_of_another_artist_is_invalid(clients, world):
    _, _, _, setlist = await world.voting_setup()
    stranger = await world.artist()
    [foreign] = await world.songs(stranger, ["Not Theirs"])

    await expect_error(
        clients.user().AddSetlistSong(
            api.AddSetlistSongRequest(setlist_id=setlist.id, song_id=foreign)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="song_id",
    )
    assert len((await _get_setlist(clients, setlist.id)).songs) == 3


async def test_add_setlist_song_unknown_song_is_not_found(clients, world):
    _, _, _, setlist = await world.voting_setup()

    await expect_error(
        clients.user().AddSetlistSong(
            api.AddSetlistSongRequest(setlist_id=setlist.id, song_id=str(uuid.uuid4()))
        ),
        grpc.StatusCode.NOT_FOUND,
        reason="SONG_NOT_FOUND",
    )


async def test_add_setlist_song_to_unknown_setlist_is_not_found(clients, world):
    artist = await world.artist()
    [song_id] = await world.songs(artist, ["Lonely"])

    await expect_error(
        clients.user().AddSetlistSong(
            api.AddSetlistSongRequest(setlist_id=str(uuid.uuid4()), song_id=song_id)
        ),
        grpc.StatusCode.NOT_FOUND,
        reason="SETLIST_NOT_FOUND",
    )


async def test_add_setlist_song_already_in_the_setlist_already_exists(clients, world):
    _, song_ids, _, setlist = await world.voting_setup()

    await expect_error(
        clients.user().AddSetlistSong(
            api.AddSetlistSongRequest(setlist_id=setlist.id, song_id=song_ids[1])
        ),
        grpc.StatusCode.ALREADY_EXISTS,
        reason="SONG_ALREADY_IN_SETLIST",
    )


async def test_add_setlist_song_twice_adds_it_once(clients, world):
    artist, _, _, setlist = await world.voting_setup()
    [extra] = await world.songs(artist, ["Twice"])
    request = api.AddSetlistSongRequest(setlist_id=setlist.id, song_id=extra)
    await clients.user().AddSetlistSong(request)

    await expect_error(clients.user().AddSetlistSong(request), grpc.StatusCode.ALREADY_EXISTS)

    assert [s.song_id for s in (await _get_setlist(clients, setlist.id)).songs].count(extra) == 1


async def test_add_setlist_song_after_the_show_started_is_closed(clients, world):
    artist = await world.artist()
    song_ids = await world.songs(artist, ["Old", "New"])
    show = await world.show(artist, await world.venue(), local_date=_past())
    setlist = await world.predicted(show, artist, song_ids[:1])

    await expect_error(
        clients.user().AddSetlistSong(
            api.AddSetlistSongRequest(setlist_id=setlist.id, song_id=song_ids[1])
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="VOTING_CLOSED",
    )


async def test_add_setlist_song_to_an_actual_setlist_is_refused(clients, world):
    artist, song_ids, show, _ = await world.voting_setup()
    actual = await _record_actual(clients, show, artist, [api.ActualSongInput(title="Song A")])

    await expect_error(
        clients.user().AddSetlistSong(
            api.AddSetlistSongRequest(setlist_id=actual.id, song_id=song_ids[1])
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="SETLIST_NOT_PREDICTED",
    )


async def test_add_setlist_song_to_a_locked_prediction_is_refused(clients, world):
    artist, _, show, setlist = await world.voting_setup()
    [extra] = await world.songs(artist, ["Too Late"])
    await _record_actual(clients, show, artist, [api.ActualSongInput(title="Song A")])

    await expect_error(
        clients.user().AddSetlistSong(
            api.AddSetlistSongRequest(setlist_id=setlist.id, song_id=extra)
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="SETLIST_LOCKED",
    )


async def test_add_setlist_song_anonymously_is_unauthenticated(clients, world):
    artist, _, _, setlist = await world.voting_setup()
    [extra] = await world.songs(artist, ["Anon"])

    await expect_error(
        clients.anonymous().AddSetlistSong(
            api.AddSetlistSongRequest(setlist_id=setlist.id, song_id=extra)
        ),
        grpc.StatusCode.UNAUTHENTICATED,
    )
    assert len((await _get_setlist(clients, setlist.id)).songs) == 3


# SeedPredictedSetlist -------------------------------------------------------------


async def test_seeding_the_same_songs_again_appends_nothing(clients, world):
    artist, song_ids, show, first = await world.voting_setup()

    again = await world.predicted(show, artist, song_ids)

    assert again.id == first.id
    assert [(s.id, s.position) for s in again.songs] == [(s.id, s.position) for s in first.songs]


async def test_seeding_more_songs_appends_only_the_new_ones(clients, world):
    artist, song_ids, show, first = await world.voting_setup(("A", "B", "C"))
    more = await world.songs(artist, ["D", "E"])

    again = await world.predicted(show, artist, [more[0], song_ids[1], more[1], song_ids[0]])

    assert [s.id for s in again.songs[:3]] == [s.id for s in first.songs]
    assert [(s.song_id, s.position) for s in again.songs[3:]] == [(more[0], 4), (more[1], 5)]


async def test_seeding_again_keeps_votes_and_fans_additions(clients, world):
    artist, song_ids, show, first = await world.voting_setup()
    [fan_pick] = await world.songs(artist, ["Fan Pick"])
    await clients.user().CastVote(api.CastVoteRequest(setlist_song_id=first.songs[1].id))
    await clients.user().AddSetlistSong(
        api.AddSetlistSongRequest(setlist_id=first.id, song_id=fan_pick)
    )

    again = await world.predicted(show, artist, song_ids[:1])

    assert [s.song_id for s in again.songs] == [*song_ids, fan_pick]
    assert again.songs[1].upvotes == 1


async def test_seeding_a_song_of_another_artist_is_invalid(clients, world):
    artist, song_ids, show, _ = await world.voting_setup()
    [foreign] = await world.songs(await world.artist(), ["Foreign"])

    await expect_error(
        clients.service().SeedPredictedSetlist(
            api.SeedPredictedSetlistRequest(
                show_id=show.id, artist_id=artist.id, song_ids=[song_ids[0], foreign]
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="song_ids[1]",
    )


async def test_seeding_for_an_unknown_show_is_not_found(clients, world):
    artist = await world.artist()

    await expect_error(
        clients.service().SeedPredictedSetlist(
            api.SeedPredictedSetlistRequest(show_id=str(uuid.uuid4()), artist_id=artist.id)
        ),
        grpc.StatusCode.NOT_FOUND,
        reason="SHOW_NOT_FOUND",
    )


# UpsertActualSetlist --------------------------------------------------------------


async def test_actual_setlist_links_titles_to_catalog_songs_ignoring_case_and_accents(
    clients, world
):
    artist = await world.artist()
    hoppipolla, glosoli = await world.songs(artist, ["Hoppípolla", "Glósóli"])
    show = await world.show(artist, await world.venue())

    actual = await _record_actual(
        clients,
        show,
        artist,
        [api.ActualSongInput(title="GLOSOLI"), api.ActualSongInput(title="hoppipolla")],
        setlistfm_id="63d6b2f3",
    )

    assert actual.kind == pb.SETLIST_KIND_ACTUAL
    assert actual.source == "setlistfm"
    assert actual.setlistfm_id == "63d6b2f3"
    assert [(s.song_id, s.position) for s in actual.songs] == [(glosoli, 1), (hoppipolla, 2)]
    assert [s.title for s in actual.songs] == ["Glósóli", "Hoppípolla"]


async def test_actual_setlist_creates_setlist_only_songs_for_unknown_titles_and_covers(
    clients, world
):
    artist = await world.artist()
    [known] = await world.songs(artist, ["Known"])
    show = await world.show(artist, await world.venue())

    actual = await _record_actual(
        clients,
        show,
        artist,
        [
            api.ActualSongInput(title="Known"),
            api.ActualSongInput(title="Brand New Song"),
            api.ActualSongInput(title="Heroes", cover_artist_name="David Bowie"),
        ],
    )

    known_entry, new_entry, cover_entry = actual.songs
    assert known_entry.song_id == known and not known_entry.is_cover
    assert new_entry.song_id not in (known, cover_entry.song_id)
    assert (cover_entry.is_cover, cover_entry.cover_artist_name) == (True, "David Bowie")
    songs = await clients.anonymous().ListArtistSongs(
        api.ListArtistSongsRequest(artist=artist.id, include_non_catalog=True)
    )
    by_id = {s.id: s for s in songs.songs}
    assert (by_id[new_entry.song_id].title, by_id[new_entry.song_id].is_catalog) == (
        "Brand New Song",
        False,
    )
    cover_song = by_id[cover_entry.song_id]
    assert (cover_song.title, cover_song.is_catalog, cover_song.original_artist_name) == (
        "Heroes",
        False,
        "David Bowie",
    )
    assert by_id[known].is_catalog


async def test_actual_setlist_keeps_tapes_encores_set_names_and_notes(clients, world):
    artist = await world.artist()
    show = await world.show(artist, await world.venue())

    actual = await _record_actual(
        clients,
        show,
        artist,
        [
            api.ActualSongInput(title="Intro", is_tape=True),
            api.ActualSongInput(title="Opener", set_name="Set 1"),
            api.ActualSongInput(title="Ballad", set_name="Set 1", info="acoustic"),
            api.ActualSongInput(title="Encore One", encore=1),
            api.ActualSongInput(title="Encore Two", encore=2),
            api.ActualSongInput(title="Outro", encore=2, is_tape=True),
        ],
    )

    assert [
        (s.title, s.position, s.is_tape, s.set_name, s.encore, s.info) for s in actual.songs
    ] == [
        ("Intro", 1, True, "", 0, ""),
        ("Opener", 2, False, "Set 1", 0, ""),
        ("Ballad", 3, False, "Set 1", 0, "acoustic"),
        ("Encore One", 4, False, "", 1, ""),
        ("Encore Two", 5, False, "", 2, ""),
        ("Outro", 6, True, "", 2, ""),
    ]


async def test_an_empty_actual_setlist_is_allowed(clients, world):
    artist = await world.artist()
    show = await world.show(artist, await world.venue())

    actual = await _record_actual(clients, show, artist, [])

    assert actual.kind == pb.SETLIST_KIND_ACTUAL
    assert list(actual.songs) == []
    assert (await _get_setlist(clients, actual.id)).id == actual.id


async def test_recording_the_actual_setlist_again_replaces_it_without_duplicating_songs(
    clients, world
):
    artist = await world.artist()
    show = await world.show(artist, await world.venue())
    first = await _record_actual(
        clients,
        show,
        artist,
        [api.ActualSongInput(title="Jam One"), api.ActualSongInput(title="Jam Two")],
    )
    ids = {s.title: s.song_id for s in first.songs}

    second = await _record_actual(
        clients,
        show,
        artist,
        [
            api.ActualSongInput(title="Jam Two"),
            api.ActualSongInput(title="jam one"),
            api.ActualSongInput(title="Jam Three"),
        ],
    )

    assert second.id == first.id
    assert [(s.song_id, s.position) for s in second.songs[:2]] == [
        (ids["Jam Two"], 1),
        (ids["Jam One"], 2),
    ]
    assert len(second.songs) == 3
    songs = await clients.anonymous().ListArtistSongs(
        api.ListArtistSongsRequest(artist=artist.id, include_non_catalog=True)
    )
    assert sorted(s.title for s in songs.songs) == ["Jam One", "Jam Three", "Jam Two"]
    assert len(await _show_setlists(clients, show, pb.SETLIST_KIND_ACTUAL)) == 1


async def _show_setlists(clients, show, kind) -> list[pb.Setlist]:
    response = await clients.anonymous().ListShowSetlists(
        api.ListShowSetlistsRequest(show_id=show.id, kind=kind)
    )
    return list(response.setlists)


async def test_recording_the_actual_setlist_locks_the_prediction(clients, world):
    artist, _, show, prediction = await world.voting_setup()

    await _record_actual(clients, show, artist, [api.ActualSongInput(title="Song A")])

    assert (await _get_setlist(clients, prediction.id)).locked is True
    await expect_error(
        clients.user().CastVote(api.CastVoteRequest(setlist_song_id=prediction.songs[0].id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="SETLIST_LOCKED",
    )


async def test_actual_setlist_for_an_unknown_artist_is_not_found(clients, world):
    artist = await world.artist()
    show = await world.show(artist, await world.venue())

    await expect_error(
        clients.service().UpsertActualSetlist(
            api.UpsertActualSetlistRequest(show_id=show.id, artist_id=str(uuid.uuid4()))
        ),
        grpc.StatusCode.NOT_FOUND,
        reason="ARTIST_NOT_FOUND",
    )


async def test_actual_setlist_entry_without_a_title_is_invalid(clients, world):
    artist = await world.artist()
    show = await world.show(artist, await world.venue())

    await expect_error(
        clients.service().UpsertActualSetlist(
            api.UpsertActualSetlistRequest(
                show_id=show.id,
                artist_id=artist.id,
                songs=[api.ActualSongInput(title="Fine"), api.ActualSongInput(encore=1)],
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="songs[1].title",
    )


# GetPredictionAccuracy ------------------------------------------------------------


async def test_prediction_accuracy_counts_played_songs_and_ignores_tapes(clients, world):
    artist, song_ids, show, _ = await world.voting_setup(("A", "B", "C", "D"))
    await _record_actual(
        clients,
        show,
        artist,
        [
            api.ActualSongInput(title="C"),
            api.ActualSongInput(title="A"),
            api.ActualSongInput(title=f"Unpredicted {uid()}"),
            api.ActualSongInput(title="B"),
            api.ActualSongInput(title="D", is_tape=True),
        ],
    )

    accuracy = await clients.anonymous().GetPredictionAccuracy(
        api.GetPredictionAccuracyRequest(show_id=show.id)
    )

    assert accuracy.artist_id == artist.id
    assert accuracy.predicted_count == 4
    assert accuracy.actual_count == 4
    assert accuracy.matched_count == 3
    assert accuracy.precision == pytest.approx(0.75)
    assert accuracy.recall == pytest.approx(3 / 4)
    assert list(accuracy.matched_song_ids) == song_ids[:3]


async def test_prediction_accuracy_without_an_actual_setlist_fails(clients, world):
    _, _, show, _ = await world.voting_setup()

    await expect_error(
        clients.anonymous().GetPredictionAccuracy(
            api.GetPredictionAccuracyRequest(show_id=show.id)
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="SETLISTS_MISSING",
    )


async def test_prediction_accuracy_for_a_support_act(clients, world):
    headliner, support = await world.artist(), await world.artist()
    support_songs = await world.songs(support, ["S1", "S2"])
    show = await world.show(headliner, await world.venue(), support=[support.id])
    await world.predicted(show, support, support_songs)
    await _record_actual(clients, show, support, [api.ActualSongInput(title="S2")])

    accuracy = await clients.anonymous().GetPredictionAccuracy(
        api.GetPredictionAccuracyRequest(show_id=show.id, artist_id=support.id)
    )

    assert accuracy.artist_id == support.id
    assert (accuracy.predicted_count, accuracy.actual_count, accuracy.matched_count) == (2, 1, 1)
    assert accuracy.precision == pytest.approx(0.5)
    assert accuracy.recall == pytest.approx(1.0)


async def test_a_reprise_keeps_one_entry_per_song(clients, world):
    artist = await world.artist()
    [anthem] = await world.songs(artist, ["Anthem"])
    show = await world.show(artist, await world.venue())

    actual = await _record_actual(
        clients,
        show,
        artist,
        [
            api.ActualSongInput(title="Anthem"),
            api.ActualSongInput(title="Other"),
            api.ActualSongInput(title="Anthem (Reprise)"),
            api.ActualSongInput(title="anthem", encore=1),
        ],
    )

    assert [s.position for s in actual.songs] == [1, 2, 3]
    assert [s.song_id for s in actual.songs].count(anthem) == 1
    assert actual.songs[0].song_id == anthem


async def test_actual_titles_match_catalog_titles_written_with_and_or_ampersand(clients, world):
    artist = await world.artist()
    [rock_and_roll] = await world.songs(artist, ["Rock & Roll"])
    show = await world.show(artist, await world.venue())

    actual = await _record_actual(
        clients, show, artist, [api.ActualSongInput(title="Rock and Roll")]
    )

    assert [s.song_id for s in actual.songs] == [rock_and_roll]


async def test_a_batch_seed_fills_every_show_once_and_leaves_locked_predictions_alone(
    clients, world
):
    artist = await world.artist()
    song_ids = await world.songs(artist, ["One", "Two", "Three"])
    venue_id = await world.venue()
    shows = [await world.show(artist, venue_id, local_date=future(10 + i)) for i in range(3)]
    service = clients.service()
    # The last show's prediction is final: it already has an actual setlist.
    await world.predicted(shows[2], artist, song_ids[:1])
    await service.UpsertActualSetlist(
        api.UpsertActualSetlistRequest(
            show_id=shows[2].id, artist_id=artist.id, songs=[api.ActualSongInput(title="One")]
        )
    )
    request = api.BatchSeedPredictedSetlistsRequest(
        artist_id=artist.id, show_ids=[s.id for s in shows], song_ids=song_ids
    )

    first = await service.BatchSeedPredictedSetlists(request)
    again = await service.BatchSeedPredictedSetlists(request)

    assert first.songs_added == 6 and again.songs_added == 0
    assert list(first.locked_show_ids) == [shows[2].id] and first.setlist_ids[2] == ""
    for show, setlist_id in zip(shows[:2], first.setlist_ids[:2], strict=True):
        stored = (await service.GetSetlist(api.GetSetlistRequest(setlist_id=setlist_id))).setlist
        assert stored.show_id == show.id
        assert [e.song_id for e in stored.songs] == song_ids
        assert [e.position for e in stored.songs] == [1, 2, 3]


async def test_a_batch_seed_refuses_a_show_without_the_artist(clients, world):
    artist, other = await world.artist(), await world.artist()
    song_ids = await world.songs(artist, ["One"])
    show = await world.show(other, await world.venue())

    status = await expect_error(
        clients.service().BatchSeedPredictedSetlists(
            api.BatchSeedPredictedSetlistsRequest(
                artist_id=artist.id, show_ids=[show.id], song_ids=song_ids
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="show_ids[0]",
    )
    assert status is not None
