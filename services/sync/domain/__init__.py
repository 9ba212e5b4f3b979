"""Pure domain rules of the sync service: plain Python over upstream JSON, no I/O.

- `identity`: artist references, hard links, scored name matching across upstreams.
- `titles`: version qualifiers, re-issue markers and title keys of track and album names.
- `hygiene`: the studio catalog from an artist's Spotify albums and tracks.
- `showtimes`: Ticketmaster events as shows (local dates, zones, statuses, bills).
- `setlists`: setlist.fm setlists, links to catalog songs, matching to shows.
- `predictions`: seeding a predicted setlist from recent setlists and popularity.
"""
