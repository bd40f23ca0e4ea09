"""The site's budgets: build time, test-suite time, first-view weight and Lighthouse scores.

Run: ``uv run python bench/bench_site.py`` (everything), or pick parts:
``--build``, ``--weight``, ``--lighthouse``, ``--render``, ``--suite``. Prints one table per
part.

- Build: a clean build in a fresh export of ``HEAD`` (no cache of any kind), then an unchanged
  rebuild in the same directory (caches warm), both ``mkdocs build --strict``.
- Weight: every page of the build (found by walking it) loaded in Chromium with an empty cache;
  each response counted gzipped, as ``tests/page_weight.py`` does; split by kind.
- Lighthouse 12.2.3 (``.ci/node_modules``) on the home page, a chapter and a notebook page,
  served by a small static server that gzips text the way a real host does (``python -m
  http.server`` does not, which makes performance look worse than it is). Mobile (the default)
  and desktop presets; each page three times (medians, and performance's range), since the
  scores move by several points from run to run. Two copies of the chapter are scored the same
  way: one without its script files (Material's bundle and ours), where the gap is what the
  scripts cost, and the longest task column names the script behind it; one whose text is a
  single paragraph, which scores the theme alone (the best any page of the site can score).
- Render: the work a load costs the browser in style and layout, read from Chromium's trace on
  a 412 x 823 phone viewport (Lighthouse's): elements styled, layout objects laid out, and how
  many elements the largest single restyle touched. Counts, not times: they do not depend on
  how busy the machine is, which Lighthouse's simulated phone (timings x 4) does.
- Suite: ``./dev test``, the README's command: wall time, CPU time by program, the load
  average around it (the machine may be shared) and the slowest tests.

Targets (issue 8): chapter page <= 200 KB gzipped first view; Lighthouse 100 in all four
categories; clean build <= 20 s; full suite <= 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from page_weight import PageWeight, measure_page  # noqa: E402
from site_fixtures import (  # noqa: E402
    CHROMIUM_FLAGS,
    NODE_MODULES,
    QuietHandler,
    chromium_path,
    site_pages,
)
from site_fixtures import served_build as shared_served_build  # noqa: E402

CHAPTER_BUDGET = 200_000
BUILD_BUDGET = 20.0
SUITE_BUDGET = 120.0
KINDS = ["html", "css", "js", "font", "image", "data", "other"]
LIGHTHOUSE_CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
_COMPRESSIBLE = re.compile(r"^(text/|application/(javascript|json|xml))|svg|xml")


# --- A static server that gzips, as GitHub Pages does ----------------------------------------


class GzipHandler(SimpleHTTPRequestHandler):
    """Serve files; gzip text when the client accepts it. Quiet."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # redirects to the URL with a slash
            target = target / "index.html"
        content_type = self.guess_type(str(target))
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not target.is_file() or not accepts_gzip or not _COMPRESSIBLE.search(content_type):
            return super().send_head()
        body = gzip.compress(target.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        return _Body(body)


class _Body:
    """A file-like object over bytes, for ``SimpleHTTPRequestHandler.copyfile``."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        chunk, self.data = (self.data, b"") if size < 0 else (self.data[:size], self.data[size:])
        return chunk

    def close(self) -> None:
        pass


@contextmanager
def served_build(gzip_text: bool) -> Iterator[tuple[Path, str]]:
    """Build the site into a temporary directory and serve it on loopback."""
    # Quiet either way: the request log would bury the tables.
    handler = GzipHandler if gzip_text else QuietHandler
    with tempfile.TemporaryDirectory() as directory:
        try:
            with shared_served_build(Path(directory), handler) as site:
                yield site.directory, site.url
        except RuntimeError as error:
            sys.exit(str(error))


# --- Build time --------------------------------------------------------------------------------


def timed_build(project: Path, site: Path) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def bench_build() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        project.mkdir()
        archive = subprocess.run(
            ["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(project)], input=archive, check=True)
        clean = timed_build(project, Path(scratch) / "site")
        unchanged = timed_build(project, Path(scratch) / "site")
    print("\nBuild (mkdocs build --strict, fresh export of HEAD)")
    print(
        f"  clean build       {clean:6.1f} s   budget {BUILD_BUDGET:.0f} s  {_verdict(clean <= 20)}"
    )
    print(f"  unchanged rebuild {unchanged:6.1f} s")


# --- Page weight ---------------------------------------------------------------------------------


def bench_weight() -> None:
    from playwright.sync_api import sync_playwright

    with served_build(gzip_text=False) as (directory, url), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        weights = [measure_page(browser, url + page) for page in site_pages(directory)]
        browser.close()
    print("\nFirst view, KB gzipped (fonts, raster images as they are); data = fetched by scripts")
    print(f"{'page':42}" + "".join(f"{kind:>7}" for kind in KINDS) + f"{'page':>8}  budget")
    for weight in weights:
        print(_weight_row(weight, url))


def _weight_row(weight: PageWeight, base: str) -> str:
    split = weight.by_kind()
    cells = "".join(f"{split.get(kind, (0, 0))[1] / 1000:7.1f}" for kind in KINDS)
    name = weight.url.removeprefix(base) or "(home)"
    verdict = _verdict(weight.page_total <= CHAPTER_BUDGET)
    return f"{name:42}{cells}{weight.page_total / 1000:8.1f}  {verdict}"


# --- Lighthouse ----------------------------------------------------------------------------------


def first_chapter(pages: list[str]) -> str | None:
    return next((page for page in pages if page.startswith("derivatives/")), None)


def lighthouse_pages(directory: Path) -> list[str]:
    """The home page, the first chapter page and the first notebook page, if there is one."""
    pages = site_pages(directory)
    chapter = first_chapter(pages)
    notebooks = [page for page in pages if page.startswith("notebooks/") and page != "notebooks/"]
    return ["", *([chapter] if chapter else []), *notebooks[:1]]


# Lighthouse's scores move by several points from one run to the next on the same build (which
# of the page's tasks end before its first paint decides what its simulation counts as blocking):
# each page is scored this many times, and the table shows the medians and the range.
LIGHTHOUSE_RUNS = 3
# Two copies of the chapter page show where its score is lost. Without the script files: what
# the page's own weight and layout score. With one paragraph for its text: what the theme alone
# scores (its header, navigation, stylesheets and scripts), the best any page of the site can.
WITHOUT_SCRIPTS = "index.no-scripts.html"
ONE_PARAGRAPH = "index.one-paragraph.html"
VARIANT_LABELS = {WITHOUT_SCRIPTS: " without scripts", ONE_PARAGRAPH: " with one paragraph"}
_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[^>]*>\s*</script>")
_ARTICLE = re.compile(r"(<article\b[^>]*>).*?(</article>)", re.DOTALL)


def run_lighthouse(url: str, preset: str) -> dict[str, Any]:
    cli = NODE_MODULES / "lighthouse" / "cli" / "index.js"
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [
            "node",
            str(cli),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            "--only-categories=" + ",".join(LIGHTHOUSE_CATEGORIES),
            "--chrome-flags=--headless=new " + " ".join(CHROMIUM_FLAGS),
        ]
        if preset == "desktop":
            command.append("--preset=desktop")
        # Lighthouse scores the browser a reader runs, not the tests' headless shell.
        browser = os.environ.get("CALCREF_CHROMIUM") or shutil.which("chromium") or chromium_path()
        env = {**os.environ, "CHROME_PATH": browser or ""}
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=300)
        result = json.loads(report.read_text(encoding="utf-8"))
    categories = result["categories"]
    scores: dict[str, Any] = {
        name: round(categories[name]["score"] * 100) for name in LIGHTHOUSE_CATEGORIES
    }
    audits = result["audits"]
    scores["failing"] = [
        audit_id
        for audit_id, audit in audits.items()
        if audit.get("score") is not None
        and audit["score"] < 1
        and audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
    ]
    scores["FCP s"] = audits["first-contentful-paint"]["numericValue"] / 1000
    scores["LCP s"] = audits["largest-contentful-paint"]["numericValue"] / 1000
    scores["TBT ms"] = audits["total-blocking-time"]["numericValue"]
    # Lighthouse's long tasks are the simulated phone's (timings x 4 on mobile).
    tasks = audits["long-tasks"].get("details", {}).get("items", [])
    longest = max(tasks, key=lambda task: task["duration"], default=None)
    scores["longest task"] = (
        (longest["duration"], _script_name(longest["url"], url)) if longest else (0.0, "")
    )
    return scores


def _script_name(task_url: str, page_url: str) -> str:
    """What Lighthouse blames a long task on, by its file name; "(page)" for the page itself or
    for no script it could name."""
    if task_url == page_url or not urlsplit(task_url).path.rsplit("/", 1)[-1]:
        return "(page)"
    return urlsplit(task_url).path.rsplit("/", 1)[-1]


def page_without_scripts(directory: Path, page: str) -> str:
    """Write a copy of ``page`` without its script files (Material's bundle and the site's) next
    to it, and return its path. Its inline scripts stay, so it is styled as the page is once
    scripts ran: the palette applied, the root's `js` class set (overrides/main.html)."""
    html = (directory / page / "index.html").read_text(encoding="utf-8")
    without, removed = _EXTERNAL_SCRIPT.subn("", html)
    if removed < 2:
        sys.exit(f"{page}: expected Material's bundle and the site's scripts; found {removed}")
    (directory / page / WITHOUT_SCRIPTS).write_text(without, encoding="utf-8")
    return page + WITHOUT_SCRIPTS


def page_with_one_paragraph(directory: Path, page: str) -> str:
    """Write a copy of ``page`` whose article is a heading and one paragraph next to it, and
    return its path. Everything else (head, header, navigation, scripts) is the page's own."""
    html = (directory / page / "index.html").read_text(encoding="utf-8")
    paragraph = r"\1<h1>One paragraph</h1><p>The theme alone, with one paragraph of text.</p>\2"
    alone, replaced = _ARTICLE.subn(paragraph, html)
    if replaced != 1:
        sys.exit(f"{page}: expected one <article> (Material's content); found {replaced}")
    (directory / page / ONE_PARAGRAPH).write_text(alone, encoding="utf-8")
    return page + ONE_PARAGRAPH


def _label(page: str) -> str:
    for file, label in VARIANT_LABELS.items():
        page = page.replace(file, label)
    return page or "(home)"


def _median(values: list[float]) -> float:
    # The lower median: with an even number of runs, a score one of them had.
    return statistics.median_low(values)


def bench_lighthouse() -> None:
    if not (NODE_MODULES / "lighthouse").is_dir():
        print("\nLighthouse: not installed; run `npm ci --prefix .ci`")
        return
    with served_build(gzip_text=True) as (directory, url):
        pages = lighthouse_pages(directory)
        chapter = first_chapter(pages)
        if chapter is None:
            print("\nLighthouse: no chapter page, so none is scored without its scripts or text")
        else:
            pages.append(page_without_scripts(directory, chapter))
            pages.append(page_with_one_paragraph(directory, chapter))
        rows = []
        for page in pages:
            for preset in ("mobile", "desktop"):
                runs = [run_lighthouse(url + page, preset) for _ in range(LIGHTHOUSE_RUNS)]
                rows.append((_label(page), preset, runs))
    print(
        f"\nLighthouse 12.2.3, served with gzip (target: 100 in each category); median of "
        f"{LIGHTHOUSE_RUNS} runs, performance's range in brackets. Times are the simulated "
        "device's (mobile: a phone with a CPU 4 x slower than this machine's)."
    )
    header = "".join(f"{name[:11]:>12}" for name in LIGHTHOUSE_CATEGORIES[1:])
    print(
        f"{'page':48}{'preset':>8}{'performance':>14}{header}"
        f"{'FCP s':>7}{'LCP s':>7}{'TBT ms':>8}  longest task (ms, script)"
    )
    for page, preset, runs in rows:
        performance = sorted(run["performance"] for run in runs)
        cells = "".join(
            f"{_median([run[name] for run in runs]):>12.0f}" for name in LIGHTHOUSE_CATEGORIES[1:]
        )
        timings = "".join(
            f"{_median([run[name] for run in runs]):>{width}.{digits}f}"
            for name, width, digits in (("FCP s", 7, 2), ("LCP s", 7, 2), ("TBT ms", 8, 0))
        )
        longest = statistics.median_low(run["longest task"] for run in runs)
        range_ = f"{_median(performance):.0f} [{performance[0]}-{performance[-1]}]"
        print(f"{page:48}{preset:>8}{range_:>14}{cells}{timings}  {longest[0]:.0f} {longest[1]}")
        failing = sorted({audit for run in runs for audit in run["failing"]})
        if failing:
            print(f"{'':56}below 1 in some run: {', '.join(failing)}")


# --- Rendering work ------------------------------------------------------------------------------

PHONE = {"width": 412, "height": 823}  # Lighthouse's mobile viewport


def render_work(browser: Any, url: str) -> dict[str, int]:
    """Elements styled and objects laid out while ``url`` loads (and 2 s after), in all and in
    the largest single restyle."""
    context = browser.new_context(viewport=PHONE)
    tab = context.new_page()
    browser.start_tracing(page=tab, categories=["devtools.timeline"])
    tab.goto(url, wait_until="load")
    tab.wait_for_timeout(2000)
    events = json.loads(browser.stop_tracing())["traceEvents"]
    elements = tab.evaluate("document.querySelectorAll('*').length")
    context.close()
    restyles = [
        event["args"].get("elementCount") or 0
        for event in events
        if event.get("name") == "UpdateLayoutTree" and event.get("ph") == "X"
    ]
    layouts = [
        (event["args"].get("beginData") or {}).get("dirtyObjects") or 0
        for event in events
        if event.get("name") == "Layout" and event.get("ph") == "X"
    ]
    return {
        "elements": elements,
        "styled": sum(restyles),
        "laid out": sum(layouts),
        "largest restyle": max(restyles, default=0),
        "restyles": sum(count > 0 for count in restyles),
    }


def bench_render() -> None:
    from playwright.sync_api import sync_playwright

    with served_build(gzip_text=True) as (directory, url), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        rows = [
            (page or "(home)", render_work(browser, url + page))
            for page in lighthouse_pages(directory)
        ]
        browser.close()
    print("\nRendering work of one load on a phone viewport (counts from Chromium's trace)")
    columns = ["elements", "restyles", "styled", "largest restyle", "laid out"]
    print(f"{'page':32}" + "".join(f"{name:>17}" for name in columns))
    for page, work in rows:
        print(f"{page:32}" + "".join(f"{work[name]:>17}" for name in columns))


# --- Test suite ----------------------------------------------------------------------------------


def bench_suite() -> None:
    """Wall time, and the CPU time of pytest and everything it ran (builds, kernels, Chromium).

    The CPU time is read from ``/proc`` every 0.2 s for pytest and all its descendants: the
    rusage of waited-for children misses Chromium, whose processes pytest never waits for, and
    Chromium is most of the suite's CPU. On 2 cores the wall time cannot be below half of it.
    The machine may be shared: the load average before and after says how busy it was, and the
    CPU time changes much less with the load than the wall time does.
    """
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    # The README's command, as the issue measures it: `uv run --locked pytest` behind `./dev`.
    run = subprocess.Popen(
        [str(ROOT / "dev"), "test", "-q", "--durations=12"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    cpu = ProcessTreeCpu(run.pid)
    with ThreadPoolExecutor(max_workers=1) as pool:
        output = pool.submit(run.communicate)
        while run.poll() is None:
            cpu.sample()
            time.sleep(0.2)
        stdout = output.result()[0]
    elapsed = time.perf_counter() - start
    lines = stdout.strip().splitlines()
    summary = lines[-1] if lines else "no output"
    print("\nTest suite (./dev test)")
    print(f"  wall time {elapsed:6.1f} s   budget {SUITE_BUDGET:.0f} s  {_verdict(elapsed <= 120)}")
    print(f"  CPU time  {cpu.total():6.1f} s   (pytest and all it started; 2 cores: wall >= CPU/2)")
    for name, seconds in cpu.by_program()[:5]:
        print(f"    {name:<18} {seconds:6.1f} s")
    print(f"  load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"  {summary}")
    # pytest -q ends the list with the summary line, not a blank line: take the timed lines.
    durations = re.search(r"slowest \d+ durations =+\n((?:[\d.]+s .*\n)+)", stdout)
    if durations:
        print("  slowest:\n    " + durations.group(1).rstrip().replace("\n", "\n    "))


class ProcessTreeCpu:
    """User + system CPU seconds of a process and its descendants, sampled from ``/proc``.

    A process is counted from the first sample that sees it (a child that starts and ends
    between two samples is missed: a few short tools, not the builds, kernels or Chromium).
    """

    def __init__(self, root: int) -> None:
        self.tracked = {root}
        self.seconds: dict[int, tuple[str, float]] = {}
        self.tick = os.sysconf("SC_CLK_TCK")

    def sample(self) -> None:
        processes = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            processes[int(entry.name)] = (int(fields[1]), name, int(fields[11]) + int(fields[12]))
        grown = True
        while grown:
            new = {pid for pid, (ppid, *_) in processes.items() if ppid in self.tracked}
            grown = bool(new - self.tracked)
            self.tracked |= new
        for pid in self.tracked & processes.keys():
            _, name, ticks = processes[pid]
            self.seconds[pid] = (name, ticks / self.tick)

    def total(self) -> float:
        return sum(seconds for _, seconds in self.seconds.values())

    def by_program(self) -> list[tuple[str, float]]:
        sums: dict[str, float] = {}
        for name, seconds in self.seconds.values():
            sums[name] = sums.get(name, 0.0) + seconds
        return sorted(sums.items(), key=lambda item: -item[1])


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def core_seconds() -> float:
    """Seconds one core takes for ten million additions in a Python loop (best of three).

    The budgets are wall times, and machines differ: the suite took 118-135 s on the first
    machines and 215-237 s on a 2-core AMD EPYC, where this takes 0.5 s. Printed with every
    bench, so that numbers from two machines can be compared.
    """

    def loop() -> float:
        start = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        return time.perf_counter() - start

    return min(loop() for _ in range(3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = ["build", "weight", "lighthouse", "render", "suite"]
    for part in parts:
        parser.add_argument(f"--{part}", action="store_true", help=f"run the {part} bench")
    arguments = parser.parse_args()
    chosen = [part for part in parts if getattr(arguments, part)] or parts
    print(
        f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f},"
        f" one core's speed: {core_seconds():.2f} s for the reference loop"
    )
    for part in chosen:
        globals()[f"bench_{part}"]()


if __name__ == "__main__":
    main()
