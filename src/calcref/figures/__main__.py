"""Write every figure of the site to a folder: ``python -m calcref.figures OUT_DIR``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from calcref.figures import write_all


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, write the figures and list them with their sizes."""
    parser = argparse.ArgumentParser(
        prog="python -m calcref.figures",
        description="Write every figure of the calcref site, light and dark, as SVG files.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the SVG files to")
    parser.add_argument(
        "--cache-dir", default=None, help="reuse and update rendered SVGs in this folder"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    written = write_all(args.out_dir, cache_dir=args.cache_dir)
    for path in written:
        print(f"{path}  {path.stat().st_size / 1000:.1f} KB")
    print(f"{len(written)} files in {time.perf_counter() - start:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
