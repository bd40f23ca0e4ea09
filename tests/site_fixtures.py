"""Pytest fixtures that build the site once, serve it on loopback and open it in Chromium."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).parent.parent
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # This machine has no network: background services would only log refused connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class BuiltSite:
    """A strict build of the site, served at ``url``."""

    directory: Path
    url: str
    build_log: str


# Pinned so that any two builds of the same source are byte for byte the same: MkDocs dates the
# sitemap with it (reproducible-builds.org). `tests/test_reproducible.py` relies on it.
SOURCE_DATE_EPOCH = "1764115200"  # 2025-11-26T00:00:00Z; any fixed value will do


def build_site(
    site_dir: Path, site_url: str, project: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs build --strict`` into ``site_dir``, as the README's deployment build does."""
    env = {
        **os.environ,
        "SITE_URL": site_url,
        "NO_MKDOCS_2_WARNING": "1",
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
    }
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _serve(directory: Path, handler: type[SimpleHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_port}/"


@contextmanager
def served_build(
    directory: Path, handler: type[SimpleHTTPRequestHandler] = _QuietHandler
) -> Iterator[BuiltSite]:
    """Build the site into `directory` for its own loopback origin, and serve it from a thread.

    Raises ``RuntimeError`` with mkdocs' log when the strict build fails.
    """
    server = _serve(directory, handler)
    try:
        build = build_site(directory, _url(server))
        if build.returncode != 0:
            raise RuntimeError(f"mkdocs build --strict failed:\n{build.stderr}")
        yield BuiltSite(directory, _url(server), build.stderr)
    finally:
        server.shutdown()
        server.server_close()


# --- One build per session ----------------------------------------------------------------------
# The site's URL is baked into the build (Material's instant navigation only follows links to
# `site_url`), so the server comes first: pytest's main process serves an empty folder from the
# start, and the first test that needs the site builds into it, under a lock. Knowing the URL
# before the build lets a test build a second copy alongside (tests/test_reproducible.py). Under
# pytest-xdist (not used now: Sybil's pages broke when split) the main process is the controller,
# which tells each worker the folder and URL, so the workers would share one build too.

_SHARED_SITE = "calcref_shared_site"
_MAIN_SERVER = pytest.StashKey[tuple[ThreadingHTTPServer, Path]]()


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        directory = Path(tempfile.mkdtemp(prefix="calcref-site-"))
        (directory / "site").mkdir()
        config.stash[_MAIN_SERVER] = (_serve(directory / "site", _QuietHandler), directory)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput[_SHARED_SITE] = [str(part) for part in shared_site(node.config)]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _MAIN_SERVER in config.stash:
        server, directory = config.stash[_MAIN_SERVER]
        server.shutdown()
        server.server_close()
        shutil.rmtree(directory, ignore_errors=True)


def shared_site(config: pytest.Config) -> tuple[Path, str]:
    """The folder that holds the session's build (in ``site/``) and the URL it is served at."""
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        directory, url = worker_input[_SHARED_SITE]
        return Path(directory), url
    server, directory = config.stash[_MAIN_SERVER]
    return directory, _url(server)


def _build_once(directory: Path, url: str) -> BuiltSite:
    """Build into ``directory/site`` unless another worker did; either way, that build."""
    result = directory / "build.json"
    with (directory / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.is_file():
            build = build_site(directory / "site", url)
            outcome = {"returncode": build.returncode, "log": build.stderr}
            result.write_text(json.dumps(outcome), encoding="utf-8")
    outcome = json.loads(result.read_text(encoding="utf-8"))
    if outcome["returncode"] != 0:
        raise RuntimeError(f"mkdocs build --strict failed:\n{outcome['log']}")
    return BuiltSite(directory / "site", url, outcome["log"])


@pytest.fixture(scope="session")
def built_site(request: pytest.FixtureRequest) -> BuiltSite:
    """The site, built once per session (once for all workers) and served on 127.0.0.1."""
    try:
        return _build_once(*shared_site(request.config))
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


def chromium_path() -> str | None:
    """Debian's Chromium (``.ci/run`` installs it), or one named by ``CALCREF_CHROMIUM``."""
    return os.environ.get("CALCREF_CHROMIUM") or shutil.which("chromium")


def require_chromium() -> str:
    """Chromium's path; skip the test without it locally, fail it on CI (which installs it)."""
    executable = chromium_path()
    if executable is None:
        message = "Chromium is not installed: `apt-get install chromium` (`.ci/run` does it)."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return executable


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


# --- Every page as a reader sees it -------------------------------------------------------------

NODE_MODULES = ROOT / ".ci" / "node_modules"
# Material's two colour schemes, by the name a browser's `prefers-color-scheme` gives them.
SCHEMES = {"light": "default", "dark": "slate"}


def site_pages(directory: Path) -> list[str]:
    """Every HTML page of a built site, as a URL path from its root (``""`` is the home page).

    Found by walking the build, so a page added to the site is covered without editing a test.
    ``assets/`` holds the theme's and vendored files, not pages.
    """
    pages = []
    for path in sorted(directory.rglob("*.html")):
        relative = path.relative_to(directory)
        if relative.parts[0] == "assets":
            continue
        if relative.name == "index.html":
            parent = relative.parent.as_posix()
            pages.append("" if parent == "." else parent + "/")
        else:
            pages.append(relative.as_posix())
    return pages


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The npm tools pinned in ``.ci/package-lock.json`` (``npm ci --prefix .ci`` installs them)."""
    if not (NODE_MODULES / ".package-lock.json").is_file():
        message = "npm tools are not installed: run `npm ci --prefix .ci` (`.ci/run` does it)."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return NODE_MODULES


@dataclass
class PageView:
    """What one page showed a reader in one colour scheme, after its scripts ran."""

    page: str
    scheme: str
    applied_scheme: str = ""
    errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    formulas: int = 0
    katex_errors: int = 0
    unrendered_math: int = 0
    raw_tex: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    # The text Material's copy button puts on the clipboard, for each `python` block of the
    # page and for each code cell of a notebook (IPython: it may hold `%magics`).
    python_copies: list[str] = field(default_factory=list)
    ipython_copies: list[str] = field(default_factory=list)
    # axe-core's violations (WCAG 2.0 and 2.1 A and AA, and axe's best practices, as Lighthouse
    # runs them), or None when the npm tools are not installed.
    axe_violations: list[dict[str, Any]] | None = None


# Text a reader should never see outside code: TeX that KaTeX did not turn into a formula.
INSPECT_PAGE = r"""
async () => {
  const rendered = await Promise.race([
    new Promise((resolve) => document$.subscribe(() => resolve(true))),
    new Promise((resolve) => setTimeout(() => resolve(false), 5000)),
  ]);
  const images = [...document.images];
  await Promise.all(images.map((img) => img.complete ? null : Promise.race([
    new Promise((resolve) => {
      img.loading = "eager";
      img.addEventListener("load", resolve, { once: true });
      img.addEventListener("error", resolve, { once: true });
    }),
    new Promise((resolve) => setTimeout(resolve, 5000)),
  ])));
  const notText = "pre, code, kbd, samp, script, style, noscript, template, textarea, .katex";
  const texPatterns = [/\\[()[\]]/, /\$\$/, /\\[A-Za-z]{2,}/, /\$[^$\n]*[\\^_{}][^$\n]*\$/];
  const rawTex = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest(notText)) continue;
    for (const pattern of texPatterns) {
      const match = node.data.match(pattern);
      if (match) {
        const start = Math.max(0, match.index - 30);
        rawTex.push(node.data.slice(start, match.index + 40).replace(/\s+/g, " ").trim());
        break;
      }
    }
  }
  // Material copies the `data-copy` of the nearest element that has one, else the text shown.
  const copyOf = (code) => {
    code.setAttribute("data-md-copying", "");
    const owner = code.closest("[data-copy]");
    const text = owner ? owner.getAttribute("data-copy") : code.innerText;
    code.removeAttribute("data-md-copying");
    return text.trimEnd();
  };
  // Notebook cells are IPython (`%pip` and the like); page blocks are plain Python.
  const pythonBlocks = [...document.querySelectorAll(".language-python.highlight pre > code")];
  const isCell = (code) => code.closest(".jp-Cell") !== null;
  return {
    rendered,
    appliedScheme: document.body.getAttribute("data-md-color-scheme") || "",
    formulas: document.querySelectorAll(".katex").length,
    katexErrors: document.querySelectorAll(".katex-error").length,
    unrenderedMath: document.querySelectorAll(".arithmatex:not(:has(.katex))").length,
    rawTex,
    images: images.length,
    brokenImages: images.filter((img) => img.naturalWidth === 0).map((img) => img.src),
    pythonCopies: pythonBlocks.filter((code) => !isCell(code)).map(copyOf),
    ipythonCopies: pythonBlocks.filter(isCell).map(copyOf),
  };
}
"""

RUN_AXE = """
() => axe.run(document, {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  resultTypes: ["violations"],
}).then((results) => results.violations.map((violation) => ({
  id: violation.id,
  impact: violation.impact,
  help: violation.help,
  nodes: violation.nodes.map((node) => node.target.join(" ") + ": " + node.failureSummary),
})))
"""


class _Recorder:
    """Requests and errors of one tab, attributed to the page being visited."""

    def __init__(self, tab: Any, local_host: str) -> None:
        self.local_host = local_host
        self.view: PageView | None = None
        self.in_flight = 0
        tab.on("request", self._on_request)
        tab.on("requestfinished", self._on_done)
        tab.on("requestfailed", self._on_failed)
        tab.on("response", self._on_response)
        tab.on("pageerror", lambda error: self._note("errors", f"page error: {error}"))
        tab.on(
            "console",
            lambda msg: (
                self._note("errors", f"console: {msg.text}") if msg.type == "error" else None
            ),
        )

    def _note(self, kind: str, entry: str) -> None:
        if self.view is not None:
            getattr(self.view, kind).append(entry)

    def _on_request(self, request: Any) -> None:
        self.in_flight += 1
        host = urlparse(request.url).netloc
        if host not in ("", self.local_host) and not request.url.startswith(("data:", "blob:")):
            self._note("foreign_requests", request.url)

    def _on_done(self, request: Any) -> None:
        self.in_flight -= 1

    def _on_failed(self, request: Any) -> None:
        self.in_flight -= 1
        self._note("failed_requests", f"{request.url} ({request.failure})")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self._note("failed_requests", f"{response.url} (HTTP {response.status})")

    def settle(self, tab: Any, timeout: float = 10.0) -> None:
        """Wait until the page's own requests (sitemap, search index) are answered."""
        deadline = time.monotonic() + timeout
        while self.in_flight > 0 and time.monotonic() < deadline:
            tab.wait_for_timeout(25)


def _load_and_inspect(tab: Any, recorder: _Recorder, url: str, view: PageView) -> None:
    recorder.view = view
    recorder.in_flight = 0
    tab.goto(url, wait_until="load")
    seen = tab.evaluate(INSPECT_PAGE)
    if not seen["rendered"]:
        view.errors.append("Material's document$ never emitted: the theme's script did not run")
    view.applied_scheme = seen["appliedScheme"]
    view.formulas = seen["formulas"]
    view.katex_errors = seen["katexErrors"]
    view.unrendered_math = seen["unrenderedMath"]
    view.raw_tex = seen["rawTex"]
    view.images = seen["images"]
    view.broken_images = seen["brokenImages"]
    view.python_copies = seen["pythonCopies"]
    view.ipython_copies = seen["ipythonCopies"]


class SchemeViews(dict[str, PageView]):
    """What every page of the site showed a reader in one colour scheme: ``{page: view}``."""

    def __init__(self, scheme: str) -> None:
        super().__init__()
        self.scheme = scheme

    def problems(self, problems_of: Any) -> dict[str, Any]:
        """``{page: problems}`` for every page where ``problems_of(view)`` is truthy."""
        found = {page: problems_of(view) for page, view in self.items()}
        return {page: problems for page, problems in found.items() if problems}


# Pages are visited this many at a time: one page's axe-core run (the slow part, about a second)
# overlaps the next page's load, so the visit uses both cores when the rest of the suite does not.
TABS = 2


@pytest.fixture(scope="session", params=list(SCHEMES))
def page_views(request: pytest.FixtureRequest, built_site: BuiltSite, browser: Any) -> SchemeViews:
    """Every page of the site, loaded once in one colour scheme (the fixture's parameter).

    One visit gathers what every reader-level test checks (errors, requests, math, images, copy
    text, axe-core), so adding a check adds no page load. A test that takes this fixture runs
    once per scheme, and the two schemes are visited separately, so pytest-xdist can give them
    to two workers (conftest.py groups the tests by scheme).
    """
    scheme = request.param
    axe_script = NODE_MODULES / "axe-core" / "axe.min.js"
    axe = axe_script.read_text(encoding="utf-8") if axe_script.is_file() else None
    local_host = urlparse(built_site.url).netloc
    context = browser.new_context(color_scheme=scheme)
    tabs = [context.new_page() for _ in range(TABS)]
    recorders = [_Recorder(tab, local_host) for tab in tabs]
    views = SchemeViews(scheme)
    pages = site_pages(built_site.directory)
    try:
        for start in range(0, len(pages), TABS):
            batch = list(zip(pages[start : start + TABS], tabs, recorders, strict=False))
            for page, tab, recorder in batch:
                views[page] = PageView(page, scheme)
                _load_and_inspect(tab, recorder, built_site.url + page, views[page])
                if axe is not None:
                    tab.add_script_tag(content=axe)
                    tab.evaluate(f"() => {{ window.calcrefAxe = ({RUN_AXE})(); }}")
            for page, tab, recorder in batch:
                if axe is not None:
                    views[page].axe_violations = tab.evaluate("window.calcrefAxe")
                recorder.settle(tab)
                recorder.view = None
    finally:
        context.close()
    return views
