"""The demo dataset: six fictional artists built to exercise every import rule.

`python -m fakes.demo [DIR]` writes it as JSON (default fakes/data/demo); the
fakes load those files. Each artist's reason to exist is in its builder below,
and `expected.json` records what a correct import of it yields.
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fakes.builder import Builder, Place, Recording, song
from fakes.dataset import DEMO_DIR, Dataset

# Venues: Americas (late shows that cross midnight UTC), Europe, Asia, Oceania.
# fmt: off
P = {
    p.key: p
    for p in [
        Place("greek-la", "The Greek Theatre", "Los Angeles", "US", "United States Of America", "America/Los_Angeles", 34.1197, -118.2965, "CA", "California", "2700 N Vermont Ave", "90027"),
        Place("palladium-la", "Hollywood Palladium", "Los Angeles", "US", "United States Of America", "America/Los_Angeles", 34.0981, -118.3243, "CA", "California", "6215 Sunset Blvd", "90028"),
        Place("fillmore-sf", "The Fillmore", "San Francisco", "US", "United States Of America", "America/Los_Angeles", 37.7840, -122.4330, "CA", "California", "1805 Geary Blvd", "94115"),
        Place("paramount-sea", "Paramount Theatre", "Seattle", "US", "United States Of America", "America/Los_Angeles", 47.6134, -122.3316, "WA", "Washington", "911 Pine St", "98101"),
        Place("crystal-pdx", "Crystal Ballroom", "Portland", "US", "United States Of America", "America/Los_Angeles", 45.5229, -122.6837, "OR", "Oregon", "1332 W Burnside St", "97209"),
        Place("rawhide-phx", "Arizona Financial Theatre", "Phoenix", "US", "United States Of America", "America/Phoenix", 33.4457, -112.0712, "AZ", "Arizona", "400 W Washington St", "85003"),
        Place("redrocks", "Red Rocks Amphitheatre", "Morrison", "US", "United States Of America", "America/Denver", 39.6654, -105.2057, "CO", "Colorado", "18300 W Alameda Pkwy", "80465"),
        Place("riviera-chi", "Riviera Theatre", "Chicago", "US", "United States Of America", "America/Chicago", 41.9686, -87.6597, "IL", "Illinois", "4746 N Racine Ave", "60640"),
        Place("terminal5-nyc", "Terminal 5", "New York", "US", "United States Of America", "America/New_York", 40.7697, -73.9927, "NY", "New York", "610 W 56th St", "10019"),
        Place("orpheum-bos", "Orpheum Theatre", "Boston", "US", "United States Of America", "America/New_York", 42.3559, -71.0606, "MA", "Massachusetts", "1 Hamilton Pl", "02108"),
        Place("hollywoodbowl", "Hollywood Bowl", "Los Angeles", "US", "United States Of America", "America/Los_Angeles", 34.1122, -118.3391, "CA", "California", "2301 N Highland Ave", "90068"),
        Place("metropolis-mtl", "MTELUS", "Montréal", "CA", "Canada", "America/Toronto", 45.5105, -73.5636, "QC", "Quebec", "59 Rue Sainte-Catherine E", "H2X 1K5"),
        Place("brixton", "O2 Academy Brixton", "London", "GB", "Great Britain", "Europe/London", 51.4652, -0.1149, None, None, "211 Stockwell Rd", "SW9 9SL"),
        Place("olympia", "L'Olympia", "Paris", "FR", "France", "Europe/Paris", 48.8702, 2.3283, None, None, "28 Boulevard des Capucines", "75009"),
        Place("columbiahalle", "Columbiahalle", "Berlin", "DE", "Germany", "Europe/Berlin", 52.4851, 13.3885, None, None, "Columbiadamm 13-21", "10965"),
        Place("paradiso", "Paradiso", "Amsterdam", "NL", "Netherlands", "Europe/Amsterdam", 52.3622, 4.8838, None, None, "Weteringschans 6-8", "1017 SG"),
        Place("lariviera", "La Riviera", "Madrid", "ES", "Spain", "Europe/Madrid", 40.4117, -3.7225, None, None, "Paseo Bajo de la Virgen del Puerto", "28005"),
        Place("coliseu", "Coliseu dos Recreios", "Lisbon", "PT", "Portugal", "Europe/Lisbon", 38.7146, -9.1402, None, None, "R. das Portas de Santo Antão 96", "1150-269"),
        Place("budokan", "Nippon Budokan", "Tokyo", "JP", "Japan", "Asia/Tokyo", 35.6933, 139.7499, None, None, "2-3 Kitanomaru-koen", "102-8321"),
        Place("zepp-osaka", "Zepp Osaka Bayside", "Osaka", "JP", "Japan", "Asia/Tokyo", 34.6654, 135.4330, None, None, "1-1-7 Sakurajima", "554-0031"),
        Place("yes24-seoul", "YES24 Live Hall", "Seoul", "KR", "Korea, Republic of", "Asia/Seoul", 37.5446, 127.1040, None, None, "20 Gwangnaru-ro 56-gil", "05116"),
        Place("legacy-taipei", "Legacy Taipei", "Taipei", "TW", "Taiwan", "Asia/Taipei", 25.0441, 121.5293, None, None, "No. 1 Bade Rd", "100"),
        Place("hordern", "Hordern Pavilion", "Sydney", "AU", "Australia", "Australia/Sydney", -33.8925, 151.2247, "NSW", "New South Wales", "1 Driver Ave", "2021"),
        Place("waikiki-shell", "Waikiki Shell", "Honolulu", "US", "United States Of America", "Pacific/Honolulu", 21.2680, -157.8200, "HI", "Hawaii", "2805 Monsarrat Ave", "96815"),
        Place("dockside", "Dockside Field", "Long Beach", "US", "United States Of America", "America/Los_Angeles", 33.7600, -118.1900, "CA", "California", "1 Harbor Plaza", "90802"),
    ]
}
# fmt: on

WEST_COAST = [
    "greek-la",
    "palladium-la",
    "fillmore-sf",
    "paramount-sea",
    "crystal-pdx",
    "hollywoodbowl",
]
REST_OF_US = [
    "rawhide-phx",
    "redrocks",
    "riviera-chi",
    "terminal5-nyc",
    "orpheum-bos",
    "metropolis-mtl",
]
EUROPE = ["brixton", "olympia", "columbiahalle", "paradiso", "lariviera", "coliseu"]
ASIA_PACIFIC = ["budokan", "zepp-osaka", "yes24-seoul", "legacy-taipei", "hordern", "waikiki-shell"]

WORDS_A = [
    "Paper",
    "Neon",
    "Silver",
    "Quiet",
    "Golden",
    "Broken",
    "Hollow",
    "Electric",
    "Velvet",
    "Crimson",
    "Northern",
    "Wild",
    "Distant",
    "Burning",
    "Frozen",
    "Secret",
    "Empty",
    "Painted",
    "Restless",
    "Falling",
]
WORDS_B = [
    "Satellites",
    "Harbor",
    "Rivers",
    "Engines",
    "Highway",
    "Lanterns",
    "Mirrors",
    "Avenues",
    "Signals",
    "Horizons",
    "Gardens",
    "Shadows",
    "Canyons",
    "Voices",
    "Summers",
    "Windows",
    "Oceans",
    "Letters",
    "Stations",
    "Bridges",
]


def titles(seed: str, count: int, taken: set[str]) -> list[str]:
    """`count` distinct two-word titles not yet taken, deterministic per seed."""
    if count > len(WORDS_A) * len(WORDS_B) - len(taken):
        raise ValueError(f"only {len(WORDS_A) * len(WORDS_B)} two-word titles exist")
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        title = f"{rng.choice(WORDS_A)} {rng.choice(WORDS_B)}"
        if title not in taken:
            taken.add(title)
            found.append(title)
    return found


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def build() -> Dataset:
    """Build the whole demo dataset."""
    b = Builder()
    expected: dict[str, dict[str, Any]] = {}
    covered = {
        "rolling_bones": b.sf_artist("rolling-bones", "The Rolling Bones", "Rolling Bones, The"),
        "marigold": b.sf_artist("marigold-vance", "Marigold Vance", "Vance, Marigold"),
        "jacques": b.sf_artist(
            "jacques-morel", "Jacques Morel", "Morel, Jacques", "French chanson singer"
        ),
    }
    refs = {key: b.sf_artist_ref(mbid) for key, mbid in covered.items()}
    support = b.attraction("glass-coyotes", "Glass Coyotes", genre="Alternative")

    halcyon = _halcyon_drive(b, refs, support)
    chloe = _chloe(b, refs)
    yoake = _yoake(b, refs)
    the_meridian, meridian = _meridians(b, refs)
    quiet = _quiet_harbor(b)
    festival = [halcyon["attraction"], the_meridian["attraction"], chloe["attraction"]]
    b.event(
        "coastline-2027",
        "Coastline Festival 2027",
        festival,
        P["dockside"],
        date(2027, 8, 14),
        "12:00:00",
        info="Gates open at 11:00. All ages.",
    )

    b.dataset.reindex()
    artists = {
        "halcyon_drive": halcyon,
        "chloe_saint_emile": chloe,
        "yoake_no_machi": yoake,
        "the_meridian": the_meridian,
        "meridian": meridian,
        "quiet_harbor": quiet,
    }
    for key, facts in artists.items():
        artist_id = facts["spotify_id"]
        events = b.dataset.events_of(facts["attraction"])
        expected[key] = {
            "spotify_id": artist_id,
            "attraction_id": facts["attraction"],
            "mbid": facts["mbid"],
            "releases": sum(
                1 for g, _ in b.dataset.albums_of(artist_id) if g in ("album", "single")
            ),
            "studio_songs": len(b.studio_songs(artist_id)),
            "events": len(events),
            "venues": len({e.venue_id for e in events}),
            "setlists": len(b.dataset.setlists_of(facts["mbid"])),
            "empty_setlists": sum(1 for s in b.dataset.setlists_of(facts["mbid"]) if not s.sets),
        }
    b.dataset.expected = expected
    return b.dataset


def _setlists(
    b: Builder,
    key: str,
    mbid: str,
    songs: list[str],
    places: list[str],
    start: date,
    count: int,
    tour: str,
    covers: list[tuple[str, dict[str, Any]]],
    empty_every: int,
) -> None:
    """Past setlists every ~3 weeks back from `start`: encores, covers, tapes, some empty."""
    rng = random.Random("setlists:" + key)
    for n in range(count):
        day = start - timedelta(days=21 * n + rng.randint(0, 5))
        place = P[places[n % len(places)]]
        if n % empty_every == empty_every - 1:
            b.setlist(f"{key}:{n}", mbid, place, day, [], tour=tour)  # nobody has entered it yet
            continue
        picked = rng.sample(songs, min(len(songs), 14))
        # Fans type titles loosely: every seventh one differs in case from the catalog.
        main = [song(t.lower() if i % 7 == 3 else t) for i, t in enumerate(picked[:11])]
        main.insert(0, song("Intro", tape=True))
        cover_title, cover_artist = covers[n % len(covers)]
        main.insert(
            6, song(cover_title, cover=cover_artist, info="acoustic" if n % 3 == 0 else None)
        )
        sets: list[dict[str, Any]] = [
            {"song": main},
            {"encore": 1, "song": [song(t) for t in picked[11:13]]},
        ]
        if n % 4 == 0:
            sets.append({"encore": 2, "song": [song(picked[13]), song("Outro", tape=True)]})
        info = "Soundcheck was open to fans." if n % 11 == 5 else None
        b.setlist(f"{key}:{n}", mbid, place, day, sets, tour=tour, info=info)


def _halcyon_drive(b: Builder, refs: dict[str, dict[str, Any]], support: str) -> dict[str, Any]:
    """Big catalog over several pages, every re-issue kind, tricky titles, a 260-show tour."""
    artist = b.spotify_artist(
        "halcyon-drive", "Halcyon Drive", ["alternative rock", "indie rock"], 71, 1_284_512
    )
    A = [artist]
    taken: set[str] = set()
    names = [
        "Static Bloom",
        "Coastal Engines",
        "Northern Lights",
        "Glass Highways",
        "Paper Satellites",
        "Midnight Cartography",
        "Velvet Transmission",
        "Harbor of Ghosts",
        "Small Hours",
        "Afterglow Machine",
    ]
    dates = [
        ("2002", "year"),
        ("2004-03", "month"),
        ("2006-09-12", "day"),
        ("2009-05-19", "day"),
        ("2011-10-04", "day"),
        ("2014-04-22", "day"),
        ("2017-08-25", "day"),
        ("2020-02-07", "day"),
        ("2022-11-18", "day"),
        ("2025-02-14", "day"),
    ]
    # Studio songs whose titles look like live, demo or radio versions but are not.
    tricky = {
        (2, 3): "Live Wire",
        (5, 1): "Live and Let Die",
        (6, 4): "Radio Ga Ga",
        (3, 6): "Demolition",
        (1, 8): "Alive",
    }
    studio: list[list[Recording]] = []
    for n, (day, _) in enumerate(dates):
        recs = []
        for t, title in enumerate(titles(f"halcyon:{n}", 11, taken)):
            title = tricky.get((n, t), title)
            taken.add(title)
            recs.append(b.recording(title, year=int(day[:4]), seed="hd", explicit=(n + t) % 9 == 0))
        studio.append(recs)
    for n, (name, (day, precision)) in enumerate(zip(names, dates, strict=True)):
        b.album(f"hd:{n}", name, A, "album", day, [studio[n]], precision=precision)
        # Lead singles re-issue album recordings (same ISRC) before the album.
        for k in range(3):
            rec = studio[n][k * 3]
            single_day = _shift(day, 30 * (3 - k)) if precision == "day" else day
            b.album(
                f"hd:{n}:single:{k}",
                rec.title,
                A,
                "single",
                single_day,
                [[rec]],
                precision=precision,
            )

    # Remaster with new ISRCs: only normalized title + duration reveals the duplicate.
    remastered = [
        b.recording(
            f"{r.title} - Remastered 2011", song=r.song, duration_ms=r.duration_ms, year=2011
        )
        for r in studio[0]
    ]
    b.album(
        "hd:remaster:0", "Static Bloom (Remastered 2011)", A, "album", "2011-06-01", [remastered]
    )
    # Remaster that keeps the ISRCs: deduplicated by ISRC.
    same_isrc = [
        Recording(f"{r.title} - 2019 Remaster", r.isrc, r.duration_ms, r.song) for r in studio[1]
    ]
    b.album(
        "hd:remaster:1", "Coastal Engines (2019 Remaster)", A, "album", "2019-03-08", [same_isrc]
    )

    # Deluxe: originals, one new studio bonus track, demos and live versions.
    deluxe_bonus = [
        b.recording("Lanterns", year=2016),
        *[b.recording(f"{r.title} - Demo", song=None, year=2016) for r in studio[2][:3]],
        *[
            b.recording(f"{r.title} - Live at The Fillmore, 2006", song=None, year=2016)
            for r in studio[2][3:5]
        ],
    ]
    b.album(
        "hd:deluxe:2",
        "Northern Lights (Deluxe Edition)",
        A,
        "album",
        "2016-09-09",
        [studio[2], deluxe_bonus],
    )
    # Super deluxe: four discs and more than 50 tracks, so its tracks span two pages.
    catalog = [r for recs in studio for r in recs]
    disc2 = [b.recording(f"{r.title} - Demo", song=None, year=2021) for r in studio[4]]
    disc2 += [b.recording(f"Untitled {n} (Demo)", song=None, year=2021) for n in range(1, 6)]
    disc2 += [b.recording("Satellite Dreams", year=2021), b.recording("Orbit Lane", year=2021)]
    disc3 = [
        b.recording(f"{r.title} - Live at Red Rocks", song=None, year=2021) for r in catalog[::8]
    ]
    disc4 = [b.recording(f"{r.title} - BBC Session", song=None, year=2021) for r in catalog[3::11]]
    b.album(
        "hd:deluxe:4",
        "Paper Satellites (Super Deluxe Edition)",
        A,
        "album",
        "2021-10-01",
        [studio[4], disc2, disc3, disc4],
    )

    # Live albums: plain titles, new ISRCs, other durations; only the album name says "live".
    red_rocks = [b.recording(r.title, song=None, year=2022) for r in catalog[::7]]
    b.album("hd:live:0", "Live at Red Rocks", A, "album", "2022-08-05", [red_rocks])
    troubadour = [b.recording(r.title, song=None, year=2013) for r in catalog[2:40:4]]
    b.album("hd:live:1", "Unplugged at the Troubadour", A, "album", "2013-04-16", [troubadour])

    # Singles that are not on any album (one seasonal), and a live single of a tricky title.
    for k, (title, day) in enumerate(
        [
            ("Northbound Train", "2008-07-11"),
            ("Snowfall on Main Street", "2015-12-04"),
            ("Open Water", "2023-06-30"),
            ("Signal Fire", "2026-10-02"),
        ]
    ):
        b.album(
            f"hd:nonalbum:{k}", title, A, "single", day, [[b.recording(title, year=int(day[:4]))]]
        )
    live_wire = b.recording("Live Wire - Live from Abbey Road", song=None, year=2018)
    b.album(
        "hd:live-single",
        "Live Wire (Live from Abbey Road)",
        A,
        "single",
        "2018-03-02",
        [[live_wire]],
    )

    # Skipped by default: a compilation (one song exists only there) and an appearance.
    hits = catalog[::6] + [b.recording("Lost Frequency", year=2024)]
    b.album("hd:comp:0", "Greatest Hits 2002–2025", A, "compilation", "2025-11-07", [hits])
    various = b.spotify_artist("various-artists", "Various Artists", [], 0, 0)
    b.album(
        "hd:appears:0",
        "Songs for the Coast: A Benefit Album",
        [various],
        "compilation",
        "2019-09-20",
        [[b.recording("Harbor Song", year=2019, artist_ids=(artist,))]],
    )

    mbid = b.sf_artist(
        "halcyon-drive",
        "Halcyon Drive",
        "Halcyon Drive",
        "US alternative rock band",
        tmid=1_523_004,
    )
    attraction = b.attraction(
        "halcyon-drive",
        "Halcyon Drive",
        [artist],
        [mbid],
        "Alternative",
        "https://halcyondrive.example",
    )
    _halcyon_tour(b, attraction, support)
    songs = sorted({r.title for r in catalog})
    covers = [("Paint It Grey", refs["rolling_bones"]), ("Wildflower Road", refs["marigold"])]
    _setlists(
        b,
        "hd",
        mbid,
        songs,
        WEST_COAST + REST_OF_US + EUROPE,
        date(2026, 11, 20),
        45,
        "Afterglow Machine Tour",
        covers,
        empty_every=11,
    )
    # An unreleased song and a guest appearance, as setlists often have.
    last = b.dataset.setlists_of(mbid)[0]
    last.sets[0]["song"].append(song("Everything After", info="live debut"))
    last.sets[0]["song"].append(song("Northbound Train", with_=refs["marigold"]))
    return {"spotify_id": artist, "attraction": attraction, "mbid": mbid}


def _halcyon_tour(b: Builder, attraction: str, support: str) -> None:
    """260 shows from December 2026: statuses, late West Coast shows, missing times and zones."""
    legs = [WEST_COAST, REST_OF_US, EUROPE, ASIA_PACIFIC]
    day = date(2026, 12, 1)
    for n in range(260):
        leg = legs[(n // 20) % len(legs)]
        place = P[leg[n % len(leg)]]
        extra: dict[str, Any] = {}
        local_time: str | None = "20:00:00"
        if place.timezone == "America/Los_Angeles" and n % 3 == 0:
            local_time = "22:30:00"  # a late show: already the next day in UTC
        if n % 50 == 7:
            extra["status"] = "cancelled"
        elif n % 50 == 21:
            extra["status"] = "canceled"  # both spellings occur live
        elif n % 50 == 33:
            extra.update(status="postponed", time_tba=True)
            local_time = None
        elif n % 50 == 42:
            extra.update(
                status="rescheduled",
                info=f"Rescheduled from {(day - timedelta(days=60)).isoformat()}. Original tickets remain valid.",
            )
        elif n % 40 == 39:
            extra["status"] = "offsale"
        if n % 17 == 5:
            extra["timezone_in_dates"] = False
        if n % 29 == 11 and "status" not in extra:
            extra.update(time_tba=True, no_specific_time=True)
            local_time = None
        if n % 10 == 0:
            extra["price_ranges"] = [
                {
                    "type": "standard",
                    "currency": "USD" if place.country_code == "US" else "EUR",
                    "min": 45.0,
                    "max": 129.5,
                }
            ]
        attractions = [attraction, support] if n % 4 == 1 else [attraction]
        b.event(
            f"hd:{n}",
            "Halcyon Drive: Afterglow Machine Tour",
            attractions,
            place,
            day,
            local_time,
            **extra,
        )
        day += timedelta(days=2 if n % 5 else 3)


def _chloe(b: Builder, refs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Accented names and titles, a French deluxe and live album, shows in Europe and Montréal."""
    artist = b.spotify_artist(
        "chloe-saint-emile", "Chloé Saint-Émile", ["french pop", "chanson"], 58, 214_377
    )
    A = [artist]
    albums = {
        "Lumière": (
            "2016-03-18",
            [
                "Café de l'Aube",
                "Élan",
                "Rêverie",
                "Les Étoiles du Nord",
                "Ça ira",
                "Déjà Vu",
                "Noël en Été",
                "Où es-tu ?",
                "Fenêtre Ouverte",
                "L'Éphémère",
            ],
        ),
        "Rive Gauche": (
            "2019-10-11",
            [
                "Saint-Germain",
                "Brûler les Ponts",
                "Pièce Montée",
                "Mélancolie Douce",
                "Garçon Manqué",
                "Été Indien",
                "Ciel de Lyon",
                "Bâtiment B",
                "Une Fois Encore",
                "Crème Brûlée",
            ],
        ),
        "Été Indien": (
            "2023-06-02",
            [
                "Soleil Noir",
                "Forêt",
                "Jusqu'à l'Aube",
                "Mistral",
                "Café Crème",
                "Hôtel du Nord",
                "Ailleurs",
                "Éclipse",
                "Naïve",
                "Dernière Danse",
            ],
        ),
    }
    studio: dict[str, list[Recording]] = {}
    for n, (name, (day, song_titles)) in enumerate(albums.items()):
        studio[name] = [b.recording(t, year=int(day[:4]), seed="ch") for t in song_titles]
        b.album(f"ch:{n}", name, A, "album", day, [studio[name]], label="Disques Imaginaires")
        for k in (0, 4):
            rec = studio[name][k]
            b.album(
                f"ch:{n}:single:{k}",
                rec.title,
                A,
                "single",
                _shift(day, 40 - k),
                [[rec]],
                label="Disques Imaginaires",
            )
    bonus = [
        b.recording("Minuit à Montmartre", year=2017),
        b.recording("Le Pont des Arts", year=2017),
        b.recording("Élan - Live à l'Olympia", song=None, year=2017),
    ]
    b.album(
        "ch:deluxe",
        "Lumière (Édition Deluxe)",
        A,
        "album",
        "2017-04-07",
        [studio["Lumière"], bonus],
        label="Disques Imaginaires",
    )
    live = [b.recording(r.title, song=None, year=2024) for r in studio["Rive Gauche"][:8]]
    b.album(
        "ch:live", "Live à l'Olympia", A, "album", "2024-05-17", [live], label="Disques Imaginaires"
    )
    b.album(
        "ch:noel",
        "Noël à Paris",
        A,
        "single",
        "2021-12-03",
        [[b.recording("Noël à Paris", year=2021)]],
        label="Disques Imaginaires",
    )

    mbid = b.sf_artist("chloe-saint-emile", "Chloé Saint-Émile", "Saint-Émile, Chloé")
    attraction = b.attraction("chloe-saint-emile", "Chloé Saint-Émile", [artist], [mbid], "Pop")
    places = [
        "olympia",
        "columbiahalle",
        "brixton",
        "paradiso",
        "coliseu",
        "metropolis-mtl",
        "lariviera",
    ]
    for n in range(14):
        extra: dict[str, Any] = {"status": "canceled"} if n == 9 else {}
        b.event(
            f"ch:{n}",
            "Chloé Saint-Émile – Tournée Été Indien",
            [attraction],
            P[places[n % len(places)]],
            date(2027, 2, 3) + timedelta(days=4 * n),
            "21:00:00" if n % 2 else "20:30:00",
            **extra,
        )
    songs = [r.title for recs in studio.values() for r in recs]
    _setlists(
        b,
        "ch",
        mbid,
        songs,
        ["olympia", "columbiahalle", "brixton", "coliseu"],
        date(2026, 10, 30),
        12,
        "Tournée Été Indien",
        [("La Vie Grise", refs["jacques"])],
        empty_every=12,
    )
    return {"spotify_id": artist, "attraction": attraction, "mbid": mbid}


def _yoake(b: Builder, refs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A non-Latin name, Japanese titles, double encores, shows in Asia and a late one in LA."""
    artist = b.spotify_artist(
        "yoake-no-machi", "夜明けの街", ["j-rock", "japanese indie"], 49, 98_020
    )
    A = [artist]
    nouns = ["星", "海", "風", "夢", "街", "空", "花", "雨", "光", "月", "道", "朝"]
    tails = ["の歌", "のワルツ", "を待って", "に還る"]
    all_titles = [n + t for t in tails for n in nouns]  # 48 distinct titles
    albums = [
        ("青い夜", "2015-07-08"),
        ("夜明け前", "2017-09-13"),
        ("光の街", "2020-11-25"),
        ("さよならの海", "2024-04-10"),
    ]
    catalog = []
    for n, (name, day) in enumerate(albums):
        recs = [
            b.recording(t, year=int(day[:4]), seed="ym") for t in all_titles[12 * n : 12 * n + 12]
        ]
        catalog += recs
        b.album(f"ym:{n}", name, A, "album", day, [recs], label="架空レコード")
        b.album(
            f"ym:{n}:single",
            recs[0].title,
            A,
            "single",
            _shift(day, 45),
            [[recs[0]]],
            label="架空レコード",
        )
    live = b.recording(f"{catalog[5].title} (Live at Budokan)", song=None, year=2025)
    b.album(
        "ym:live-single",
        f"{catalog[5].title} (Live at Budokan)",
        A,
        "single",
        "2025-01-22",
        [[live]],
        label="架空レコード",
    )

    mbid = b.sf_artist("yoake-no-machi", "夜明けの街", "Yoake no Machi", "Japanese rock band")
    attraction = b.attraction(
        "yoake-no-machi", "夜明けの街 (Yoake no Machi)", [artist], [mbid], "Rock"
    )
    shows = [
        ("budokan", "18:30:00"),
        ("zepp-osaka", "19:00:00"),
        ("budokan", "18:00:00"),
        ("yes24-seoul", "19:30:00"),
        ("legacy-taipei", "20:00:00"),
        ("zepp-osaka", "18:30:00"),
        ("budokan", "17:00:00"),
        ("palladium-la", "22:30:00"),
        ("waikiki-shell", "20:00:00"),
        ("zepp-osaka", "19:00:00"),
        ("budokan", "18:30:00"),
        ("yes24-seoul", None),
    ]
    for n, (key, at) in enumerate(shows):
        extra: dict[str, Any] = {"time_tba": True} if at is None else {}
        if n == 4:
            extra["status"] = "postponed"
        b.event(
            f"ym:{n}",
            "夜明けの街 TOUR 2027「光の街」",
            [attraction],
            P[key],
            date(2027, 4, 2) + timedelta(days=6 * n),
            at,
            **extra,
        )
    _setlists(
        b,
        "ym",
        mbid,
        [r.title for r in catalog],
        ["budokan", "zepp-osaka", "yes24-seoul"],
        date(2026, 9, 12),
        10,
        "TOUR 2026「さよならの海」",
        [("Paint It Grey", refs["rolling_bones"])],
        empty_every=10,
    )
    return {"spotify_id": artist, "attraction": attraction, "mbid": mbid}


def _meridians(
    b: Builder, refs: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """ "The Meridian" and "Meridian": similar names, weak links, shared bills, a third namesake."""
    the_id = b.spotify_artist(
        "the-meridian", "The Meridian", ["indie rock", "americana"], 62, 402_117
    )
    solo_id = b.spotify_artist("meridian", "Meridian", ["electronica"], 44, 61_905)
    taken: set[str] = {"Parallel Lines"}
    the_catalog: list[Recording] = []
    for n, day in enumerate(["2012-05-01", "2015-09-18", "2019-03-29", "2023-10-13"]):
        recs = [
            b.recording(t, year=int(day[:4]), seed="tm") for t in titles(f"meridian:{n}", 10, taken)
        ]
        if n == 2:
            recs[4] = b.recording("Parallel Lines", year=2019, seed="tm")
        the_catalog += recs
        b.album(
            f"tm:{n}",
            ["Westbound", "Long Division", "Parallel Lines", "Coast to Coast"][n],
            [the_id],
            "album",
            day,
            [recs],
        )
        if n in (1, 3):
            b.album(
                f"tm:{n}:single", recs[1].title, [the_id], "single", _shift(day, 21), [[recs[1]]]
            )
    solo_catalog: list[Recording] = []
    for n, day in enumerate(["2018-06-15", "2022-02-25"]):
        recs = [
            b.recording(t, year=int(day[:4]), seed="me")
            for t in titles(f"meridian-duo:{n}", 8, taken)
        ]
        if n == 1:
            recs[2] = b.recording(
                "Parallel Lines", year=2022, seed="me"
            )  # same title, other artist
        solo_catalog += recs
        b.album(
            f"me:{n}",
            ["Subharmonic", "Night Bus"][n],
            [solo_id],
            "album",
            day,
            [recs],
            label="Imaginary Electronics",
        )
        b.album(
            f"me:{n}:single",
            recs[0].title,
            [solo_id],
            "single",
            _shift(day, 30),
            [[recs[0]]],
            label="Imaginary Electronics",
        )
    b.album(
        "me:nonalbum",
        "Ferry Lights",
        [solo_id],
        "single",
        "2024-08-09",
        [[b.recording("Ferry Lights", year=2024)]],
        label="Imaginary Electronics",
    )

    the_mbid = b.sf_artist("the-meridian", "The Meridian", "Meridian, The", "US indie rock band")
    solo_mbid = b.sf_artist("meridian-duo", "Meridian", "Meridian", "UK electronic duo")
    metal_mbid = b.sf_artist("meridian-metal", "Meridian", "Meridian", "Swedish metal band")
    # No externalLinks on "The Meridian": identity must come from scored name matching.
    the_attr = b.attraction("the-meridian", "The Meridian", genre="Alternative")
    solo_attr = b.attraction("meridian", "Meridian", [solo_id], genre="Dance/Electronic")

    west = [
        "greek-la",
        "palladium-la",
        "fillmore-sf",
        "crystal-pdx",
        "paramount-sea",
        "rawhide-phx",
        "redrocks",
        "riviera-chi",
        "terminal5-nyc",
        "orpheum-bos",
    ]
    statuses = {
        3: "cancelled",
        11: "cancelled",
        17: "postponed",
        22: "rescheduled",
        26: "rescheduled",
    }
    for n in range(30):
        place = P[west[n % len(west)]]
        at = "22:30:00" if place.timezone == "America/Los_Angeles" else "20:00:00"
        extra: dict[str, Any] = {"status": statuses[n]} if n in statuses else {}
        if n in (22, 26):
            extra["info"] = (
                "This event has been rescheduled. Tickets for the original date are valid."
            )
        attractions = [the_attr, solo_attr] if n % 10 == 4 else [the_attr]
        b.event(
            f"tmr:{n}",
            "The Meridian",
            attractions,
            place,
            date(2026, 12, 5) + timedelta(days=5 * n),
            at,
            **extra,
        )
    for n, key in enumerate(
        ["brixton", "paradiso", "columbiahalle", "brixton", "olympia", "paradiso"]
    ):
        b.event(
            f"me:{n}",
            "Meridian (DJ Set)" if n % 2 else "Meridian",
            [solo_attr],
            P[key],
            date(2027, 3, 12) + timedelta(days=9 * n),
            "23:00:00" if n % 2 else "20:00:00",
        )

    covers = [("Wildflower Road", refs["marigold"])]
    _setlists(
        b,
        "tmr",
        the_mbid,
        [r.title for r in the_catalog],
        west,
        date(2026, 11, 1),
        22,
        "Coast to Coast Tour",
        covers,
        empty_every=8,
    )
    _setlists(
        b,
        "me",
        solo_mbid,
        [r.title for r in solo_catalog],
        ["brixton", "paradiso"],
        date(2026, 10, 10),
        5,
        "Night Bus Live",
        covers,
        empty_every=5,
    )
    _setlists(
        b,
        "mm",
        metal_mbid,
        [
            "Iron Tide",
            "Frostfall",
            "Northern Wolves",
            "Blackwater",
            "Ravenhall",
            "Ash and Ember",
            "Stormcrown",
            "Grave Light",
            "Runestone",
            "Mjölnir Dawn",
            "The Long Winter",
            "Bloodmoon",
            "Sea of Knives",
            "Wolfsong",
        ],
        ["columbiahalle"],
        date(2025, 5, 2),
        3,
        "Stormcrown Tour",
        covers,
        empty_every=99,
    )

    the = {"spotify_id": the_id, "attraction": the_attr, "mbid": the_mbid}
    solo = {"spotify_id": solo_id, "attraction": solo_attr, "mbid": solo_mbid}
    return the, solo


def _quiet_harbor(b: Builder) -> dict[str, Any]:
    """The sparse case: no genres, unsized images, no shows, on setlist.fm without setlists."""
    images = [
        {"url": "https://i.scdn.co/image/quiet-harbor-original", "height": None, "width": None}
    ]
    artist = b.spotify_artist("quiet-harbor", "Quiet Harbor", None, 12, 3_411, images)
    for n, day in enumerate(["2019-01-25", "2022-05-06"]):
        recs = [
            b.recording(t, year=int(day[:4]), seed="qh") for t in titles(f"quiet:{n}", 9, set())
        ]
        b.album(
            f"qh:{n}",
            ["Low Tide", "Fog Signals"][n],
            [artist],
            "album",
            day,
            [recs],
            label="Self-released",
        )
    mbid = b.sf_artist("quiet-harbor", "Quiet Harbor", "Quiet Harbor", "Portland folk trio")
    attraction = b.attraction("quiet-harbor", "Quiet Harbor", [artist], [mbid], "Folk")
    return {"spotify_id": artist, "attraction": attraction, "mbid": mbid}


def main(argv: list[str]) -> None:
    """Write the demo dataset to a directory (default: the shipped one)."""
    target = Path(argv[0]) if argv else DEMO_DIR
    build().dump(target)
    print(f"demo dataset written to {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
