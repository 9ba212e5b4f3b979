"""The embedded mode of `make run`: the same server over a SQLite file."""

from __future__ import annotations

from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc

from services.catalog import server as catalog_server
from services.catalog.settings import CatalogSettings
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.catalog.builders import World, future
from tests.catalog.feed_reader import collect_events

SECRET = "sqlite-mode-secret-of-at-least-32-bytes"


async def test_the_catalog_serves_its_whole_flow_on_sqlite(tmp_path):
    settings = CatalogSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/catalog.db",
        environment="test",
        auth_jwt_secret=SECRET,
    )
    catalog_server.migrate(settings)
    app = catalog_server.build(settings, address="127.0.0.1:0")
    await app.server.start()
    target = f"127.0.0.1:{app.port}"
    service_channel = create_channel(target, token=mint_token(SECRET, "sync", [Role.SERVICE]))
    user_channel = create_channel(target, token=mint_token(SECRET, "fan", [Role.USER]))
    try:
        world = World(catalog_pb2_grpc.CatalogServiceStub(service_channel))
        fan = catalog_pb2_grpc.CatalogServiceStub(user_channel)
        artist = await world.artist("Beyoncé")
        song_ids = await world.songs(artist, ["Halo", "Formation"])
        venue_id = await world.venue("The Forum")
        show = await world.show(artist, venue_id, local_date=future(10), local_time="22:30:00")
        setlist = await world.predicted(show, artist, song_ids)

        voted = await fan.CastVote(api.CastVoteRequest(setlist_song_id=setlist.songs[1].id))
        again = await fan.CastVote(api.CastVoteRequest(setlist_song_id=setlist.songs[1].id))
        followed = await fan.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))
        found = await fan.SearchArtists(api.SearchArtistsRequest(query="beyonce"))
        shows = await fan.ListShows(api.ListShowsRequest(artist_id=artist.id))
        events = await collect_events(world.service, quiet=0.5)

        assert (voted.upvotes, again.upvotes) == (1, 1)
        assert followed.artist.follower_count == 1
        assert found.matches[0].artist.id == artist.id
        assert [s.id for s in shows.shows] == [show.id]
        assert shows.shows[0].local_date == future(10)
        kinds = [e.WhichOneof("payload") for e in events]
        assert kinds.count("vote_cast") == 1 and kinds.count("follow_added") == 1
        assert [e.sequence for e in events] == sorted({e.sequence for e in events})
    finally:
        await service_channel.close()
        await user_channel.close()
        await app.server.stop(0)
        await app.engine.dispose()
