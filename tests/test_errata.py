"""The errata page: one stable, checked entry per known mistake of the slides.

Sybil runs the code on the page; these tests guard its structure. Course pages link to the
entries by anchor (``errata.md#e4-theorem-needs-differentiability``), so an anchor must not be
renamed, an entry must not lose its summary row or its code, and a new entry must be registered
here. They also catch a trap the browser test cannot: display math written inside a paragraph is
rendered as text with literal dollar signs, which is no KaTeX error.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from site_fixtures import BuiltSite

ROOT = Path(__file__).parent.parent
ERRATA_PAGE = ROOT / "docs" / "errata.md"

# The contract with the course pages: ID -> anchor. Errata are mistakes; cautions are conventions.
ERRATA = {
    "E1": "e1-directional-example",
    "E2": "e2-partials-equals-signs",
    "E3": "e3-partial-z-factor",
    "E4": "e4-theorem-needs-differentiability",
    "E5": "e5-second-derivative-notation",
    "E6": "e6-cup-or-cap",
    "E7": "e7-hessian-stray-f",
    "E8": "e8-hessian-symmetry",
    "E9": "e9-typos",
}
CAUTIONS = {
    "C1": "c1-limit-must-exist",
    "C2": "c2-non-unit-direction",
    "C3": "c3-mixed-partial-order",
    "C4": "c4-overloaded-letters",
}
REFERENCE_PAGES = ["notation.md", "errata.md", "references.md"]
HEADING = re.compile(r"^(?P<level>#{2,3}) (?P<id>[EC]\d+): .*\{ #(?P<anchor>[\w-]+) \}$", re.M)


def sections(text: str) -> dict[str, tuple[str, str]]:
    """Map each entry ID to its anchor and its body (up to the next heading of any level)."""
    matches = list(HEADING.finditer(text))
    found = {}
    for match in matches:
        rest = text[match.end() :]
        next_heading = re.search(r"^#{1,3} ", rest, re.M)
        body = rest[: next_heading.start()] if next_heading else rest
        found[match["id"]] = (match["anchor"], body)
    return found


@pytest.fixture(scope="module")
def entries() -> dict[str, tuple[str, str]]:
    return sections(ERRATA_PAGE.read_text(encoding="utf-8"))


def test_the_page_lists_exactly_the_registered_entries(entries: dict[str, tuple[str, str]]) -> None:
    assert {key: anchor for key, (anchor, _) in entries.items()} == ERRATA | CAUTIONS


@pytest.mark.parametrize(("key", "anchor"), ERRATA.items())
def test_each_erratum_has_a_summary_row(key: str, anchor: str) -> None:
    text = ERRATA_PAGE.read_text(encoding="utf-8")
    assert f"| [{key}](#{anchor}) |" in text


@pytest.mark.parametrize("key", [key for key in [*ERRATA, *CAUTIONS] if key != "C4"])
def test_each_entry_carries_code_that_runs(key: str, entries: dict[str, tuple[str, str]]) -> None:
    # C4 is about wording only; every other entry shows its point with code Sybil runs.
    _, body = entries[key]
    assert re.search(r"^ *```python$", body, re.M), f"{key} has no `python` block"


@pytest.mark.parametrize("key", [key for key in ERRATA if key != "E9"])
def test_each_mistake_quotes_the_slide_and_corrects_it(
    key: str, entries: dict[str, tuple[str, str]]
) -> None:
    _, body = entries[key]
    assert re.search(r'^!!! (failure|warning) "Slide \*[^*]+\*', body, re.M)
    assert "**Why it is" in body
    assert "**Correction.**" in body


class _ProseText(HTMLParser):
    """Collect the text of a page that is neither code nor a formula."""

    SKIPPED = frozenset({"code", "pre", "script", "style"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.prose: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        inherited = bool(self.stack and self.stack[-1])
        self.stack.append(inherited or tag in self.SKIPPED or "arithmatex" in classes)

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.prose.append(data)


def prose_of(html: str) -> str:
    # Void elements never close; drop them so that the stack of open tags stays balanced.
    html = re.sub(r"<(?:meta|link|img|br|hr|input|source)\b[^>]*>", "", html)
    parser = _ProseText()
    parser.feed(html)
    return "".join(parser.prose)


def test_prose_text_skips_code_and_formulas() -> None:
    html = (
        '<p>cost <span class="arithmatex">\\($x$\\)</span> <code>$HOME</code> and $1</p>'
        "<pre><code>$ ls</code></pre><p>after<br>the break $$x$$</p>"
    )
    assert prose_of(html) == "cost   and $1afterthe break $$x$$"


# Every Markdown page of the site, not only the reference pages: the rules below hold site-wide.
SITE_PAGES = sorted(str(path.relative_to(ROOT / "docs")) for path in (ROOT / "docs").rglob("*.md"))


@pytest.mark.parametrize("page", SITE_PAGES)
def test_headings_have_no_math(page: str) -> None:
    # The table of contents shows a heading's TeX source, not the rendered formula.
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("#") and "$" in line]
    assert headings == []


@pytest.mark.parametrize("page", SITE_PAGES)
def test_no_formula_is_left_as_dollar_signs(built_site: BuiltSite, page: str) -> None:
    # Display math that Markdown swallowed into raw HTML (a comment line right before `$$`)
    # reaches the reader as `$$ \begin{aligned} ...`, with no KaTeX error to flag it.
    html_dir = built_site.directory / page.removesuffix(".md").removesuffix("index")
    html = (html_dir / "index.html").read_text(encoding="utf-8")
    article = html[html.index("<article") : html.index("</article>")]
    prose = prose_of(article)
    assert len(prose) > 100
    assert "$" not in prose
