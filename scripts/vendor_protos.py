"""Copy the third-party .proto sources our contracts import into third_party/protos.

buf cannot reach its schema registry from our machines, so the google/api and
google/rpc sources are taken from the pinned googleapis-common-protos wheel.
Run after bumping that pin; the copies are committed so `buf breaking` can
build older commits too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import google.api

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "third_party" / "protos"
FILES = [
    "google/api/annotations.proto",
    "google/api/http.proto",
    "google/api/field_behavior.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
    "google/rpc/code.proto",
]


def main() -> None:
    site = Path(google.api.__path__[0]).parent.parent
    for name in FILES:
        target = DEST / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site / name, target)
    print(f"vendored {len(FILES)} protos into {DEST.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
