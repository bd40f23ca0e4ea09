"""The chapter workbooks: stored clean, run top to bottom, and published as light, working pages.

Notebooks are executed here, not by the site build (`execute: false` in mkdocs.yml), so a broken
cell fails the suite while `mkdocs build` stays fast.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
import sys
import tempfile
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import nbformat
import pytest
from site_fixtures import (
    SCHEMES,
    BuiltSite,
    SchemeViews,
    early,
    in_background,
    report_on_pages,
    result_of,
    starts_early,
)

ROOT = Path(__file__).parent.parent
NOTEBOOK_DIR = ROOT / "docs" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]
MKDOCS_YML = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
REPO_URL = re.search(r"^repo_url: (\S+)$", MKDOCS_YML, flags=re.MULTILINE).group(1)
# The address the site is published at (the default of `site_url`): a notebook links its
# chapter there, so that the link also works in Colab or a downloaded copy.
PUBLISHED_URL = re.search(
    r'^site_url: !ENV \[SITE_URL, "(\S+)"\]$', MKDOCS_YML, flags=re.MULTILINE
).group(1)
CELL_TIMEOUT_SECONDS = 120
CONCURRENT_KERNELS = 3
# Characters a code cell shows on a desktop page before it scrolls sideways: measured in
# Chromium, 80 of a 0.6 em monospace (SF Mono, DejaVu Sans Mono) at 1280, 1440 and 1600 px, as
# Material's text column and its font grow together. The browser tests check it on the page.
MAX_CODE_LINE = 80
# `w^\top`, `\top x`: a letter the workbooks use for vectors, not in `\mathbf`.
PLAIN_VECTOR_NEXT_TO_TRANSPOSE = re.compile(
    r"(?<!\\mathbf )(?<![\\\w])[abghuvwx]\^\\top|\\top\s*[abghuvwx]\b"
)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def page_of(name: str) -> str:
    return f"notebooks/{name}/"


def nav_section(title: str) -> list[tuple[str, str]]:
    """The ``(title, path)`` entries of one top-level section of the site's nav."""
    from mkdocs.utils.yaml import yaml_load

    nav = yaml_load(MKDOCS_YML)["nav"]
    section = next(entry[title] for entry in nav if isinstance(entry, dict) and title in entry)
    return [next(iter(entry.items())) for entry in section]


# The chapters are the Course section of the nav: a chapter added there needs a workbook.
CHAPTER_PAGES = {Path(path).stem: path for _, path in nav_section("Course")}
CHAPTERS = list(CHAPTER_PAGES)


def chapter_url(name: str) -> str:
    return CHAPTER_PAGES[name].removesuffix(".md") + "/"


def test_the_hook_knows_where_the_notebooks_link_the_site() -> None:
    spec = importlib.util.spec_from_file_location("notebooks_hook", ROOT / "hooks" / "notebooks.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    assert hook.published_site(REPO_URL) == PUBLISHED_URL


def test_every_chapter_has_a_workbook_and_nothing_else() -> None:
    assert sorted(NAMES) == sorted(CHAPTERS)


def test_the_nav_lists_the_workbooks_in_chapter_order_under_the_chapter_titles() -> None:
    chapters = [(title, Path(path).stem) for title, path in nav_section("Course")]
    workbooks = [(title, Path(path).stem) for title, path in nav_section("Notebooks")]
    assert workbooks == chapters


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
class TestStoredNotebook:
    def test_is_valid_and_stored_without_outputs(self, path: Path) -> None:
        notebook = read(path)
        nbformat.validate(notebook)
        code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert [cell.outputs for cell in code_cells] == [[] for _ in code_cells]
        assert {cell.execution_count for cell in code_cells} <= {None}

    def test_uses_the_python3_kernel(self, path: Path) -> None:
        assert read(path).metadata.kernelspec.name == "python3"

    def test_opens_with_a_title_then_the_install_cell(self, path: Path) -> None:
        cells = read(path).cells
        assert cells[0].cell_type == "markdown"
        assert cells[0].source.startswith("# ")
        assert cells[1].cell_type == "code"
        assert 'find_spec("calcref")' in cells[1].source

    def test_introduction_links_the_chapter_on_the_published_site(self, path: Path) -> None:
        introduction = read(path).cells[0].source
        assert f"]({PUBLISHED_URL}{chapter_url(path.stem)})" in introduction

    def test_code_fits_the_page_without_scrolling(self, path: Path) -> None:
        long_lines = [
            line
            for cell in read(path).cells
            if cell.cell_type == "code"
            for line in cell.source.splitlines()
            if len(line) > MAX_CODE_LINE
        ]
        assert long_lines == []

    def test_writes_vectors_in_bold_as_the_chapters_do(self, path: Path) -> None:
        # docs/notation.md: a vector is a bold column, $\mathbf w^\top \mathbf x$. A plain
        # letter next to a transpose is a vector written like a number.
        plain = [
            match.group(0)
            for cell in read(path).cells
            if cell.cell_type == "markdown"
            for match in PLAIN_VECTOR_NEXT_TO_TRANSPOSE.finditer(cell.source)
        ]
        assert plain == []

    def test_has_no_math_in_headings(self, path: Path) -> None:
        # The table of contents shows heading text as is: `$h$` would stay raw TeX there.
        headings = [
            line
            for cell in read(path).cells
            if cell.cell_type == "markdown"
            for line in cell.source.splitlines()
            if line.startswith("#") and "$" in line
        ]
        assert headings == []


@dataclass(frozen=True)
class Run:
    notebook: nbformat.NotebookNode
    error: BaseException | None
    # What the kernel process wrote to its stderr (start-up notices, a crash), shown on failure.
    kernel_log: str = ""


def run_notebooks(directory: Path) -> dict[str, Run]:
    """Every notebook run top to bottom, each in its own fresh kernel, a few at a time.

    Kernel start-up and imports dominate a small notebook's run; running them concurrently
    keeps the suite short on two cores.
    """
    from nbclient import NotebookClient

    async def run(path: Path, limit: asyncio.Semaphore) -> Run:
        notebook = read(path)
        (directory / path.stem).mkdir()
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_SECONDS,
            kernel_name="python3",
            resources={"metadata": {"path": str(directory / path.stem)}},
        )
        log = directory / path.stem / "kernel.log"
        async with limit:
            # The kernel runs beside the tests, outside pytest's capture: its stderr goes to a
            # file, not into the test report.
            with log.open("w") as kernel_stderr:
                try:
                    await client.async_execute(stderr=kernel_stderr)
                except Exception as error:  # CellExecutionError names the cell; kept for its test
                    return Run(notebook, error, log.read_text())
        return Run(notebook, None, log.read_text())

    async def run_all() -> list[Run]:
        limit = asyncio.Semaphore(CONCURRENT_KERNELS)
        return await asyncio.gather(*(run(path, limit) for path in NOTEBOOKS))

    return dict(zip(NAMES, asyncio.run(run_all()), strict=True))


@starts_early("notebook_runs")
def start_notebook_runs(config: pytest.Config) -> Future[dict[str, Run]]:
    """In a thread of its own, from when the tests are collected, while the quick tests run."""
    from jupyter_client.kernelspec import KernelSpecManager

    # Finding the kernel imports ipykernel and IPython: done here, in the main thread, so that
    # the run's thread never imports IPython while a test here imports it too (a circular
    # import error in one of the two).
    KernelSpecManager().get_kernel_spec("python3")
    directory = Path(tempfile.mkdtemp(prefix="calcref-notebooks-"))
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
    return in_background(run_notebooks, directory)


@pytest.fixture(scope="session")
def notebook_runs(request: pytest.FixtureRequest) -> dict[str, Run]:
    runs: dict[str, Run] = result_of(early(request.config, "notebook_runs"), "the notebook runs")
    return runs


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom_without_error_or_warning(
    notebook_runs: dict[str, Run], name: str
) -> None:
    run = notebook_runs[name]
    if run.error is not None:
        print(f"The kernel's stderr:\n{run.kernel_log}")
        raise run.error
    stderr = [
        output.text
        for cell in run.notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]
    assert stderr == [], "a cell wrote to stderr (a warning?)"


class TestInstallCell:
    """The first code cell installs calcref from the repository when it cannot import it."""

    @pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
    def test_installs_from_the_repository_when_calcref_is_missing(
        self, path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        magics = self.run_without_calcref(read(path).cells[1].source, monkeypatch)
        assert magics == [("pip", f'install --quiet "calcref @ git+{REPO_URL}"')]

    @pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
    def test_does_nothing_when_calcref_is_importable(self, path: Path) -> None:
        magics: list[tuple[str, str]] = []
        exec(self.as_python(read(path).cells[1].source), self.namespace(magics))
        assert magics == []

    def run_without_calcref(
        self, source: str, monkeypatch: pytest.MonkeyPatch
    ) -> list[tuple[str, str]]:
        # `None` in sys.modules makes calcref unfindable and unimportable, as on Colab; the
        # fake `%pip` then "installs" it by lifting that block.
        monkeypatch.setitem(sys.modules, "calcref", None)
        magics: list[tuple[str, str]] = []

        def run_line_magic(name: str, line: str) -> None:
            magics.append((name, line))
            monkeypatch.delitem(sys.modules, "calcref")

        namespace = self.namespace(magics, run_line_magic)
        exec(self.as_python(source), namespace)
        return magics

    @staticmethod
    def as_python(source: str) -> str:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)

    @staticmethod
    def namespace(magics: list[tuple[str, str]], run_line_magic: Any = None) -> dict[str, Any]:
        class Shell:
            pass

        shell = Shell()
        shell.run_line_magic = run_line_magic or (lambda name, line: magics.append((name, line)))
        return {"get_ipython": lambda: shell}


def links_of(html: str, page: str) -> set[str]:
    """Every link target of a built page, as a path from the site's root (or an absolute URL)."""
    base = "http://site.invalid/"
    targets = {urljoin(base + page, href) for href in re.findall(r'href="([^"#]*)', html)}
    return {target.removeprefix(base) for target in targets}


# Every chapter of the nav, so that a chapter without a workbook page fails here too.
@pytest.mark.parametrize("name", CHAPTERS)
class TestNotebookPage:
    def test_offers_the_notebook_for_download(self, built_site: BuiltSite, name: str) -> None:
        html = built_site.html(page_of(name))
        assert f'href="{name}.ipynb" download="{name}.ipynb"' in html
        downloaded = built_site.directory / page_of(name) / f"{name}.ipynb"
        assert downloaded.read_bytes() == (NOTEBOOK_DIR / f"{name}.ipynb").read_bytes()

    def test_links_to_colab_on_the_repository_file(self, built_site: BuiltSite, name: str) -> None:
        html = built_site.html(page_of(name))
        repository = urlparse(REPO_URL).path.strip("/")
        colab = (
            f"https://colab.research.google.com/github/{repository}"
            f"/blob/main/docs/notebooks/{name}.ipynb"
        )
        assert f'href="{colab}">Open in Colab</a>' in html

    def test_chapter_and_workbook_link_each_other(self, built_site: BuiltSite, name: str) -> None:
        chapter = chapter_url(name)
        assert page_of(name) in links_of(built_site.html(chapter), chapter)
        # The notebook links the published chapter; on the site, the hook makes it relative.
        workbook_links = links_of(built_site.html(page_of(name)), page_of(name))
        assert chapter in workbook_links
        assert [link for link in workbook_links if link.startswith(PUBLISHED_URL)] == []

    def test_says_that_outputs_appear_when_the_notebook_runs(
        self, built_site: BuiltSite, name: str
    ) -> None:
        # The build does not execute the notebooks: a reader must not wait for outputs.
        html = built_site.html(page_of(name))
        assert "jp-OutputArea-output" not in html
        note = re.search(r'<p class="notebook-note">(.*?)</p>', html, flags=re.DOTALL)
        assert note is not None
        assert "outputs appear when you run" in note.group(1)

    def test_carries_no_notebook_script_style_or_mathjax(
        self, built_site: BuiltSite, name: str
    ) -> None:
        html = built_site.html(page_of(name))
        article = html.split('<div class="jupyter-wrapper">', 1)[1].split("</article>", 1)[0]
        assert re.findall(r"<(?:script|style)\b", article) == []
        assert "mathjax" not in html.lower()
        assert "clipboard-copy" not in html


@pytest.mark.parametrize("name", NAMES)
def test_renders_cleanly(page_views: SchemeViews, name: str) -> None:
    """Read from the page's visit in each scheme (`page_views`), which ran `PAGE_REPORT` once
    loaded; its weight is checked with every page's (tests/test_browser.py)."""
    view = page_views[page_of(name)]
    assert view.errors + view.failed_requests + view.foreign_requests == []
    assert_renders_cleanly(view.reports["notebook"], scheme=SCHEMES[page_views.scheme])


def assert_renders_cleanly(report: dict[str, Any], scheme: str) -> None:
    assert report["scheme"] == scheme
    assert report["rendered"] > 0
    assert report["katexErrors"] == 0
    assert report["unrenderedDollars"] == []
    # Code cells take Material's code colours, which follow the scheme.
    assert report["codeBackground"] == report["materialCodeBackground"]
    assert report["textColor"] == report["articleTextColor"]
    # At the browser's default 1280 px, no code cell hides the end of a line.
    assert report["codeScrollingSideways"] == []


# What a notebook page looks like once its scripts ran: math, leftovers and colours.
PAGE_REPORT = """() => {
  const colour = (value) => {
    const probe = document.createElement("div");
    probe.style.color = value;
    document.body.append(probe);
    const resolved = getComputedStyle(probe).color;
    probe.remove();
    return resolved;
  };
  const wrapper = document.querySelector(".jupyter-wrapper");
  const code = wrapper.querySelector(".highlight code");
  const paragraph = wrapper.querySelector(".jp-RenderedMarkdown p");
  const unrenderedDollars = [...wrapper.querySelectorAll(".jp-RenderedMarkdown")]
    .map((cell) => {
      const copy = cell.cloneNode(true);
      copy.querySelectorAll(".katex, code").forEach((node) => node.remove());
      return copy.textContent;
    })
    .filter((text) => text.includes("$"));
  const body = getComputedStyle(document.body);
  return {
    scheme: document.body.getAttribute("data-md-color-scheme"),
    rendered: wrapper.querySelectorAll(".katex").length,
    katexErrors: document.querySelectorAll(".katex-error").length,
    unrenderedDollars,
    codeBackground: getComputedStyle(code).backgroundColor,
    materialCodeBackground: colour(body.getPropertyValue("--md-code-bg-color")),
    codeScrollingSideways: [...wrapper.querySelectorAll("pre > code")]
      .filter((code) => code.scrollWidth > code.clientWidth + 1)
      .map((code) => code.textContent.split("\\n").find((line) => line.length > 80) ?? ""),
    textColor: getComputedStyle(paragraph).color,
    articleTextColor: getComputedStyle(document.querySelector("article")).color,
  };
}"""

# The page views run it on every notebook page, in both schemes (`test_renders_cleanly`).
report_on_pages("notebook", PAGE_REPORT, lambda page: page.startswith("notebooks/"))
