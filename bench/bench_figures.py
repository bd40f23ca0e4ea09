"""Figure build cost and size: cold render, cached rebuild, SVG sizes against their budgets.

Run: uv run python bench/bench_figures.py
Also compares text as paths against text as <text> (svg.fonttype) on one figure.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tempfile
import time

from calcref import figures


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        start, cpu = time.perf_counter(), time.process_time()
        timings = {}
        for spec in figures.REGISTRY:
            t0 = time.perf_counter()
            figures.generate(cache, specs=[spec])
            timings[spec.name] = time.perf_counter() - t0
        cold_wall, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
        start = time.perf_counter()
        rendered = figures.generate(cache)
        warm = time.perf_counter() - start
        # A fresh process, as `mkdocs build` runs the hook: imports included.
        code = (
            "import time; t = time.perf_counter(); from calcref import figures; "
            f"figures.generate({cache!r}); print(time.perf_counter() - t)"
        )
        fresh = float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )

    print(
        f"{'figure':<20} {'kind':<4} {'render s':>8} {'light KB':>9} {'dark KB':>8} "
        f"{'gzip KB':>8} {'budget KB':>9}"
    )
    for spec in figures.REGISTRY:
        light, dark = (rendered[path] for path in figures.site_paths(spec))
        print(
            f"{spec.name:<20} {spec.kind:<4} {timings[spec.name]:>8.2f} "
            f"{len(light) / 1000:>9.1f} {len(dark) / 1000:>8.1f} "
            f"{len(gzip.compress(light)) / 1000:>8.1f} {spec.size_budget / 1000:>9.0f}"
        )
    print(
        f"\ncold, all {len(rendered)} SVGs: {cold_wall:.2f} s wall, {cold_cpu:.2f} s CPU "
        "(target 10 s)"
    )
    print(
        f"unchanged rebuild: {warm * 1000:.0f} ms in process, {fresh:.2f} s in a fresh "
        "process with imports (target 1 s)"
    )
    compare_fonttypes()


def compare_fonttypes() -> None:
    import matplotlib as mpl

    from calcref import plotting

    print("\nsvg.fonttype on secant-to-tangent (light): size, minified")
    for fonttype in ("path", "none"):
        fig = plotting.plot_secant_to_tangent()
        buffer = io.BytesIO()
        with mpl.rc_context({**plotting.LIGHT.rc(), "svg.fonttype": fonttype}):
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        size = len(figures.minify_svg(buffer.getvalue()))
        print(f"  {fonttype:<5} {size / 1000:.1f} KB")


if __name__ == "__main__":
    main()
