"""First-view weight of every notebook page, gzipped, split by kind of resource.

Builds the site (strict), serves it on loopback and loads each page in headless Chromium with
an empty cache, as tests/test_notebooks.py does for its budget. A course page and the home page
are listed for comparison. Run: ``uv run python bench/bench_notebook_weight.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from page_weight import PageWeight, measure_page  # noqa: E402
from site_fixtures import CHROMIUM_FLAGS, chromium_path, served_build  # noqa: E402

KINDS = ["html", "css", "js", "font", "data", "image", "other"]
BUDGET = 250_000


def pages() -> list[str]:
    notebooks = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))
    return ["", "derivatives/derivative-1d/"] + [f"notebooks/{p.stem}/" for p in notebooks]


def print_table(weights: list[PageWeight], base: str) -> None:
    header = f"{'page (KB gzipped)':40}" + "".join(f"{kind:>7}" for kind in KINDS)
    print(header + f"{'total':>8}{'page':>8}  budget (page = everything fetched)")
    for weight in weights:
        split = weight.by_kind()
        cells = "".join(f"{split.get(kind, (0, 0))[1] / 1000:7.1f}" for kind in KINDS)
        verdict = "ok" if weight.page_total <= BUDGET else "OVER"
        name = weight.url.removeprefix(base) or "(home)"
        totals = f"{weight.total / 1000:8.1f}{weight.page_total / 1000:8.1f}"
        print(f"{name:40}{cells}{totals}  {verdict}")


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as directory:
        try:
            with served_build(Path(directory)) as site, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_path(), args=CHROMIUM_FLAGS
                )
                weights = [measure_page(browser, site.url + page) for page in pages()]
                browser.close()
        except RuntimeError as error:
            sys.exit(str(error))
        base = site.url
    print_table(weights, base)


if __name__ == "__main__":
    main()
