"""Song keys without re-issue and featured-artist qualifiers, and covers keyed by artist.

`song.title_key` was `shared.text.normalize(title)`. It is now
`shared.titles.song_key(title, covered artist)`: the title rule sync matches
tracks by, so that a setlist's "Glass Highways" links to the catalog's "Glass
Highways (feat. X)" and "Static (Remastered)" to "Static"; and for a setlist-only
cover, the covered artist too, so covers of two artists' "Crazy" are two songs.
This recomputes the stored keys.

A setlist-only song (no Spotify id) is unique per artist and key. Where two of
them would now share a key, the later one keeps its old key (merging them would
move votes and setlist entries, which a migration should not decide); both stay
linkable by their exact titles.

The upgrade uses the current rule from `shared.titles`; the downgrade restores the
old one, frozen below.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from shared import text
from shared.titles import song_key

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 5_000


def _new_key(title: str, cover_artist: str | None) -> str:
    return song_key(title, cover_artist)


def _old_key(title: str, cover_artist: str | None) -> str:
    return text.normalize(title) or text.fold(title).strip()


def _song_table() -> sa.TableClause:
    schema = None if op.get_bind().dialect.name == "sqlite" else "catalog"
    return sa.table(
        "song",
        sa.column("id", sa.Uuid),
        sa.column("title", sa.String),
        sa.column("title_key", sa.String),
        sa.column("primary_artist_id", sa.Uuid),
        sa.column("spotify_id", sa.String),
        sa.column("original_artist_name", sa.String),
        schema=schema,
    )


def _rekey(key_of: Callable[[str, str | None], str]) -> None:
    bind = op.get_bind()
    song = _song_table()
    # Setlist-only keys in use, so a new key never collides with another such song.
    taken = {
        (artist_id, key)
        for artist_id, key in bind.execute(
            sa.select(song.c.primary_artist_id, song.c.title_key).where(song.c.spotify_id.is_(None))
        )
    }
    after = None
    while True:
        query = sa.select(song).order_by(song.c.id).limit(_CHUNK)
        if after is not None:
            query = query.where(song.c.id > after)
        rows = bind.execute(query).all()
        if not rows:
            return
        after = rows[-1].id
        changes = []
        for row in rows:
            # Only setlist-only songs are covers (catalog songs are the artist's own).
            cover_artist = row.original_artist_name if row.spotify_id is None else None
            key = key_of(row.title, cover_artist)
            if key == row.title_key:
                continue
            if row.spotify_id is None:
                if (row.primary_artist_id, key) in taken:
                    continue
                taken.discard((row.primary_artist_id, row.title_key))
                taken.add((row.primary_artist_id, key))
            changes.append({"song_id": row.id, "new_key": key})
        if changes:
            bind.execute(
                song.update()
                .where(song.c.id == sa.bindparam("song_id"))
                .values(title_key=sa.bindparam("new_key")),
                changes,
            )


def upgrade() -> None:
    _rekey(_new_key)


def downgrade() -> None:
    _rekey(_old_key)
