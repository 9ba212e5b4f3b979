"""Migration 0003 re-keys stored songs by shared.titles.song_key; going back to 0002 undoes it."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from services.catalog import models
from shared import db
from tests.support.servers import drop_database, fresh_database

INI = "services/catalog/alembic.ini"


async def _run(url: str, work):
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


async def test_song_keys_drop_qualifiers_and_come_back_on_downgrade(postgres_url):
    url = fresh_database(postgres_url, "catalog_title_keys")
    artist_id = uuid.uuid4()
    # (title, key stored by the old rule, Spotify id or None for a setlist-only song)
    songs = {
        "feat": (
            "Glass Highways (feat. Marigold Vance)",
            "glass highways feat marigold vance",
            "s1",
        ),
        "remaster": ("Static - 2011 Remaster", "static 2011 remaster", "s2"),
        "plain": ("Live Wire", "live wire", "s3"),
        # Two setlist-only songs that the new rule would give one key: the first to be
        # re-keyed takes it, the other keeps its old key rather than break uniqueness.
        "clash_a": ("Ghost Song", "ghost song", None),
        "clash_b": ("Ghost Song (Remastered)", "ghost song remastered", None),
        "cover": ("Crazy", "crazy", None),
    }
    covered = {"cover": "Gnarls Barkley"}
    ids = {name: uuid.uuid4() for name in songs}
    try:
        db.run_migrations(INI, url, models.SCHEMA)
        db.downgrade_migrations(INI, url, models.SCHEMA, revision="0002")

        def seed(connection):
            connection.execute(
                insert(models.Artist.__table__).values(
                    id=artist_id, slug="the-band", name="The Band", search_name="the band"
                )
            )
            connection.execute(
                insert(models.Song.__table__),
                [
                    {
                        "id": ids[name],
                        "title": title,
                        "title_key": key,
                        "primary_artist_id": artist_id,
                        "spotify_id": spotify_id,
                        "is_catalog": spotify_id is not None,
                        "original_artist_name": covered.get(name),
                    }
                    for name, (title, key, spotify_id) in songs.items()
                ],
            )

        def keys(connection) -> dict[str, str]:
            song = models.Song.__table__
            rows = dict(connection.execute(select(song.c.id, song.c.title_key)).all())
            return {name: rows[song_id] for name, song_id in ids.items()}

        await _run(url, seed)
        db.run_migrations(INI, url, models.SCHEMA)
        upgraded = await _run(url, keys)
        db.downgrade_migrations(INI, url, models.SCHEMA, revision="0002")
        downgraded = await _run(url, keys)
    finally:
        drop_database(url)

    assert upgraded["feat"] == "glass highways"
    assert upgraded["remaster"] == "static"
    assert upgraded["plain"] == "live wire"
    assert upgraded["cover"] == "crazy|gnarls barkley"
    assert {upgraded["clash_a"], upgraded["clash_b"]} == {"ghost song", "ghost song remastered"}
    assert downgraded == {name: key for name, (_, key, _) in songs.items()}
