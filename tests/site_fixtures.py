"""Pytest fixtures that build the site once, serve it on loopback and open it in Chromium."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from page_weight import FIRST_VIEW_QUIET_SECONDS, FIRST_VIEW_SETTLED
from phone_checks import PHONE, SHOW_WHOLE_PAGE, PhoneView, measure_on_phone

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
# The tests' browsers add one flag that a reader's browser (Lighthouse's, in bench/) does not
# have: no TurboFan, V8's optimizing compiler. In every new tab it compiled axe-core's hot
# functions again on a background thread, up to 0.8 s of a core for one visit of the longest
# page, for code that then runs for a second. Without it, visiting eight pages with axe took 11%
# less CPU and no more time (bench/bench_site.py --suite has the suite's total). JavaScript runs
# the same, only not as fast; the tests measure counts and results, never script speed.
TEST_CHROMIUM_FLAGS = [*CHROMIUM_FLAGS, "--js-flags=--no-turbofan"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        # What GitHub Pages, the site's host, sends: a browser uses a file it has for ten
        # minutes without asking again. Without it, Chromium gives a file built seconds ago no
        # freshness and asks the server again at each use: on a fresh clone, under the suite's
        # load, a page's maths fonts then came after its first paint, and its text reflowed.
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def handle(self) -> None:
        # Chromium closes a connection when a page it no longer needs is left or a request is
        # cancelled; the server would print the broken pipe's traceback into the test report.
        with suppress(BrokenPipeError, ConnectionResetError):
            super().handle()


@dataclass(frozen=True)
class BuiltSite:
    """A strict build of the site, served at ``url``."""

    directory: Path
    url: str
    build_log: str

    def page_file(self, page: str) -> Path:
        """The file of ``page``, a path from the site's root (``""``, ``"notation/"``,
        ``"404.html"``)."""
        return self.directory / (page if page.endswith(".html") else page + "index.html")

    def html(self, page: str) -> str:
        """The HTML of ``page`` as built."""
        return self.page_file(page).read_text(encoding="utf-8")


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


def serve(
    directory: Path, handler: type[SimpleHTTPRequestHandler] = QuietHandler
) -> ThreadingHTTPServer:
    """Serve ``directory`` on a free loopback port, from a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_port}/"


@contextmanager
def served_build(
    directory: Path, handler: type[SimpleHTTPRequestHandler] = QuietHandler
) -> Iterator[BuiltSite]:
    """Build the site into `directory` for its own loopback origin, and serve it from a thread.

    Raises ``RuntimeError`` with mkdocs' log when the strict build fails.
    """
    server = serve(directory, handler)
    try:
        build = build_site(directory, _url(server))
        if build.returncode != 0:
            raise RuntimeError(f"mkdocs build --strict failed:\n{build.stderr}")
        yield BuiltSite(directory, _url(server), build.stderr)
    finally:
        server.shutdown()
        server.server_close()


# --- Slow work starts as soon as the tests are collected ----------------------------------------
# The site build, the page views, the clean build and the notebook runs spend their time in other
# processes (mkdocs, Chromium, kernels). So they start in background threads when collection ends,
# while this process runs the quick tests, which come first (`pytest_collection_modifyitems`);
# the tests that need a slow result come last and wait for it. Work that no selected test needs
# does not start (`./dev test -k gradient` builds nothing).

_STARTERS: dict[str, Callable[[pytest.Config], Any]] = {}
_STARTED = pytest.StashKey[dict[str, Any]]()
# The fixtures the selected tests use, known once collection ends.
_NEEDED = pytest.StashKey[set[str]]()
# Re-entrant: a starter may start another (`phone_views` shares the page views' browser).
_STARTING = threading.RLock()


def starts_early(fixture_name: str) -> Callable[[Callable[[pytest.Config], Any]], Any]:
    """Register ``start(config)`` as the way to begin the work behind ``fixture_name``.

    ``start`` returns a handle (usually a `Future`); the fixture gets it from `early` and waits.
    """

    def register(start: Callable[[pytest.Config], Any]) -> Callable[[pytest.Config], Any]:
        _STARTERS[fixture_name] = start
        return start

    return register


def early(config: pytest.Config, fixture_name: str) -> Any:
    """The handle of the work behind ``fixture_name``, started now if it has not started yet."""
    with _STARTING:
        started = config.stash.setdefault(_STARTED, {})
        if fixture_name not in started:
            started[fixture_name] = _STARTERS[fixture_name](config)
        return started[fixture_name]


def in_background(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Run ``function(*args)`` in a daemon thread (an interrupted run does not wait for it)."""
    future: Future[Any] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(function(*args))
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=run, name=f"calcref-{function.__name__}", daemon=True).start()
    return future


# The longest a test waits for slow work (a build, the page visits, the notebook runs) before it
# fails saying which: far longer than any takes on a loaded machine, far shorter than CI's limit.
BACKGROUND_TIMEOUT_SECONDS = 900


def result_of(future: Future[Any], what: str, timeout: float = BACKGROUND_TIMEOUT_SECONDS) -> Any:
    """The result of slow work started in the background; the test fails naming ``what`` if
    the work has not finished in ``timeout`` seconds (a hang must not stall the run)."""
    try:
        return future.result(timeout=timeout)
    except TimeoutError:
        if future.done():
            raise  # the work itself failed with a timeout: its own message says where
        pytest.fail(f"{what} did not finish within {timeout} s", pytrace=False)


def _waits(item: pytest.Item) -> int:
    """0 for a quick test, 1 for one that waits for slow work, 2 for one that waits for the
    light page visits, 3 for one that waits for the dark or phone visits (they finish last).

    A test runs as soon as what it reads is ready: the light visits come first
    (`_view_site`), so the tests that read only them run while the dark visits go on, instead
    of after them, when the rest of the suite has finished and one core would be idle."""
    names = set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    scheme = callspec.params.get("page_views") if callspec is not None else None
    if "phone_views" in names or ("page_views" in names and scheme != "light"):
        return 3
    if "page_views" in names:
        return 2
    return int(bool(names & (set(_STARTERS) | {"browser"})))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: a page's Sybil examples keep their order, and so does everything else.
    items.sort(key=_waits)


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    session.config.stash[_NEEDED] = needed
    for name in _STARTERS:
        if name in needed:
            early(session.config, name)


# --- One build per session ----------------------------------------------------------------------
# The site's URL is baked into the build (Material's instant navigation only follows links to
# `site_url`), so the server comes first: pytest serves an empty folder from the start, and the
# build goes into it. Knowing the URL before the build lets a test build a second copy alongside
# (tests/test_reproducible.py).

_MAIN_SERVER = pytest.StashKey[tuple[ThreadingHTTPServer, Path]]()


def pytest_configure(config: pytest.Config) -> None:
    directory = Path(tempfile.mkdtemp(prefix="calcref-site-"))
    (directory / "site").mkdir()
    config.stash[_MAIN_SERVER] = (serve(directory / "site", QuietHandler), directory)


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_launched()
    if _MAIN_SERVER in config.stash:
        server, directory = config.stash[_MAIN_SERVER]
        server.shutdown()
        server.server_close()
        shutil.rmtree(directory, ignore_errors=True)


def shared_site(config: pytest.Config) -> tuple[Path, str]:
    """The folder that holds the session's build (in ``site/``) and the URL it is served at."""
    server, directory = config.stash[_MAIN_SERVER]
    return directory, _url(server)


def _build(directory: Path, url: str) -> BuiltSite:
    build = build_site(directory / "site", url)
    if build.returncode != 0:
        raise RuntimeError(f"mkdocs build --strict failed:\n{build.stderr}")
    return BuiltSite(directory / "site", url, build.stderr)


@starts_early("built_site")
def _start_build(config: pytest.Config) -> Future[BuiltSite]:
    return in_background(_build, *shared_site(config))


def after_the_build(config: pytest.Config) -> None:
    """Wait until the session's build has finished, if the session builds the site.

    Other slow work started from the start would slow the build, and the page visits, the
    longest work of the suite, wait for it. Raises ``RuntimeError`` if the build failed or did
    not finish in time: work that builds the site again would fail the same way, slowly."""
    if "built_site" not in config.stash.get(_NEEDED, set()):
        return
    build = early(config, "built_site")
    wait([build], timeout=BACKGROUND_TIMEOUT_SECONDS)
    if not build.done() or build.exception() is not None:
        raise RuntimeError("not started: the session's build failed or did not finish")


# Processes that tests start from background threads. A daemon thread is stopped without its
# `finally` when the session ends early (Ctrl-C, `-x`): the session stops them instead.
_LAUNCHED: list[subprocess.Popen[Any]] = []


def launched(process: subprocess.Popen[Any]) -> subprocess.Popen[Any]:
    """``process``, to be stopped (`stop`) when the session ends if it is still running."""
    _LAUNCHED.append(process)
    return process


def stop_launched(processes: list[subprocess.Popen[Any]] | None = None, grace: float = 5.0) -> None:
    """Stop every process of ``processes`` (by default, those `launched`) still running."""
    for process in _LAUNCHED if processes is None else processes:
        if process.poll() is None:
            stop(process, grace)


def stop(process: subprocess.Popen[Any], grace: float = 30.0) -> None:
    """Terminate ``process``, and kill it if it has not exited within ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def built_site(request: pytest.FixtureRequest) -> BuiltSite:
    """The site, built once per session and served on 127.0.0.1."""
    try:
        built: BuiltSite = result_of(early(request.config, "built_site"), "the site build")
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    return built


# --- A second build, clean, for the same URL --------------------------------------------------
# tests/test_reproducible.py compares it with the session's build, byte for byte; the figure
# tests read the figures it drew from an empty cache (tests/test_figures.py).


def _copy_working_tree(destination: Path) -> None:
    """Copy the tracked and new files (nothing git ignores, so no cache) to ``destination``."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


@dataclass(frozen=True)
class CleanBuild:
    """A strict build in a copy of the working tree, from no cache of figures or notebooks."""

    site: Path
    url: str
    build: subprocess.CompletedProcess[str]


def _clean_build_for(url: str, project: Path) -> CleanBuild:
    _copy_working_tree(project)
    assert not (project / ".cache").exists(), "the clean build must not start from a cache"
    return CleanBuild(project / "site", url, build_site(project / "site", url, project=project))


@starts_early("clean_build")
def _start_clean_build(config: pytest.Config) -> Future[CleanBuild]:
    """Built alongside the session's build, in the background, from when the tests are collected."""
    project = Path(tempfile.mkdtemp(prefix="calcref-clean-build-"))
    config.add_cleanup(lambda: shutil.rmtree(project, ignore_errors=True))
    _, url = shared_site(config)
    return in_background(_clean_build_for, url, project / "project")


@pytest.fixture(scope="session")
def clean_build(request: pytest.FixtureRequest) -> CleanBuild:
    """The clean build, for the session build's URL (its pages name it)."""
    built: CleanBuild = result_of(early(request.config, "clean_build"), "the clean build")
    return built


def chromium_path() -> str | None:
    """The Chromium the tests drive: one named by ``CALCREF_CHROMIUM``, else Debian's headless
    shell, else Debian's Chromium (``.ci/run`` installs Chromium, and the shell where it can).

    The headless shell is the same Blink and V8 as the browser of the same version, built
    without the browser's window and profile services: the page visits cost a tenth less CPU in
    it (Playwright's default for headless runs is this build too).
    """
    return (
        os.environ.get("CALCREF_CHROMIUM")
        or shutil.which("chromium-headless-shell")
        or shutil.which("chromium")
    )


def require_chromium() -> str:
    """Chromium's path; skip the test without it locally, fail it on CI (which installs it)."""
    executable = chromium_path()
    if executable is None:
        message = (
            "Chromium is not installed: `apt-get install chromium-headless-shell` (`.ci/run`"
            " does it)."
        )
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
        instance = playwright.chromium.launch(executable_path=executable, args=TEST_CHROMIUM_FLAGS)
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
    # Every image of the page, the hidden colour variant too: the inspection loads them all.
    images: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    # The layout shifts of the load, until the inspection: ``{"value": .., "moved": [elements]}``.
    layout_shifts: list[dict[str, Any]] = field(default_factory=list)
    # The text Material's copy button puts on the clipboard, for each `python` block of the
    # page and for each code cell of a notebook (IPython: it may hold `%magics`).
    python_copies: list[str] = field(default_factory=list)
    ipython_copies: list[str] = field(default_factory=list)
    # Every file the page asked for, from the cache or not, as ``(URL, resource type)``, before
    # the inspection rendered it all: what a first view downloads (tests/page_weight.py). Noted
    # in the light visits, a desktop's.
    used_files: list[tuple[str, str]] = field(default_factory=list)
    # axe-core's violations (`RUN_AXE`: every rule in light, in dark those a scheme can change),
    # or None when the npm tools are not installed.
    axe_violations: list[dict[str, Any]] | None = None
    # What the scripts test modules registered with `report_on_pages` returned, by name.
    reports: dict[str, Any] = field(default_factory=dict)
    # The KaTeX fonts the page drew with, every section shown (`MATHS_FONTS_DRAWN`), as file
    # names (``KaTeX_Main-Bold.woff2``). Read in the light visits, a desktop's.
    maths_fonts: list[str] | None = None


# Scripts that test modules add to the visits: ``{name: (which pages, script)}``.
_PAGE_REPORTS: dict[str, tuple[Callable[[str], bool], str]] = {}


def report_on_pages(name: str, script: str, pages: Callable[[str], bool]) -> None:
    """Evaluate ``script`` in each visit of a page ``pages(page)`` accepts, in both schemes, once
    its scripts ran; the result is the view's ``reports[name]``.

    Called when a test module is imported (collection), before the visits start: a test that
    reads the result loads no page of its own.
    """
    _PAGE_REPORTS[name] = (pages, script)


# Text a reader should never see outside code: TeX that KaTeX did not turn into a formula. A
# JavaScript array of regular expressions, for the scripts that look for it.
RAW_TEX_PATTERNS = r"[/\\[()[\]]/, /\$\$/, /\\[A-Za-z]{2,}/, /\$[^$\n]*[\\^_{}][^$\n]*\$/]"

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
  const texPatterns = RAW_TEX_PATTERNS;
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
  // Every layout shift since the page started, as Lighthouse's CLS counts them (one just after
  // the reader's input is not), with the elements it moved.
  const shiftObserver = new PerformanceObserver(() => {});
  shiftObserver.observe({ type: "layout-shift", buffered: true });
  const describe = (node) => node ? [node.nodeName.toLowerCase(), ...(node.classList || [])]
    .slice(0, 3).join(".") : "?";
  const layoutShifts = shiftObserver.takeRecords()
    .filter((shift) => !shift.hadRecentInput)
    .map((shift) => ({
      value: shift.value,
      moved: shift.sources.map((source) => describe(source.node)),
    }));
  shiftObserver.disconnect();
  return {
    rendered,
    layoutShifts,
    appliedScheme: document.body.getAttribute("data-md-color-scheme") || "",
    formulas: document.querySelectorAll(".katex").length,
    katexErrors: document.querySelectorAll(".katex-error").length,
    unrenderedMath: document.querySelectorAll(".arithmatex:not(:has(.katex))").length,
    rawTex,
    images: images.map((img) => img.currentSrc || img.src),
    brokenImages: images.filter((img) => img.naturalWidth === 0).map((img) => img.src),
    pythonCopies: pythonBlocks.filter((code) => !isCell(code)).map(copyOf),
    ipythonCopies: pythonBlocks.filter(isCell).map(copyOf),
  };
}
""".replace("RAW_TEX_PATTERNS", RAW_TEX_PATTERNS)

# axe-core's rules: WCAG 2.0 and 2.1, A and AA, and axe's best practices (Lighthouse's
# accessibility score counts some of them). `RUN_AXE(false)` runs them all. `RUN_AXE(true)` runs
# those a colour scheme can change: the colour rules (axe's `cat.color`: contrast, links told
# apart by colour) and the text alternatives (`cat.text-alternatives`), since each scheme shows
# its own variant of a figure (`#only-light`, `#only-dark`) and axe skips hidden images. The
# other rules judge the HTML, ARIA, names and focus of what both schemes show alike, so the
# light visits run them and the dark visits do not run them again.
# `noHtml`: axe copies every checked element's outer HTML into its results (about 5% of a run on
# a page of KaTeX markup); a violation is reported by its selector and summary instead.
# While axe runs, each formula's drawing (KaTeX's `.katex-html`, hidden from screen readers,
# which read the MathML beside it) is swapped for a span of its text, as wide as the drawing,
# then put back. The drawing is a box per character: 43% of the site's elements and a third of
# axe's run time over the site (half on the gradient page), yet almost nothing axe can judge,
# since one character is too short for it to call text and an operator is not text to it. As
# one run of text in the formula's colour, a formula is judged: made faint, 161 of the gradient
# page's 215 formulas were flagged, against 16 when axe saw the drawing. A violation inside a
# formula names its TeX. The colours of a formula's parts are the formula check's
# (test_accessibility).
RUN_AXE = """
async (schemeRulesOnly) => {
  const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
  const schemeCategories = ["cat.color", "cat.text-alternatives"];
  const schemeRules = axe.getRules(tags)
    .filter((rule) => rule.tags.some((tag) => schemeCategories.includes(tag)))
    .map((rule) => rule.ruleId);
  axe.configure({ noHtml: true });
  const drawings = [...document.querySelectorAll(".katex-html")];
  // Read before any swap, so that the page is laid out once. A display formula's drawing is a
  // block as wide as its box, its content may be wider (`scrollWidth`); an inline one has no
  // `scrollWidth`.
  const widths = drawings.map((drawing) =>
    Math.max(drawing.getBoundingClientRect().width, drawing.scrollWidth)
  );
  const texts = [];
  try {
    drawings.forEach((drawing, index) => {
      const text = document.createElement("span");
      text.textContent = drawing.textContent;
      text.setAttribute("aria-hidden", "true");
      // So that what axe reports names it (`... > .katex > .formula-as-text`).
      text.className = "formula-as-text";
      // As wide as the drawing, wrapped within it: a formula too wide for its box still is,
      // and one that fits still does (its text has no spaces to wrap at).
      text.style.display = "inline-block";
      text.style.width = `${widths[index]}px`;
      text.style.whiteSpace = "normal";
      text.style.overflowWrap = "anywhere";
      drawing.replaceWith(text);
      texts.push(text);
    });
    const results = await axe.run(document, {
      runOnly: schemeRulesOnly
        ? { type: "rule", values: schemeRules }
        : { type: "tag", values: tags },
      resultTypes: ["violations"],
      elementRef: true,
    });
    const inFormula = (element) => {
      const formula = element && element.closest(".katex");
      const tex = formula && formula.querySelector("annotation");
      return tex ? ` (in the formula ${tex.textContent.trim()})` : "";
    };
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map(
        (node) => node.target.join(" ") + inFormula(node.element) + ": " + node.failureSummary
      ),
    }));
  } finally {
    texts.forEach((text, index) => text.replaceWith(drawings[index]));
    // The page's scripts ran between axe's rules, and may have measured the text: a wide
    // block's scroll stop (docs/javascripts/wide-blocks.js) is measured again on a resize.
    window.dispatchEvent(new Event("resize"));
  }
}
"""


class _Recorder:
    """Requests and errors of one tab, attributed to the page being visited."""

    def __init__(self, tab: Any, local_host: str) -> None:
        self.local_host = local_host
        self.view: PageView | None = None
        # Whether the files the page asks for go to `PageView.used_files`: only until the
        # inspection renders the whole page, which asks for the images and fonts far down it.
        self.noting_files = False
        # The page each request was made for: Chromium asks for a favicon after the load, and
        # the next page's load may cut it off; that is the test leaving, not a broken link.
        self.asked_by: dict[Any, PageView | None] = {}
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

    def start(self, view: PageView, note_files: bool) -> None:
        """Attribute what the tab does from now on to ``view``, a page about to be loaded, and
        note the files it asks for if ``note_files`` (until `noting_files` is set False)."""
        self.view = view
        self.noting_files = note_files

    def _on_request(self, request: Any) -> None:
        self.asked_by[request] = self.view
        if self.view is not None and self.noting_files:
            self.view.used_files.append((request.url, request.resource_type))
        host = urlparse(request.url).netloc
        if host not in ("", self.local_host) and not request.url.startswith(("data:", "blob:")):
            self._note("foreign_requests", request.url)

    def _on_done(self, request: Any) -> None:
        self.asked_by.pop(request, None)

    def _on_failed(self, request: Any) -> None:
        asked_by = self.asked_by.pop(request, None)
        if request.failure == "net::ERR_ABORTED":
            if asked_by is not self.view:
                return  # a request of the page left behind, cut off by the next page's load
            if urlparse(request.url).path.endswith("/favicon.png"):
                # The browser's own request for its tab's icon, which it may drop when the window
                # changes (the phone's measurements resize it); a missing icon is a 404 instead.
                return
        self._note("failed_requests", f"{request.url} ({request.failure})")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self._note("failed_requests", f"{response.url} (HTTP {response.status})")

    async def settle(self, tab: Any, timeout: float = 10.0, quiet: float = 0.15) -> None:
        """Wait until the page's own requests (sitemap, search index, favicon) are answered and
        none has started for ``quiet`` seconds.

        Chromium asks for the favicon only once the page is loaded, sometimes a moment after the
        other requests are answered; the next page's load would cut it off (``ERR_ABORTED``),
        and the failure would be blamed on that next page.
        """
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            if any(asked_by is self.view for asked_by in self.asked_by.values()):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet:
                return
            await tab.wait_for_timeout(25)


def watch_errors(tab: Any, site_url: str) -> list[str]:
    """The errors of a tab (sync API) from now on: script errors, console errors, failed
    requests and requests to any host but the site's, each as one line of text."""
    errors: list[str] = []
    host = urlparse(site_url).netloc
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    tab.on(
        "request",
        lambda request: (
            errors.append(f"foreign request: {request.url}")
            if urlparse(request.url).netloc not in ("", host)
            and not request.url.startswith(("data:", "blob:"))
            else None
        ),
    )
    return errors


# The KaTeX fonts a page draws with, every section shown and laid out: each face the browser
# had to load, named as its file in KaTeX's fonts (`KaTeX_Main-Bold.woff2`).
MATHS_FONTS_DRAWN = (
    "async () => {\n  ("
    + SHOW_WHOLE_PAGE.strip()
    + ")();\n"
    + """
  document.body.getBoundingClientRect();
  await document.fonts.ready;
  const bold = (face) => face.weight === "700" || face.weight === "bold";
  const variant = (face) =>
    ((bold(face) ? "Bold" : "") + (face.style === "italic" ? "Italic" : "")) || "Regular";
  return [...document.fonts]
    .filter((face) => face.family.startsWith("KaTeX_") && face.status !== "unloaded")
    .map((face) => `${face.family}-${variant(face)}.woff2`);
}
"""
)


async def _view_page(
    tab: Any, recorder: _Recorder, url: str, view: PageView, axe: str | None
) -> None:
    """A desktop's visit: load, inspect, every axe rule, then the maths fonts it drew with.

    What the page asked for until its first view settled (`FIRST_VIEW_SETTLED`, then half a
    second without a request) is what a first view downloads (`PageView.used_files`). The tab
    must be new: one that showed other pages reports fonts they used as this page's requests.
    """
    recorder.start(view, note_files=True)
    await tab.goto(url, wait_until="load")
    await tab.evaluate(FIRST_VIEW_SETTLED)
    await recorder.settle(tab, quiet=FIRST_VIEW_QUIET_SECONDS)
    recorder.noting_files = False
    await _inspect(tab, view)
    await _run_axe(tab, view, axe, scheme_rules_only=False)
    view.maths_fonts = await tab.evaluate(MATHS_FONTS_DRAWN)
    await recorder.settle(tab)
    recorder.view = None


async def _view_page_in_new_tab(
    context: Any, local_host: str, url: str, view: PageView, axe: str | None
) -> None:
    """`_view_page` in a new tab of ``context``, whose cache the scheme's visits share."""
    tab = await context.new_page()
    try:
        await _view_page(tab, _Recorder(tab, local_host), url, view, axe)
    finally:
        await tab.close()


async def _view_page_then_on_phone(
    tab: Any, recorder: _Recorder, url: str, view: PageView, axe: str | None, touch: Any
) -> PhoneView:
    """A desktop's visit with the axe rules a colour scheme can change, then the same page on a
    phone: the window narrowed to a phone's and touch turned on (``touch``: a CDP session of
    the tab), measured as tests/phone_checks.py says.

    One load serves both, which spares the suite loading every page once more. The phone comes
    second because its measurements open and unwrap the page's sections. The tab is a desktop
    with a mouse again before the next page loads: a browser styles a page for the pointer it
    had when the page loaded, even after touch is turned off.
    """
    await touch.send("Emulation.setTouchEmulationEnabled", {"enabled": False})
    await tab.set_viewport_size(DESKTOP)
    recorder.start(view, note_files=False)
    await tab.goto(url, wait_until="load")
    await _inspect(tab, view)
    await _run_axe(tab, view, axe, scheme_rules_only=True)
    await touch.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    await tab.set_viewport_size(PHONE)
    on_phone = await measure_on_phone(tab, view.page)
    await recorder.settle(tab)
    recorder.view = None
    return on_phone


async def _run_axe(tab: Any, view: PageView, axe: str | None, scheme_rules_only: bool) -> None:
    if axe is not None:
        await tab.evaluate(SHOW_WHOLE_PAGE)
        await tab.add_script_tag(content=axe)
        view.axe_violations = await tab.evaluate(RUN_AXE, scheme_rules_only)


async def _inspect(tab: Any, view: PageView) -> None:
    """What the page shows once its scripts ran, and the reports test modules asked for."""
    seen = await tab.evaluate(INSPECT_PAGE)
    if not seen["rendered"]:
        view.errors.append("Material's document$ never emitted: the theme's script did not run")
    view.applied_scheme = seen["appliedScheme"]
    view.formulas = seen["formulas"]
    view.katex_errors = seen["katexErrors"]
    view.unrendered_math = seen["unrenderedMath"]
    view.raw_tex = seen["rawTex"]
    view.images = seen["images"]
    view.broken_images = seen["brokenImages"]
    view.layout_shifts = seen["layoutShifts"]
    view.python_copies = seen["pythonCopies"]
    view.ipython_copies = seen["ipythonCopies"]
    for name, (pages, script) in _PAGE_REPORTS.items():
        if pages(view.page):
            view.reports[name] = await tab.evaluate(script)


class SchemeViews(dict[str, PageView]):
    """What every page of the site showed a reader in one colour scheme: ``{page: view}``."""

    def __init__(self, scheme: str) -> None:
        super().__init__()
        self.scheme = scheme

    def problems(self, problems_of: Any) -> dict[str, Any]:
        """``{page: problems}`` for every page where ``problems_of(view)`` is truthy."""
        found = {page: problems_of(view) for page, view in self.items()}
        return {page: problems for page, problems in found.items() if problems}


# Tabs open at once. axe-core (most of a visit) runs in the tab's renderer, one core per tab; a
# third tab keeps both cores busy while another tab waits for its page or for Python.
TABS = 3


def _by_size(site: BuiltSite) -> list[str]:
    """The site's pages, biggest first: the slowest visits start first and none ends the run."""
    pages = site_pages(site.directory)
    size = {page: site.page_file(page).stat().st_size for page in pages}
    return sorted(pages, key=lambda page: -size[page])


# The phone visits of `phone_views`: each visit in this scheme ends on a phone.
PHONE_VISITS = "phone"
PHONE_SCHEME = "dark"
# Playwright's default window, the one the light visits and every other browser test use.
DESKTOP = {"width": 1280, "height": 720}
# A visit takes a few seconds, half a minute on a machine loaded to 30. One that takes longer
# is stuck, and fails the tests that read the visits instead of leaving them waiting.
VISIT_TIMEOUT_SECONDS = 180


def _kinds_needed(config: pytest.Config) -> list[str]:
    """The schemes whose views the selected tests read, then ``"phone"`` if they read those."""
    needed = config.stash.get(_NEEDED, {"page_views", "phone_views"})
    kinds = list(SCHEMES) if "page_views" in needed else []
    return kinds + ([PHONE_VISITS] if "phone_views" in needed else [])


def _schemes_to_visit(results: dict[str, Future[Any]]) -> list[str]:
    """The schemes whose visits give ``results``: the phone's views come with `PHONE_SCHEME`'s."""
    return [
        scheme
        for scheme in SCHEMES
        if scheme in results or (scheme == PHONE_SCHEME and PHONE_VISITS in results)
    ]


async def _open_contexts(browser: Any, schemes: list[str]) -> dict[str, Any]:
    """One context per scheme, shared by the tabs: its cache keeps the theme's files (and their
    compiled scripts) from one page to the next, as a reader's does. A phone shows one CSS pixel
    per pixel of the screen here, so that its measurements are in whole pixels."""
    return {
        scheme: await browser.new_context(
            color_scheme=scheme, viewport=DESKTOP, device_scale_factor=1
        )
        for scheme in schemes
    }


async def _cache_the_maths_fonts(context: Any, site: BuiltSite) -> None:
    """Put the site's fonts (KaTeX's: the text is in the reader's system font) in
    ``context``'s cache, as a reader who has seen one page with formulas has them. A font that
    comes after the first paint is not used on that visit (`font-display: optional`,
    hooks/katex.py): on a loaded server, the first visits would have drawn their formulas in a
    fallback font and measured widths no reader with the fonts sees. (What a late font does is
    tested on its own, tests/test_browser.py.)"""
    fonts = sorted(site.directory.rglob("*.woff2"))
    paths = [font.relative_to(site.directory).as_posix() for font in fonts]
    tab = await context.new_page()
    try:
        await tab.goto(site.url + "404.html", wait_until="load")
        await tab.evaluate(
            "async (paths) => { for (const path of paths) await (await fetch(path)).blob(); }",
            [site.url + path for path in paths],
        )
    finally:
        await tab.close()


@dataclass(frozen=True)
class _Tab:
    """A tab of the visits that end on a phone, what it loads and does, and a CDP session to
    turn touch on and off."""

    page: Any
    recorder: _Recorder
    touch: Any

    @classmethod
    async def open(cls, context: Any, local_host: str) -> _Tab:
        page = await context.new_page()
        return cls(page, _Recorder(page, local_host), await context.new_cdp_session(page))


async def _view_site(
    site: BuiltSite,
    executable: str,
    results: dict[str, Future[Any]],
    visit_timeout: float = VISIT_TIMEOUT_SECONDS,
) -> None:
    """Visit every page in each scheme that ``results`` needs, ``TABS`` at a time, on a desktop;
    the visits in `PHONE_SCHEME` end on a phone. Each scheme's views (and the phone's) go to
    ``results`` as soon as its last page is seen. A visit that takes more than
    ``visit_timeout`` seconds fails them all, naming its page."""
    from playwright.async_api import async_playwright

    axe_script = NODE_MODULES / "axe-core" / "axe.min.js"
    axe = axe_script.read_text(encoding="utf-8") if axe_script.is_file() else None
    local_host = urlparse(site.url).netloc
    pages = _by_size(site)
    schemes = _schemes_to_visit(results)
    views = {scheme: SchemeViews(scheme) for scheme in schemes}
    phone_views: dict[str, PhoneView] = {}
    contexts: dict[str, Any] = {}
    # Each scheme's pages in turn, light first: the tests that read only the light views run
    # while the dark visits go on (`_waits`).
    queue = [(scheme, page) for scheme in schemes for page in pages]
    queue.reverse()

    async def visit(scheme: str, page: str, phone_tab: _Tab | None) -> None:
        view = PageView(page, scheme)
        if phone_tab is not None:
            phone_views[page] = await _view_page_then_on_phone(
                phone_tab.page, phone_tab.recorder, site.url + page, view, axe, phone_tab.touch
            )
        else:
            await _view_page_in_new_tab(contexts[scheme], local_host, site.url + page, view, axe)
        views[scheme][page] = view

    def publish(scheme: str) -> None:
        if scheme in results:
            results[scheme].set_result(views[scheme])
        if scheme == PHONE_SCHEME and PHONE_VISITS in results:
            results[PHONE_VISITS].set_result(phone_views)

    async def visit_pages() -> None:
        phone_tab: _Tab | None = None  # this worker's, kept from one page to the next
        while queue:
            scheme, page = queue.pop()
            if scheme == PHONE_SCHEME and phone_tab is None:
                phone_tab = await _Tab.open(contexts[scheme], local_host)
            tab = phone_tab if scheme == PHONE_SCHEME else None
            try:
                await asyncio.wait_for(visit(scheme, page, tab), visit_timeout)
            except TimeoutError:
                # A script that waits forever (a font that never arrives, say) would otherwise
                # leave every test that reads the visits waiting: fail them, naming the page.
                raise TimeoutError(
                    f"the {scheme} visit of {site.url + page} did not finish within"
                    f" {visit_timeout} s"
                ) from None
            if len(views[scheme]) == len(pages):
                publish(scheme)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=TEST_CHROMIUM_FLAGS
        )
        try:
            contexts.update(await _open_contexts(browser, schemes))
            for context in contexts.values():
                await _cache_the_maths_fonts(context, site)
            await asyncio.gather(*(visit_pages() for _ in range(TABS)))
        finally:
            await browser.close()


def _view_site_when_built(config: pytest.Config, results: dict[str, Future[Any]]) -> None:
    try:
        site = early(config, "built_site").result()
        asyncio.run(_view_site(site, chromium_path() or "", results))
    except BaseException as error:
        for result in results.values():
            if not result.done():
                result.set_exception(error)


@starts_early("page_views")
def _start_page_views(config: pytest.Config) -> dict[str, Future[Any]]:
    results: dict[str, Future[Any]] = {kind: Future() for kind in _kinds_needed(config)}
    # Imported here, in the main thread: a module imported by two threads at once can fail
    # with a circular import error in one of them, and the tests use the sync API.
    import playwright.async_api
    import playwright.sync_api  # noqa: F401

    if chromium_path() is not None:
        in_background(_view_site_when_built, config, results)
    return results


@starts_early("phone_views")
def _start_phone_views(config: pytest.Config) -> dict[str, Future[Any]]:
    # The same visits: the dark ones are made on a phone.
    return early(config, "page_views")  # type: ignore[no-any-return]


@pytest.fixture(scope="session", params=list(SCHEMES))
def page_views(request: pytest.FixtureRequest, built_site: BuiltSite) -> SchemeViews:
    """Every page of the site, loaded once in one colour scheme (the fixture's parameter).

    One visit gathers what every reader-level test checks (errors, requests, math, images, copy
    text, the files used, axe-core, and the reports test modules ask for with
    `report_on_pages`), so adding a check adds no page load. Each visit is a desktop's; a dark
    visit then narrows the window to a phone's and measures the page there (`phone_views`).
    The visits start in the background as soon as the site is built (`starts_early`), the
    light ones first; a test that takes this fixture runs once per scheme and waits for that
    scheme's visits.
    """
    require_chromium()
    views: SchemeViews = result_of(
        early(request.config, "page_views")[request.param], f"the {request.param} page visits"
    )
    return views


@pytest.fixture(scope="session")
def phone_views(request: pytest.FixtureRequest, built_site: BuiltSite) -> dict[str, PhoneView]:
    """Every page of the site on a phone: ``{page: view}``, measured in the dark visits of
    `page_views` (what each visit measures: tests/phone_checks.py)."""
    require_chromium()
    views: dict[str, PhoneView] = result_of(
        early(request.config, "phone_views")[PHONE_VISITS], "the phone visits"
    )
    return views
