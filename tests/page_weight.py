"""What a first view of a page costs: every response the browser loads, gzipped as a server would.

Shared by the page-weight tests and ``bench/bench_site.py --weight``. Text (HTML, CSS, JS,
JSON, SVG) is counted gzipped at level 6, the usual server default; fonts and raster images are
already compressed and are counted as they are.
"""

from __future__ import annotations

import gzip
import mimetypes
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

_COMPRESSIBLE = ("text/", "javascript", "json", "svg", "xml")
_KINDS = {
    "document": "html",
    "stylesheet": "css",
    "script": "js",
    "font": "font",
    "image": "image",
    "fetch": "data",
    "xhr": "data",
}


@dataclass(frozen=True)
class Resource:
    url: str
    kind: str
    raw_bytes: int
    wire_bytes: int


@dataclass(frozen=True)
class PageWeight:
    url: str
    resources: list[Resource] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(resource.wire_bytes for resource in self.resources)

    @property
    def page_total(self) -> int:
        """Everything the first view downloads, data fetched by scripts included.

        The search index (every page's text, ~100 KB gzipped) is not part of it: it is fetched
        only when the reader goes to search (``overrides/partials/lazy-search-index.html``).
        """
        return self.total

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """``kind -> (raw bytes, bytes on the wire)``, largest on the wire first."""
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for resource in self.resources:
            sums[resource.kind][0] += resource.raw_bytes
            sums[resource.kind][1] += resource.wire_bytes
        ordered = sorted(sums.items(), key=lambda item: -item[1][1])
        return {kind: (raw, wire) for kind, (raw, wire) in ordered}


def wire_size(body: bytes, content_type: str) -> int:
    """Bytes a server sends for ``body``: gzipped if it is text, as is otherwise."""
    if any(marker in content_type for marker in _COMPRESSIBLE):
        return len(gzip.compress(body, compresslevel=6, mtime=0))
    return len(body)


# A first view has settled once Material's scripts ran (they fetch the sitemap and start the
# search worker), the fonts its text needs arrived and two frames were drawn (lazy images in
# view are asked for); then the network is quiet for `FIRST_VIEW_QUIET_SECONDS`, for the
# favicon, which the browser asks for a moment after the load. On a loaded machine the network
# can fall quiet for half a second before the scripts run, so quiet alone does not tell.
FIRST_VIEW_SETTLED = """
async () => {
  await Promise.race([
    new Promise((resolve) => document$.subscribe(() => resolve())),
    new Promise((resolve) => setTimeout(resolve, 5000)),
  ]);
  await document.fonts.ready;
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}
"""
FIRST_VIEW_QUIET_SECONDS = 0.5


def record_responses(tab: Any) -> list[Any]:
    """Collect every response ``tab`` receives from now on (its workers' included)."""
    responses: list[Any] = []
    tab.on("response", lambda response: responses.append(response))
    return responses


def weigh(url: str, responses: list[Any]) -> PageWeight:
    """The weight of a page from the responses recorded while it loaded."""
    resources = []
    for response in responses:
        if response.status != 200:
            continue
        body = response.body()
        content_type = response.headers.get("content-type", "")
        kind = _KINDS.get(response.request.resource_type, "other")
        resources.append(Resource(response.url, kind, len(body), wire_size(body, content_type)))
    return PageWeight(url, resources)


def measure_page(browser: Any, url: str) -> PageWeight:
    """Load ``url`` in a fresh context (empty cache) until its first view settled; weigh it."""
    context = browser.new_context()
    tab = context.new_page()
    responses = record_responses(tab)
    tab.goto(url, wait_until="load")
    tab.evaluate(FIRST_VIEW_SETTLED)
    # Playwright's network idle is half a second without a request: `FIRST_VIEW_QUIET_SECONDS`.
    tab.wait_for_load_state("networkidle")
    weight = weigh(url, responses)
    context.close()
    return weight


def weigh_files(
    url: str, used: Iterable[tuple[str, str]], directory: Path, site_url: str
) -> PageWeight:
    """The weight of a first view of ``url`` from the files it used, as ``(URL, resource type)``:
    each file of the site in ``directory`` (served at ``site_url``) counted once, as `weigh`
    counts what a server sends. A page loaded in a new tab reports every file it asks for,
    from the cache or not, so a visit that follows others in the same context can weigh its
    page as a first visitor downloads it (a tab that showed other pages may also report fonts
    they used).
    """
    base_path = urlparse(site_url).path
    resources = {}
    for used_url, resource_type in used:
        path = unquote(urlparse(used_url).path).removeprefix(unquote(base_path))
        # Another host's files are not the site's to weigh (the browser tests fail on them).
        if not used_url.startswith(site_url) or path in resources:
            continue
        file = directory / (path + "index.html" if path == "" or path.endswith("/") else path)
        raw, wire = _sizes(file)
        resources[path] = Resource(used_url, _KINDS.get(resource_type, "other"), raw, wire)
    return PageWeight(url, list(resources.values()))


@cache
def _sizes(file: Path) -> tuple[int, int]:
    """``(bytes, bytes on the wire)`` of a file, whose type is told by its name, as a server's."""
    body = file.read_bytes()
    content_type = mimetypes.guess_type(file.name)[0] or ""
    return len(body), wire_size(body, content_type)
