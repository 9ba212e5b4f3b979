"""The catalog's tables (schema "catalog"), as SQLAlchemy 2.0 declarative models.

Upstream ids are NULL (never '') when unknown, so their unique constraints
only bind real ids. Every relationship is loaded explicitly by the
repository: no lazy loads on async sessions.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.clock import utcnow
from shared.db import make_metadata, string_enum

SCHEMA = "catalog"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), onupdate=utcnow
    )


class ShowStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    RESCHEDULED = "rescheduled"


class SetlistKind(enum.StrEnum):
    PREDICTED = "predicted"
    ACTUAL = "actual"


class Artist(Timestamped, Base):
    __tablename__ = "artist"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    # shared.text.normalize(name): what search and the trigram index work on.
    search_name: Mapped[str] = mapped_column(String(300))
    spotify_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticketmaster_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    mbid: Mapped[str | None] = mapped_column(String(36), unique=True)
    genres: Mapped[list[str]] = mapped_column(JSON, default=list)
    image_url: Mapped[str | None] = mapped_column(Text)
    popularity: Mapped[int] = mapped_column(Integer, default=0)
    spotify_followers: Mapped[int] = mapped_column(BigInteger, default=0)
    follower_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_artist_name_id", "name", "id"),
        # Serves pg_trgm's % and <% operators in SearchArtists (PostgreSQL only).
        Index(
            "ix_artist_search_name_trgm",
            "search_name",
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )


class Song(Timestamped, Base):
    __tablename__ = "song"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(500))
    # shared.titles.song_key(title, covered artist): links setlist entries to songs.
    title_key: Mapped[str] = mapped_column(String(500))
    # The artist whose import created the song; keys non-catalog songs.
    primary_artist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artist.id", ondelete="CASCADE")
    )
    spotify_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    isrc: Mapped[str | None] = mapped_column(String(32), index=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    album_name: Mapped[str | None] = mapped_column(String(500))
    release_date: Mapped[str | None] = mapped_column(String(10))
    popularity: Mapped[int] = mapped_column(Integer, default=0)
    is_catalog: Mapped[bool] = mapped_column(Boolean, default=True)
    original_artist_name: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        # A song known only from setlists exists once per artist and title.
        Index(
            "uq_song_non_catalog_title",
            "primary_artist_id",
            "title_key",
            unique=True,
            postgresql_where=text("spotify_id IS NULL"),
            sqlite_where=text("spotify_id IS NULL"),
        ),
        Index("ix_song_primary_artist_id_title_key", "primary_artist_id", "title_key"),
    )


class ArtistSong(Base):
    __tablename__ = "artist_song"

    artist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artist.id", ondelete="CASCADE"), primary_key=True
    )
    song_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("song.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Venue(Timestamped, Base):
    __tablename__ = "venue"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    ticketmaster_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    setlistfm_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    city: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(String(64))
    country_code: Mapped[str | None] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(String(500))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    timezone: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_venue_name_id", "name", "id"),)


class Show(Timestamped, Base):
    __tablename__ = "show"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    ticketmaster_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    setlistfm_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    headliner_artist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artist.id", ondelete="CASCADE"), index=True
    )
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id", ondelete="RESTRICT"))
    # The venue's own calendar: a 22:30 show in Los Angeles stays on its date.
    local_date: Mapped[dt.date] = mapped_column(Date)
    local_time: Mapped[dt.time | None] = mapped_column(Time)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The UTC instant, derived from the three above when the time is known.
    starts_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[ShowStatus] = mapped_column(string_enum(ShowStatus, "show_status"))
    ticket_url: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_show_local_date_id", "local_date", "id"),
        Index("ix_show_venue_id_local_date", "venue_id", "local_date"),
    )


class ShowArtist(Base):
    __tablename__ = "show_artist"

    show_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("show.id", ondelete="CASCADE"), primary_key=True
    )
    artist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artist.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # 0 for the headliner, then support acts in billing order.
    position: Mapped[int] = mapped_column(Integer)


class Setlist(Timestamped, Base):
    __tablename__ = "setlist"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"))
    artist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artist.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SetlistKind] = mapped_column(string_enum(SetlistKind, "setlist_kind"))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(32))
    setlistfm_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("show_id", "artist_id", "kind"),)


class SetlistSong(Base):
    __tablename__ = "setlist_song"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    setlist_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("setlist.id", ondelete="CASCADE"))
    song_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("song.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    set_name: Mapped[str | None] = mapped_column(String(200))
    encore: Mapped[int] = mapped_column(Integer, default=0)
    is_tape: Mapped[bool] = mapped_column(Boolean, default=False)
    is_cover: Mapped[bool] = mapped_column(Boolean, default=False)
    cover_artist_name: Mapped[str | None] = mapped_column(String(300))
    info: Mapped[str | None] = mapped_column(Text)
    # Denormalised tally, kept equal to count(vote) in the voting transaction.
    upvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("setlist_id", "song_id"),
        UniqueConstraint("setlist_id", "position"),
    )


class Vote(Base):
    __tablename__ = "vote"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    setlist_song_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("setlist_song.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


class Follow(Base):
    __tablename__ = "follow"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    artist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artist.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )

    __table_args__ = (Index("ix_follow_user_id_created_at", "user_id", "created_at"),)


class OutboxEvent(Base):
    """A domain event, appended in the transaction of the change it describes."""

    __tablename__ = "outbox_event"

    # BIGINT identity on PostgreSQL; SQLite needs INTEGER PRIMARY KEY to get
    # its monotonic rowid (AUTOINCREMENT: never reused after deletes).
    sequence: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    # The Event oneof field name, e.g. "vote_cast"; payload is its JSON form.
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )

    __table_args__ = ({"sqlite_autoincrement": True},)
