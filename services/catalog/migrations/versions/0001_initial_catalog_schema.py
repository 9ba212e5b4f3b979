"""Initial catalog schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "artist",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("search_name", sa.String(length=300), nullable=False),
        sa.Column("spotify_id", sa.String(length=64), nullable=True),
        sa.Column("ticketmaster_id", sa.String(length=64), nullable=True),
        sa.Column("mbid", sa.String(length=36), nullable=True),
        sa.Column("genres", sa.JSON(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("popularity", sa.Integer(), nullable=False),
        sa.Column("spotify_followers", sa.BigInteger(), nullable=False),
        sa.Column("follower_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artist")),
        sa.UniqueConstraint("mbid", name=op.f("uq_artist_mbid")),
        sa.UniqueConstraint("slug", name=op.f("uq_artist_slug")),
        sa.UniqueConstraint("spotify_id", name=op.f("uq_artist_spotify_id")),
        sa.UniqueConstraint("ticketmaster_id", name=op.f("uq_artist_ticketmaster_id")),
        schema="catalog",
    )
    op.create_index("ix_artist_name_id", "artist", ["name", "id"], unique=False, schema="catalog")
    if op.get_bind().dialect.name == "postgresql":
        # Fuzzy search ranks by trigram similarity on the normalised name.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_artist_search_name_trgm",
            "artist",
            ["search_name"],
            schema="catalog",
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        )
    op.create_table(
        "outbox_event",
        sa.Column(
            "sequence",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_outbox_event")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_event_id")),
        schema="catalog",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "venue",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("ticketmaster_id", sa.String(length=64), nullable=True),
        sa.Column("setlistfm_id", sa.String(length=64), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue")),
        sa.UniqueConstraint("setlistfm_id", name=op.f("uq_venue_setlistfm_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_venue_slug")),
        sa.UniqueConstraint("ticketmaster_id", name=op.f("uq_venue_ticketmaster_id")),
        schema="catalog",
    )
    op.create_index("ix_venue_name_id", "venue", ["name", "id"], unique=False, schema="catalog")
    op.create_table(
        "follow",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("artist_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["catalog.artist.id"],
            name=op.f("fk_follow_artist_id_artist"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "artist_id", name=op.f("pk_follow")),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_catalog_follow_artist_id"),
        "follow",
        ["artist_id"],
        unique=False,
        schema="catalog",
    )
    op.create_index(
        "ix_follow_user_id_created_at",
        "follow",
        ["user_id", "created_at"],
        unique=False,
        schema="catalog",
    )
    op.create_table(
        "show",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("ticketmaster_id", sa.String(length=64), nullable=True),
        sa.Column("headliner_artist_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "upcoming",
                "completed",
                "cancelled",
                "postponed",
                "rescheduled",
                name="show_status",
                native_enum=False,
                schema="catalog",
            ),
            nullable=False,
        ),
        sa.Column("ticket_url", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["headliner_artist_id"],
            ["catalog.artist.id"],
            name=op.f("fk_show_headliner_artist_id_artist"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["catalog.venue.id"],
            name=op.f("fk_show_venue_id_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_show")),
        sa.UniqueConstraint("slug", name=op.f("uq_show_slug")),
        sa.UniqueConstraint("ticketmaster_id", name=op.f("uq_show_ticketmaster_id")),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_catalog_show_headliner_artist_id"),
        "show",
        ["headliner_artist_id"],
        unique=False,
        schema="catalog",
    )
    op.create_index(
        "ix_show_local_date_id",
        "show",
        ["local_date", "id"],
        unique=False,
        schema="catalog",
    )
    op.create_index(
        "ix_show_venue_id_local_date",
        "show",
        ["venue_id", "local_date"],
        unique=False,
        schema="catalog",
    )
    op.create_table(
        "song",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("title_key", sa.String(length=500), nullable=False),
        sa.Column("primary_artist_id", sa.Uuid(), nullable=False),
        sa.Column("spotify_id", sa.String(length=64), nullable=True),
        sa.Column("isrc", sa.String(length=32), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("album_name", sa.String(length=500), nullable=True),
        sa.Column("release_date", sa.String(length=10), nullable=True),
        sa.Column("popularity", sa.Integer(), nullable=False),
        sa.Column("is_catalog", sa.Boolean(), nullable=False),
        sa.Column("original_artist_name", sa.String(length=300), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["primary_artist_id"],
            ["catalog.artist.id"],
            name=op.f("fk_song_primary_artist_id_artist"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_song")),
        sa.UniqueConstraint("spotify_id", name=op.f("uq_song_spotify_id")),
        schema="catalog",
    )
    op.create_index(op.f("ix_catalog_song_isrc"), "song", ["isrc"], unique=False, schema="catalog")
    op.create_index(
        "ix_song_primary_artist_id_title_key",
        "song",
        ["primary_artist_id", "title_key"],
        unique=False,
        schema="catalog",
    )
    op.create_index(
        "uq_song_non_catalog_title",
        "song",
        ["primary_artist_id", "title_key"],
        unique=True,
        schema="catalog",
        postgresql_where=sa.text("spotify_id IS NULL"),
        sqlite_where=sa.text("spotify_id IS NULL"),
    )
    op.create_table(
        "artist_song",
        sa.Column("artist_id", sa.Uuid(), nullable=False),
        sa.Column("song_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["catalog.artist.id"],
            name=op.f("fk_artist_song_artist_id_artist"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["song_id"],
            ["catalog.song.id"],
            name=op.f("fk_artist_song_song_id_song"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("artist_id", "song_id", name=op.f("pk_artist_song")),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_catalog_artist_song_song_id"),
        "artist_song",
        ["song_id"],
        unique=False,
        schema="catalog",
    )
    op.create_table(
        "setlist",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("artist_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "predicted",
                "actual",
                name="setlist_kind",
                native_enum=False,
                schema="catalog",
            ),
            nullable=False,
        ),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("setlistfm_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["catalog.artist.id"],
            name=op.f("fk_setlist_artist_id_artist"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["catalog.show.id"],
            name=op.f("fk_setlist_show_id_show"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setlist")),
        sa.UniqueConstraint(
            "show_id",
            "artist_id",
            "kind",
            name=op.f("uq_setlist_show_id_artist_id_kind"),
        ),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_catalog_setlist_artist_id"),
        "setlist",
        ["artist_id"],
        unique=False,
        schema="catalog",
    )
    op.create_table(
        "show_artist",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("artist_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["catalog.artist.id"],
            name=op.f("fk_show_artist_artist_id_artist"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["show_id"],
            ["catalog.show.id"],
            name=op.f("fk_show_artist_show_id_show"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("show_id", "artist_id", name=op.f("pk_show_artist")),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_catalog_show_artist_artist_id"),
        "show_artist",
        ["artist_id"],
        unique=False,
        schema="catalog",
    )
    op.create_table(
        "setlist_song",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("setlist_id", sa.Uuid(), nullable=False),
        sa.Column("song_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("set_name", sa.String(length=200), nullable=True),
        sa.Column("encore", sa.Integer(), nullable=False),
        sa.Column("is_tape", sa.Boolean(), nullable=False),
        sa.Column("is_cover", sa.Boolean(), nullable=False),
        sa.Column("cover_artist_name", sa.String(length=300), nullable=True),
        sa.Column("info", sa.Text(), nullable=True),
        sa.Column("upvotes", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["setlist_id"],
            ["catalog.setlist.id"],
            name=op.f("fk_setlist_song_setlist_id_setlist"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["song_id"],
            ["catalog.song.id"],
            name=op.f("fk_setlist_song_song_id_song"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setlist_song")),
        sa.UniqueConstraint(
            "setlist_id", "position", name=op.f("uq_setlist_song_setlist_id_position")
        ),
        sa.UniqueConstraint(
            "setlist_id", "song_id", name=op.f("uq_setlist_song_setlist_id_song_id")
        ),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_catalog_setlist_song_song_id"),
        "setlist_song",
        ["song_id"],
        unique=False,
        schema="catalog",
    )
    op.create_table(
        "vote",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("setlist_song_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["setlist_song_id"],
            ["catalog.setlist_song.id"],
            name=op.f("fk_vote_setlist_song_id_setlist_song"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "setlist_song_id", name=op.f("pk_vote")),
        schema="catalog",
    )
    op.create_index(
        op.f("ix_catalog_vote_setlist_song_id"),
        "vote",
        ["setlist_song_id"],
        unique=False,
        schema="catalog",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_catalog_vote_setlist_song_id"), table_name="vote", schema="catalog")
    op.drop_table("vote", schema="catalog")
    op.drop_index(
        op.f("ix_catalog_setlist_song_song_id"),
        table_name="setlist_song",
        schema="catalog",
    )
    op.drop_table("setlist_song", schema="catalog")
    op.drop_index(
        op.f("ix_catalog_show_artist_artist_id"),
        table_name="show_artist",
        schema="catalog",
    )
    op.drop_table("show_artist", schema="catalog")
    op.drop_index(op.f("ix_catalog_setlist_artist_id"), table_name="setlist", schema="catalog")
    op.drop_table("setlist", schema="catalog")
    op.drop_index(
        op.f("ix_catalog_artist_song_song_id"),
        table_name="artist_song",
        schema="catalog",
    )
    op.drop_table("artist_song", schema="catalog")
    op.drop_index(
        "uq_song_non_catalog_title",
        table_name="song",
        schema="catalog",
        postgresql_where=sa.text("spotify_id IS NULL"),
        sqlite_where=sa.text("spotify_id IS NULL"),
    )
    op.drop_index("ix_song_primary_artist_id_title_key", table_name="song", schema="catalog")
    op.drop_index(op.f("ix_catalog_song_isrc"), table_name="song", schema="catalog")
    op.drop_table("song", schema="catalog")
    op.drop_index("ix_show_venue_id_local_date", table_name="show", schema="catalog")
    op.drop_index("ix_show_local_date_id", table_name="show", schema="catalog")
    op.drop_index(op.f("ix_catalog_show_headliner_artist_id"), table_name="show", schema="catalog")
    op.drop_table("show", schema="catalog")
    op.drop_index("ix_follow_user_id_created_at", table_name="follow", schema="catalog")
    op.drop_index(op.f("ix_catalog_follow_artist_id"), table_name="follow", schema="catalog")
    op.drop_table("follow", schema="catalog")
    op.drop_index("ix_venue_name_id", table_name="venue", schema="catalog")
    op.drop_table("venue", schema="catalog")
    op.drop_table("outbox_event", schema="catalog")
    op.drop_index("ix_artist_name_id", table_name="artist", schema="catalog")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_artist_search_name_trgm", table_name="artist", schema="catalog")
    op.drop_table("artist", schema="catalog")
