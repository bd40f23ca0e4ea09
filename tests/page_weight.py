"""What a first view of a page costs: every response the browser loads, gzipped as a server would.

Shared by the page-weight tests and ``bench/bench_notebook_weight.py``. Text (HTML, CSS, JS,
JSON, SVG) is counted gzipped at level 6, the usual server default; fonts and raster images are
already compressed and are counted as they are.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

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
    """Load ``url`` in a fresh context (empty cache) until the network is idle; weigh it."""
    context = browser.new_context()
    tab = context.new_page()
    responses = record_responses(tab)
    tab.goto(url, wait_until="networkidle")
    weight = weigh(url, responses)
    context.close()
    return weight
