"""Regenerate the Python code and type stubs for every contract in protos/.

Output goes to gen/ (git-ignored): `mysetlist/<pkg>/v1/*_pb2.py`, `*_pb2.pyi`
and `*_pb2_grpc.py`. The google/api and google/rpc modules come from the
googleapis-common-protos wheel at run time, so only our own files are built.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
THIRD_PARTY = ROOT / "third_party" / "protos"
OUT = ROOT / "gen"


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    well_known = Path(protoc.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"-I{THIRD_PARTY}",
        f"-I{well_known}",
        f"--python_out={OUT}",
        f"--pyi_out={OUT}",
        f"--grpc_python_out={OUT}",
        *files,
    ]
    if protoc.main(args) != 0:
        return 1
    # Regular packages (not namespace ones), so tools and importers agree.
    for folder in [OUT / "mysetlist", *(OUT / "mysetlist").rglob("*")]:
        if folder.is_dir():
            (folder / "__init__.py").touch()
    print(f"generated {len(files)} protos into {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
